"""locate() and the quotation checks: pure string work, tested with examples and properties."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from summarize import MatchKind, locate, normalize
from summarize.grounding import _EDGE, closest_passage, is_quoted, quoted_regions, whole_quotation

TEXT = "Iran\u2019s mission called the accusations \u201cunsubstantiated and malicious.\u201d\nIt said\u00a0\u00a0more \u2014 later\u2026 done."


def core(s: str) -> str:
    return normalize(s).strip(_EDGE)


def test_exact_match_returns_offsets_of_the_fragment() -> None:
    span = locate(TEXT, "unsubstantiated and malicious")
    assert span is not None and span.match is MatchKind.EXACT
    assert TEXT[span.start : span.end] == "unsubstantiated and malicious"


def test_typography_is_ignored_and_offsets_map_back_to_the_original() -> None:
    span = locate(TEXT, "Iran's mission called the accusations \"unsubstantiated")
    assert span is not None and span.match is MatchKind.NORMALIZED
    assert TEXT[span.start : span.end] == "Iran\u2019s mission called the accusations \u201cunsubstantiated"
    span = locate(TEXT, "It said more - later... done")
    assert span is not None and span.match is MatchKind.NORMALIZED
    assert TEXT[span.start : span.end] == "It said\u00a0\u00a0more \u2014 later\u2026 done"


def test_edge_punctuation_and_quote_marks_are_set_aside() -> None:
    span = locate(TEXT, "\u201cunsubstantiated and malicious.\u201d,")
    assert span is not None and span.match is not MatchKind.FUZZY
    assert core(TEXT[span.start : span.end]) == "unsubstantiated and malicious"


def test_a_changed_word_is_only_a_fuzzy_match_and_unrelated_text_none() -> None:
    span = locate(TEXT, "the accusations unsubstantiated and malicous")
    assert span is not None and span.match is MatchKind.FUZZY
    assert "accusations" in TEXT[span.start : span.end]
    assert locate(TEXT, "the weather in Lisbon was sunny and warm all week") is None
    assert locate(TEXT, "") is None and locate(TEXT, " .,") is None


def test_case_is_not_folded_by_normalization() -> None:
    span = locate(TEXT, "UNSUBSTANTIATED AND MALICIOUS")
    assert span is None or span.match is MatchKind.FUZZY


def test_an_ellipsis_matches_three_dots_and_maps_back_to_one_character() -> None:
    text = "They waited\u2026 then left."
    span = locate(text, "waited... then")
    assert span is not None and span.match is MatchKind.NORMALIZED
    assert text[span.start : span.end] == "waited\u2026 then"


def test_closest_passage_strips_quote_marks() -> None:
    assert closest_passage(TEXT, "\"unsubstantiated and maliciuos") == "unsubstantiated and malicious"


def test_quoted_regions_pair_mixed_marks_within_a_paragraph() -> None:
    text = "\u201cTo me, it\u2019s personal,\u201d he said. \u201cBecause I\u2019m here.\"\nNext \"line"
    regions = quoted_regions(text)
    assert [text[s:e] for s, e in regions] == ["To me, it\u2019s personal,", "Because I\u2019m here.", "line"]


def test_is_quoted_and_single_quotes_hugging_the_span() -> None:
    text = "Trump security boosted due to 'Iran plot' and \u201ccome under scrutiny\u201d here"
    assert is_quoted(text, locate(text, "Iran plot"))  # type: ignore[arg-type]
    assert is_quoted(text, locate(text, "come under scrutiny"))  # type: ignore[arg-type]
    assert not is_quoted(text, locate(text, "security boosted"))  # type: ignore[arg-type]


def test_whole_quotation_prefers_the_occurrence_quoted_on_its_own() -> None:
    text = "They said \u201ca rare, credible threat to us.\u201d Such \u201crare, credible\u201d words."
    first = locate(text, "rare, credible")
    assert first is not None and first.start < text.index("Such")
    better = whole_quotation(text, first)
    assert better is not None and better.start > text.index("Such") and text[better.start : better.end] == "rare, credible"


def test_a_long_article_is_searched_once_normalized() -> None:
    rng = random.Random(7)
    words = ["Iran", "said", "the", "\u201cplot\u201d", "officials", "\u2014", "U.S.", "threat", "on", "Saturday"]
    text = " ".join(rng.choice(words) for _ in range(9000))  # about 50 KB
    fragment = text[40000:40120]
    span = locate(text, fragment.replace("\u201c", '"').replace("\u2014", "-"))
    assert span is not None and span.match is not MatchKind.FUZZY
    assert core(text[span.start : span.end]) == core(fragment)


_TYPO = {"'": ["\u2019", "\u2018"], '"': ["\u201c", "\u201d"], "-": ["\u2013", "\u2014"], " ": ["\u00a0", "  ", "\n"]}
_alphabet = st.sampled_from(list("abcdefgh XYZ.,'\"-\u2019\u201c\u201d\u2014\u2026\u00a0\n"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_alphabet, min_size=1, max_size=200), data=st.data())
def test_property_substrings_with_typography_changed_are_found_normalized_equal(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    fragment = "".join(data.draw(st.sampled_from([ch, *_TYPO.get(ch, [])])) for ch in text[start:end])
    span = locate(text, fragment)
    if not core(fragment):
        assert span is None
        return
    assert span is not None and span.match is not MatchKind.FUZZY
    assert core(text[span.start : span.end]) == core(fragment)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_alphabet, max_size=120), fragment=st.text(alphabet=_alphabet, max_size=30))
def test_property_any_exact_or_normalized_result_slices_to_a_normalized_equal_string(text: str, fragment: str) -> None:
    span = locate(text, fragment)
    if span is None:
        return
    assert 0 <= span.start < span.end <= len(text)
    if span.match is MatchKind.EXACT:
        assert text[span.start : span.end] == fragment or core(text[span.start : span.end]) == core(fragment)
    elif span.match is MatchKind.NORMALIZED:
        assert core(text[span.start : span.end]) == core(fragment)
