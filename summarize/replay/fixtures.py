"""Record and replay at the HTTP seam: the ``httpx`` transport under the openai client.

The transport (:class:`FixtureTransport`) looks requests up in, and records answers into, a fixture store;
what a key, a fixture, the index, a mode and provenance are is defined in :mod:`summarize.replay.store`
(the key is a versioned contract), and a miss is explained by :mod:`summarize.replay.explain`. This
module re-exports the store's public names, so ``summarize.replay.fixtures`` is the one place to import
record and replay from.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from summarize.errors import FixtureWriteError, ReplayMissError
from summarize.http.network import LayeredTransport
from summarize.http.redaction import Secrets
from summarize.replay.explain import explain_miss
from summarize.replay.store import (
    FORMAT,
    HEADER_ARTICLE,
    INDEX_NAME,
    LABELS,
    PROVENANCE,
    UNKEYED_FIELDS,
    UNRECORDED,
    FixtureStore,
    Mode,
    label_headers,
    origin,
    request_key,
    restored,
)

__all__ = [
    "FORMAT",
    "INDEX_NAME",
    "UNKEYED_FIELDS",
    "FixtureStore",
    "FixtureTransport",
    "Mode",
    "label_headers",
    "request_key",
]


class FixtureTransport(LayeredTransport):
    """An ``httpx`` transport that records and replays exchanges (see the module docstring).

    ``inner`` is the transport that reaches the server (default: a real HTTP transport of the
    matching kind); it is never used in ``replay`` mode. ``provenance`` overrides what recorded
    fixtures say of their origin (the authoring tool marks its fixtures ``authored`` this way).
    ``secrets`` are kept out of the fixtures written (when ``store`` is a folder, not a store).
    ``served_by`` describes the server beyond its URL (the local engine: engine and version, model file and
    SHA-256, settings) and goes into every recorded fixture's provenance.

    An answer that cannot be recorded (the folder is not writable, the disk is full) was still paid
    for: it is handed back all the same, carrying a :class:`~summarize.errors.FixtureWriteError` in
    its ``extensions[UNRECORDED]`` for the client to report. With ``must_record`` (the authoring tools,
    whose product is the fixture) that error is raised instead.
    """

    def __init__(self, store: FixtureStore | str | Path, mode: Mode | str = Mode.REPLAY, *,
                 inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
                 provenance: dict[str, Any] | None = None, secrets: Secrets | None = None,
                 must_record: bool = False, served_by: dict[str, Any] | None = None) -> None:
        self.store = store if isinstance(store, FixtureStore) else FixtureStore(store, secrets)
        self.mode = Mode(mode)
        self.inner = inner
        self.provenance = provenance
        self.served_by = served_by
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
        labels = {h: unquote(request.headers[h], errors="surrogatepass") for h in LABELS if h in request.headers}
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in LABELS]
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
        fixture = self.store.load(request_key(body, labels))
        if fixture is not None:
            response = fixture["response"]
            return httpx.Response(response["status"], json=restored(response["body"]),
                                  headers={"x-summarize-replayed": "1"},
                                  extensions={PROVENANCE: fixture.get("provenance") or {"source": "recorded"}})
        if self.mode is Mode.REPLAY:
            raise explain_miss(self.store, body, labels)
        return None

    def _after(self, request: httpx.Request, labels: dict[str, str], body: dict[str, Any] | None,
               response: httpx.Response) -> httpx.Response:
        # The body is already decoded: the copy handed back must not claim an encoding or length.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        # An answer made now: by the server, unless the authoring tools script it (their provenance says so).
        written = self.provenance or {"source": "live", "server": origin(request.url), "at": now}
        fresh = httpx.Response(response.status_code, headers=headers, content=response.content,
                               request=request, extensions={**response.extensions, PROVENANCE: written})
        if self.mode in (Mode.RECORD, Mode.AUTO) and body is not None and 200 <= response.status_code < 300:
            try:
                parsed = json.loads(response.content)
            except ValueError:
                return fresh  # not JSON (a stream, say): passed through, not recorded
            provenance = self.provenance or {
                "source": "recorded",
                "server": origin(request.url),
                "recorded_at": now,
                **({"served_by": self.served_by} if self.served_by else {}),
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
