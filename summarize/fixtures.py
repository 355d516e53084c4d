"""Record and replay at the HTTP seam: the ``httpx`` transport under the openai client.

Terms:

- **exchange**: one HTTP request the openai client sends and the response it gets.
- **fixture**: one recorded exchange, a JSON file ``<root>/<article id>/<key prefix>.json`` (the id made a
  path by :func:`summarize.idpath.id_path`; fixtures recorded before that rule, in a folder named after
  the id with every character outside ``A-Z a-z 0-9 . _ -`` made ``_``, are still found). Reask
  flows are several exchanges, hence several files in the article's folder.
- **key**: the SHA-256 (hex) of the request body in canonical JSON: keys sorted, separators ``,`` and
  ``:``, non-ASCII kept, with the fields in :data:`UNKEYED_FIELDS` removed. The body carries the
  model, the messages (so the prompt version and the article), the schema and output mode, and the
  sampling parameters, so the key covers everything that changes what the model sees. Headers and
  the URL are not part of it: the same request replays against any base URL. **Changing this format
  changes every key and is a breaking change** (bump :data:`FORMAT`).
- **mode**: ``replay`` (offline only; a miss is a :class:`ReplayMissError`), ``record`` (always call
  and overwrite), ``auto`` (replay, else call and record), ``live`` (no fixtures at all).
- **provenance**: where a fixture came from: ``recorded`` from a server (which one, when) or
  ``authored`` by hand. Every fixture states it.
- **labels**: the pipeline tells the transport which article, prompt and attempt a request belongs
  to through ``X-Summarize-*`` request headers; the transport strips them before anything leaves.
  Their values are percent-encoded UTF-8 (:func:`label_headers`), since a header carries only ASCII:
  any id travels, and the fixture stores it decoded, readable.

Headers are never stored, and every credential the store knows of (its
:class:`~summarize.redaction.Secrets`: the key, base URL and proxy credentials) is replaced by
``[redacted]`` in whatever a fixture holds, so no credential reaches a fixture even when a server
echoes one. The key is computed before that, over the request as sent.

Readability: a JSON document held in a string (a model's answer, a tool call's arguments) is stored
decoded as ``{"$json": ..., "$style": ...}`` when re-encoding it in that style gives back the very same
string; replay restores it exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import deque
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from .errors import FixtureWriteError, ReplayMissError
from .files import write_json_atomic
from .idpath import IdPathError, id_path
from .network import LayeredTransport
from .redaction import Secrets

__all__ = [
    "FORMAT",
    "UNKEYED_FIELDS",
    "FixtureStore",
    "FixtureTransport",
    "Mode",
    "label_headers",
    "request_key",
]

#: Version of the fixture file and key format.
FORMAT = 1
#: Request body fields that do not change what the model sees and are left out of the key.
UNKEYED_FIELDS = ("metadata", "store", "user")
HEADER_ARTICLE = "x-summarize-article"
HEADER_PROMPT = "x-summarize-prompt"
HEADER_ATTEMPT = "x-summarize-attempt"
#: The response extension that carries a :class:`FixtureWriteError` when an answer could not be recorded.
UNRECORDED = "summarize.unrecorded"
_LABELS = (HEADER_ARTICLE, HEADER_PROMPT, HEADER_ATTEMPT)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STYLES: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "spaced": {"separators": (", ", ": "), "ensure_ascii": False},
    "indent2": {"indent": 2, "ensure_ascii": False},
    "compact-ascii": {"separators": (",", ":"), "ensure_ascii": True},
    "spaced-ascii": {"separators": (", ", ": "), "ensure_ascii": True},
}


class Mode(str, Enum):
    """What the transport does with fixtures."""

    REPLAY = "replay"
    RECORD = "record"
    AUTO = "auto"
    LIVE = "live"


def canonical_json(body: Any) -> str:
    """The canonical JSON form used for keys (see the module docstring)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(body: dict[str, Any]) -> str:
    """The fixture key of a request body."""
    keyed = {k: v for k, v in body.items() if k not in UNKEYED_FIELDS}
    return hashlib.sha256(canonical_json(keyed).encode("utf-8")).hexdigest()


def label_headers(article: str, prompt: str, attempt: int) -> dict[str, str]:
    """The label headers of one request (see the module docstring); :meth:`FixtureTransport._prepare` reads them."""
    return {name: quote(value.encode("utf-8", "surrogatepass"), safe="")
            for name, value in ((HEADER_ARTICLE, article), (HEADER_PROMPT, prompt), (HEADER_ATTEMPT, str(attempt)))}


