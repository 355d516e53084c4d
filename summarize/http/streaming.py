"""Streaming under the fixture layer: a chat completion asked as a stream, handed up as one ordinary answer.

Why: llama.cpp's server (the embedded local engine, :mod:`summarize.http.local`) stops generating when a
*streamed* request's connection closes, but not reliably for a non-streamed one, which goes on to its
``max_tokens`` and blocks the engine's only slot. And a looping small model writes for minutes (SmolLM2-135M:
~3,750 tokens at ~20 a second, three attempts, 9 minutes for one article) before a non-streamed answer can be
looked at; read as it comes, the loop is seen after a few items and the request closed.

Terms:

- **streamed request**: a ``POST .../chat/completions`` whose JSON body this layer sends with ``"stream":
  true`` and ``"stream_options": {"include_usage": true}`` added. Only this layer sees them: the fixture layer
  above keys and records the request as the client made it, so fixtures and their keys are the same whether
  or not an answer was streamed. A request that already asks for a stream, or any other request, passes
  through unchanged.
- **chunk**: one server-sent event's JSON (``chat.completion.chunk``); its choices carry a **delta**.
- **assembly** (:class:`Assembly`): the chunks merged into the ``chat.completion`` the server would have
  answered unstreamed (checked against llama.cpp's: the same keys): per choice, the message's strings
  (``content``, ``refusal``) joined, ``tool_calls`` merged by their ``index`` (their ``arguments`` joined), the
  last ``finish_reason``; the top-level fields of the chunks (``id``, ``created``, ``model``, ``usage``,
  llama.cpp's ``timings``...) with ``object`` ``chat.completion``.
- **tokens received**: the chunks that carried answer text so far (llama.cpp sends one token per chunk), told
  to :data:`RECEIVING` as they come, for progress displays.
- **loop stop**: every :data:`CHECK_EVERY` characters of answer text, the text so far (the message content, or
  the first tool call's arguments) is checked by the one repetition rule
  (:func:`summarize.text.repetition.repeated`). When it repeats, the connection is closed at once (the server
  stops generating) and the answer so far is handed up with the finish reason
  :data:`~summarize.text.repetition.STOPPED`, which the client reads as a repetitive attempt; the usage is
  then the tokens received and an estimate of the prompt's (the server never said).
- **timeouts**: the request's timeouts apply as the underlying transports apply them, per read: a streamed
  request times out when the server is *silent* for the read timeout (before its first token, or between
  two), not when the whole answer takes longer. A slow engine that keeps writing is never cut off by the
  clock (the output budget and the loop stop bound it), and a stuck one is given up on as before. Whatever
  ends a stream early (a timeout, a cancelled task, an interrupt, a loop) closes its connection.
- **cut-off stream**: a stream that ends before a finish reason is a dropped connection
  (``httpx.RemoteProtocolError``), transient like a body cut off, and retried by the layer above; an
  ``error`` event in the stream is handed up as the 500 a non-streamed request would have got.

Why not a library for server-sent events (``httpx-sse``): a dozen lines of line splitting, which must see
each chunk as it arrives to count and to stop; openai's own decoder is private to the SDK.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

import httpx

from summarize.http.network import LayeredTransport, default_transport
from summarize.text.repetition import STOPPED, repeated
from summarize.text.tokens import estimate_tokens

__all__ = ["CHECK_EVERY", "RECEIVING", "Assembly", "StreamingTransport"]

#: Told the tokens received so far by the current streamed request (a folder run sets it per article).
RECEIVING: ContextVar[Callable[[int], None] | None] = ContextVar("summarize_receiving", default=None)
#: Characters of new answer text between two looks for a loop.
CHECK_EVERY = 200
_DROPPED_FIELDS = ("choices", "object", "obfuscation")  # per-chunk fields with no place in a completion


def _merge_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    for key, value in delta.items():
        if key == "tool_calls" and isinstance(value, list):
            calls = message.setdefault("tool_calls", [])
            for part in value:
                index = part.get("index", len(calls))
                while len(calls) <= index:
                    calls.append({})
                call = calls[index]
                for name, piece in part.items():
                    if name == "index":
                        continue
                    if name == "function" and isinstance(piece, dict):
                        function = call.setdefault("function", {})
                        for fname, fpiece in piece.items():
                            joined = isinstance(fpiece, str) and isinstance(function.get(fname), str)
                            function[fname] = function[fname] + fpiece if joined else fpiece
                    elif piece is not None or name not in call:
                        call[name] = piece
        elif isinstance(value, str) and isinstance(message.get(key), str) and key != "role":
            message[key] += value
        elif value is not None or key not in message:
            message[key] = value


class Assembly:
    """Chunks of a streamed chat completion merged into one completion (see the module docstring)."""

    def __init__(self) -> None:
        self.top: dict[str, Any] = {}
        self.choices: dict[int, dict[str, Any]] = {}
        self.tokens = 0
        self.error: Any = None

    def add(self, chunk: dict[str, Any]) -> bool:
        """Merge one chunk; True when it carried answer text (a token)."""
        if "error" in chunk:
            self.error = chunk["error"]
            return False
        for key, value in chunk.items():
            if key not in _DROPPED_FIELDS and (value is not None or key not in self.top):
                self.top[key] = value
        texted = False
        for part in chunk.get("choices") or []:
            choice = self.choices.setdefault(int(part.get("index", 0)), {"message": {}})
            delta = part.get("delta") or {}
            texted = texted or bool(delta.get("content") or delta.get("refusal") or delta.get("tool_calls"))
            _merge_delta(choice["message"], delta)
            for key, value in part.items():
                if key == "logprobs" and isinstance(value, dict) and isinstance(choice.get(key), dict):
                    for name, items in value.items():
                        if isinstance(items, list):
                            choice[key].setdefault(name, []).extend(items)
                elif key not in ("delta", "index") and (value is not None or key not in choice):
                    choice[key] = value
        self.tokens += int(texted)
        return texted

    @property
    def finished(self) -> bool:
        """Whether every choice has its finish reason."""
        return bool(self.choices) and all(c.get("finish_reason") for c in self.choices.values())

    def text(self) -> str:
        """The answer text so far of the first choice: its content, or its first tool call's arguments."""
        message = self.choices.get(0, {}).get("message", {})
        calls = message.get("tool_calls") or []
        if calls:
            return str((calls[0].get("function") or {}).get("arguments") or "")
        return str(message.get("content") or "")

    def stop(self, prompt_tokens: int) -> None:
        """End the answer here as a loop (see "loop stop" in the module docstring)."""
        for choice in self.choices.values():
            choice["finish_reason"] = STOPPED
        if not isinstance(self.top.get("usage"), dict):
            self.top["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": self.tokens,
                                 "total_tokens": prompt_tokens + self.tokens}

    def completion(self) -> dict[str, Any]:
        """The assembled ``chat.completion``."""
        choices = [{"index": i, **c} for i, c in sorted(self.choices.items())]
        return {**self.top, "object": "chat.completion", "choices": choices}


