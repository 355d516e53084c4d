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

from typing import Any

from summarize.errors import RepetitiveOutputError
from summarize.text.repetition import COPIES, NEAR, NEAR_LENGTH, STOPPED, TAIL, repeated, runs

__all__ = ["COPIES", "NEAR", "NEAR_LENGTH", "TAIL", "check_repetition", "repeated", "repetition_reask", "runs"]


def check_repetition(text: str, *, attempts: int, finish_reason: str | None = None) -> None:
    """Raise :class:`~summarize.errors.RepetitiveOutputError` when the answer ``text`` repeats itself (see the module
    docstring), or its stream was stopped for that (``finish_reason`` :data:`~summarize.text.repetition.STOPPED`,
    by the same rule); ``attempts`` is how many attempts the article has made, this one included."""
    problems = repeated(text)
    if not problems and finish_reason == STOPPED:
        problems = ["(the whole answer): its stream was stopped as it began to repeat itself"]
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
