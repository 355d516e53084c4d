"""The gold model: what a careful reader says an article's quotes, speakers and events are, whichever file
format it was read from (:mod:`summarize.evaluation.gold` reads project JSON and folders,
:mod:`summarize.evaluation.brat` brat standoff). Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from summarize.text.dates import iso_date

__all__ = ["GOLD_FORMAT", "GoldArticle", "GoldEntity", "GoldEvent", "GoldQuote", "date_precision"]

#: The ``format`` value of the project's gold JSON files.
GOLD_FORMAT = "summarize-gold/1"

def date_precision(date: str | None) -> str | None:
    """``year``, ``month`` or ``day`` for a partial ISO date (``2020``, ``2020-01``, ``2020-01-03``); else None."""
    found = iso_date(date)
    return found.precision if found is not None else None


@dataclass(frozen=True)
class GoldEntity:
    """Someone or something that speaks or acts, with the other names the article uses for it."""

    name: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class GoldQuote:
    """One quote: ``text == gold_text[start:end]``; a direct quote's text excludes its quotation marks."""

    text: str
    start: int
    end: int
    kind: Literal["direct", "indirect"]
    speaker: str | None
    """An entity name, a descriptive phrase, or ``None`` when the annotation names no speaker."""
    cue: str | None = None
    parts: tuple[tuple[int, int], ...] = ()
    """For a discontinuous brat span, its pieces (``start``/``end`` are the outer extent); else empty."""


@dataclass(frozen=True)
class GoldEvent:
    """One event: its date at the precision the article supports and who acted."""

    description: str
    date: str | None
    precision: str | None
    actors: tuple[str, ...] = ()
    evidence: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class GoldArticle:
    """The gold annotations of one article (see the module docstring)."""

    id: str
    source: str
    """The annotation file it was read from."""
    format: str
    """``summarize-gold/1`` or ``brat``."""
    text: str | None = None
    """The text the offsets index, when the format carries it (brat); ``None`` for project JSON."""
    text_sha256: str | None = None
    entities: tuple[GoldEntity, ...] = ()
    quotes: tuple[GoldQuote, ...] = ()
    events: tuple[GoldEvent, ...] = ()
    annotator: str | None = None
    note: str | None = field(default=None, compare=False)
    events_annotated: bool = True
    """Whether the format annotates events at all (brat attributions do not): if not, event scores skip it."""


# -- project JSON -------------------------------------------------------------------------------------