class _Events:
    """Server-sent events from bytes as they arrive: the ``data`` of each event (its lines joined)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.data: list[str] = []

    def feed(self, chunk: bytes) -> Iterator[str]:
        self.buffer += chunk
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                return
            line = self.buffer[:end].rstrip(b"\r").decode("utf-8", "replace")
            self.buffer = self.buffer[end + 1:]
            if not line:
                if self.data:
                    yield "\n".join(self.data)
                    self.data = []
            elif line.startswith("data:"):
                self.data.append(line[5:].removeprefix(" "))


class _Reading:
    """One streamed request's reading: its events, its assembly, when to look for a loop."""

    def __init__(self, request: httpx.Request, prompt_tokens: int) -> None:
        self.request = request
        self.prompt_tokens = prompt_tokens
        self.events = _Events()
        self.assembly = Assembly()
        self.done = False
        self.looked_at = 0
        self.tell = RECEIVING.get()

    def feed(self, chunk: bytes) -> bool:
        """Read ``chunk``; True when the reading is over (the stream's end, an error, or a loop)."""
        for data in self.events.feed(chunk):
            if data.strip() == "[DONE]":
                self.done = True
                return True
            try:
                parsed = json.loads(data)
            except ValueError:
                continue  # a comment or keep-alive a server sends as data: nothing of the answer
            if not isinstance(parsed, dict):
                continue
            if self.assembly.add(parsed) and self.tell is not None:
                self.tell(self.assembly.tokens)
            if self.assembly.error is not None:
                return True
        text = self.assembly.text()
        if len(text) - self.looked_at >= CHECK_EVERY and not self.assembly.finished:
            self.looked_at = len(text)
            if repeated(text):
                self.assembly.stop(self.prompt_tokens)
                return True
        return False

    def response(self, streamed: httpx.Response) -> httpx.Response:
        """The assembled answer as the non-streamed response (or the error) the layers above expect."""
        a = self.assembly
        if a.error is not None:
            status, body = 500, {"error": a.error}
        elif a.finished:
            status, body = 200, a.completion()
        else:
            raise httpx.RemoteProtocolError("the server closed the stream before the answer was complete",
                                            request=self.request)
        headers = [(k, v) for k, v in streamed.headers.multi_items()
                   if k.lower() not in ("content-type", "content-length", "transfer-encoding", "content-encoding")]
        return httpx.Response(status, headers=headers, json=body, request=self.request,
                              extensions={k: v for k, v in streamed.extensions.items()
                                          if k in ("http_version", "reason_phrase")})


def _streamed(request: httpx.Request) -> tuple[httpx.Request, int] | None:
    """The request to send as a stream, and its prompt's estimated tokens; None for one to pass through."""
    if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
        return None
    content = request.read()
    try:
        body = json.loads(content)
    except ValueError:
        return None
    if not isinstance(body, dict) or "stream" in body:
        return None
    body = {**body, "stream": True, "stream_options": {"include_usage": True}}
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    sent = httpx.Request(request.method, request.url, headers=headers, extensions=request.extensions,
                         content=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    return sent, estimate_tokens(json.dumps(body.get("messages"), ensure_ascii=False))


def _is_stream(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.headers.get("content-type", "").startswith("text/event-stream")


class StreamingTransport(LayeredTransport):
    """Sends chat completions as streams through ``inner`` and hands up assembled answers (see the module
    docstring). ``inner`` defaults to the real HTTP transports of :mod:`summarize.http.network`."""

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self.inner = self.inner or default_transport(asynchronous=False)
        streamed = _streamed(request)
        response = inner.handle_request(streamed[0] if streamed else request)  # type: ignore[union-attr]
        if streamed is None or not _is_stream(response):
            return response
        reading = _Reading(request, streamed[1])
        try:
            for chunk in response.iter_bytes():
                if reading.feed(chunk):
                    break
        finally:
            response.close()  # before the end of the stream, this closes the connection: the server stops
        return reading.response(response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self.inner = self.inner or default_transport(asynchronous=True)
        streamed = _streamed(request)
        response = await inner.handle_async_request(streamed[0] if streamed else request)  # type: ignore[union-attr]
        if streamed is None or not _is_stream(response):
            return response
        reading = _Reading(request, streamed[1])
        chunks: AsyncIterator[bytes] = response.aiter_bytes()
        try:
            async for chunk in chunks:
                if reading.feed(chunk):
                    break
        finally:
            await response.aclose()  # a cancelled task lands here too: the connection is closed
        return reading.response(response)
