"""Partial dates: a year, a month or a day, never more precise than what was written. Pure.

Terms:

- **partial date**: a :class:`PartialDate`: a year, optionally a month, optionally a day, written as partial
  ISO 8601 (``2020``, ``2020-01``, ``2020-01-05``). Its **precision** is ``year``, ``month`` or ``day``.
  A year-only date is not 1 January: it covers the whole year, from :meth:`~PartialDate.earliest` to
  :meth:`~PartialDate.latest`.
- **date forms** read by :func:`parse_date` (what feeds and CMSs write for an article's publication date):

  - partial ISO 8601: ``2020``, ``2020-01``, ``2020-01-05``, and full ISO datetimes with or without a zone
    (``2020-01-05T10:00:00Z``, ``2020-01-05 10:00:00+01:00``): the date as written, in the zone written;
  - RFC 2822 / 5322, as RSS feeds and e-mail write it: ``Sun, 05 Jan 2020 10:00:00 GMT``;
  - ``January 5, 2020``, ``Jan. 5, 2020``, ``5 January 2020``, ``5 Jan 2020``, ``January 2020``,
    ``Sept 2020`` (English month names and their usual abbreviations, with an optional weekday first);
  - a :class:`datetime.date` or :class:`datetime.datetime`, or a year as an integer.

  Anything else (``05/01/2020`` is day-first in one country and month-first in another) is refused with a
  ``ValueError`` rather than guessed.

Written by hand: ``dateutil``'s parser guesses (it fills a missing day with today's) and is not a dependency.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass

__all__ = ["PRECISIONS", "PartialDate", "iso_date", "parse_date"]

#: The precisions of a partial date, coarsest first.
PRECISIONS = ("year", "month", "day")

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MONTHS = {name: i for i, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")), 1) for name in names}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_WORDY = [re.compile(_WEEKDAY + p + r"$", re.IGNORECASE) for p in (
    _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})",   # January 5, 2020
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})",  # 5 January 2020
    _MONTH + r",?\s+(?P<year>\d{4})",  # January 2020
)]


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day (see the module docstring)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        # Raises ValueError for 2020-02-30, month 13, month 0 (None, not 0, is "not known").
        dt.date(self.year, 1 if self.month is None else self.month, 1 if self.day is None else self.day)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a ``ValueError`` for anything else or an impossible date."""
        m = _ISO_PARTIAL.match(text)
        if not m:
            raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in m.groups())
        return cls(year, month, day)  # type: ignore[arg-type]

    @classmethod
    def of(cls, value: PartialDate | dt.date) -> PartialDate:
        """The partial date of a :class:`datetime.date` (day precision), or ``value`` itself."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            value = value.date()
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> str:
        """``year``, ``month`` or ``day``."""
        return "day" if self.day is not None else "month" if self.month is not None else "year"

    @property
    def parts(self) -> tuple[int, ...]:
        """``(year,)``, ``(year, month)`` or ``(year, month, day)``."""
        return tuple(p for p in (self.year, self.month, self.day) if p is not None)

    def covers(self, other: PartialDate) -> bool:
        """Whether ``other`` is this date, or inside it, at this date's precision (``2020-01`` covers
        ``2020-01-05`` and ``2020-01``, not ``2020``)."""
        mine = self.parts
        return other.parts[: len(mine)] == mine and len(other.parts) >= len(mine)

    def isoformat(self) -> str:
        """``2020``, ``2020-01`` or ``2020-01-05``."""
        parts = [f"{self.year:04d}", *(f"{p:02d}" for p in (self.month, self.day) if p is not None)]
        return "-".join(parts)

    def __str__(self) -> str:
        return self.isoformat()

    def as_date(self) -> dt.date | None:
        """The day, when the day is known; else ``None`` (a day is never invented)."""
        return dt.date(self.year, self.month, self.day) if self.day is not None and self.month is not None else None

    def earliest(self) -> dt.date:
        """The first day the date can mean (``2020`` → 2020-01-01)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        """The last day the date can mean (``2020`` → 2020-12-31, ``2020-02`` → 2020-02-29)."""
        if self.day is not None:
            return self.earliest()
        if self.month is None:
            return dt.date(self.year, 12, 31)
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the days this date can mean."""
        return self.earliest() <= day <= self.latest()


def iso_date(value: object) -> PartialDate | None:
    """The partial date a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` string writes (the form summaries, gold files
    and timelines store); ``None`` for anything else, an impossible date (``2020-02-30``) included."""
    if not isinstance(value, str):
        return None
    try:
        return PartialDate.from_iso(value)
    except ValueError:
        return None


def parse_date(value: object) -> PartialDate:
    """The :class:`PartialDate` a publication date value means (forms in the module docstring).

    Raises ``ValueError`` naming the value when it is none of those forms or not a real calendar date.
    """
    if isinstance(value, (PartialDate, dt.date)):
        return PartialDate.of(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 9999:
            raise ValueError(f"{value!r} is not a year (a number must be a year from 1 to 9999)")
        return PartialDate(value)
    if not isinstance(value, str):  # a ValueError still: to the caller, any value that is not a date is one thing
        raise ValueError(f"{value!r} is not a date")  # noqa: TRY004
    text = " ".join(value.split())
    try:
        return PartialDate.from_iso(text)
    except ValueError as exc:
        if _ISO_PARTIAL.match(text):
            raise ValueError(f"{value!r} is not a real calendar date") from exc
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text):
        try:
            return PartialDate.of(dt.datetime.fromisoformat(text.replace("z", "Z")))
        except ValueError:
            raise ValueError(f"{value!r} is not a real ISO 8601 date and time") from None
    for pattern in _WORDY:
        m = pattern.match(text)
        if m:
            month = _MONTHS.get(m["month"].lower())
            if month is None:
                break
            try:
                return PartialDate(int(m["year"]), month, int(m["day"]) if m.groupdict().get("day") else None)
            except ValueError:
                raise ValueError(f"{value!r} is not a real calendar date") from None
    try:
        return PartialDate.of(email.utils.parsedate_to_datetime(text))  # RFC 2822: "Sun, 05 Jan 2020 10:00:00 GMT"
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(f"{value!r} is not a date in a form this reader knows "
                     "(YYYY, YYYY-MM, YYYY-MM-DD, ISO 8601 date-time, RFC 2822, 'January 5, 2020', '5 January 2020')")
