"""Context overflows: an error answer saying the prompt does not fit the model's context. Pure; no I/O.

Terms:

- **context overflow** (:class:`Overflow`): an error answer (any 4xx or 5xx) whose body says the request
  holds more tokens than the model's context, with the numbers when the server gives them: ``prompt``
  (tokens asked) and ``context`` (tokens the server accepts). The same request gets it again, so it is never
  retried (:mod:`summarize.http.network`), never read as a structured-output rejection
  (:mod:`summarize.http.rejection`: it names no output-format field), and the client turns it into
  :class:`~summarize.errors.ArticleTooLongError` (:mod:`summarize.core.translate`). The servers' words:

  - llama.cpp's server: HTTP 400, ``{"error": {"type": "exceed_context_size_error", "n_prompt_tokens": N,
    "n_ctx": M, "message": "the request exceeds the available context size, try increasing it"}}``;
  - OpenAI: HTTP 400, ``code: context_length_exceeded``, "This model's maximum context length is M tokens.
    However, your messages resulted in N tokens"; vLLM says the same with "you requested N tokens";
  - llama-cpp-python's server: "Requested tokens (N) exceed context window of M".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Overflow", "context_overflow", "decoded"]

_KINDS = frozenset({"exceed_context_size_error", "context_length_exceeded"})
_MAXIMUM = re.compile(r"maximum context length is (\d+) tokens.*?(?:resulted in|requested) (\d+) tokens",
                      re.IGNORECASE | re.DOTALL)
_REQUESTED = re.compile(r"requested tokens \((\d+)\) exceed context window of (\d+)", re.IGNORECASE)
_WORDS = re.compile(r"exceeds? the available context size|context[ _]length[ _]exceeded", re.IGNORECASE)


@dataclass(frozen=True)
class Overflow:
    """A context overflow (see the module docstring): tokens asked and accepted, when the server said."""

    status: int
    prompt: int | None = None
    context: int | None = None


def decoded(body: bytes | str | Any) -> Any:
    """An error answer's body as parsed JSON when it is JSON, else as text (bytes are read as UTF-8)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def context_overflow(status: int, body: bytes | str | Any) -> Overflow | None:
    """The context overflow an error answer with ``status`` and ``body`` (bytes, text or parsed JSON) is, or None."""
    if status < 400 or status >= 600:
        return None
    body = decoded(body)
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else body if isinstance(body, dict) else {}
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    text = message or (body if isinstance(body, str) else "")
    if error.get("type") in _KINDS or error.get("code") in _KINDS:
        prompt, context = _number(error.get("n_prompt_tokens")), _number(error.get("n_ctx"))
        if prompt is None and (m := _MAXIMUM.search(text)):
            context, prompt = int(m.group(1)), int(m.group(2))
        return Overflow(status, prompt, context)
    if m := _MAXIMUM.search(text):
        return Overflow(status, int(m.group(2)), int(m.group(1)))
    if m := _REQUESTED.search(text):
        return Overflow(status, int(m.group(1)), int(m.group(2)))
    if _WORDS.search(text):
        return Overflow(status)
    return None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
