"""The fixture store: keys, fixture files and the index (the transport that uses them is
:mod:`summarize.replay.fixtures`).

Terms:

- **exchange**: one HTTP request the openai client sends and the response it gets.
- **key**: what finds an exchange: the SHA-256 (hex) of the canonical JSON (keys sorted, separators
  ``,`` and ``:``, non-ASCII kept) of ``{"format": FORMAT, "request": <request body>}``, the body
  without the fields in :data:`UNKEYED_FIELDS`. The body is what the model is asked, and only that: the
  model; the messages, rendered from the prompt version and the article's content (headline, date and
  text; never its id or the path of its file: see :mod:`summarize.core.prompting`) and, for a reask, the
  earlier answer and this library's own validation message (never a dependency's text: see
  :mod:`summarize.core.client`); the output mode and the schema of that version (``response_format``,
  ``tools``, ``tool_choice``); and the sampling parameters. Headers and the URL are not part of it: the
  same request replays against any base URL. An **automatic output budget** is not part of it either: a
  request labelled ``x-summarize-budget: auto`` is keyed without its ``max_tokens``, which the client
  computed from the article and the schema, both already in the key (see :mod:`summarize.core.budget`);
  so fixtures recorded without a budget replay with one, and the fixture says ``"budget": "auto"``. **Changing this definition changes every key and is a
  breaking change**: bump :data:`FORMAT` (fixtures of an earlier format are carried over by
  ``summarize fixtures rekey``).
- **fixture**: one recorded exchange, a JSON file ``<root>/<key[:2]>/<key>.json``. It also states the
  article it was recorded for (``article``: the id; ``content``: the article's content hash), the
  prompt version, the schema version and the attempt, for people and for miss explanations; none of
  them is part of the key. Copies, renames and moves of an article make the same requests, so they
  replay the same fixtures.
- **index**: ``<root>/index.jsonl``, one line per recorded exchange (``article``, ``content``, ``key``,
  ``attempt``, ``prompt``, ``schema``, ``model``), so that a person (``grep``) or a miss explanation
  finds an article's fixtures by its name or its text. Lines are only appended, each by one
  ``write(2)`` to a file opened with ``O_APPEND``, so processes recording into one folder never tear
  one another's lines; a line whose fixture is gone is ignored, and ``summarize fixtures rekey``
  rewrites the index without such lines (atomically). Replay needs only the fixture files.
- **legacy fixtures** (format 1): ``<root>/<article id path>/<key prefix>.json``, keyed with the article
  id in the prompt. They never replay; :meth:`FixtureStore.for_article` still finds them, so that a miss
  explanation points at them and ``summarize fixtures rekey`` carries them over.
- **mode**: ``replay`` (offline only; a miss is a :class:`ReplayMissError`), ``record`` (always call
  and overwrite), ``auto`` (replay, else call and record), ``live`` (no fixtures at all).
- **provenance**: where a fixture came from: ``recorded`` from a server (which one, when) or
  ``authored`` by hand. Every fixture states it.
- **labels**: the client tells the transport which article (id and content hash), prompt, schema
  version and attempt a request belongs to through ``X-Summarize-*`` request headers; the transport
  strips them before anything leaves. Their values are percent-encoded UTF-8 (:func:`label_headers`),
  since a header carries only ASCII: any id travels, and the fixture stores it decoded, readable.

Headers are never stored, and every credential the store knows of (its
:class:`~summarize.http.redaction.Secrets`: the key, base URL and proxy credentials) is replaced by
``[redacted]`` in whatever a fixture holds, so no credential reaches a fixture even when a server
echoes one. The key is computed before that, over the request as sent.

Readability: a JSON document held in a string (a model's answer, a tool call's arguments) is stored
decoded as ``{"$json": ..., "$style": ...}`` when re-encoding it in that style gives back the very same
string; replay restores it exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from summarize.http.redaction import Secrets
from summarize.text.files import write_json_atomic, write_text_atomic
from summarize.text.idpath import IdPathError, id_path

__all__ = [
    "FORMAT",
    "HEADER_ARTICLE",
    "HEADER_ATTEMPT",
    "HEADER_BUDGET",
    "HEADER_CONTENT",
    "HEADER_PROMPT",
    "HEADER_SCHEMA",
    "INDEX_NAME",
    "LABELS",
    "PROVENANCE",
    "UNKEYED_FIELDS",
    "UNRECORDED",
    "FixtureStore",
    "Mode",
    "automatic_budget",
    "canonical_json",
    "keyed_request",
    "label_headers",
    "origin",
    "readable",
    "request_key",
    "restored",
]

#: Version of the key definition and of the fixture file (see the module docstring).
FORMAT = 2
#: Request body fields that do not change what the model sees and are left out of the key.
UNKEYED_FIELDS = ("metadata", "store", "user")
#: The index of a fixtures folder (see the module docstring).
INDEX_NAME = "index.jsonl"
HEADER_ARTICLE = "x-summarize-article"
HEADER_CONTENT = "x-summarize-content"
HEADER_PROMPT = "x-summarize-prompt"
HEADER_SCHEMA = "x-summarize-schema"
HEADER_ATTEMPT = "x-summarize-attempt"
#: Says the request's ``max_tokens`` is the automatic budget, left out of the key (see the module docstring).
HEADER_BUDGET = "x-summarize-budget"
#: The response extension that carries a :class:`FixtureWriteError` when an answer could not be recorded.
UNRECORDED = "summarize.unrecorded"
#: The response extension naming who wrote an answer: the fixture's provenance when replayed, else
#: ``{"source": "live", "server", "at"}`` (see :func:`summarize.core.usage.answer_source`).
PROVENANCE = "summarize.provenance"
LABELS = (HEADER_ARTICLE, HEADER_CONTENT, HEADER_PROMPT, HEADER_SCHEMA, HEADER_ATTEMPT, HEADER_BUDGET)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_KEY = re.compile(r"^[0-9a-f]{64}$")
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


def keyed_request(body: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    """What of a request body with its ``labels`` is keyed: all but :data:`UNKEYED_FIELDS` and an automatic budget."""
    unkeyed = (*UNKEYED_FIELDS, "max_tokens") if automatic_budget(labels) else UNKEYED_FIELDS
    return {k: v for k, v in body.items() if k not in unkeyed}


def request_key(body: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """The fixture key of a request body with its ``labels`` (see the module docstring)."""
    keyed = keyed_request(body, labels)
    return hashlib.sha256(canonical_json({"format": FORMAT, "request": keyed}).encode("utf-8")).hexdigest()


def automatic_budget(labels: dict[str, str] | None) -> bool:
    """Whether ``labels`` say the request's ``max_tokens`` is the automatic budget (left out of its key)."""
    return labels is not None and labels.get(HEADER_BUDGET) == "auto"


