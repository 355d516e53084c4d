"""The adapter between this library and the openai SDK: what a request carries in each output mode, and
how an answer is read back into an :class:`~summarize.core.schema.ArticleSummary`. Pure apart from pydantic.

Terms:

- **output mode**: how the model is asked for structure. ``json_schema`` (``response_format`` with the
  strict schema), ``tools`` (one strict function the model must call), ``json`` (``response_format``
  ``json_object``; the schema travels in the prompt) and ``md_json`` (no request field; the schema in the
  prompt and the answer in a fenced ```` ```json ```` block).
- **request fields**: the body fields an output mode adds to every request (:func:`request_fields`).
  They are this library's words, whole, so that no dependency's version changes a request (its fixture
  key depends on every byte).
- **answer text**: the JSON the model answered with: the message content, the first tool call's
  arguments, or the last fenced block of the content (:func:`answer_text`). In ``tools`` mode, an answer
  without a tool call (llama.cpp's server without its ``--jinja`` templates ignores ``tools`` and writes the
  JSON in the content) reads as its content's JSON when the content holds a JSON object, complete or cut off
  (:func:`content_json`); what to make of such an answer is the client's to decide (:func:`without_tool_call`).
- **completion body**: the other direction, an answer wrapped as a server would send it in each mode
  (:func:`completion_body`), for authored fixtures, the loopback server and fault plans.

Why not instructor (which this module replaced; it was the only one to use it). Once this library built
the messages, the ``response_format``/``tools`` fields, the reasks and their wording itself (each of them
part of the fixture key), all that instructor still did was "read the answer text for the mode, then
``model_validate_json``", and it did that at a cost: instructor 1.17 walks the whole response model
(every nested class and its MRO) several times per call to refuse async validators, builds a wrapper
class per call unless given a ``ResponseSchema``, and renders messages as Jinja templates when given a
validation context. Working around that took a process-wide patch of ``instructor.v2`` internals. Reading
the answer here is a dozen lines, needs no patch, and is measured by ``python -m bench adapter`` (per
article CPU of a seed replay, before and after, side by side). The grounding context reaches the
validators through :data:`summarize.core.schema.GROUNDING`, a context variable, as before.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pydantic_core

from summarize.core.schema import ArticleSummary, _cached_schema
from summarize.text.tokens import estimate_tokens

__all__ = ["OUTPUT_MODES", "answer_text", "completion_body", "content_json", "parse_answer", "request_arguments",
           "request_fields", "without_tool_call"]

OUTPUT_MODES = ("json_schema", "tools", "json", "md_json")

# A fenced block, optionally tagged json; the last one wins (the model's answer comes after anything it
# quotes from the prompt, as in instructor's extraction).
_FENCED = re.compile(r"```[ \t]*(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def request_fields(output_mode: str) -> dict[str, Any]:
    """The body fields that carry ``output_mode`` (and the schema, in the modes that send it as a field).

    Only serialized, never mutated, by the caller and openai: cached, as the schema is.
    """
    schema = _cached_schema(ArticleSummary)
    strict_format = {"type": "json_schema", "json_schema": {"name": "ArticleSummary", "strict": True, "schema": schema}}
    strict_tool = {"type": "function", "function": {"name": "ArticleSummary", "description": schema.get("description", ""),
                                                    "parameters": schema, "strict": True}}
    tool_choice = {"type": "function", "function": {"name": "ArticleSummary"}}
    table: dict[str, dict[str, Any]] = {
        "json_schema": {"response_format": strict_format},
        "tools": {"tools": [strict_tool], "tool_choice": tool_choice},
        "json": {"response_format": {"type": "json_object"}},
        "md_json": {},
    }
    return table[output_mode]


def request_arguments(*, model: str, output_mode: str, conversation: list[dict[str, Any]], headers: dict[str, str],
                      temperature: float | None, max_tokens: int | None) -> dict[str, Any]:
    """The arguments of openai's ``chat.completions.create`` for one attempt.

    The messages and the mode's fields travel in ``extra_body``, which openai sends as they are: its
    argument transformation would walk the whole schema and try each message type of a union on every
    message (about 0.4 ms per request) while changing nothing (``tests/test_transport.py`` checks the JSON
    sent). ``messages=[]`` only satisfies the signature; ``extra_body`` replaces it.
    """
    arguments: dict[str, Any] = {
        "model": model,
        "messages": [],
        "extra_body": {**request_fields(output_mode), "messages": conversation},
        "extra_headers": headers,
    }
    if temperature is not None:
        arguments["temperature"] = temperature
    if max_tokens is not None:
        arguments["max_tokens"] = max_tokens
    return arguments


def answer_text(completion: Any, output_mode: str) -> str:
    """The JSON text of the first choice of ``completion`` in ``output_mode`` (see the module docstring).

    An answer without what the mode expects (no tool call and no JSON in the content, no content) is the
    empty string, which fails validation as unreadable JSON and is reasked like any other invalid answer.
    """
    message = completion.choices[0].message
    if output_mode == "tools":
        calls = getattr(message, "tool_calls", None) or []
        if not calls:
            return content_json(message.content or "") or ""
        arguments = calls[0].function.arguments
        return arguments if isinstance(arguments, str) else ""
    content: str = message.content or ""
    if output_mode == "md_json":
        return _fenced_json(content)
    return content


def without_tool_call(completion: Any, output_mode: str) -> bool:
    """Whether ``completion``, answering a request in ``output_mode``, is a ``tools`` answer with no tool call."""
    choices = getattr(completion, "choices", None)
    if output_mode != "tools" or not choices:
        return False
    return not getattr(getattr(choices[0], "message", None), "tool_calls", None)


def content_json(content: str) -> str | None:
    """The JSON object in ``content`` (fenced or not; complete or cut off, as a partial parse reads it), or None."""
    text = _fenced_json(content).strip()
    if not text.startswith("{"):
        text = text[text.find("{"):] if "{" in text else ""
    try:
        parsed = pydantic_core.from_json(text, allow_partial=True) if text else None
    except ValueError:
        return None
    return text if isinstance(parsed, dict) else None


def _fenced_json(content: str) -> str:
    """The last fenced block of ``content``; without a fence, from its first ``{`` to its last ``}``."""
    blocks = _FENCED.findall(content)
    if blocks:
        return str(blocks[-1]).strip()
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if 0 <= start < end else content


def parse_answer(completion: Any, output_mode: str) -> ArticleSummary:
    """The validated summary ``completion`` answers with; raises pydantic's ``ValidationError`` (whose
    problems the reask names) when the answer is not valid JSON of the schema or fails a validator.

    The caller has checked the completion (:func:`summarize.core.client._check_completion`): it has a choice,
    and no refusal or truncation.
    """
    return ArticleSummary.model_validate_json(answer_text(completion, output_mode))


def completion_body(answer: dict[str, Any] | str, request: dict[str, Any], *, finish_reason: str = "stop") -> dict[str, Any]:
    """An OpenAI chat completion carrying ``answer``, shaped for the request's output mode."""
    content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    tools = request.get("tools")
    if tools:
        message: dict[str, Any] = {
            "role": "assistant", "content": None, "refusal": None,
            "tool_calls": [{"id": "call_authored", "type": "function",
                            "function": {"name": tools[0]["function"]["name"], "arguments": content}}],
        }
    else:
        message = {"role": "assistant", "content": content, "refusal": None}
    prompt_chars = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    prompt_tokens, completion_tokens = estimate_tokens(prompt_chars), estimate_tokens(content)
    return {
        "id": "chatcmpl-authored", "object": "chat.completion", "created": 0, "model": request.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
