"""Trailing boilerplate: the lines at the end of a saved article that are not its content. Pure.

Terms:

- **boilerplate line**: a whole line (stripped) that is exactly one of the forms below. Only lines at the
  end of an article are looked at, from the last one up; the first line that is not boilerplate ends the
  trimming, so nothing in the body is ever touched. A line with a quotation mark (``"`` ``“`` ``”`` ``„``
  ``«`` ``»`` ``‹`` ``›`` ``‘`` ``「`` ``」`` ``『`` ``』``) is never boilerplate.

  ======================  =====================================================================================
  reason                  the line is
  ======================  =====================================================================================
  ``advertisement``       ``Advertisement`` (optionally ``- Scroll to continue`` / ``- story continues below``)
  ``share``               ``Share``, ``Share this``, ``Share this article`` / ``story`` / ``page``, ``Share on X``
  ``tags``                ``Tags`` alone or ``Tags: a, b, c`` (a list with no sentence punctuation)
  ``source``              ``Source: Reuters``: a credit of up to six capitalised words
  ``related``             ``Related``, ``Related articles`` / ``stories`` / ``coverage`` ..., ``Read more``,
                          ``See also``, alone or followed by ``:`` and a link or a headline (≤ 100 characters,
                          no full stop inside)
  ``newsletter``          ``Sign up`` / ``Subscribe`` (``for our ... newsletter``), or one sentence of at most 200
                          characters ending in ``delivered (directly) to your inbox``
  ``copyright``           ``© 2020 Outlet``, ``Copyright 2020 Outlet``, ``Copyright © Outlet`` (the word
                          Copyright must be followed by a year or ©), ``Outlet. All rights reserved.``; AP's
                          ``This material may not be published, broadcast, rewritten or redistributed.`` may follow
  ``author bio``          ``Name Surname is / has been / has worked as / joined Outlet as a (up to four words)
                          writer/reporter/editor/correspondent/journalist/columnist/contributor at/for/with ...``:
                          at most 700 characters, naming no day (a weekday, ``today``, ``January 5``), nothing
                          done to the person (``was detained``, ``been held``) and no death, arrest, charge,
                          sentence or injury: a paragraph about a reporter that carries such facts is news
  ======================  =====================================================================================

  ``Related to the strike, ...``, ``Read more about ...``, ``Copyright lawsuits ...`` and ``Jane Doe was a
  reporter ...`` are none of these, and stay.
- **removed**: each trimmed line with its reason (a :class:`Removed`), kept on the article and written into
  its output document, so nothing disappears silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Removed", "boilerplate_reason", "drop_trailing_boilerplate"]

_QUOTE_MARKS = frozenset('"“”„«»‹›‘「」『』')
_TITLE = r"[^.!?\n]{1,100}[?!]?"
_LINK = r"(?:https?://|www\.)\S+"
# What makes a paragraph about a reporter news rather than a byline: a day, something done to them, a death.
_NEWS_ABOUT_REPORTER = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(?:today|yesterday|tonight)\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\b(?:was|were|been|being) (?:\w+ly )?(?:\w+(?:ed|en)|held|shot|hurt|struck|caught|kept|hit)\b|"
    r"\b(?:died|dies|killed|arrested|detained|jailed|sentenced|charged|missing|kidnapped|abducted|injured|wounded)\b",
    re.IGNORECASE)
_RELATED = (r"(?i:related(?: (?:articles?|stories|story|coverage|content|news|posts?|links?|reading|topics?|videos?))?"
            r"|read more|see also|also read)")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((reason, re.compile(pattern)) for reason, pattern in (
    ("advertisement", (r"(?i:advertisements?(?:\s*[-–—:]\s*(?:scroll to continue(?: reading)?|story continues below"
                       r"|continue reading below))?)")),
    ("share", (r"(?i:share(?: this(?: article| story| page| post)?"
               r"| on (?:facebook|twitter|x|linkedin|whatsapp|email))?:?)")),
    ("tags", r"(?i:tags?):?(?:\s+[^,|.!?:;]{1,40}(?:\s*[,|]\s*[^,|.!?:;]{1,40})*)?"),
    ("source", r"(?i:source):\s*[A-Z][\w&'’/-]*\.?(?:\s+(?:[A-Z][\w&'’/-]*\.?|of|the|and|&|/)){0,5}"),
    ("related", _RELATED + r"(?:\s*:)?"),
    ("related", _RELATED + rf"\s*:\s*(?:{_LINK}|{_TITLE})"),
    ("newsletter", (r"(?i:(?:sign up|subscribe)(?: now| today| here| for free)?"
                    r"(?: (?:for|to) (?:our|the|a)\b[^.!?\n]{0,80}?"
                    r"\b(?:newsletters?|alerts|updates|briefings?|digest)\b[^.!?\n]{0,80})?)[.!]?")),
    ("newsletter", r"(?i:[^.!?\n]{0,160}\b(?:delivered|sent|straight)\b[^.!?\n]{0,20}\bto your inbox)[.!]?"),
    # "Copyright" must be followed by a year or ©: "Copyright lawsuits ..." is prose.
    ("copyright", (r"(?:©|\((?i:c)\)|(?i:copyright)\s*(?:©|\((?i:c)\))?(?=\s*(?:\d{4}|©)))"
                   r"\s*(?:\d{4}(?:\s*[-–]\s*\d{2,4})?)?[^.!?\n]{0,60}?(?:\.?\s*(?i:all rights reserved)\.?)?"
                   r"(?:\s*(?i:this material may not be published, broadcast, rewritten,? or redistributed)"
                   r"[^.\n]{0,40}\.?)?")),
    ("copyright", r"(?:[^.!?\n]{1,60}\.\s*)?(?i:all rights reserved)\.?"),
    ("author bio", (r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){1,3} "
                    r"(?:is|has been|has worked as|joined (?:[A-Z][\w'’&.-]* ){1,5}as)"
                    r" (?:an?|the) (?:[\w'’-]+ ){0,4}?"
                    r"(?:writer|reporter|editor|correspondent|journalist|columnist|contributor)s?"
                    r" (?:at|for|with|of|on)\b.{0,620}")),
))
_MAX_BIO = 700


@dataclass(frozen=True)
class Removed:
    """A line trimmed from an article, and why."""

    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """``{"text": ..., "reason": ...}``, as written in the output document."""
        return {"text": self.text, "reason": self.reason}


def boilerplate_reason(line: str) -> str | None:
    """The reason ``line`` (stripped) is boilerplate (see the module docstring), or ``None`` when it is not."""
    if not line or any(ch in _QUOTE_MARKS for ch in line):
        return None
    for reason, pattern in _RULES:
        if pattern.fullmatch(line):
            if reason == "author bio" and (len(line) > _MAX_BIO or _NEWS_ABOUT_REPORTER.search(line)):
                return None
            return reason
    return None


def drop_trailing_boilerplate(lines: list[str]) -> tuple[list[str], list[Removed]]:
    """``lines`` without their boilerplate tail, and what was removed (in text order)."""
    end = len(lines)
    removed: list[Removed] = []
    while end > 0:
        line = lines[end - 1].strip()
        if line:
            reason = boilerplate_reason(line)
            if reason is None:
                break
            removed.append(Removed(line, reason))
        end -= 1
    return lines[:end], removed[::-1]