def label_headers(article: str, prompt: str, attempt: int, *, content: str | None = None,
                  schema: int | None = None, automatic_budget: bool = False) -> dict[str, str]:
    """The label headers of one request (see the module docstring); :meth:`FixtureTransport._prepare` reads them."""
    values = {HEADER_ARTICLE: article, HEADER_PROMPT: prompt, HEADER_ATTEMPT: str(attempt),
              HEADER_CONTENT: content, HEADER_SCHEMA: None if schema is None else str(schema),
              HEADER_BUDGET: "auto" if automatic_budget else None}
    return {name: quote(value.encode("utf-8", "surrogatepass"), safe="")
            for name, value in values.items() if value is not None}


def _legacy_folders(article: str) -> list[tuple[Path, bool]]:
    """Where format-1 fixtures of ``article`` were: the folder its id names (:mod:`summarize.text.idpath`), then
    the flattened name an earlier version gave it, marked ``True``: another article's id may name that
    folder, so only fixtures that name this article count there."""
    try:
        here = Path(id_path(article))
    except IdPathError:
        here = Path("_unlabelled")
    flat = Path(_UNSAFE.sub("_", article).strip("._")[:120] or "_unlabelled")
    return [(here, False)] + ([(flat, True)] if flat != here else [])


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


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