def _folder(article: str) -> str:
    try:
        return id_path(article)
    except IdPathError:
        # Only a caller driving the client directly can label a request so; an Article refuses such an id.
        return "_unlabelled"


def _legacy_folder(article: str) -> str:
    """The folder name fixtures had before :mod:`summarize.idpath`: read, never written."""
    return _UNSAFE.sub("_", article).strip("._")[:120] or "_unlabelled"


def readable(node: Any) -> Any:
    """Decode JSON documents held in strings, where that is exactly reversible (see the module docstring)."""
    if isinstance(node, list):
        return [readable(x) for x in node]
    if isinstance(node, dict):
        return {k: _decoded(v) if k in ("content", "arguments") else readable(v) for k, v in node.items()}
    return node


def _decoded(value: Any) -> Any:
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return readable(value)
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    for style, options in _STYLES.items():
        if json.dumps(parsed, **options) == value:
            return {"$json": parsed, "$style": style}
    return value


def restored(node: Any) -> Any:
    """Undo :func:`readable`."""
    if isinstance(node, list):
        return [restored(x) for x in node]
    if isinstance(node, dict):
        if "$json" in node and "$style" in node and len(node) == 2:
            return json.dumps(node["$json"], **_STYLES[node["$style"]])
        return {k: restored(v) for k, v in node.items()}
    return node


