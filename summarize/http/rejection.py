"""Structured-output rejections: an error answer saying the server cannot take the request's output format.

Terms:

- **structured-output field**: a request body field that asks for structure: ``response_format`` (with
  its types ``json_schema`` and ``json_object``), ``tools`` and ``tool_choice``.
- **structured-output rejection** (:class:`Rejection`): an error answer (4xx or 5xx, not 401, 403, 404 or
  429, which mean something else) whose body names one of those fields or types, or a 400 / 422 whose body
  is about the schema or its grammar, but never a context overflow (:mod:`summarize.http.overflow`: llama.cpp's
  ``exceed_context_size_error`` says nothing of the format). llama-cpp-python's server, for one, answers
  ``response_format: {"type": "json_schema"}`` with HTTP 500 and ``Input should be 'text' or
  'json_object'`` at ``loc: ["body", "response_format", "type"]``. Such an answer is permanent (the same
  request gets it again), so it is never retried (:mod:`summarize.http.network`), and the client may ask
  in another output mode (:mod:`summarize.core.negotiate`). An error that names none of them (a
  context-length 400, a crash) is not one.

What a server echoes back of the request is not read (pydantic's and FastAPI's ``input``, a ``messages``
list): an article about garden tools, echoed in a validation error, must not read as a rejection of
``tools``. Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from summarize.http.overflow import context_overflow, decoded

__all__ = ["Rejection", "structured_output_rejection"]

_FIELDS = re.compile(r"response_format|json_schema|json_object|tool_choice|\btools\b", re.IGNORECASE)
_SCHEMA = re.compile(r"\bschema\b|\bgrammar\b", re.IGNORECASE)
_OTHER_MEANING = frozenset({401, 403, 404, 429})
_ECHOED = frozenset({"input", "messages", "prompt"})  # parts of the request a server quotes back


@dataclass(frozen=True)
class Rejection:
    """A structured-output rejection: the HTTP ``status``, the ``field`` (or ``"schema"``) its body names,
    and ``said``, what the server said, in a line (unclipped and unredacted: callers do both)."""

    status: int
    field: str
    said: str

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.said}" if self.said else f"HTTP {self.status}"


def structured_output_rejection(status: int, body: bytes | str | Any) -> Rejection | None:
    """The rejection an error answer with ``status`` and ``body`` (bytes, text or parsed JSON) is, or None."""
    if status < 400 or status >= 600 or status in _OTHER_MEANING:
        return None
    body = decoded(body)
    if context_overflow(status, body) is not None:  # the prompt is too long, whatever the body names besides
        return None
    texts = list(_strings(body))
    found = next((m.group(0).lower() for t in texts if (m := _FIELDS.search(t))), None)
    if found is None and status in (400, 422):
        found = next((m.group(0).lower() for t in texts if (m := _SCHEMA.search(t))), None)
    if found is None:
        return None
    return Rejection(status, found, _said(body) or " ".join(texts)[:300])


def _strings(node: Any, key: str = "") -> list[str]:
    """Every string and key of a JSON value, but what lies under an echoed key (see the module docstring)."""
    if key in _ECHOED:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [str(k), *_strings(v, str(k))]]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, key)]
    return [] if node is None else [str(node)]


def _said(body: Any) -> str:
    """The message of an error body: OpenAI's ``error.message``, or FastAPI's ``detail`` (with where it points)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = [f"{'.'.join(map(str, d.get('loc') or []))}: {d.get('msg')}" for d in detail
                     if isinstance(d, dict) and d.get("msg")]
            return "; ".join(parts)
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return ""
