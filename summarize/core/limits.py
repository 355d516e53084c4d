"""What a model accepts: context window and output limit, and the up-front length check.

Terms:

- **context window**: tokens a model accepts in all, prompt and answer together. Known for common
  OpenAI models (:data:`LIMITS`); ``Settings.context_window`` overrides it, e.g. for a local server.
  For an unknown model with no override, nothing is checked up front.
- **output limit**: the most tokens a model can answer with; a truncated answer is retried once with
  twice the ``max_tokens`` budget, up to this limit (or just once, doubled, for an unknown model).
- **estimate**: :func:`summarize.text.tokens.estimate_tokens`, about four characters a token. The check is meant
  to catch an article far too long (a whole book, a 5 MB dump), not to count tokens exactly.
"""

from __future__ import annotations

from typing import TypeVar

from summarize.errors import ArticleTooLongError
from summarize.text.tokens import estimate_tokens

T = TypeVar("T")

__all__ = ["LIMITS", "check_length", "estimate_tokens", "for_model", "larger_output_budget", "model_limits"]

#: (context window, output limit) in tokens, as published when this table was written.
LIMITS: dict[str, tuple[int, int]] = {
    "gpt-4o-mini": (128_000, 16_384),
    "gpt-4o": (128_000, 16_384),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4.1-mini": (1_047_576, 32_768),
    "gpt-4.1-nano": (1_047_576, 32_768),
    "o4-mini": (200_000, 100_000),
    "gpt-3.5-turbo": (16_385, 4_096),
}
_ANSWER_RESERVE = 4_096  # tokens kept free for the answer when no max_tokens is set


def for_model(table: dict[str, T], model: str) -> T | None:
    """``table``'s entry for ``model``; a dated name (``gpt-4o-mini-2024-07-18``) falls back to its base name."""
    if model in table:
        return table[model]
    base = next((name for name in sorted(table, key=len, reverse=True) if model.startswith(name + "-")), None)
    return table[base] if base else None


def model_limits(model: str) -> tuple[int, int] | None:
    """(context window, output limit) of ``model``, from :data:`LIMITS`."""
    return for_model(LIMITS, model)


def check_length(prompt_chars: int, *, article_id: str, model: str, max_tokens: int | None,
                 context_window: int | None) -> None:
    """Raise :class:`ArticleTooLongError` when the prompt cannot fit the model's context window."""
    window = context_window or (model_limits(model) or (None, None))[0]
    if window is None:
        return
    prompt = estimate_tokens(prompt_chars)
    answer = max_tokens or _ANSWER_RESERVE
    if prompt + answer > window:
        raise ArticleTooLongError(
            f"The article is about {prompt:,} tokens with the prompt; {model} accepts {window:,} in all and "
            f"{answer:,} are kept for the answer. It was not sent. Split it into parts (chunking is not supported yet), "
            "use a model with a larger context, or set context_window if your server's differs.",
            article_id=article_id,
        )


def larger_output_budget(model: str, max_tokens: int | None) -> int | None:
    """The budget to retry a truncated answer with, or None when it cannot grow.

    With no ``max_tokens`` the server already used the model's own limit, so there is nothing to grow.
    """
    if max_tokens is None:
        return None
    limit = (model_limits(model) or (None, None))[1]
    grown = max_tokens * 2 if limit is None else min(max_tokens * 2, limit)
    return grown if grown > max_tokens else None