def _origin(url: httpx.URL) -> str:
    """Scheme, host and port only: never credentials or a query string."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


class FixtureStore:
    """The fixtures folder: one sub-folder per article, one JSON file per exchange.

    ``secrets`` are replaced in everything :meth:`save` writes (see the module docstring).
    """

    def __init__(self, root: str | Path, secrets: Secrets | None = None) -> None:
        self.root = Path(root)
        self.secrets = secrets or Secrets()

    def path_for(self, article: str, key: str) -> Path:
        """Where the exchange with ``key`` for ``article`` is (or would be) stored."""
        return self.root / _folder(article) / f"{key[:16]}.json"

    def _folders(self, article: str) -> list[tuple[Path, bool]]:
        """The article's folder, then the folder an earlier version gave it when that differs, marked
        ``True``: another article's id may name that folder now, so only fixtures that name this article count there."""
        here, legacy = self.root / _folder(article), self.root / _legacy_folder(article)
        return [(here, False)] + ([(legacy, True)] if legacy != here else [])

    def load(self, article: str, key: str) -> dict[str, Any] | None:
        """The fixture for ``key`` in the article's folder, or ``None``.

        Only that folder (and its earlier name) is looked in: the article id is part of the rendered
        prompt, so a request for one article can never carry the key of another article's fixture.
        """
        for folder, legacy in self._folders(article):
            try:
                data = json.loads((folder / f"{key[:16]}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("key") == key and (not legacy or data.get("article") == article):
                return data
        return None

    def for_article(self, article: str) -> list[tuple[Path, dict[str, Any]]]:
        """Every readable fixture of one article, in attempt order."""
        found = []
        for folder, legacy in self._folders(article):
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                # A folder can hold another article's fixtures (an earlier name that is now another id):
                # only the ones that name this article are its own (a rekey deletes what it reads).
                if isinstance(data, dict) and data.get("article") in (article, *(() if legacy else (None,))):
                    found.append((path, data))
        return sorted(found, key=lambda pair: (pair[1].get("attempt") or 0, pair[0].name))

    def save(self, *, body: dict[str, Any], labels: dict[str, str], request: httpx.Request, status: int,
             response_body: Any, provenance: dict[str, Any]) -> Path:
        """Write one exchange. Only the body and the labels are kept, never a header, and no secret."""
        key = request_key(body)
        article = labels.get(HEADER_ARTICLE) or "_unlabelled"
        data = {
            "format": FORMAT,
            "key": key,
            "article": article,
            "prompt": labels.get(HEADER_PROMPT),
            "attempt": int(labels[HEADER_ATTEMPT]) if labels.get(HEADER_ATTEMPT, "").isdigit() else None,
            "provenance": provenance,
            "request": {"method": request.method, "path": request.url.path, "body": readable(body)},
            "response": {"status": status, "body": readable(response_body)},
        }
        path = self.path_for(article, key)
        write_json_atomic(path, self.secrets.scrub(data))
        return path


class FixtureTransport(LayeredTransport):
    """An ``httpx`` transport that records and replays exchanges (see the module docstring).

    ``inner`` is the transport that reaches the server (default: a real HTTP transport of the
    matching kind); it is never used in ``replay`` mode. ``provenance`` overrides what recorded
    fixtures say of their origin (the authoring tool marks its fixtures ``authored`` this way).
    ``secrets`` are kept out of the fixtures written (when ``store`` is a folder, not a store).

    An answer that cannot be recorded (the folder is not writable, the disk is full) was still paid
    for: it is handed back all the same, carrying a :class:`~summarize.errors.FixtureWriteError` in
    its ``extensions[UNRECORDED]`` for the client to report. With ``must_record`` (the authoring tools,
    whose product is the fixture) that error is raised instead.
    """

    def __init__(self, store: FixtureStore | str | Path, mode: Mode | str = Mode.REPLAY, *,
                 inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
                 provenance: dict[str, Any] | None = None, secrets: Secrets | None = None,
                 must_record: bool = False) -> None:
        self.store = store if isinstance(store, FixtureStore) else FixtureStore(store, secrets)
        self.mode = Mode(mode)
        self.inner = inner
        self.provenance = provenance
        self.must_record = must_record
        self.recorded: deque[Path] = deque(maxlen=10_000)  # the latest files written, for the authoring tools

    # -- the two entry points -------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request, labels, body = self._prepare(request)
        if body is not None and self.mode in (Mode.REPLAY, Mode.AUTO):
            hit = self._replay(body, labels)
            if hit is not None:
                return hit
        inner = self.inner or httpx.HTTPTransport()
        self.inner = inner
        response = inner.handle_request(request)  # type: ignore[union-attr]
        response.read()
        return self._after(request, labels, body, response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request, labels, body = self._prepare(request)
        if body is not None and self.mode in (Mode.REPLAY, Mode.AUTO):
            hit = self._replay(body, labels)
            if hit is not None:
                return hit
        inner = self.inner or httpx.AsyncHTTPTransport()
        self.inner = inner
        response = await inner.handle_async_request(request)  # type: ignore[union-attr]
        await response.aread()
        return self._after(request, labels, body, response)

    # -- shared steps -------------------------------------------------------------------------------
    def _prepare(self, request: httpx.Request) -> tuple[httpx.Request, dict[str, str], dict[str, Any] | None]:
        labels = {h: unquote(request.headers[h], errors="surrogatepass") for h in _LABELS if h in request.headers}
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _LABELS]
        content = request.read()
        stripped = httpx.Request(request.method, request.url, headers=headers, content=content,
                                 extensions=request.extensions)
        if self.mode is Mode.LIVE:
            return stripped, labels, None  # no fixtures: no need to read the body
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        if body is None and self.mode is Mode.REPLAY:
            raise ReplayMissError(
                f"Replay mode cannot answer {request.method} {request.url.path}: only JSON requests are recorded.",
                article_id=labels.get(HEADER_ARTICLE),
            )
        return stripped, labels, body

    def _replay(self, body: dict[str, Any], labels: dict[str, str]) -> httpx.Response | None:
        article = labels.get(HEADER_ARTICLE) or "_unlabelled"
        fixture = self.store.load(article, request_key(body))
        if fixture is not None:
            response = fixture["response"]
            return httpx.Response(response["status"], json=restored(response["body"]),
                                  headers={"x-summarize-replayed": "1"})
        if self.mode is Mode.REPLAY:
            from .explain import explain_miss

            raise explain_miss(self.store, body, labels)
        return None

    def _after(self, request: httpx.Request, labels: dict[str, str], body: dict[str, Any] | None,
               response: httpx.Response) -> httpx.Response:
        # The body is already decoded: the copy handed back must not claim an encoding or length.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        fresh = httpx.Response(response.status_code, headers=headers, content=response.content,
                               request=request, extensions=response.extensions)
        if self.mode in (Mode.RECORD, Mode.AUTO) and body is not None and 200 <= response.status_code < 300:
            try:
                parsed = json.loads(response.content)
            except ValueError:
                return fresh  # not JSON (a stream, say): passed through, not recorded
            provenance = self.provenance or {
                "source": "recorded",
                "server": _origin(request.url),
                "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            }
            try:
                self.recorded.append(self.store.save(body=body, labels=labels, request=request,
                                                     status=response.status_code, response_body=parsed,
                                                     provenance=provenance))
            except OSError as exc:
                # Raised out of a transport, an OSError would become openai's "Connection error." and the
                # paid answer would be dropped: report it as what it is and hand the answer on.
                error = FixtureWriteError(
                    f"Could not record the answer in the fixtures folder {self.store.root}: {exc}. The answer was "
                    "used; make the folder writable (or pass another --fixtures) to record answers.",
                    path=str(self.store.root), article_id=labels.get(HEADER_ARTICLE))
                if self.must_record:
                    raise error from exc
                fresh.extensions = {**fresh.extensions, UNRECORDED: error}
        return fresh
