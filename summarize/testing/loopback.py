"""A loopback OpenAI-compatible server for tests, benchmarks and users' own test suites.

Terms:

- **reply**: what the server answers one request with: a :class:`Reply` (status, JSON body, headers,
  delay), or an answer object / string, which is wrapped into a chat completion for the request's
  output mode (see :func:`summarize.runs.authoring.completion_body`).
- **script**: the replies, used in order; when it runs out, ``default`` answers (a 500 if none).
- **seen**: every request the server received, as :class:`Seen` (path, headers, JSON body, arrival time
  and the status answered), so tests can count requests and check what left the client.
- **echo**: a reply with ``echo=True`` puts the request's headers into its body: each ``{Header-Name}``
  becomes that header's value, as a misbehaving server or proxy does (``"{Authorization}"``).
- **latency**: seconds every answer waits. **hold**: a :class:`threading.Event` (or any :class:`Flag`)
  a reply waits for (after its delay) before it is sent, so a test can keep requests in flight until it
  has done what it needs (e.g. interrupted the client); a held reply whose client closes the connection
  first is never sent, whatever the machine's load, and its :attr:`Seen.gone` is set: the event a test waits
  for to know that the client closed the connection (as a cancelled or timed-out request must, so that a
  real server such as llama.cpp stops generating). **rate_limit**: requests per second allowed over any
  sliding one-second window; above it the server answers 429 with ``retry-after-ms`` naming when a slot
  frees.
- **in flight**: requests being handled at once; ``max_in_flight`` is the most seen.
- **stream**: a request whose body asks ``"stream": true`` is answered, when its reply is a 200 chat
  completion, with that completion as server-sent events, as OpenAI and llama.cpp send them: a first delta
  with the role, the text in pieces of :data:`PIECE` characters (the content, or the tool call's arguments),
  a last delta with the finish reason, the usage (when ``stream_options.include_usage``), ``[DONE]``.
  Merged, the events are the completion (:func:`stream_events`).
- :func:`minimal_answer` answers any article with a small valid summary grounded in its text, for
  runs over synthetic articles.

It listens on 127.0.0.1 only, on a free port, in a background thread with its own event loop::

    with LoopbackServer([answer]) as server:
        Summarizer(base_url=server.url, api_key="test-key-not-real", mode="live").summarize(text)
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self

__all__ = ["PIECE", "Flag", "LoopbackServer", "Reply", "Seen", "minimal_answer", "stream_events",
           "write_synthetic_articles"]


class Flag(Protocol):
    """What a reply can be held on: a :class:`threading.Event`, or anything else that says when it is set."""

    def is_set(self) -> bool: ...


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: Any = None
    """A JSON value, a string sent as it is, or bytes sent as they are (with ``headers`` saying how encoded)."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    """Close the connection instead of answering."""
    fault: str | None = None
    """The injected fault this reply carries (see :mod:`summarize.testing.faults`), for the record in ``seen``."""
    echo: bool = False
    """Put the request's headers into the body (see the module docstring)."""
    hold: Flag | None = None
    """Send the answer only once this is set; if the client closes the connection first, send nothing. In a
    streamed reply, the answer's text is sent and its end (finish reason, usage) waits for this."""
    cut: int | None = None
    """In a streamed reply, close the connection after this many events (a stream cut off)."""


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any
    at: float = 0.0
    status: int = 0
    reply_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    delivered: bool = False
    """Whether the answer reached the client (not after a client timeout, not a dropped connection)."""
    usage: dict[str, int] | None = None
    """The usage the delivered answer reported, if any."""
    answered: float = 0.0
    """When the answer was sent (``time.monotonic()``, like ``at``); 0 when it never was."""
    gone: threading.Event = field(default_factory=threading.Event)
    """Set when the client closed the connection while its reply was held (see the module docstring)."""
    streamed: int = 0
    """The events of a streamed reply that were sent (see "stream" in the module docstring)."""


def _article_text(body: dict[str, Any]) -> str:
    user = next((m.get("content") for m in reversed(body.get("messages", [])) if m.get("role") == "user"
                 and "<article>" in str(m.get("content"))), "")
    return str(user).split("<article>\n", 1)[-1].rsplit("\n</article>", 1)[0]


