"""Grounding: find where a fragment of text stands in an article.

Terms used here:

- **fragment**: text a model claims to have copied from the article (a quote, a piece of evidence).
- **normal form**: the text with equivalent spellings folded so that they compare equal: Unicode
  canonical equivalence (NFC), format characters (zero-width space, joiners, soft hyphen...) removed,
  curly, angle and CJK quotation marks made straight, every dash made ``-`` (``--`` and `` - `` too,
  white space around a dash dropped) while a minus sign stays a sign, ``…`` made ``...``, white space
  runs made one space. Letters, digits and case are never changed. The exact list, and what a **word
  boundary** is, are in :mod:`summarize.text._normal`.
- **span**: ``(start, end)`` character offsets into the *original* article text, so that
  ``text[start:end]`` is the passage found. Exact and normalized spans begin and end on word
  boundaries of the original text: ``legal`` is not found in "illegal", ``1 million`` not in "11
  million", ``14 degrees`` not in "-14 degrees".
- **match kind**: ``exact`` (the fragment stands in the text as it is), ``normalized`` (it stands there
  once the spelling folds above and the punctuation at its edges are set aside), ``fuzzy`` (only a
  close alignment was found; never proof that the words are in the article).
- **quotation**: text between quotation marks; the marks recognised and how they pair are in
  :mod:`summarize.text._quotation`.

Everything here is pure string work: no models, no I/O. :func:`locate` is the public entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from summarize.text._normal import EDGE as _EDGE  # noqa: F401 - kept for callers that strip fragments as locate() does
from summarize.text._normal import core as _core
from summarize.text._normal import find_words, is_boundary, normalize, normalized, snap
from summarize.text._quotation import QUOTE_MARKS, hugged, quoted_regions

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
    """It stands there once spelling (Unicode equivalence, format characters, quote marks, dashes, ellipses, white
    space) and edge punctuation are set aside."""
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


@dataclass(frozen=True)
class Located:
    """A fuzzy search result: the span found and its similarity score (0-100)."""

    span: Span
    score: float


def locate(text: str, fragment: str) -> Span | None:
    """Find ``fragment`` in ``text`` and return its span, or ``None``.

    Tries, in order: the fragment exactly as given (``exact``); its normal form with edge
    punctuation set aside (``normalized``); a fuzzy alignment scoring at least
    :data:`FUZZY_THRESHOLD` (``fuzzy``). An exact or normalized span is the first occurrence that
    begins and ends on word boundaries, and ``normalize(text[span.start:span.end])`` stripped of edge
    punctuation equals ``normalize(fragment)`` stripped the same way. A fuzzy span is widened to word
    boundaries. Empty or punctuation-only fragments are never located.
    """
    if not fragment or not _core(fragment):
        return None
    span = next(_occurrences(text, fragment), None)
    if span is not None:
        return span
    found = _locate_fuzzy(text, fragment)
    return found.span if found else None


def _occurrences(text: str, fragment: str) -> Iterator[Span]:
    """Every place ``fragment`` stands on word boundaries: exact ones first, then normalized ones."""
    for at in find_words(text, fragment):
        yield Span(start=at, end=at + len(fragment), match=MatchKind.EXACT)
    core = _core(fragment)
    if not core:
        return
    norm = normalized(text)
    at = norm.text.find(core)
    while at >= 0:
        end = at + len(core)
        if norm.on_units(at, end):
            start, stop = norm.to_original(at, end)
            if is_boundary(text, start) and is_boundary(text, stop):
                kind = MatchKind.EXACT if text[start:stop] == fragment else MatchKind.NORMALIZED
                yield Span(start=start, end=stop, match=kind)
        at = norm.text.find(core, at + 1)


def _locate_fuzzy(text: str, fragment: str, threshold: float = FUZZY_THRESHOLD) -> Located | None:
    from rapidfuzz import fuzz  # imported here: only misses pay for it

    core = _core(fragment)
    if len(core) < 4:
        return None
    norm = normalized(text)
    result = fuzz.partial_ratio_alignment(core, norm.text, score_cutoff=threshold)
    if result is None or result.dest_end <= result.dest_start:
        return None
    start, end = snap(text, *norm.to_original(result.dest_start, result.dest_end))
    if end <= start:
        return None
    return Located(Span(start=start, end=end, match=MatchKind.FUZZY), result.score)


def closest_passage(text: str, fragment: str, threshold: float = 60.0) -> str | None:
    """The passage of ``text`` most like ``fragment``, for error messages; ``None`` when nothing is close."""
    found = _locate_fuzzy(text, fragment, threshold)
    if found is None:
        return None
    return text[found.span.start : found.span.end].strip().strip(QUOTE_MARKS).strip() or None


def is_quoted(text: str, span: Span) -> bool:
    """Whether the span lies inside a quotation in ``text`` (see :func:`quoted_regions`).

    Single quotation marks hugging the span (``‘Iran plot’``, ``'Iran plot'``) count too.
    """
    for start, end in quoted_regions(text):
        if start <= span.start and span.end <= end:
            return True
    return hugged(text, span.start, span.end)


def whole_quotation(text: str, span: Span) -> Span | None:
    """Another occurrence of the span's passage that fills a whole quotation, if the span itself does not.

    News copy often repeats a phrase: first inside a longer quote, later quoted on its own. A direct
    quote of just that phrase belongs to the later place. Occurrences are found as :func:`locate`
    finds them (on word boundaries, spelling folded); one spelled differently is ``normalized``.
    """
    passage = text[span.start : span.end]
    regions = quoted_regions(text)

    def blank(gap: str) -> bool:  # only edge punctuation, white space, format characters
        return not any(map(str.isalnum, gap)) and not _core(gap)  # (a letter settles it before any normalizing)

    def fills(start: int, end: int) -> bool:
        return any(s <= start and end <= e and blank(text[s:start]) and blank(text[end:e]) for s, e in regions)

    if fills(span.start, span.end):
        return None
    for other in _occurrences(text, passage):
        if fills(other.start, other.end):
            same = text[other.start : other.end] == passage
            return Span(start=other.start, end=other.end, match=span.match if same else MatchKind.NORMALIZED)
    return None
