"""locate() and the quotation checks: pure string work, tested with examples (properties: test_grounding_properties)."""

from __future__ import annotations

import random

import pytest

from summarize import MatchKind, locate, normalize
from summarize.text.grounding import _EDGE, Span, closest_passage, is_quoted, quoted_regions, whole_quotation
from summarize.views.speakers import quote_key, quotes_overlap

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
    fragment = text[text.index(" ", 40000) + 1 : text.index(" ", 40120)]  # whole words: a located span never cuts one
    span = locate(text, fragment.replace("\u201c", '"').replace("\u2014", "-"))
    assert span is not None and span.match is not MatchKind.FUZZY
    assert core(text[span.start : span.end]) == core(fragment)


def _found(text: str, fragment: str) -> str | None:
    """The passage an exact or normalized match stands on, or None."""
    span = locate(text, fragment)
    return text[span.start : span.end] if span is not None and span.match is not MatchKind.FUZZY else None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("the strike was illegal", "legal"), ("11 million people were displaced", "1 million people were displaced"),
     ("Iran will respond", "ran will respond"), ("Iran will respond", "Iran will resp"),
     ("the strike was il\u00adlegal", "legal"),  # a soft hyphen does not make two words
     ("caf\u00e9 society", "caf"), ("cafe\u0301 society", "cafe"),  # nor does a combining accent start one
     ("they don\u2019t know", "t know"), ("they don\u2019t know", "they don"),  # an apostrophe inside a word
     ("\u201cillegal,\u201d he said", "\u201clegal,\u201d"), ("it was 2,000 people", "000 people"),
     ("U.S. officials said", "S. officials"), ("half: 1/2 cups", "2 cups"), ("at 10:30 pm", "30 pm")],
)
def test_a_fragment_inside_a_word_or_a_number_is_not_found(text: str, fragment: str) -> None:
    assert _found(text, fragment) is None


def test_a_full_stop_ends_a_word_unless_it_follows_a_lone_letter() -> None:
    assert _found("the end.Next step", "Next step") == "Next step"  # a space lost between sentences
    assert _found("in the U.S. Iran", "U.S") == "U.S" and _found("at 10:30 pm", "at 10:30") == "at 10:30"


def test_a_later_occurrence_on_word_boundaries_is_found_when_the_first_is_inside_a_word() -> None:
    text = "The strike was illegal, officials said; the blockade was legal."
    span = locate(text, "legal")
    assert span is not None and span.match is MatchKind.EXACT and span.start == text.rindex("legal")
    span = locate(text, "\u201clegal.\u201d")
    assert span is not None and span.match is MatchKind.NORMALIZED and span.start == text.rindex("legal")
    assert text[span.start : span.end] == "legal"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("it fell to -14 degrees", "14 degrees"), ("it fell to 14 degrees", "-14 degrees"),
     ("it fell to \u221214 degrees", "14 degrees"), ("from 14 degrees \u2014 14 degrees", "-14 degrees"),
     ("a rise of .5 percent", "5 percent"), ("a rise of 5 percent", ".5 percent"),
     ("a rise of 2.5 percent", "5 percent"), ("it cost $10 million", "10 million"),
     ("it cost \u20ac10 million", "10 million"), ("prices rose 5% today", "rose 5"),
     ("the fund grew to 10.5 billion", "grew to 10."), ("a score of 3 - 14 today", "-14 today")],
)
def test_a_sign_currency_point_or_percent_belongs_to_its_number(text: str, fragment: str) -> None:
    assert _found(text, fragment) is None


@pytest.mark.parametrize(
    ("text", "fragment", "passage"),
    [("it fell to -14 degrees", "-14 degrees", "-14 degrees"),
     ("it fell to \u221214 degrees", "-14 degrees", "\u221214 degrees"),
     ("a rise of .5 percent", ".5 percent.", ".5 percent"), ("it cost $10 million", "$10 million", "$10 million"),
     ("prices rose 5% today", "\u201crose 5%\u201d", "rose 5%"), ("pages 10\u201312 of it", "10-12", "10\u201312")],
)
def test_a_number_keeps_its_sign_point_and_percent_when_edge_punctuation_is_set_aside(text: str, fragment: str,
                                                                                     passage: str) -> None:
    assert _found(text, fragment) == passage


