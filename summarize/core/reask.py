"""What the model is told, in this library's own words: reasks and the schema instruction. Pure.

Terms:

- **problem**: one reason an answer was not accepted, as ``<field path>: <message>`` (``quotes.1: The
  direct quote ... does not appear word for word in the article...``). Built from pydantic's
  ``errors()`` list without documentation URLs: for this library's validators the message is the
  validator's own; for pydantic's built-in checks it is pydantic's short message ("Field required").
  Never pydantic's ``str()`` of the error, which embeds a URL naming pydantic's minor version.
- **reask**: the next request after a failed answer: the prompt, the failed answer as the assistant
  gave it, then the problems (a user message in the JSON modes; a tool result answering the tool call in
  the tools mode). The reask is part of the request, hence of its fixture key, so nothing in it may
  depend on a dependency's version: it is built here, not by instructor.
- **schema instruction**: in the ``json`` and ``md_json`` output modes the schema travels in the prompt,
  appended to the system message in this library's words (the other modes send it as
  ``response_format`` or ``tools``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["REASK_INTRO", "reask_messages", "validation_problems", "with_schema_instruction"]

#: The first line of every reask.
REASK_INTRO = ("Your answer was not accepted. Answer again with the whole JSON object, correcting these problems "
               "(each names the field, then what is wrong):")
_UNREADABLE = "The answer could not be read as a JSON object of the ArticleSummary schema."
_INSTRUCTIONS = {
    "json": "Answer with one JSON object and nothing else. It must match this JSON schema:",
    "md_json": "Answer with one JSON object inside a ```json code block. It must match this JSON schema:",
}


def validation_problems(exc: BaseException, prefix: tuple[str | int, ...] = ()) -> list[str]:
    """The problems (see the module docstring) of a pydantic validation error or a JSON decoding error;
    ``prefix`` is the path of what was validated within the answer (``("quotes", 3)`` for one quote)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            listed = errors(include_url=False)
        except TypeError:  # not pydantic's signature
            listed = errors()
        if isinstance(listed, list) and listed:
            return [_problem(e, prefix) for e in listed if isinstance(e, dict)]
    if isinstance(exc, json.JSONDecodeError):
        return [f"{_UNREADABLE} {exc.msg} at line {exc.lineno}, column {exc.colno}."]
    return [_UNREADABLE]


def _problem(error: dict[str, Any], prefix: tuple[str | int, ...] = ()) -> str:
    where = ".".join(map(str, (*prefix, *(error.get("loc") or ())))) or "(the whole answer)"
    cause = (error.get("ctx") or {}).get("error")
    # A ValueError from our validators: its own message, without pydantic's "Value error, " prefix.
    message = str(cause) if error.get("type") == "value_error" and cause is not None else str(error.get("msg", ""))
    return f"{where}: {message}"


def reask_messages(completion: Any, problems: list[str]) -> list[dict[str, Any]]:
    """The failed answer of ``completion`` (an openai chat completion) and the problems, as the two (or
    more) messages appended to the prompt for the next attempt."""
    text = "\n".join([REASK_INTRO, *(f"- {p}" for p in problems)])
    message = completion.choices[0].message
    calls = list(getattr(message, "tool_calls", None) or [])
    if not calls:
        return [{"role": "assistant", "content": message.content or ""}, {"role": "user", "content": text}]
    said = [{"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in calls]
    return [{"role": "assistant", "content": message.content, "tool_calls": said},
            *({"role": "tool", "tool_call_id": c.id, "content": text} for c in calls)]


def with_schema_instruction(messages: list[dict[str, str]], output_mode: str,
                            schema: dict[str, Any]) -> list[dict[str, str]]:
    """``messages`` with the schema instruction of ``output_mode`` appended to the system message, if the
    mode has one (see the module docstring)."""
    intro = _INSTRUCTIONS.get(output_mode)
    if intro is None:
        return list(messages)
    instruction = f"{intro}\n{json.dumps(schema, ensure_ascii=False, separators=(',', ':'))}"
    out = [dict(m) for m in messages]
    system = next((m for m in out if m.get("role") == "system"), None)
    if system is None:
        return [{"role": "system", "content": instruction}, *out]
    system["content"] = f"{system['content']}\n\n{instruction}"
    return out