def origin(url: httpx.URL) -> str:
    """Scheme, host and port only: never credentials or a query string."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


class FixtureStore:
    """A fixtures folder: exchanges stored by key, and an index of the articles they were recorded for.

    ``secrets`` are replaced in everything :meth:`save` writes (see the module docstring).
    """

    def __init__(self, root: str | Path, secrets: Secrets | None = None) -> None:
        self.root = Path(root)
        self.secrets = secrets or Secrets()
        self._index: tuple[tuple[int, int], list[dict[str, Any]]] | None = None  # (mtime, size) and entries

    @property
    def index_path(self) -> Path:
        """The index file (see the module docstring)."""
        return self.root / INDEX_NAME

    def path_for(self, key: str) -> Path:
        """Where the exchange with ``key`` is (or would be) stored."""
        return self.root / key[:2] / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The fixture recorded under ``key``, or ``None``. Whatever article asked it: the key is the request."""
        data = _read(self.path_for(key))
        return data if data is not None and data.get("key") == key else None

    # -- the index ----------------------------------------------------------------------------------
    def index(self) -> list[dict[str, Any]]:
        """The index entries, oldest first; unreadable lines (a torn last line, a hand edit) are skipped."""
        try:
            stat = self.index_path.stat()
        except OSError:
            return []
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._index is None or self._index[0] != stamp:
            entries = []
            for line in self.index_path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("key"), str) and _KEY.match(entry["key"]):
                    entries.append(entry)
            self._index = (stamp, entries)
        return list(self._index[1])

    def add_to_index(self, entries: Iterable[dict[str, Any]]) -> None:
        """Append ``entries`` to the index by one ``write(2)`` with ``O_APPEND`` (see the module docstring)."""
        data = "".join(json.dumps(self.secrets.scrub(e), ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
        if not data:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.index_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            raw = data.encode("utf-8", "replace")
            while raw:
                raw = raw[os.write(fd, raw):]
        finally:
            os.close(fd)

    def compact_index(self) -> None:
        """Rewrite the index atomically without repeated lines or lines whose fixture is gone."""
        seen: set[str] = set()
        lines = []
        for entry in self.index():
            line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            if line not in seen and self.load(entry["key"]) is not None:
                seen.add(line)
                lines.append(line + "\n")
        if lines or self.index_path.exists():
            write_text_atomic(self.index_path, "".join(lines), mode=0o644)

    # -- finding an article's fixtures --------------------------------------------------------------
    def for_article(self, article: str, content: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
        """Every readable fixture recorded for the article with id ``article`` (or, given ``content``, for
        any article with that content hash), legacy ones included, in attempt order."""
        found: dict[Path, dict[str, Any]] = {}
        for entry in self.index():
            if entry.get("article") == article or (content is not None and entry.get("content") == content):
                path = self.path_for(entry["key"])
                if path not in found and (data := self.load(entry["key"])) is not None:
                    found[path] = data
        for name, flattened in _legacy_folders(article):
            folder = self.root / name
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
                data = _read(path)
                # Only format-1 files: a folder named like a key's first two characters holds new ones too.
                if data is not None and data.get("format") == 1 and \
                        data.get("article") in (article, *(() if flattened else (None,))):
                    found[path] = data
        return sorted(found.items(), key=lambda pair: (pair[1].get("attempt") or 0, pair[0].name))

    def save(self, *, body: dict[str, Any], labels: dict[str, str], request: httpx.Request, status: int,
             response_body: Any, provenance: dict[str, Any]) -> Path:
        """Write one exchange and its index line. Only the body and the labels are kept: no header, no secret."""
        key = request_key(body, labels)
        about = {
            "article": labels.get(HEADER_ARTICLE) or "_unlabelled",
            "content": labels.get(HEADER_CONTENT),
            "prompt": labels.get(HEADER_PROMPT),
            "schema": _int(labels.get(HEADER_SCHEMA)),
            "attempt": _int(labels.get(HEADER_ATTEMPT)),
        }
        data = {
            "format": FORMAT,
            "key": key,
            **about,
            "provenance": provenance,
            **({"budget": "auto"} if automatic_budget(labels) else {}),
            "request": {"method": request.method, "path": request.url.path, "body": readable(body)},
            "response": {"status": status, "body": readable(response_body)},
        }
        path = self.path_for(key)
        write_json_atomic(path, self.secrets.scrub(data))
        self.add_to_index([{**about, "key": key, "model": body.get("model")}])
        return path


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