@pytest.mark.parametrize(
    ("text", "fragment", "passage"),
    [("the caf\u00e9 was closed", "cafe\u0301 was", "caf\u00e9 was"),  # precomposed in the text, combining in the quote
     ("the cafe\u0301 was closed", "caf\u00e9 was", "cafe\u0301 was"),
     ("international law", "inter\u00adnational law", "international law"),
     ("inter\u00adnational law", "international law", "inter\u00adnational law"),
     ("the\u200b strike", "the strike", "the\u200b strike"), ("the stri\u200dke ended", "strike", "stri\u200dke"),
     ("Iran will respond", "\ufeffIran will", "Iran will"), ("a non\u200cjoiner and\u2060joiner", "nonjoiner andjoiner",
                                                               "non\u200cjoiner and\u2060joiner"),
     ("Iran \u2014 and only Iran", "Iran -- and only", "Iran \u2014 and only"),
     ("Iran\u2014and only Iran", "Iran - and only", "Iran\u2014and only"),
     ("Iran -- and only Iran", "Iran \u2014 and only", "Iran -- and only"),
     ("They waited\u2026 then left", "waited... then", "waited\u2026 then")],
)
def test_equal_text_spelled_with_other_code_points_is_found_with_exact_offsets(text: str, fragment: str,
                                                                               passage: str) -> None:
    span = locate(text, fragment)
    assert span is not None and span.match is MatchKind.NORMALIZED
    assert text[span.start : span.end] == passage


def test_normalize_folds_equivalent_spellings_and_keeps_a_minus_sign_apart_from_a_dash() -> None:
    assert normalize("e\u0301") == "\u00e9" and normalize("a\u00ad\u200b\u200c\u200d\u2060\ufeffb") == "ab"
    assert normalize("Za\u00ad\u0308hne") == normalize("Za\u0308\u200bhne") == "Z\u00e4hne"  # composed across a Cf
    assert normalize("a -- b") == normalize("a \u2014 b") == normalize("a - b") == normalize("a\u2013b") == "a-b"
    assert normalize("at -14") == normalize("at \u221214") == "at \u221214" != normalize("at - 14")
    assert normalize("\u00ab\u2039\u300c\u300e\u201e\u201a") == "\"'\"\"\"'"


def test_scripts_without_spaces_are_searched_character_by_character() -> None:
    text = "\u4ed6\u8bf4\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94\u3002"
    assert _found(text, "\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94") == "\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94"


def test_a_fuzzy_span_is_widened_to_whole_words() -> None:
    text = "Officials said the strike was illegal under international law."
    span = locate(text, "the strike was legal under")
    assert span is not None and span.match is MatchKind.FUZZY
    assert text[span.start : span.end].startswith("the strike was illegal")
    assert text[span.start - 1] == " " and text[span.end] in " ."


@pytest.mark.parametrize(
    ("text", "quotation"),
    [("\u201cHe called it \"fake news\" today,\u201d she said. Then she left.", 'He called it "fake news" today,'),
     ("\u201eWir werden antworten\u201c, sagte er. Dann ging er.", "Wir werden antworten"),
     ("\u201eNie odpowiemy\u201d, powiedzia\u0142. Potem wyszed\u0142.", "Nie odpowiemy"),
     ("\u00ab\u00a0Nous allons r\u00e9pondre\u00a0\u00bb, a-t-il dit. Puis il est parti.",
      "\u00a0Nous allons r\u00e9pondre\u00a0"),
     ("\u00ab Nous allons r\u00e9pondre \u00bb, a-t-il dit. Puis il est parti.", " Nous allons r\u00e9pondre "),
     ("\u00abNous allons r\u00e9pondre\u00bb, a-t-il dit. Puis il est parti.", "Nous allons r\u00e9pondre"),
     ("\u00bbWir werden antworten\u00ab, sagte er. Dann ging er.", "Wir werden antworten"),
     ("\u2039Wir werden antworten\u203a, sagte er. Dann ging er.", "Wir werden antworten"),
     ("\u201aWir werden antworten\u2018, sagte er. Dann ging er.", "Wir werden antworten"),
     ("\u201dVi kommer att svara\u201d, sade han. Sedan gick han.", "Vi kommer att svara"),
     ("\u4ed6\u8bf4\uff1a\u300c\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94\u300d\u3002\u7136\u540e\u4ed6\u8d70\u4e86",
      "\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94"),
     ("\u4ed6\u8bf4\uff1a\u300e\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94\u300f\u3002\u7136\u540e\u4ed6\u8d70\u4e86",
      "\u6211\u4eec\u4e0d\u4f1a\u56de\u5e94")],
)
def test_a_quotation_in_any_recognised_marks_is_quoted_and_ends_at_its_closing_mark(text: str, quotation: str) -> None:
    assert next(text[s:e] for s, e in quoted_regions(text)) == quotation
    inside = locate(text, quotation.strip())
    assert inside is not None and is_quoted(text, inside)
    after = text.index(quotation) + len(quotation) + 4
    assert not is_quoted(text, Span(start=after, end=after + 2, match=MatchKind.EXACT))


