"""The one token estimate: about four characters (or UTF-8 bytes) a token. Pure.

Used wherever a count is needed before a model has said one: the up-front length check
(:mod:`summarize.core.limits`), the token budget reserved for a request before it is sent
(:mod:`summarize.http.network`), and the usage written into authored fixtures (:mod:`summarize.runs.authoring`).
Close enough for English news text; it is meant to catch an article far too long and to pace a token
budget, not to count exactly (a tokenizer would tie this library to one model family).
"""

from __future__ import annotations

__all__ = ["CHARS_PER_TOKEN", "estimate_tokens"]

#: Characters (of text; bytes of an HTTP body) per token, for English news text.
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str | bytes | int) -> int:
    """About how many tokens ``text`` is (a string, a body in bytes, or a length); at least 1."""
    length = text if isinstance(text, int) else len(text)
    return max(1, length // CHARS_PER_TOKEN)
