"""Grounding: find where a fragment of text stands in an article.

Terms used here:

- **fragment**: text a model claims to have copied from the article (a quote, a piece of evidence).
- **normal form**: the text with its typography folded so that equivalent spellings compare equal:
  curly quotes and apostrophes become straight ones, every dash becomes ``-``, ``…`` becomes ``...``,
  and every run of white space (including non-breaking spaces) becomes one space. Letters, digits and
  case are never changed.
- **span**: ``(start, end)`` character offsets into the *original* article text, so that
  ``text[start:end]`` is the passage found.
- **match kind**: ``exact`` (the fragment stands in the text as it is), ``normalized`` (it stands there
  once typography and the punctuation at its edges are set aside), ``fuzzy`` (only a close alignment
  was found; never proof that the words are in the article).

Everything here is pure string work: no models, no I/O. :func:`locate` is the public entry point.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FUZZY_THRESHOLD",
    "Located",
    "MatchKind",
    "Span",
    "closest_passage",
    "is_quoted",
    "locate",
    "normalize",
    "quoted_regions",
    "whole_quotation",
]


class MatchKind(str, Enum):
    """How a fragment was found in the article."""

    EXACT = "exact"
    """The fragment stands in the article character for character."""
    NORMALIZED = "normalized"
    """It stands there once typography (quote marks, dashes, ellipses, white space) and edge punctuation are set aside."""
    FUZZY = "fuzzy"
    """Only a close alignment was found: the words are *not* proven to be in the article."""


class Span(BaseModel):
    """Where a fragment stands in ``Article.text``: ``article.text[start:end]`` is the passage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0, description="Offset of the first character, into Article.text.")
    end: int = Field(ge=0, description="Offset one past the last character, into Article.text.")
    match: MatchKind = Field(description="How the fragment was found: exact, normalized or fuzzy.")

#: Lowest rapidfuzz partial-ratio score (0-100) reported as a ``fuzzy`` match.
FUZZY_THRESHOLD = 85.0

# One-to-one typographic folds: applied with str.translate, so offsets are unchanged.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    }
)
# Characters whose normal form has a different length: white space runs (to one space) and the ellipsis.
_SPECIAL = re.compile(r"\s+|\u2026")
_RESIZES = re.compile(r"[^\S ]| {2,}|\u2026")  # anything that makes the normal form differ in length
# Punctuation that may stand at the edges of a fragment without changing what it quotes.
_EDGE = " \t\r\n\"'.,;:!?-()[]{}"


@dataclass(frozen=True)
class _Normalized:
    """A normal form and, for each of its characters, the offset of the original character it came from."""

    text: str
    origin: array[int] | None  # None means the identity map (nothing changed length)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` range of the normal form back to the original text."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> str:
    """Return the normal form of ``text`` (see the module docstring)."""
    return _normalize(text).text


# Small on purpose: an answer's quotes are validated one after another, so the article being checked is
# always the latest entry; a large cache would hold many long articles and their offset maps.
@lru_cache(maxsize=8)
def _normalize(text: str) -> _Normalized:
    folded = text.translate(_FOLD)
    if not _RESIZES.search(folded):
        return _Normalized(folded, None)
    parts: list[str] = []
    origin = array("l")  # 8 bytes an offset, not a Python int object each
    pos = 0
    for m in _SPECIAL.finditer(folded):
        start = m.start()
        parts.append(folded[pos:start])
        origin.extend(range(pos, start))
        if m.group() == "\u2026":
            parts.append("...")
            origin.extend((start, start, start))
        else:
            parts.append(" ")
            origin.append(start)
        pos = m.end()
    parts.append(folded[pos:])
    origin.extend(range(pos, len(folded)))
    return _Normalized("".join(parts), origin)


def _core(fragment: str) -> str:
    """The normal form of a fragment with edge punctuation and white space removed."""
    return normalize(fragment).strip(_EDGE)


@dataclass(frozen=True)
class Located:
    """A fuzzy search result: the span found and its similarity score (0-100)."""

    span: Span
    score: float


def locate(text: str, fragment: str) -> Span | None:
    """Find ``fragment`` in ``text`` and return its span, or ``None``.

    Tries, in order: the fragment exactly as given (``exact``); its normal form with edge
    punctuation set aside (``normalized``); a fuzzy alignment scoring at least
    :data:`FUZZY_THRESHOLD` (``fuzzy``). For exact and normalized matches the span always satisfies
    ``normalize(text[span.start:span.end]).strip(...) == normalize(fragment).strip(...)``, the
    first occurrence being returned. Empty or punctuation-only fragments are never located.
    """
    if not fragment or not _core(fragment):
        return None
    start = text.find(fragment)
    if start >= 0:
        return Span(start=start, end=start + len(fragment), match=MatchKind.EXACT)
    span = _locate_normalized(text, fragment)
    if span is not None:
        return span
    found = _locate_fuzzy(text, fragment)
    return found.span if found else None


