"""The normal form of a text, its map back to the original, and word boundaries.

Terms used here (see also :mod:`summarize.text.grounding`):

- **normal form**: the text with equivalent spellings folded, in this order:

  1. Unicode canonical equivalence: each letter and the combining marks after it are composed (NFC),
     so ``é`` written as ``e`` + U+0301 equals the precomposed ``é``;
  2. format characters (Unicode category ``Cf``: zero-width space, joiners, soft hyphen, byte-order
     mark, word joiner, direction marks...) are removed;
  3. typographic marks, one for one: curly, low-9, angle (``« » ‹ ›``) and CJK corner (``「」『』``)
     quotation marks become ``"`` or ``'``; every hyphen and dash (``‐ ‑ ‒ – — ― −`` and the like)
     becomes ``-``;
  4. a **dash** (a run of two or more hyphens such as ``--``, a hyphen not before a digit, or one
     right after a letter or digit) becomes one ``-`` with the white space on both sides removed, so
     ``a — b``, ``a -- b``, ``a - b`` and ``a-b`` are equal; any other hyphen stands before a number
     and after no word: it is a **minus sign** and becomes ``−`` (U+2212), so ``-14`` never equals
     ``14`` nor the dash in ``a - 14``;
  5. every run of white space (non-breaking and other Unicode spaces, line breaks) becomes one space;
     ``…`` becomes ``...``.

  Letters, digits and case are never changed.
- **unit**: the characters of the normal form that come from one place of the original (``...`` from
  ``…``, ``é`` from ``e`` + U+0301, ``-`` from `` -- ``). A match in the normal form counts only if it
  begins and ends on unit boundaries.
- **word boundary** (in the original text, format characters skipped): a place that does not cut a
  word or a number. It is not one between two letters, digits or combining marks; around an
  apostrophe between letters (``don't``, ``Iran's``) or a full stop after a lone letter (``U.S.``);
  between a digit and a sign, currency symbol or decimal point that belongs to its number (``-14``,
  ``$10``, ``.5``); around ``.``, ``,``, ``/`` or ``:`` between digits (``2.5``, ``2,000``, ``1/2``,
  ``10:30``); nor between a digit and ``%``, ``‰``, ``°`` or a currency symbol after it. In scripts
  written without spaces (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar) every place between two
  characters is one.

The standard library's ``re`` has no Unicode property classes, so categories come from
``unicodedata``, looked up only for characters outside ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DASHES", "EDGE", "Normalized", "core", "find_words", "is_boundary", "is_format", "normalize", "normalized",
           "snap"]

#: Every hyphen, dash and minus character; the normal form writes each as ``-`` (or ``−`` for a sign).
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u00b4`\u2039\u203a\uff07"
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d\u300e\u300f\u301d\u301e\u301f\uff02"
# One-to-one folds, so offsets are unchanged (a regular expression finds the few: str.translate reads all).
_FOLD = {**dict.fromkeys(_SINGLE, "'"), **dict.fromkeys(_DOUBLE, '"'), **dict.fromkeys(DASHES[1:], "-")}
_ONE_FOR_ONE = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_MINUS = "\u2212"
# Folds that change length, on the text after the folds above (see the module docstring, steps 4-5).
_RESIZE = re.compile(
    r"(?=[\s\u2026-])"  # a quick test before the alternatives: most characters are none of these
    r"(?:(?P<dash>\s*(?:-{2,}|-(?!\.?\d)|(?<=\w)-)\s*)"  # a dash, with the white space around it
    r"|(?P<space>\s{2,}|[^\S ])|(?P<ellipsis>\u2026)"  # (one plain space is already its normal form)
    r"|(?P<sign>-))"  # what is left: a hyphen before a number and after no word
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

#: Punctuation (in the normal form) that may stand at a fragment's edges without changing what it quotes.
EDGE = " \"'.,;:!?-()[]{}\u3001\u3002\uff0c\uff01\uff1f\uff1a\uff1b\uff08\uff09\u3010\u3011"
# Characters that belong to a number beside them (see "word boundary" in the module docstring).
_SIGNS = DASHES + "+\u00b1"
_AFTER_NUMBER = "%\u2030\u2031\u00b0"
_APOSTROPHES = "'\u2019\u02bc"
_POINTS = ".,/:"  # between two digits: 2.5, 2,000, 1/2, 10:30
# Scripts written without spaces between words: every character boundary is a word boundary there.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]"
)


@dataclass(frozen=True)
class _Edits:
    """The edits that made a text from another: for edit ``k``, ``new[k]:new_ends[k]`` of the result
    replaced ``old[k]:old_ends[k]`` of the source. Kept instead of a map per character: an article has a
    few hundred edits and 50,000 characters, and an offset is looked up only for a match."""

    new: list[int]
    new_ends: list[int]
    old: list[int]
    old_ends: list[int]

    def unit(self, p: int) -> tuple[int, int]:
        """The ``[start, end)`` of the source that character ``p`` of the result comes from."""
        k = bisect_right(self.new, p) - 1
        if k < 0:
            return p, p + 1
        if p < self.new_ends[k]:
            return self.old[k], self.old_ends[k]
        p += self.old_ends[k] - self.new_ends[k]
        return p, p + 1


@dataclass(frozen=True)
class Normalized:
    """A normal form and the edits that lead back to the original: composition, then the other folds."""

    text: str
    composed: _Edits | None  # None: nothing changed
    folded: _Edits | None

    def unit(self, p: int) -> tuple[int, int]:
        """The ``[start, end)`` of the original that character ``p`` of the normal form comes from."""
        start, end = self.folded.unit(p) if self.folded else (p, p + 1)
        if self.composed is None:
            return start, end
        return self.composed.unit(start)[0], self.composed.unit(end - 1)[1]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty ``[start, end)`` range of the normal form back to the original text."""
        if self.composed is None and self.folded is None:
            return start, end
        return self.unit(start)[0], self.unit(end - 1)[1]

    def on_units(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` of the normal form begins and ends on unit boundaries."""
        if self.composed is None and self.folded is None:
            return True
        return ((start == 0 or self.unit(start - 1) != self.unit(start))
                and (end == len(self.text) or self.unit(end - 1) != self.unit(end)))


def normalize(text: str) -> str:
    """Return the normal form of ``text`` (see the module docstring)."""
    return normalized(text).text


def core(fragment: str) -> str:
    """The normal form of a fragment with edge punctuation and white space removed.

    A decimal point before a digit stays (``.5``); a minus sign is not edge punctuation (it is ``−``
    in the normal form).
    """
    n = normalized(fragment).text
    start, end = 0, len(n)
    while start < end and n[start] in EDGE:
        start += 1
    while end > start and n[end - 1] in EDGE:
        end -= 1
    if 0 < start < end and n[start - 1] == "." and n[start].isdigit():
        start -= 1
    return n[start:end]


def normalized(text: str) -> Normalized:
    """The normal form of ``text`` with its map back to ``text`` (articles are cached: they are searched many times)."""
    # Short strings (fragments, the gaps beside a quotation) have a cache of their own, so that they never
    # push the article being checked out of its small one.
    return _normalized_cached(text) if len(text) > 512 else _normalized_short(text)


# Small on purpose: an answer's quotes are validated one after another, so the article being checked is
# always the latest entry; a large cache would hold many long articles.
@lru_cache(maxsize=8)
def _normalized_cached(text: str) -> Normalized:
    return _normalized(text)


@lru_cache(maxsize=1024)  # at most 1,024 strings of at most 512 characters
def _normalized_short(text: str) -> Normalized:
    return _normalized(text)


def _normalized(text: str) -> Normalized:
    composed, edits1 = _apply(text, _composition_edits(text))
    folded = _ONE_FOR_ONE.sub(lambda m: _FOLD[m.group()], composed)  # offsets unchanged
    edits = []
    for m in _RESIZE.finditer(folded):
        kind = m.lastgroup
        new = "-" if kind == "dash" else " " if kind == "space" else "..." if kind == "ellipsis" else _MINUS
        if new != m.group():
            edits.append((m.start(), m.end(), new))
    out, edits2 = _apply(folded, edits)
    return Normalized(out, edits1, edits2)


def _composition_edits(text: str) -> list[tuple[int, int, str]]:
    """Format characters removed and clusters (a character and its combining marks) composed (NFC).

    A format character between a letter and its mark (``a`` U+00AD U+0308) is removed inside the
    cluster, so the letter and the mark still compose."""
    if text.isascii():
        return []
    edits: list[tuple[int, int, str]] = []
    start = end = -1  # the cluster being read: text[start:end]
    trailing: list[int] = []  # format characters at its end, kept in it only if a mark follows

    def close() -> None:
        stop = trailing[0] if trailing else end
        if start >= 0:
            piece = text[start:stop]
            visible = "".join(ch for ch in piece if not is_format(ch))
            if visible != piece or not unicodedata.is_normalized("NFC", piece):
                edits.append((start, stop, unicodedata.normalize("NFC", visible)))
        edits.extend((i, i + 1, "") for i in trailing)
        trailing.clear()

    for m in _NON_ASCII.finditer(text):
        i = m.start()
        category = unicodedata.category(text[i])
        if end == i and category[0] == "M":
            end = i + 1  # one more mark on the cluster being read
            trailing.clear()
            continue
        if category == "Cf" and (end == i or (end < i and i > 0 and text[i - 1].isascii())):
            if end < i:  # the cluster of an ASCII letter, for a mark that may follow
                close()
                start = i - 1
            end = i + 1
            trailing.append(i)
            continue
        close()
        if category == "Cf":
            edits.append((i, i + 1, ""))
            start = end = -1
        elif category[0] == "M":  # a mark after an ASCII letter (or at the start, or after a format character)
            start = i - 1 if i > 0 and text[i - 1].isascii() else i
            end = i + 1
        else:
            start, end = i, i + 1
    close()
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, _Edits | None]:
    """``text`` with non-overlapping, ordered ``(start, end, replacement)`` edits made, and where they stand."""
    if not edits:
        return text, None
    parts: list[str] = []
    done = _Edits([], [], [], [])
    pos = shift = 0  # shift: how much longer the result is than the source so far
    for start, end, new in edits:
        parts += (text[pos:start], new)
        done.new.append(start + shift)
        done.new_ends.append(start + shift + len(new))
        done.old.append(start)
        done.old_ends.append(end)
        shift += len(new) - (end - start)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), done


# -- word boundaries in the original text ------------------------------------------------------------

def is_format(ch: str) -> bool:
    """Whether ``ch`` is a format character (category Cf), invisible to the normal form."""
    return not ch.isascii() and unicodedata.category(ch) == "Cf"


def _is_mark(ch: str) -> bool:
    return not ch.isascii() and unicodedata.category(ch)[0] == "M"


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or _is_mark(ch)


def _is_currency(ch: str) -> bool:
    return (not ch.isascii() and unicodedata.category(ch) == "Sc") or ch == "$"


def _back(text: str, i: int) -> int:
    """The offset of the last character before ``i`` that is not a format character (-1 if none)."""
    i -= 1
    while i >= 0 and is_format(text[i]):
        i -= 1
    return i


def _forward(text: str, i: int) -> int:
    """The offset of the first character at or after ``i`` that is not a format character (len if none)."""
    while i < len(text) and is_format(text[i]):
        i += 1
    return i


def _joined(text: str, ia: int, ib: int) -> bool:
    """Whether ``text[ia]`` and ``text[ib]``, the visible characters on either side of a place, belong to one
    word or number (module docstring), so that the place is no word boundary."""
    a, b = text[ia], text[ib]
    if _is_mark(b):
        return True
    if _UNSPACED.match(a) or _UNSPACED.match(b):
        return False
    if _is_word(a) and _is_word(b):
        return True
    iaa, ibb = _back(text, ia), _forward(text, ib + 1)
    before_a = text[iaa] if iaa >= 0 else ""
    after_b = text[ibb] if ibb < len(text) else ""
    if b.isdigit() and (_is_currency(a) or (a in _POINTS and before_a.isdigit())
                        or ((a in _SIGNS or a == ".") and not _is_word(before_a))):
        return True
    if a.isdigit() and (b in _AFTER_NUMBER or _is_currency(b) or (b in _POINTS and after_b.isdigit())):
        return True
    if a in _APOSTROPHES and _is_word(before_a) and _is_word(b):
        return True
    if b in _APOSTROPHES and _is_word(a) and _is_word(after_b):
        return True
    # A full stop after a single letter and before a letter: U.S., e.g. (not "end.Next", a lost space).
    if a == "." and b.isalpha() and _initial(text, iaa):
        return True
    return b == "." and after_b.isalpha() and _initial(text, ia)


def _initial(text: str, i: int) -> bool:
    """Whether ``text[i]`` is a letter standing alone (no letter right before it): ``U`` in ``U.S.``."""
    if i < 0 or not text[i].isalpha():
        return False
    j = _back(text, i)
    return j < 0 or not text[j].isalpha()


def is_boundary(text: str, i: int) -> bool:
    """Whether offset ``i`` of ``text`` is a word boundary (module docstring); the ends of the text are."""
    ia, ib = _back(text, i), _forward(text, i)
    if ia < 0 or ib >= len(text):
        return True
    return not _joined(text, ia, ib)


def find_words(text: str, fragment: str) -> Iterator[int]:
    """The offsets where ``fragment`` stands in ``text`` as it is, beginning and ending on word boundaries."""
    at = text.find(fragment) if fragment else -1
    while at >= 0:
        if is_boundary(text, at) and is_boundary(text, at + len(fragment)):
            yield at
        at = text.find(fragment, at + 1)


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to word boundaries, without white space at its edges (for fuzzy spans)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while start > 0 and not is_boundary(text, start):
        start -= 1
    while end < len(text) and not is_boundary(text, end):
        end += 1
    return start, end
