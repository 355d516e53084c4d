"""Repetition: an answer that says the same thing again and again, caught before it is read as a summary.

A small model can loop: measured with Qwen2.5-Coder-0.5B on llama.cpp, one answer repeated one event until it
had produced 4,700+ tokens. Read as it is, that would be a summary with dozens of copies of one event (or, cut
off by the output budget, a truncated answer that a larger budget would only make longer).

Terms:

- **item**: an element of a list anywhere in the answer: an event, a quote, a key point, an entity, or a
  string in a list such as a key point's evidence. Its **text** is its string values joined, in lower
  case with spacing folded.
- **copy**: a later item of the same list whose text is the same, or near-identical: a
  :func:`rapidfuzz.fuzz.ratio` of at least :data:`NEAR` (the same event with one word changed, as a looping
  model writes them). Texts shorter than :data:`NEAR_LENGTH` must be the same: "Iran, country" and
  "Iraq, country" are two entities.
- **repetition**: a list in which one item comes back :data:`COPIES` times or more. Two equal items are
  not one: an honest answer sometimes lists a thing twice, and that is a duplicate for repair to merge, not
  a loop. Also a repetition: an answer whose last :data:`TAIL` characters or more repeat one stretch of
  text over and over (a model stuck in a phrase, or writing spaces until its budget ends).
- **partial reading**: the answer is read with pydantic-core's partial JSON parser (``allow_partial``), so
  the complete items of an answer cut off by the output budget are looked at too; a loop usually ends there.

What happens (:class:`summarize.core.client.ModelClient`): a repetitive answer is a failed attempt. It is
never retried with a larger output budget (a loop only grows), and not read. While reasks last, the next
attempt is the prompt and a message naming what was repeated (:func:`repetition_reask`); the looping
answer itself is not sent back, unlike a reask after a validation problem, as thousands of tokens of a loop
would cost a slow server their reading and invite the model to continue it. The looping answer is kept among
the article's rejected answers all the same: when the reasks are spent, its salvage (the first of each run of
copies kept, :mod:`summarize.core.trimming`) may be the best one. Only when no answer leaves anything usable
(or under ``strict``) does the article fail with :class:`~summarize.errors.RepetitiveOutputError`.
"""

from __future__ import annotations

import re
from typing import Any

import pydantic_core
from rapidfuzz import fuzz

from summarize.errors import RepetitiveOutputError

__all__ = ["COPIES", "NEAR", "NEAR_LENGTH", "TAIL", "check_repetition", "repeated", "repetition_reask", "runs"]

#: Times one item must come back in one list for the list to be a repetition.
COPIES = 3
#: The least similarity (0-100) of a near-identical copy.
NEAR = 90.0
#: The least length of a text that can be a near-identical copy (shorter ones must be the same).
NEAR_LENGTH = 40
#: The least length of a repeating tail, in characters.
TAIL = 240
_LONGEST_UNIT = 400  # the longest stretch of text a repeating tail is looked for in
_SPACE = re.compile(r"\s+")


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [] if node is None else [str(node)]


def _fold(item: Any) -> str:
    values = _strings(item) if isinstance(item, (dict, list)) else [str(item)]
    return _SPACE.sub(" ", " | ".join(values)).strip().lower()


def runs(items: list[Any]) -> list[list[int]]:
    """The indices of each item of ``items`` that has copies (see the module docstring), then of its copies, in
    the order of the first items; items with no copy are left out."""
    texts = [_fold(item) for item in items]
    counted = [False] * len(texts)
    found = []
    for i, text in enumerate(texts):
        if counted[i] or not text.strip(" |{}[]"):
            continue
        same = [j for j in range(i + 1, len(texts))
                if not counted[j] and (texts[j] == text or (min(len(text), len(texts[j])) >= NEAR_LENGTH
                                                            and fuzz.ratio(text, texts[j]) >= NEAR))]
        for j in same:
            counted[j] = True
        if same:
            found.append([i, *same])
    return found


def _repeated_item(items: list[Any]) -> tuple[int, int] | None:
    """(index, copies) of the first item of ``items`` that comes back :data:`COPIES` times, or None."""
    return next(((run[0], len(run)) for run in runs(items) if len(run) >= COPIES), None)


def _lists(node: Any, path: str) -> list[tuple[str, list[Any]]]:
    """Every list in ``node`` with its path (``events``, ``key_points.0.evidence``), outer lists first."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(node, list):
        found.append((path or "(the answer)", node))
        for i, value in enumerate(node):
            found += _lists(value, f"{path}.{i}" if path else str(i))
    elif isinstance(node, dict):
        for key, value in node.items():
            found += _lists(value, f"{path}.{key}" if path else str(key))
    return found


def _repeating_tail(text: str) -> str | None:
    """The stretch of text the end of ``text`` repeats over and over (at least :data:`TAIL` characters), or None."""
    for period in range(1, min(_LONGEST_UNIT, len(text) // 3) + 1):
        length = max(TAIL, 2 * period)
        if len(text) >= length + period and text[-length:] == text[-length - period:-period]:
            return text[-period:]
    return None


def _clip(text: str, limit: int = 80) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def repeated(text: str) -> list[str]:
    """What ``text`` (an answer's JSON, complete or cut off) repeats, as problems naming the list, or ``[]``."""
    problems = []
    start = text.find("{")
    try:
        answer = pydantic_core.from_json(text[start:] if start >= 0 else text, allow_partial=True)
    except ValueError:
        answer = None
    for path, items in _lists(answer, ""):
        found = _repeated_item(items)
        if found is not None:
            index, copies = found
            problems.append(f"{path}: item {index} came back {copies} times, identical or nearly "
                            f"({_clip(_fold(items[index]))!r}); list each item once")
    if not problems and (unit := _repeating_tail(text)) is not None:
        problems.append(f"(the whole answer): it ends by repeating {unit[:80]!r} over and over")
    return problems


def check_repetition(text: str, *, attempts: int) -> None:
    """Raise :class:`~summarize.errors.RepetitiveOutputError` when the answer ``text`` repeats itself (see the module
    docstring); ``attempts`` is how many attempts the article has made, this one included."""
    problems = repeated(text)
    if problems:
        raise RepetitiveOutputError(
            f"The model repeated itself instead of answering (a loop), in {attempts} attempt(s): "
            + "; ".join(problems[:3]) + ". Its answers were not used. Small models loop like this: use a larger "
            "model, or raise max_reasks; the recorded exchanges hold the answers.",
            problems=problems)


def repetition_reask(problems: list[str]) -> list[dict[str, Any]]:
    """The message appended to the prompt after a repetitive answer (see the module docstring)."""
    intro = ("Your previous answer was not accepted: it repeated the same thing again and again instead of "
             "finishing. Answer again with the whole JSON object, listing each event, quote, key point and entity "
             "once, and end the JSON object when every item is listed. What was repeated:")
    lines = [intro, *(f"- {p}" for p in problems)]
    return [{"role": "user", "content": "\n".join(lines)}]