def minimal_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A small valid answer for the article in a request: its first line as evidence, its first
    quotation (if any) as a direct quote by "a spokesperson"."""
    text = _article_text(body)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "Untitled")
    quotes = []
    if "\u201c" in text and "\u201d" in text.split("\u201c", 1)[1]:
        words = text.split("\u201c", 1)[1].split("\u201d", 1)[0]
        quotes.append({"text": words, "speaker": "a spokesperson", "speaker_role": None, "kind": "direct", "cue": "said"})
    return {
        "title": first[:80], "published": None, "summary": f"The article reports: {first}",
        "key_points": [{"text": first, "evidence": [first]}], "quotes": quotes, "entities": [],
        "events": [{"description": first, "event_type": "other", "actors": [], "targets": [], "when": None,
                    "where": None, "status": "reported", "evidence": first}],
    }


#: Characters of answer text per event of a streamed reply.
PIECE = 16


def stream_events(completion: dict[str, Any], *, include_usage: bool = True) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` events that stream ``completion`` (see "stream" in the module docstring)."""
    top = {k: v for k, v in completion.items() if k not in ("choices", "usage", "object")}
    events: list[dict[str, Any]] = []

    def event(index: int, delta: dict[str, Any], **fields: Any) -> None:
        events.append({**top, "object": "chat.completion.chunk",
                       "choices": [{"index": index, "delta": delta, **fields}]})

    for choice in completion.get("choices", []):
        index, message = choice.get("index", 0), dict(choice.get("message") or {})
        calls = message.pop("tool_calls", None) or []
        text = message.get("content") or ""
        first = {k: ("" if isinstance(v, str) and k != "role" else v) for k, v in message.items()}
        if calls:
            text = calls[0]["function"]["arguments"]
            first["tool_calls"] = [{"index": 0, **calls[0], "function": {**calls[0]["function"], "arguments": ""}}]
        event(index, first, finish_reason=None, logprobs=None)
        for start in range(0, len(text), PIECE):
            piece = text[start:start + PIECE]
            event(index, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} if calls
                  else {"content": piece}, finish_reason=None, logprobs=None)
        event(index, {}, finish_reason=choice.get("finish_reason"), logprobs=choice.get("logprobs"))
    if include_usage and "usage" in completion:
        events.append({**top, "object": "chat.completion.chunk", "choices": [], "usage": completion["usage"]})
    return events


