"""Properties of locate() and the quotation checks, on texts built from words that invite mistakes.

Texts are made of **tokens** (words with accents, apostrophes, hyphens and CJK; numbers with signs,
currency, decimal points, thousands separators and percent signs) joined by **separators** (white
space, dashes, commas, full stops, ellipses, quotation marks). Every token and separator has several
spellings with the same normal form (precomposed or combining accents, soft hyphens and zero-width
characters inside words, curly or straight marks, ``—``/``--``/`` - ``, non-breaking spaces), so a
fragment cut from a text on token boundaries and spelled anew must be found, and found where the
tokens are. **Near misses** are tokens that are not in the vocabulary but stand inside one of its
tokens as characters (``legal`` in ``illegal``, ``1`` in ``11``, ``14`` in ``-14``, ``10`` in
``$10``): a fragment with one token replaced by a near miss, or with ``not`` put in, is not in the
text, and must never be found ``exact`` or ``normalized``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from summarize import MatchKind, locate
from summarize.text._normal import is_boundary, is_format, normalized
from summarize.text.grounding import _core as core
from summarize.text.grounding import is_quoted, quoted_regions

_WORDS: dict[str, list[str]] = {
    "illegal": ["illegal", "il\u00adlegal"],
    "Iran\u2019s": ["Iran\u2019s", "Iran's", "Iran\u200b\u2019s"],
    "caf\u00e9": ["caf\u00e9", "cafe\u0301", "ca\u00adf\u00e9"],
    "na\u00efve": ["na\u00efve", "nai\u0308ve"],
    "cannot": ["cannot", "can\u00adnot"],
    "nothing": ["nothing", "no\u200cthing"],
    "Z\u00fcrich": ["Z\u00fcrich", "Zu\u0308rich", "\ufeffZ\u00fcrich"],
    "don\u2019t": ["don\u2019t", "don't"],
    "stra\u00dfe": ["stra\u00dfe"],
    "well-known": ["well-known", "well\u2011known", "well\u2010known"],
    "\u6771\u4eac": ["\u6771\u4eac", "\u6771\u2060\u4eac"],
    "people": ["people", "peo\u00adple"],
    "said": ["said"],
    "U.S.": ["U.S."],
    "displaced": ["displaced"],
}
_NUMBERS: dict[str, list[str]] = {
    "11": ["11"],
    "-14": ["-14", "\u221214", "\u201314"],
    "3.5": ["3.5"],
    "2,000": ["2,000"],
    "$10": ["$10"],
    "5%": ["5%"],
    ".25": [".25"],
    "8": ["8"],
    "1990\u20131995": ["1990\u20131995", "1990-1995", "1990 \u2013 1995"],
    "10:30": ["10:30"],
    "1/2": ["1/2"],
}
_TOKENS = {**_WORDS, **_NUMBERS}
# Near misses: never in the vocabulary, each inside a vocabulary token as characters.
_NEAR_WORDS = ["legal", "Iran", "ran", "cafe", "caf", "naive", "can", "no", "Zurich", "don", "t", "people\u2019s",
               "well-know", "S", "U"]
_NEAR_NUMBERS = {"11": ["1", "111"], "-14": ["14", "+14", "4"], "3.5": ["3", "5", "35"], "2,000": ["2", "000"],
                 "$10": ["10", "\u20ac10"], "5%": ["5"], ".25": ["25", "2"], "8": ["-8", "+8"],
                 "10:30": ["30", "10"], "1/2": ["2", "1"]}
_SEPARATORS: list[list[str]] = [
    [" ", "  ", "\u00a0", "\u202f", " \u200b", "\n"],
    [" \u2014 ", " -- ", " - ", " \u2013 ", "\u00a0\u2014 "],
    [", ", ",\u00a0", ",  "],
    [". ", ".\n", ".  "],
    ["\u2026 ", "... "],
    [" \u201c", ' "', " \u00ab", " \u201e", " \u300c"],
    ["\u201d ", '" ', "\u00bb ", "\u201c ", "\u300d "],
]


@dataclass
class _Text:
    text: str
    tokens: list[str]  # vocabulary keys, in order
    seps: list[int]  # separator class between token i and i + 1
    starts: list[int]  # offset of each token in text
    ends: list[int]


@st.composite
def _texts(draw: st.DrawFn) -> _Text:
    tokens = draw(st.lists(st.sampled_from(sorted(_TOKENS)), min_size=1, max_size=25))
    seps = [draw(st.integers(0, len(_SEPARATORS) - 1)) for _ in tokens[1:]]
    parts, starts, ends, pos = [], [], [], 0
    for i, token in enumerate(tokens):
        if i:
            sep = draw(st.sampled_from(_SEPARATORS[seps[i - 1]]))
            parts.append(sep)
            pos += len(sep)
        spelled = draw(st.sampled_from(_TOKENS[token]))
        parts.append(spelled)
        starts.append(pos)
        pos += len(spelled)
        ends.append(pos)
    return _Text("".join(parts), tokens, seps, starts, ends)


def _spell(draw: st.DrawFn, tokens: list[str], seps: list[int]) -> str:
    """Tokens (vocabulary keys or literal near misses) joined by separators, every one spelled at random."""
    out = []
    for i, token in enumerate(tokens):
        if i:
            out.append(draw(st.sampled_from(_SEPARATORS[seps[i - 1]])))
        out.append(draw(st.sampled_from(_TOKENS.get(token, [token]))))
    return "".join(out)


@st.composite
def _cut(draw: st.DrawFn, t: _Text) -> tuple[int, int]:
    i = draw(st.integers(0, len(t.tokens) - 1))
    j = draw(st.integers(i + 1, min(len(t.tokens), i + 8)))
    return i, j


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_fragment_cut_on_word_boundaries_and_spelled_anew_is_found_on_word_boundaries(data: st.DataObject) -> None:
    t = data.draw(_texts())
    i, j = data.draw(_cut(t))
    fragment = _spell(data.draw, t.tokens[i:j], t.seps[i : j - 1])
    if data.draw(st.booleans()):  # edge punctuation the text never has: only the normalized search can find it
        before = data.draw(st.sampled_from(["(", "( ", "[\u201c"]))
        fragment = before + fragment + data.draw(st.sampled_from([")", ").", "\u201d]"]))
    span = locate(t.text, fragment)
    assert span is not None and span.match is not MatchKind.FUZZY, (t.text, fragment)
    assert core(t.text[span.start : span.end]) == core(fragment)
    # Where a token starts or ends, give or take invisible format characters (and the last full stop of U.S.).
    assert any(s <= span.start and all(map(is_format, t.text[s : span.start])) for s in t.starts), (t.text, fragment)
    assert any(span.end <= e and all(is_format(c) or c == "." for c in t.text[span.end : e]) for e in t.ends), (
        t.text, fragment)
    assert is_boundary(t.text, span.start) and is_boundary(t.text, span.end)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[_Text, str]:
    """A text and a fragment of it with one word or number replaced by a near miss, or ``not`` put in."""
    t = draw(_texts())
    i, j = draw(_cut(t))
    tokens, seps = list(t.tokens[i:j]), list(t.seps[i : j - 1])
    how = draw(st.sampled_from(["word", "number", "negation"]))
    numbers = [k for k, token in enumerate(tokens) if token in _NEAR_NUMBERS]
    if how == "number" and numbers:
        k = draw(st.sampled_from(numbers))
        tokens[k] = draw(st.sampled_from(_NEAR_NUMBERS[tokens[k]]))
    elif how == "word":
        tokens[draw(st.integers(0, len(tokens) - 1))] = draw(st.sampled_from(_NEAR_WORDS))
    else:
        k = draw(st.integers(0, len(tokens)))
        tokens.insert(k, "not")
        seps.insert(min(k, len(seps)), 0)
    return t, _spell(draw, tokens, seps)


@settings(max_examples=400, deadline=None)
@given(case=_mutated())
def test_a_fragment_with_a_word_or_number_changed_or_a_negation_added_is_never_exact_or_normalized(
    case: tuple[_Text, str],
) -> None:
    t, fragment = case
    span = locate(t.text, fragment)
    assert span is None or span.match is MatchKind.FUZZY, (t.text, fragment, span)


# Any text at all: whatever locate() accepts slices to the fragment's words, on word boundaries.
_alphabet = st.sampled_from(
    list("ab XY19.,$%'\"-\u2019\u201c\u201d\u201e\u00ab\u00bb\u2014\u2013\u2212\u2026\u00a0\n"
         "\u00e9\u0301\u00ad\u200b\u300c\u300d")
)


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=_alphabet, max_size=120), fragment=st.text(alphabet=_alphabet, max_size=30))
def test_any_exact_or_normalized_span_is_on_word_boundaries_and_slices_to_an_equal_normal_form(
    text: str, fragment: str
) -> None:
    span = locate(text, fragment)
    if span is None or span.match is MatchKind.FUZZY:
        return
    assert 0 <= span.start < span.end <= len(text)
    assert is_boundary(text, span.start) and is_boundary(text, span.end)
    if span.match is MatchKind.EXACT:
        assert text[span.start : span.end] == fragment or core(text[span.start : span.end]) == core(fragment)
    else:
        assert core(text[span.start : span.end]) == core(fragment)


_PAIRS = [("\u201c", "\u201d"), ("\u201e", "\u201c"), ("\u201e", "\u201d"), ("\u00ab", "\u00bb"),
          ("\u00ab\u00a0", "\u00a0\u00bb"), ("\u00ab ", " \u00bb"), ("\u00bb", "\u00ab"), ("\u2039", "\u203a"),
          ("\u201d", "\u201d"), ('"', '"'),
          ("\u300c", "\u300d"), ("\u300e", "\u300f"), ("\u2018", "\u2019"), ("\u201a", "\u2018"), ("\u201c", '"')]


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(_PAIRS), data=st.data())
def test_words_between_any_recognised_pair_are_quoted_and_the_quotation_ends_at_its_closing_mark(
    pair: tuple[str, str], data: st.DataObject
) -> None:
    words = data.draw(st.lists(st.sampled_from(["we", "will", "respond", "Iran\u2019s", "don\u2019t", "caf\u00e9"]),
                               min_size=1, max_size=6))
    inner = data.draw(st.sampled_from(["", ' "fake news"', " \u2018fake news\u2019", " \u201cfake news\u201d"]))
    if pair[0] in "\u201c\u201d\"" or pair[1] in "\u201c\u201d\"":  # nest the other weight
        inner = inner.replace('"', "\u2018", 1).replace('"', "\u2019") if inner.startswith(' "') else inner
    content = " ".join(words) + inner
    text = f"He said {pair[0]}{content}{pair[1]}, and then he left the room."
    at = text.index(content)
    span = locate(text, content)
    assert span is not None and span.match is MatchKind.EXACT
    assert (span.start, span.end) == (at, at + len(content))
    assert is_quoted(text, span)
    after = locate(text, "then he left the room")
    assert after is not None and not is_quoted(text, after), (text, quoted_regions(text))
    if inner:
        nested = locate(text, "fake news")
        assert nested is not None and is_quoted(text, nested)


_LETTERS = st.sampled_from([*"ae oA.", "\u0301", "\u0308", "\u0323", "\u200b", "\u00ad", "\u2060", "\u00e9", "\u00c5",
                                              "\u212b", "\u1e0d", "\u0915", "\u093f", "\u0e01", "\u0e31"])


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=_LETTERS, max_size=16))
def test_the_normal_form_is_nfc_without_format_characters_and_maps_every_character_back_in_order(text: str) -> None:
    norm = normalized(text)
    expected = unicodedata.normalize("NFC", "".join(ch for ch in text if unicodedata.category(ch) != "Cf"))
    assert norm.text == re.sub(r"\s+", " ", expected)
    units = [norm.unit(p) for p in range(len(norm.text))]
    assert all(0 <= s < e <= len(text) for s, e in units)
    assert units == sorted(units)
