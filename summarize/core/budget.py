"""What one request may cost before it is cut off: the output budget and the answer timeout, fitted to the server.

A real small model can loop: measured with Qwen2.5-Coder-0.5B on llama.cpp (2 CPU cores, ~15 tokens/s), an
answer with no output limit repeated one event until it had produced 4,700+ tokens, and OpenAI's 120 s
timeout ran out three times while the server went on generating. This module sizes both to the request.

Terms:

- **output budget**: the request's ``max_tokens``. The ``max_tokens`` setting is a number (sent as it is),
  :data:`AUTO` (the automatic budget, on every server), :data:`NONE` (no budget: the server's own limit, the
  behaviour before 0.2), or unset (``None``, the default): the automatic budget on every server but OpenAI's
  own API (:func:`is_openai`). OpenAI is left alone because its models follow a strict schema and do not
  loop like a 0.5B model, because its reasoning models refuse ``max_tokens`` (they take
  ``max_completion_tokens``, and spend part of it thinking, so a budget sized to the answer would cut them
  off), and because requests to it then stay byte for byte what they were.
- **automatic budget** (:func:`automatic_budget`)::

      budget = min(ITEMS x skeleton + COPIES x article tokens, CEILING)

  ``skeleton`` is the answer the schema draws with one item in every list and every string empty (field
  names, enum values and punctuation: about 100 tokens for schema version 2), computed from the schema
  itself, so a schema that grows grows the budget. ``ITEMS`` (24) is how many items a list may hold: the
  references of the seed articles hold at most 13 events, 12 quotes and 31 small entities. ``COPIES`` (3):
  an answer restates the article's text about three times over (an event's evidence and description, a
  key point's evidence, a quote). Article tokens are :func:`summarize.text.tokens.estimate_tokens` of the
  article's text. The floor, ``ITEMS x skeleton`` (:func:`floor`, about 2,500 tokens), is what the schema
  takes whatever the article's length; ``CEILING`` (8,192) stops a loop on a long article long before a
  local context window ends. For the seed articles (430-1,500 tokens) this
  gives 3,750-6,984 tokens, 1.4-2.6 times the 2,469-3,227 tokens of their reference answers; a truncated
  answer is still retried once with twice the budget (:func:`summarize.core.limits.larger_output_budget`),
  so a rich answer to a short article costs one more request, never its summary.
- **fitted to the window** (:func:`fit_window`): where the context window is known (``context_window``, the
  local engine's context, or the model table), the automatic budget is lowered so that the prompt (its
  estimate, which runs high) and the answer fit it, :data:`MARGIN` tokens spare, as long as at least
  :data:`LEAST` tokens are left for the answer; below that the article is refused as too long, unsent. A
  budget the user set is never lowered. (Qwen2.5-Coder-0.5B on an 8,192-token context refused seeds 001 and
  003 before this: 2,338 + 6,984 and 2,142 + 6,369 estimated tokens.)
- **the key**: an automatic budget is *not* part of a request's fixture key (:mod:`summarize.replay.store`).
  It is computed from what the key already holds (the article in the messages, the schema), so it adds
  nothing to what the model was asked, only the formula's version; leaving it out keeps the shipped
  fixtures (recorded without a budget) replaying, and keeps a fixture replaying when the formula changes.
  The client marks such a request with the ``x-summarize-budget: auto`` label (stripped before it leaves).
  A budget set by the user, and the doubled budget of a retry after a truncation, are keyed as before: the
  retry asks the same messages, and only its budget tells its fixture from the first attempt's.
- **answer timeout** (:func:`answer_timeout`): the ``timeout`` setting in seconds, or, unset (the default),
  scaled: OpenAI's 120 s (:data:`summarize.core.defaults.TIMEOUT`) for OpenAI, and for any other server the
  time a slow CPU engine needs for this request, ``prompt tokens / PROMPT_RATE + budget / OUTPUT_RATE``, at
  least 120 s. The rates are floors: ``OUTPUT_RATE`` (5 tokens a second) is a third of what the 0.5B model
  above wrote on 2 shared cores, and ``PROMPT_RATE`` (25) is well below how fast llama.cpp reads a prompt on
  a CPU (several times faster than it writes), so a timeout means the server is stuck, not slow. With no
  budget (``max_tokens`` :data:`NONE`) the ceiling stands in for it. The timeout is per request and is no
  part of the body, hence of no key.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import urlsplit

from summarize.core import defaults
from summarize.core.schema import ArticleSummary, _cached_schema
from summarize.text.tokens import estimate_tokens

__all__ = ["AUTO", "CEILING", "COPIES", "ITEMS", "LEAST", "MARGIN", "NONE", "OUTPUT_RATE", "PROMPT_RATE",
           "answer_timeout", "automatic_budget", "fit_window", "floor", "is_openai", "output_budget",
           "skeleton_tokens"]

AUTO = "auto"
NONE = "none"
CEILING = 8_192
#: Tokens kept spare between the prompt's estimate and the automatic budget in a known context window.
MARGIN = 64
#: The fewest tokens an automatic budget is lowered to for the window; an article leaving fewer is too long.
LEAST = 1_024
ITEMS = 24
COPIES = 3
#: Answer tokens a second that even a slow local engine keeps up (a floor; see the module docstring).
OUTPUT_RATE = 5.0
#: Prompt tokens a second that even a slow local engine reads (a floor).
PROMPT_RATE = 25.0
_OPENAI_HOSTS = ("api.openai.com",)


def is_openai(base_url: str | None) -> bool:
    """Whether requests go to OpenAI's own API: no base URL (the openai client's default), or its host."""
    if not base_url:
        return True
    return (urlsplit(base_url).hostname or "").lower() in _OPENAI_HOSTS


def _skeleton(node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest answer ``node`` draws: every key present, every string empty, one item per list, the
    longest enum value."""
    if "$ref" in node:
        return _skeleton(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        return _skeleton(node["anyOf"][0], defs)
    if "enum" in node:
        return max(map(str, node["enum"]), key=len)
    kind = node.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {name: _skeleton(sub, defs) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [_skeleton(node.get("items", {}), defs)]
    return ""


@functools.lru_cache(maxsize=1)
def skeleton_tokens() -> int:
    """Tokens of the schema's skeleton answer (see the module docstring)."""
    schema = _cached_schema(ArticleSummary)
    skeleton = _skeleton(schema, schema.get("$defs", {}))
    return estimate_tokens(json.dumps(skeleton, ensure_ascii=False, separators=(",", ":")))


def floor() -> int:
    """The least automatic budget: what the schema takes with :data:`ITEMS` items in every list."""
    return ITEMS * skeleton_tokens()


def automatic_budget(article_chars: int) -> int:
    """The automatic output budget for an article of ``article_chars`` characters (see the module docstring)."""
    return min(CEILING, floor() + COPIES * estimate_tokens(article_chars))


def output_budget(setting: int | str | None, base_url: str | None, article_chars: int) -> tuple[int | None, bool]:
    """The ``max_tokens`` of a request and whether it is the automatic budget (left out of the fixture key)."""
    if isinstance(setting, int):
        return setting, False
    if setting == NONE or (setting is None and is_openai(base_url)):
        return None, False
    return automatic_budget(article_chars), True


def fit_window(budget: int, prompt_tokens: int, window: int | None) -> int:
    """The automatic ``budget`` lowered so that ``prompt_tokens`` and the answer fit ``window`` (see the module
    docstring); unchanged when the window is unknown or would leave less than :data:`LEAST`."""
    if window is None:
        return budget
    room = window - prompt_tokens - MARGIN
    return min(budget, room) if room >= LEAST else budget


def answer_timeout(setting: float | None, base_url: str | None, prompt_chars: int, max_tokens: int | None) -> float:
    """Seconds to wait for one answer (see the module docstring)."""
    if setting is not None:
        return setting
    if is_openai(base_url):
        return defaults.TIMEOUT
    scaled = estimate_tokens(prompt_chars) / PROMPT_RATE + (max_tokens or CEILING) / OUTPUT_RATE
    return max(defaults.TIMEOUT, round(scaled))