def write_synthetic_articles(folder: Path, n: int, *, start: int = 0) -> list[Path]:
    """Write ``n`` small articles ``a00000.txt`` ... into ``folder``, each with one quotation that
    :func:`minimal_answer` grounds."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"a{i:05d}.txt"
        path.write_text(f"Minister acts on item {i}\nThe minister said \u201cwe will act on item {i} now\u201d on Monday.\n"
                        f"Officials confirmed the plan for item {i}.\n", encoding="utf-8")
        paths.append(path)
    return paths


async def _held(request: Any, hold: Flag, seen: Seen) -> None:
    """Wait until ``hold`` is set or the client has closed the connection (then nothing will be sent, and
    ``seen.gone`` is set).

    The event is set from other threads and aiohttp has no hook for a client going away while a
    handler runs, so both are looked at every few milliseconds; neither is a time limit.
    """
    while not hold.is_set() and request.transport is not None and not request.transport.is_closing():
        await asyncio.sleep(0.005)
    if request.transport is None or request.transport.is_closing():
        seen.gone.set()


class LoopbackServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, script: list[Any] | None = None, *, default: Any = None,
                 responder: Callable[[dict[str, Any]], Any] | None = None, latency: float = 0.0,
                 rate_limit: float | None = None) -> None:
        self.script = list(script or [])
        self.default = default
        self.responder = responder
        self.latency = latency
        self.rate_limit = rate_limit
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._window: list[float] = []
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
        from summarize.core.adapter import completion_body

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

    def _limited(self, now: float) -> Reply | None:
        """A 429 when the sliding one-second window is full, else None (and the request takes a slot)."""
        if self.rate_limit is None:
            return None
        with self._lock:
            self._window = [t for t in self._window if t > now - 1.0]
            if len(self._window) >= self.rate_limit:
                wait_ms = max(1, int((self._window[0] + 1.0 - now) * 1000) + 1)
                return Reply(429, {"error": {"message": "rate limited", "type": "rate_limit_exceeded"}},
                             headers={"retry-after-ms": str(wait_ms), "retry-after": str(max(1, round(wait_ms / 1000)))})
            self._window.append(now)
        return None

    async def _stats(self, request: Any) -> Any:
        from aiohttp import web

        with self._lock:
            statuses: dict[str, int] = {}
            for seen in self.seen:
                statuses[str(seen.status)] = statuses.get(str(seen.status), 0) + 1
            return web.json_response({"requests": len(self.seen), "max_in_flight": self.max_in_flight, "statuses": statuses,
                                      "arrivals": [seen.at for seen in self.seen]})

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        now = time.monotonic()
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        seen = Seen(request.path, dict(request.headers), body, at=now)
        with self._lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            limited = self._limited(now)
            reply = limited or self._next(body if isinstance(body, dict) else {})
            if limited is None and (reply.delay or self.latency):
                await asyncio.sleep(reply.delay or self.latency)
            streaming = isinstance(body, dict) and body.get("stream") is True  # a stream holds its end only
            if limited is None and reply.hold is not None and not streaming:
                await _held(request, reply.hold, seen)
        finally:
            with self._lock:
                self.in_flight -= 1
        seen.status, seen.reply_headers, seen.fault = reply.status, dict(reply.headers), reply.fault
        transport = request.transport
        if reply.drop or transport is None or transport.is_closing():
            if transport is not None:
                transport.close()  # no answer at all: the client sees the connection drop
            return web.Response(status=reply.status)
        if streaming and isinstance(body, dict) and reply.status == 200 and isinstance(reply.body, dict):
            return await self._stream(request, reply, body, seen)
        seen.delivered = True
        seen.answered = time.monotonic()
        if isinstance(reply.body, dict) and isinstance(reply.body.get("usage"), dict):
            seen.usage = reply.body["usage"]
        if isinstance(reply.body, bytes):  # sent as it is: an encoded body, or a broken one
            return web.Response(status=reply.status, body=reply.body, headers={"Content-Type": "application/json", **reply.headers})
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        if reply.echo:
            text = _echoed(text, request.headers)
        return web.Response(status=reply.status, text=text, headers=reply.headers, content_type="application/json")

    async def _stream(self, request: Any, reply: Reply, body: dict[str, Any], seen: Seen) -> Any:
        """Send ``reply``'s completion as server-sent events (see "stream" in the module docstring)."""
        from aiohttp import web

        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = stream_events(reply.body, include_usage=include_usage)
        answer = web.StreamResponse(status=200, headers={**reply.headers, "Content-Type": "text/event-stream"})
        await answer.prepare(request)
        try:
            for i, event in enumerate(events):
                if reply.cut is not None and i >= reply.cut:
                    request.transport.close()  # cut off mid-stream: no end, no [DONE]
                    return answer
                if reply.hold is not None and event.get("choices") and event["choices"][0].get("finish_reason"):
                    await _held(request, reply.hold, seen)
                    if seen.gone.is_set():
                        return answer
                await answer.write(b"data: " + json.dumps(event).encode() + b"\n\n")
                seen.streamed += 1
            await answer.write(b"data: [DONE]\n\n")
            await answer.write_eof()
        except (ConnectionResetError, RuntimeError):  # the client closed the connection
            seen.gone.set()
            return answer
        seen.delivered, seen.answered = True, time.monotonic()
        if isinstance(reply.body.get("usage"), dict):
            seen.usage = reply.body["usage"]
        return answer

    def start(self) -> Self:
        """Start serving; returns self once the port is bound."""
        from aiohttp import web

        ready = threading.Event()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("GET", "/_stats", self._stats)
            app.router.add_route("POST", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            # Ready once run_forever runs: a stop() that came while run_until_complete was ending would be
            # forgotten (run_forever clears the stop flag on its way out), and stop() would wait 10 s in vain.
            self._loop.call_soon(ready.set)
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9-]*)\}")


def _echoed(text: str, headers: Any) -> str:
    """``text`` with each ``{Header-Name}`` replaced by that request header's value (JSON-escaped, so a JSON
    body stays JSON); names the request did not carry are left as they are."""
    return _PLACEHOLDER.sub(lambda m: json.dumps(headers[m.group(1)])[1:-1] if m.group(1) in headers else m.group(0),
                            text)


def main(argv: list[str] | None = None) -> None:
    """Serve :func:`minimal_answer` in this process until killed; prints the base URL on one line.

    ``python -m summarize.testing.loopback [--latency S] [--rate-limit R]``. ``GET /_stats`` reports the requests
    seen, their statuses and the most in flight at once. Benchmarks run it in a separate process so that
    the server's work does not share the measured process's interpreter.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m summarize.testing.loopback")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=None)
    args = parser.parse_args(argv)
    server = LoopbackServer(responder=minimal_answer, latency=args.latency, rate_limit=args.rate_limit).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our input or kills us
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
