"""A loopback OpenAI-compatible server for tests, benchmarks and users' own test suites.

Terms:

- **reply**: what the server answers one request with: a :class:`Reply` (status, JSON body, headers,
  delay), or an answer object / string, which is wrapped into a chat completion for the request's
  output mode (see :func:`summarize.authoring.completion_body`).
- **script**: the replies, used in order; when it runs out, ``default`` answers (a 500 if none).
- **seen**: every request the server received, as :class:`Seen` (path, headers, JSON body), so tests can
  count requests and check what left the client.

It listens on 127.0.0.1 only, on a free port, in a background thread with its own event loop::

    with LoopbackServer([answer]) as server:
        Summarizer(base_url=server.url, api_key="test-key-not-real", mode="live").summarize(text)
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoopbackServer", "Reply", "Seen"]


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


class LoopbackServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, script: list[Any] | None = None, *, default: Any = None,
                 responder: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.script = list(script or [])
        self.default = default
        self.responder = responder
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL to hand to an OpenAI client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _next(self, body: dict[str, Any]) -> Reply:
        from .authoring import completion_body

        with self._lock:
            if self.responder is not None:
                reply = self.responder(body)
            elif self.script:
                reply = self.script.pop(0)
            else:
                reply = self.default
        if reply is None:
            return Reply(500, {"error": {"message": "loopback script exhausted", "type": "server_error"}})
        if isinstance(reply, Reply):
            return reply
        return Reply(200, completion_body(reply, body))

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.seen.append(Seen(request.path, dict(request.headers), body))
        reply = self._next(body if isinstance(body, dict) else {})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return web.Response(status=reply.status, text=text, headers=reply.headers, content_type="application/json")

    def start(self) -> LoopbackServer:
        """Start serving; returns self once the port is bound."""
        from aiohttp import web

        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("POST", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="summarize-loopback", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the loopback server did not start within 10 s")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