def test_straight_quotes_nested_in_curly_ones_are_quoted_in_both() -> None:
    text = "\u201cHe called it \"fake news\" today,\u201d she said."
    for words in ("fake news", "He called it \"fake news\" today", "He called it", "today"):
        span = locate(text, words)
        assert span is not None and is_quoted(text, span), words
    assert not is_quoted(text, locate(text, "she said"))  # type: ignore[arg-type]


def test_whole_quotation_finds_a_later_quotation_spelled_otherwise_and_never_inside_a_word() -> None:
    text = ("They said \u201cthe strike was illegal.\u201d Later: \u00ab\u00a0illegal\u00a0\u00bb, "
            "and \u201clegal\u201d again.")
    first = locate(text, "illegal")
    assert first is not None and first.start < text.index("Later")
    better = whole_quotation(text, first)
    assert better is not None and text[better.start : better.end] == "illegal" and better.start > text.index("Later")
    legal = Span(start=text.index("illegal.") + 2, end=text.index("illegal.") + 7, match=MatchKind.EXACT)
    other = whole_quotation(text, legal)
    assert other is not None and other.start == text.rindex("legal")
    assert closest_passage(text, "\u00ab illegal \u00bb") == "illegal"


@pytest.mark.parametrize(("short", "long"), [("14 degrees", "-14 degrees"), ("5 percent rise", "a 2.5 percent rise"),
                                             ("10 million", "$10 million"), ("legal", "it was illegal"),
                                             ("don", "we don\u2019t know")])
def test_who_said_what_never_merges_a_quote_found_only_inside_a_word_or_number(short: str, long: str) -> None:
    assert quotes_overlap(quote_key(short), quote_key(long)) is None
    assert quotes_overlap(quote_key("we know"), quote_key("\u201cwe know,\u201d she said")) == ("contained", 100.0)


def test_checking_many_quotes_builds_the_articles_normal_form_once() -> None:
    from summarize.text._normal import _normalized_cached

    words = [f"w{i}" for i in range(400)]
    text = " ".join(f"\u201c{w} said\u201d" if i % 7 == 0 else w for i, w in enumerate(words))
    text += " \u201c" + " ".join(words) + " zz said\u201d"  # a long quotation: a long gap before zz said
    _normalized_cached.cache_clear()
    for w in words[::7]:
        span = locate(text, f'"{w} said"')  # normalized: the article's normal form is searched
        assert span is not None and span.match is MatchKind.NORMALIZED and is_quoted(text, span)
        whole_quotation(text, span)  # normalizes the short gaps beside each quotation
    inside = locate(text, "zz said")
    assert inside is not None and is_quoted(text, inside) and whole_quotation(text, inside) is None
    assert _normalized_cached.cache_info().misses == 1


def test_apostrophes_are_not_quotation_marks() -> None:
    text = "Back in the \u201990s, the students\u2019 union said it\u2019s over. Later \u2018Iran plot\u2019 ran."
    assert [text[s:e] for s, e in quoted_regions(text)] == ["Iran plot"]
    assert not is_quoted(text, locate(text, "the students"))  # type: ignore[arg-type]