def _locate_normalized(text: str, fragment: str) -> Span | None:
    core = _core(fragment)
    if not core:
        return None
    norm = _normalize(text)
    at = norm.text.find(core)
    while at >= 0:
        start, end = norm.to_original(at, at + len(core))
        # An ellipsis expands to three characters; a match ending inside one is not a match.
        if _core(text[start:end]) == core:
            if text[start:end] == fragment:
                return Span(start=start, end=end, match=MatchKind.EXACT)
            return Span(start=start, end=end, match=MatchKind.NORMALIZED)
        at = norm.text.find(core, at + 1)
    return None


def _locate_fuzzy(text: str, fragment: str, threshold: float = FUZZY_THRESHOLD) -> Located | None:
    from rapidfuzz import fuzz  # imported here: only misses pay for it

    core = _core(fragment)
    if len(core) < 4:
        return None
    norm = _normalize(text)
    result = fuzz.partial_ratio_alignment(core, norm.text, score_cutoff=threshold)
    if result is None or result.dest_end <= result.dest_start:
        return None
    start, end = norm.to_original(result.dest_start, result.dest_end)
    return Located(Span(start=start, end=end, match=MatchKind.FUZZY), result.score)


def closest_passage(text: str, fragment: str, threshold: float = 60.0) -> str | None:
    """The passage of ``text`` most like ``fragment``, for error messages; ``None`` when nothing is close."""
    found = _locate_fuzzy(text, fragment, threshold)
    return text[found.span.start : found.span.end].strip(" \n\"'\u201c\u201d\u2018\u2019") if found else None


_OPEN = "\u201c\u201e\u00ab"
_CLOSE = "\u201d\u00bb"


@lru_cache(maxsize=8)
def quoted_regions(text: str) -> tuple[tuple[int, int], ...]:
    """The ``(start, end)`` ranges of text that stand between double quotation marks.

    Curly and straight marks are paired as writers mix them: an opening mark (``“``, ``„``, ``«`` or a
    straight ``"``) is closed by the next closing mark (``”``, ``»`` or ``"``) in the same paragraph.
    An unclosed quotation runs to the end of its paragraph, as in news copy that continues a quote
    in the next paragraph. Ranges exclude the marks themselves.
    """
    regions: list[tuple[int, int]] = []
    open_at: int | None = None
    for i, ch in enumerate(text):
        if ch == "\n":
            if open_at is not None:
                regions.append((open_at, i))
                open_at = None
        elif open_at is None and (ch in _OPEN or ch == '"'):
            open_at = i + 1
        elif open_at is not None and (ch in _CLOSE or ch == '"'):
            regions.append((open_at, i))
            open_at = None
    if open_at is not None:
        regions.append((open_at, len(text)))
    return tuple(regions)


def is_quoted(text: str, span: Span) -> bool:
    """Whether the span lies inside quotation marks in ``text``.

    Double quotation marks (see :func:`quoted_regions`) or single quotation marks hugging the span
    (``‘Iran plot’``, ``'Iran plot'``) count.
    """
    for start, end in quoted_regions(text):
        if start <= span.start and span.end <= end:
            return True
    before = text[span.start - 1] if span.start > 0 else ""
    after = text[span.end] if span.end < len(text) else ""
    return before in "'\u2018" and before != "" and after in "'\u2019" and after != ""


def whole_quotation(text: str, span: Span) -> Span | None:
    """Another occurrence of the span's passage that fills a whole quotation, if the span itself does not.

    News copy often repeats a phrase: first inside a longer quote, later quoted on its own. A direct
    quote of just that phrase belongs to the later place.
    """
    passage = text[span.start : span.end]
    regions = {(s, e) for s, e in quoted_regions(text)}

    def fills(start: int, end: int) -> bool:
        return any(s <= start and end <= e and not text[s:start].strip(_EDGE) and not text[end:e].strip(_EDGE)
                   for s, e in regions)

    if fills(span.start, span.end):
        return None
    at = text.find(passage)
    while at >= 0:
        if fills(at, at + len(passage)):
            return Span(start=at, end=at + len(passage), match=span.match)
        at = text.find(passage, at + 1)
    return None
