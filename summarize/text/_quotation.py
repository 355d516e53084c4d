"""Quotation marks: which stretches of an article stand between them.

Terms used here:

- **quotation**: text between an opening and its closing mark, in one paragraph (a line). Quotations
  nest: ``“He called it "fake news" today,”`` holds ``fake news`` inside a longer one.
- **pair**: the marks recognised and what closes each opener. English ``“…”`` and ``‘…’``; German
  ``„…“``, ``‚…‘`` and ``»…«``; Polish ``„…”``; French and Swiss ``«…»`` and ``‹…›`` (with or without
  spaces inside); Swedish and Finnish ``”…”``, ``’…’`` and ``»…»``; straight ``"…"`` and ``'…'``; CJK
  ``「…」``, ``『…』``, ``〝…〞`` and full-width ``＂…＂``. Writers mix marks, so a straight mark also
  closes a curly opener of the same weight (``“…"``) and a curly ``”`` a straight ``"``.
- **flanking**: a mark that can open and close (``"``, ``”``, ``»``, ``'``...) opens when it stands
  before a word and after space or an opening punctuation mark (left-flanking), closes when it stands
  after a non-space and before space or punctuation (right-flanking), and otherwise (``« Oui »``,
  ``“不”``) closes if something is open and opens if not. An apostrophe between two letters
  (``it’s``) or before a digit (``the ’90s``) is never a mark.

A closing mark closes the innermost open quotation it pairs with; quotations opened inside that one
and still open are dropped. A double quotation still open at the end of a paragraph runs to its end
(news copy continues a quote in the next paragraph, opening it again there); a single one is dropped,
since a lone ``'`` or ``’`` is more often an apostrophe (``the '90s``, ``the students’``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["QUOTE_MARKS", "hugged", "quoted_regions"]

# opener -> (the closers it pairs with, other closers writers use with it, weight)
_PAIRS: dict[str, tuple[str, str, str]] = {
    "\u201c": ("\u201d", '"', "double"),          # “ ” English
    "\u201e": ("\u201c\u201d", '"', "double"),    # „ “ German, „ ” Polish
    "\u201f": ("\u201d", '"', "double"),          # ‟ ”
    "\u00ab": ("\u00bb", '"', "double"),          # « » French
    "\u00bb": ("\u00ab\u00bb", "", "double"),     # » « German, » » Swedish
    '"': ('"', "\u201d", "double"),
    "\u201d": ("\u201d", '"', "double"),          # ” ” Swedish
    "\u300c": ("\u300d", "", "double"),           # 「 」
    "\u300e": ("\u300f", "", "double"),           # 『 』
    "\u301d": ("\u301e\u301f", "", "double"),     # 〝 〞
    "\uff02": ("\uff02", "", "double"),           # ＂ ＂
    "\u2018": ("\u2019", "'", "single"),          # ‘ ’ English
    "\u201a": ("\u2018\u2019", "'", "single"),    # ‚ ‘ German
    "\u2039": ("\u203a", "", "single"),           # ‹ ›
    "\u203a": ("\u2039\u203a", "", "single"),     # › ‹ German, › › Swedish
    "'": ("'", "\u2019", "single"),
    "\u2019": ("\u2019", "'", "single"),          # ’ ’ Swedish
}
#: Every character that opens or closes a quotation.
QUOTE_MARKS = "".join(sorted(set("".join(_PAIRS) + "".join(p + o for p, o, _ in _PAIRS.values()))))
# Marks that only ever open; every other opener may also close (it is decided by flanking).
_ONLY_OPEN = "\u201e\u201f\u201a\u300c\u300e\u301d"
_APOSTROPHES = "'\u2019"
_CLOSING_PUNCT = ".,;:!?)]}"
_MARK_OR_BREAK = re.compile("[\n" + re.escape(QUOTE_MARKS) + "]")


def _flanking(text: str, i: int) -> tuple[bool, bool]:
    """(left-flanking, right-flanking) for the mark at ``i`` (module docstring)."""
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    left = (bool(after) and not after.isspace() and after not in _CLOSING_PUNCT
            and (not before or before.isspace() or (not before.isalnum() and before not in _CLOSING_PUNCT)))
    right = bool(before) and not before.isspace() and (not after or not after.isalnum())
    return left, right


@lru_cache(maxsize=8)
def quoted_regions(text: str) -> tuple[tuple[int, int], ...]:
    """The ``(start, end)`` ranges of text that stand between quotation marks, nested ones included.

    See the module docstring for the marks, how they pair and where an unclosed quotation ends.
    Ranges exclude the marks themselves and are sorted by start (outer before inner).
    """
    regions: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (opener, offset after it)

    def end_paragraph(at: int) -> None:
        regions.extend((opened, at) for mark, opened in stack if _PAIRS[mark][2] == "double")
        stack.clear()

    for m in _MARK_OR_BREAK.finditer(text):
        i, ch = m.start(), m.group()
        if ch == "\n":
            end_paragraph(i)
            continue
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch in _APOSTROPHES and (after.isdigit() or (i > 0 and text[i - 1].isalnum() and after.isalnum())):
            continue  # it's, Iran's, the '90s: an apostrophe
        left, right = _flanking(text, i)
        closes = None if ch in _ONLY_OPEN or (ch in _PAIRS and left and not right) else _closed_by(stack, ch)
        if closes is not None:
            regions.append((stack[closes][1], i))
            del stack[closes:]
        elif ch in _PAIRS and (ch in _ONLY_OPEN or left or not right):
            stack.append((ch, i + 1))
    end_paragraph(len(text))
    return tuple(sorted(regions, key=lambda r: (r[0], -r[1])))


def _closed_by(stack: list[tuple[str, int]], ch: str) -> int | None:
    """The index of the open quotation ``ch`` closes: the innermost it pairs with, else the innermost
    that writers close with it; ``None`` if it closes nothing."""
    for k in range(len(stack) - 1, -1, -1):
        if ch in _PAIRS[stack[k][0]][0]:
            return k
    if stack and ch in _PAIRS[stack[-1][0]][1]:
        return len(stack) - 1
    return None


def hugged(text: str, start: int, end: int) -> bool:
    """Whether single quotation marks stand right around ``text[start:end]`` (``‘Iran plot’``, ``'Iran plot'``)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    opens, closes = "'\u2018\u201a\u2039\u203a", "'\u2019\u2018\u203a\u2039"
    return bool(before) and before in opens and bool(after) and after in closes
