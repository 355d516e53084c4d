"""Evaluation against gold: constructed predictions and gold whose right scores are known by hand."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarize.cli import main
from summarize.errors import ArticleError, ConfigurationError, GoldFormatError
from summarize.evaluation.brat import parse_brat
from summarize.evaluation.evaluate import date_matches, evaluate, load_gold, match_spans, scored_extent, span_overlap
from summarize.text.names import normalize_name

from .conftest import ROOT

AID = "art"
TEXT = (
    "Gen. Qassem Soleimani was killed in a U.S. strike on Friday, officials said.\n"
    "\u201cWe will respond with force,\u201d Iran's foreign minister Javad Zarif said on Saturday.\n"
    "President Donald Trump said that the strike had saved many lives.\n"
    "\"It was the right decision,\" Trump told reporters. \"We have no regrets.\"\n"
    "A Pentagon spokesman said the base was on high alert.\n"
    "Iraqi lawmakers voted to expel U.S. troops, a spokesman for parliament said.\n"
)
ENTITIES = [
    {"name": "Qassem Soleimani", "aliases": ["Soleimani", "Gen. Qassem Soleimani"]},
    {"name": "Javad Zarif", "aliases": ["Zarif"]},
    {"name": "Donald Trump", "aliases": ["Trump"]},
    {"name": "United States", "aliases": ["U.S."]},
    {"name": "Iraqi parliament", "aliases": ["Iraqi lawmakers"]},
]
# (fragment, speaker, kind): six quotes, three direct and three indirect.
QUOTES = [
    ("We will respond with force,", "Javad Zarif", "direct"),
    ("the strike had saved many lives", "Donald Trump", "indirect"),
    ("It was the right decision,", "Donald Trump", "direct"),
    ("We have no regrets.", "Donald Trump", "direct"),
    ("the base was on high alert", "a Pentagon spokesman", "indirect"),
    ("Iraqi lawmakers voted to expel U.S. troops", "a spokesman for parliament", "indirect"),
]
# (date, precision, actors, evidence)
EVENTS = [
    ("2020-01-03", "day", ["United States"], "Gen. Qassem Soleimani was killed in a U.S. strike on Friday"),
    ("2020-01", "month", ["Iraqi parliament"], "Iraqi lawmakers voted to expel U.S. troops"),
    (None, None, ["Javad Zarif"], "We will respond with force"),
]


def span_of(fragment: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(fragment)
    return start, start + len(fragment)


def quote(fragment: str, speaker: str, kind: str, *, span: tuple[int, int] | None = None,
          match: str = "exact") -> dict[str, Any]:
    start, end = span or span_of(fragment)
    return {"text": fragment, "speaker": speaker, "speaker_role": None, "kind": kind, "cue": "said",
            "span": {"start": start, "end": end, "match": match}}


def event(date: str | None, precision: str | None, actors: list[str], evidence: str) -> dict[str, Any]:
    start, end = span_of(evidence)
    return {"description": evidence, "event_type": "other", "actors": actors, "targets": [],
            "when": {"text": None, "date": date, "precision": precision} if date else None, "where": None,
            "status": "reported", "evidence": evidence, "evidence_span": {"start": start, "end": end, "match": "exact"}}


def write_pred(out: Path, quotes: list[dict[str, Any]] | None = None, events: list[dict[str, Any]] | None = None, *,
               entities: list[dict[str, Any]] | None = None, text: str = TEXT, article_id: str = AID) -> Path:
    """An output document in the format `summarize run` writes (format 1)."""
    doc = {
        "format": 1,
        "article": {"id": article_id, "title": None, "published": "2020-01-04", "source_path": None,
                    "encoding": "utf-8", "content_hash": "sha256:x", "text": text},
        "summary": {"title": "t", "published": "2020-01-04", "summary": "s", "key_points": [],
                    "events": [event(*e) for e in EVENTS] if events is None else events,
                    "quotes": [quote(*q) for q in QUOTES] if quotes is None else quotes,
                    "entities": [{"type": "other", **e} for e in (ENTITIES if entities is None else entities)]},
        "run": {"model": "m", "prompt": "p", "attempts": 1, "replayed": 1, "retries": 0, "prompt_tokens": 0,
                "completion_tokens": 0, "seconds": 0.0},
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{article_id}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_gold(folder: Path, *, quotes: list[dict[str, Any]] | None = None, text: str = TEXT,
               article_id: str = AID, **extra: Any) -> Path:
    gold = {
        "format": "summarize-gold/1", "article": article_id, "annotator": "test", "note": "constructed",
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "entities": ENTITIES,
        "quotes": [{"text": f, "start": span_of(f, text)[0], "end": span_of(f, text)[1], "kind": k, "speaker": s,
                    "cue": "said"} for f, s, k in QUOTES] if quotes is None else quotes,
        "events": [{"description": ev, "date": d, "precision": p, "actors": a, "evidence": ev,
                    "start": span_of(ev, text)[0], "end": span_of(ev, text)[1]} for d, p, a, ev in EVENTS],
        **extra,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{article_id}.json"
    path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return path


def rates(scores: Any) -> list[float | None]:
    d = scores.to_dict()
    out = [v for row in d["quotes"].values() for m in row.values() for v in (m["precision"], m["recall"], m["f1"])]
    out += [d["speaker_accuracy"]["rate"], d["kind_agreement"]["rate"], d["events"]["recall"]["rate"],
            d["events"]["date_recall"]["rate"], d["events"]["precision"]["rate"], d["grounding"]["all"]["rate"]]
    return out


# -- the scores ---------------------------------------------------------------------------------------

def test_perfect_predictions_score_one_everywhere(tmp_path: Path) -> None:
    write_pred(tmp_path / "out")
    write_gold(tmp_path / "gold")
    report = evaluate(tmp_path / "out", tmp_path / "gold")
    assert rates(report.totals) == [1.0] * 24
    t = report.totals
    assert t.quotes["all"]["exact"].tp == 6 and t.quotes["direct"]["overlap"].tp == 3 and t.speaker.total == 6
    assert t.events.total == 3 and t.event_dates.total == 2 and t.grounding.total == 9
    assert not report.missing_predictions and not report.unmappable and not report.articles[0].remapped


def test_dropping_a_third_of_the_quotes_gives_recall_two_thirds_and_precision_one(tmp_path: Path) -> None:
    kept = [quote(*q) for i, q in enumerate(QUOTES) if i not in (0, 4)]  # one direct, one indirect
    write_pred(tmp_path / "out", kept)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    for mode in ("exact", "overlap"):
        c = t.quotes["all"][mode]
        assert (c.tp, c.fp, c.fn) == (4, 0, 2)
        assert c.precision == 1.0 and c.recall == pytest.approx(2 / 3) and c.f1 == pytest.approx(0.8)
    assert t.quotes["direct"]["exact"].recall == pytest.approx(2 / 3)
    assert t.quotes["indirect"]["exact"].recall == pytest.approx(2 / 3)


def test_shifted_spans_fail_exact_but_pass_overlap_up_to_the_threshold(tmp_path: Path) -> None:
    shifted = []
    for f, s, k in QUOTES:
        start, end = span_of(f)
        shifted.append(quote(TEXT[start + 2:end + 2], s, k, span=(start + 2, end + 2)))
    write_pred(tmp_path / "out", shifted)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert t.quotes["all"]["exact"].tp == 0 and t.quotes["all"]["exact"].fp == 6
    assert t.quotes["all"]["overlap"].f1 == 1.0
    assert t.grounding.rate == 1.0  # the shifted spans still slice to their own text
    # The best shifted extent shares 40 of 42 characters with its gold (the ", " it took is an edge).
    strict = evaluate(tmp_path / "out", tmp_path / "gold", overlap=0.96).totals
    assert strict.quotes["all"]["overlap"].tp == 0


def test_overlap_is_intersection_over_union_and_matching_is_one_to_one() -> None:
    assert span_overlap((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert span_overlap((0, 10), (10, 20)) == 0.0
    # Two predictions overlap one gold span: the better one is taken, the other is a false positive.
    assert match_spans([(0, 10)], [(1, 10), (0, 10)], 0.5) == [(0, 1)]
    assert match_spans([(0, 10), (0, 10)], [(0, 10)], None) == [(0, 0)]
    # Greedy by best overlap: gold 1 fits prediction 0 better, so gold 0 goes unmatched.
    assert match_spans([(0, 10), (2, 12)], [(2, 12)], 0.5) == [(1, 0)]


def test_a_wrong_kind_matches_in_all_but_not_in_the_split_rows(tmp_path: Path) -> None:
    preds = [quote(f, s, "direct" if i == 1 else k) for i, (f, s, k) in enumerate(QUOTES)]
    write_pred(tmp_path / "out", preds)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert t.quotes["all"]["exact"].f1 == 1.0
    d, i = t.quotes["direct"]["exact"], t.quotes["indirect"]["exact"]
    assert (d.tp, d.fp, d.fn) == (3, 1, 0) and (i.tp, i.fp, i.fn) == (2, 0, 1)
    assert (t.kind.hits, t.kind.total) == (5, 6)


def test_a_wrong_speaker_lowers_speaker_accuracy(tmp_path: Path) -> None:
    preds = [quote(f, "Qassem Soleimani" if i == 0 else s, k) for i, (f, s, k) in enumerate(QUOTES)]
    write_pred(tmp_path / "out", preds)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert (t.speaker.hits, t.speaker.total) == (5, 6)
    assert t.quotes["all"]["exact"].f1 == 1.0  # the spans are still right


def test_a_speaker_named_by_an_alias_or_a_title_counts(tmp_path: Path) -> None:
    speakers = ["Zarif",                     # a gold alias
                "the president",             # neither an alias nor the name: wrong
                "President Trump",           # title stripped, then a gold alias
                "DJT",                       # an alias only the predicted entities list
                "A Pentagon spokesman.",     # case and punctuation
                "a spokesman for parliament"]
    preds = [quote(f, sp, k) for (f, _, k), sp in zip(QUOTES, speakers, strict=True)]
    pred_entities = [*ENTITIES[:2], {"name": "Donald J. Trump", "aliases": ["DJT", "Trump"]}]
    write_pred(tmp_path / "out", preds, entities=pred_entities)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert (t.speaker.hits, t.speaker.total) == (5, 6)


def test_names_are_normalised_before_comparison() -> None:
    assert normalize_name("Gen. Qassem Soleimani") == "qassem soleimani"
    assert normalize_name("U.S. Secretary of State Mike Pompeo") == "mike pompeo"
    assert normalize_name("the U.S.") == "us"
    assert normalize_name("President") == "president"  # a title alone stays
    assert normalize_name("Zarif\u2019s") == "zarif"
    assert normalize_name("Qasem Solejmání") == "qasem solejmani"


def test_event_dates_match_at_the_gold_precision() -> None:
    assert date_matches("2020-01", "2020-01-03")
    assert date_matches("2020", "2020-01")
    assert not date_matches("2020-01-03", "2020")
    assert not date_matches("2020-01-03", "2020-01-04")
    assert not date_matches("2020-01", None)
    assert date_matches(None, "2019") and date_matches(None, None)


def test_event_recall_needs_the_date_and_an_actor(tmp_path: Path) -> None:
    preds = [
        event("2020", "year", ["U.S."], EVENTS[0][3]),                    # too vague for a day: missed
        event("2020-01-05", "day", ["Iraqi lawmakers"], EVENTS[1][3]),    # month known: recalled (alias)
        event("2020-01-04", "day", ["Iran"], EVENTS[2][3]),               # undated gold, wrong actor: missed
    ]
    write_pred(tmp_path / "out", events=preds)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert (t.events.hits, t.events.total) == (1, 3)
    assert (t.event_dates.hits, t.event_dates.total) == (1, 2)
    assert (t.event_precision.hits, t.event_precision.total) == (1, 3)


def test_grounding_counts_spans_that_slice_to_their_text(tmp_path: Path) -> None:
    preds = [quote(*q) for q in QUOTES]
    start, end = span_of("We have no regrets.")
    preds[3] = quote("We have no regrets.", "Donald Trump", "direct", span=(start + 1, end + 1))  # off by one
    # Typography differs: the document says "normalized", and so it is grounded.
    preds[0] = quote('"We will respond with force,', "Javad Zarif", "direct", span=span_of("We will respond with force"),
                     match="normalized")
    write_pred(tmp_path / "out", preds)
    write_gold(tmp_path / "gold")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    assert (t.grounded_quotes.hits, t.grounded_quotes.total) == (5, 6)
    assert t.grounded_evidence.rate == 1.0


# -- alignment ----------------------------------------------------------------------------------------

def test_gold_on_a_different_text_is_mapped_and_an_unmappable_span_is_reported(tmp_path: Path) -> None:
    gold_text = "date 2020-01-04 Soleimani killed\n" + TEXT  # the library dropped this line
    quotes = [{"text": f, "start": span_of(f, gold_text)[0], "end": span_of(f, gold_text)[1], "kind": k, "speaker": s}
              for f, s, k in QUOTES]
    quotes.append({"text": "a sentence nobody wrote", "start": 5, "end": 28, "kind": "indirect", "speaker": "X"})
    write_gold(tmp_path / "gold", quotes=quotes, text=gold_text)
    write_pred(tmp_path / "out")
    report = evaluate(tmp_path / "out", tmp_path / "gold")
    assert report.articles[0].remapped
    assert report.totals.quotes["all"]["exact"].f1 == 1.0  # the six mappable quotes found their places
    assert [(u.index, u.text) for u in report.unmappable] == [(6, "a sentence nobody wrote")]
    assert report.to_dict()["unmappable"][0]["article"] == AID


def test_missing_predictions_count_as_missed_and_extra_ones_are_listed(tmp_path: Path) -> None:
    write_gold(tmp_path / "gold")
    write_gold(tmp_path / "gold", article_id="other")
    write_pred(tmp_path / "out")
    write_pred(tmp_path / "out", article_id="no-gold")
    (tmp_path / "out" / "ledger.jsonl").write_text("{}\n")
    report = evaluate(tmp_path / "out", tmp_path / "gold")
    assert report.missing_predictions == ["other"] and report.predictions_without_gold == ["no-gold"]
    t = report.totals
    assert (t.quotes["all"]["overlap"].tp, t.quotes["all"]["overlap"].fn) == (6, 6)
    assert t.quotes["direct"]["exact"].fn == 3 and (t.events.hits, t.events.total) == (3, 6)


def test_bad_inputs_raise_typed_errors(tmp_path: Path) -> None:
    write_gold(tmp_path / "gold")
    with pytest.raises(ConfigurationError):
        evaluate(tmp_path / "nowhere", tmp_path / "gold")
    with pytest.raises(ConfigurationError):
        evaluate(tmp_path / "gold", tmp_path / "gold", overlap=0)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / f"{AID}.json").write_text("{\"format\": 1}")
    with pytest.raises(ArticleError, match="not a summarize output document"):
        evaluate(tmp_path / "out", tmp_path / "gold")


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "gold/0"}, "summarize-gold/1"),
    ({"article": "someone-else"}, "file name says"),
    ({"events": [{"date": "2020-01", "precision": "day"}]}, "precision 'month'"),
    ({"events": [{"date": "Jan 2020"}]}, "not YYYY"),
    ({"quotes": [{"text": "x", "start": 3, "end": 1, "kind": "direct"}]}, "before start"),
    ({"quotes": [{"text": "x", "start": 0, "end": 1, "kind": "quoted"}]}, "quotes.0.kind"),
])
def test_malformed_gold_json_names_the_file_and_the_problem(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write_gold(tmp_path, **change)
    with pytest.raises(GoldFormatError, match=message) as info:
        load_gold(tmp_path)
    assert str(path) in str(info.value) and info.value.kind == "gold"


# -- brat ---------------------------------------------------------------------------------------------

BRAT_TEXT = (
    "\u201cWe will win,\u201d the minister said, \u201cand we will win soon.\u201d\n"
    "The ministry said, as expected, that the talks had failed.\n"
    "\u00abNever again\u00bb, wrote Zarif.\n"
)


def ann_line(ident: str, label: str, *parts: tuple[int, int], text: str = BRAT_TEXT) -> str:
    offsets = ";".join(f"{s} {e}" for s, e in parts)
    return f"{ident}\t{label} {offsets}\t{' '.join(text[s:e] for s, e in parts)}"


def brat_ann() -> str:
    t = BRAT_TEXT
    q1 = (0, t.index("\u201d") + 1)
    q2 = (t.index("\u201cand"), t.index("soon.\u201d") + 6)
    ind1 = (t.index("the talks"), t.index("failed") + 6)
    ind0 = (t.index("as expected"), t.index("as expected") + len("as expected"))
    return "\n".join([
        "# a note line",
        ann_line("T1", "Source", span_of("the minister", t)),
        ann_line("T2", "Cue", span_of("said", t)),
        ann_line("T3", "Content", q1, q2),  # a direct quote interrupted by "the minister said"
        ann_line("T4", "Attribution", span_of("said", t)),
        "E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1",
        ann_line("T5", "Source", span_of("The ministry", t)),
        ann_line("T6", "Content", ind0, ind1),  # discontinuous indirect content
        "E2\tAttribution:T2 Source:T5 Content:T6",
        ann_line("T7", "Content", (t.index("\u00ab"), t.index("\u00bb") + 1)),
        ann_line("T8", "Source", span_of("Zarif", t)),
        "E3\tQuote:T4 Content:T7 Source2:T8",
        "A1\tFactuality E1 high",
        "R1\tCoref Arg1:T1 Arg2:T5",
        "N1\tReference T8 Wikidata:Q1 Zarif",
        "",
    ])


def test_brat_discontinuous_and_curly_quoted_content(tmp_path: Path) -> None:
    quotes = parse_brat(BRAT_TEXT, brat_ann())
    got = [(q.text, q.kind, q.speaker, q.cue, len(q.parts)) for q in quotes]
    assert got == [
        ("We will win,", "direct", "the minister", "said", 0),           # one quotation per pair of marks
        ("and we will win soon.", "direct", "the minister", "said", 0),
        ("as expected, that the talks had failed", "indirect", "The ministry", None, 2),  # outer extent; no Cue role
        ("Never again", "direct", "Zarif", None, 0),                      # « » stripped, role Source2
    ]
    for q in quotes:
        assert BRAT_TEXT[q.start:q.end] == q.text


def test_brat_gold_scores_predictions_on_the_cleaned_text(tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    raw = "date 2020-01-04 Talks\n" + BRAT_TEXT  # the .txt keeps the date line the library drops
    lines = []
    for line in brat_ann().splitlines():
        if line.startswith("T"):
            ident, rest, _ = line.split("\t")
            label, offsets = rest.split(" ", 1)
            parts = [tuple(int(x) + 22 for x in p.split()) for p in offsets.split(";")]
            lines.append(ann_line(ident, label, *parts, text=raw))
        else:
            lines.append(line)
    (gold / "b.ann").write_text("\n".join(lines), encoding="utf-8")
    (gold / "b.txt").write_text(raw, encoding="utf-8")
    preds = [quote("We will win,", "Zarif", "direct", span=span_of("We will win,", BRAT_TEXT)),
             quote("and we will win soon", "the minister", "direct", span=span_of("and we will win soon", BRAT_TEXT)),
             quote("the talks had failed", "the ministry", "indirect", span=span_of("the talks had failed", BRAT_TEXT))]
    talks = {"actors": ["The ministry"], "when": None, "evidence": "the talks had failed",
             "evidence_span": {"start": BRAT_TEXT.index("the talks"), "end": BRAT_TEXT.index(" failed") + 7, "match": "exact"}}
    write_pred(tmp_path / "out", preds, events=[talks], entities=[], text=BRAT_TEXT, article_id="b")
    report = evaluate(tmp_path / "out", gold)
    a = report.articles[0]
    assert a.remapped and not a.unmappable and a.gold_quotes == 4
    t = report.totals
    # "and we will win soon" is the gold "and we will win soon." once the edge full stop is set aside.
    assert (t.quotes["all"]["exact"].tp, t.quotes["all"]["overlap"].tp) == (2, 3)
    assert (t.speaker.hits, t.speaker.total) == (2, 3)  # "the ministry" matches "The ministry"; Zarif is wrong
    assert t.event_precision.total == 0 and t.events.total == 0  # brat annotates no events: not scored
    assert t.grounded_evidence.rate == 1.0


@pytest.mark.parametrize(("line", "message"), [
    ("T9\tSource 5 zz\tx", "expected 'Label start end'"),
    ("T9\tSource 5 500\tx", "outside the text"),
    ("T9\tSource 0 3\tnot this", "does not match"),
    ("X1\tsomething", "cannot read"),
    ("E9\tAttribution:T4 Content:T99", "T99, which is not defined"),
    ("E9\tAttribution:T4 Content", "not Role:Id"),
    ("T1\tSource 0 1\t\u201c", "defined twice"),
])
def test_malformed_brat_lines_name_the_file_and_the_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "b.txt").write_text(BRAT_TEXT, encoding="utf-8")
    (tmp_path / "b.ann").write_text(brat_ann() + line + "\n", encoding="utf-8")
    bad_line = len(brat_ann().splitlines()) + 1
    with pytest.raises(GoldFormatError, match=message) as info:
        load_gold(tmp_path)
    assert info.value.line == bad_line and info.value.path == str(tmp_path / "b.ann")
    assert f"b.ann:{bad_line}:" in str(info.value)


def test_brat_without_its_text_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "b.ann").write_text(brat_ann(), encoding="utf-8")
    with pytest.raises(GoldFormatError, match=r"no b\.txt"):
        load_gold(tmp_path)


# -- brat files as real corpora write them -----------------------------------------------------------

# Attribution corpora (PolNeAr and the like) annotate content with the comma or full stop that stands
# inside the closing mark, often with the quotation marks themselves; CR LF line ends and non-ASCII
# text (offsets in code points: the flag is two of them) are common.
CORPUS_LINES = [
    "Z\u00fcrich \u2014 \u201cWe will respond,\u201d he said on Saturday \U0001f1fa\U0001f1f8.",
    "\u201cIt was the right decision. We have no regrets,\u201d Trump told reporters.",
    "The ministry said, as expected, that the talks had failed.",
    ("\u00abNie wieder\u00bb, schrieb Zarif. \u201eWir gewinnen\u201c, sagte sie. "
     "\u300c\u6211\u4eec\u4f1a\u56de\u5e94\u3002\u300d\u4ed6\u8bf4\u3002"),
    "The agency said: -14 degrees.",
]
# (gold content as the corpus marks it, a second part for a discontinuous span, what a perfect prediction says)
CORPUS_CONTENT = [
    ("We will respond,", None, "We will respond"),                         # comma inside, marks outside
    ("\u201cIt was the right decision. We have no regrets,\u201d", None,   # marks and comma included
     "It was the right decision. We have no regrets"),
    ("as expected,", "that the talks had failed.", "as expected, that the talks had failed"),  # discontinuous
    ("\u00abNie wieder\u00bb,", None, "Nie wieder"),
    ("\u201eWir gewinnen\u201c,", None, "Wir gewinnen"),
    ("\u300c\u6211\u4eec\u4f1a\u56de\u5e94\u3002\u300d", None, "\u6211\u4eec\u4f1a\u56de\u5e94"),
    ("-14 degrees.", None, "-14 degrees"),                                 # a sign is part of the number
]


def write_corpus_article(folder: Path, newline: str, offsets_newline: str) -> str:
    """``c.txt`` with ``newline`` line ends and ``c.ann`` whose offsets count ``offsets_newline`` per line
    end; returns the text as the library reads it (``\\n`` line ends), which predictions index."""
    indexed = offsets_newline.join(CORPUS_LINES) + offsets_newline
    lines = []
    for n, (content, more, _) in enumerate(CORPUS_CONTENT, start=1):
        parts = [span_of(content, indexed)]
        if more is not None:
            parts.append(span_of(more, indexed))
        lines.append(ann_line(f"T{n}", "Content", *parts, text=indexed))
    lines.append(ann_line("T99", "Source", span_of("Trump", indexed), text=indexed))
    lines.append("E1\tAttribution:T99 Content:T2 Source:T99")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "c.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "c.txt").write_bytes((newline.join(CORPUS_LINES) + newline).encode("utf-8"))
    return "\n".join(CORPUS_LINES) + "\n"


@pytest.mark.parametrize(("newline", "offsets_newline"), [("\n", "\n"), ("\r\n", "\n"), ("\r\n", "\r\n")],
                         ids=["lf", "crlf-counted-as-brat-reads-it", "crlf-counted-as-in-the-file"])
def test_perfect_predictions_of_corpus_brat_score_exact_one(tmp_path: Path, newline: str, offsets_newline: str) -> None:
    text = write_corpus_article(tmp_path / "gold", newline, offsets_newline)
    preds = [quote(words, "Trump", "direct" if content[0] in "\u201c\u00ab\u201e\u300c" else "indirect",
                   span=span_of(words, text)) for content, _, words in CORPUS_CONTENT]
    write_pred(tmp_path / "out", preds, events=[], entities=[], text=text, article_id="c")
    report = evaluate(tmp_path / "out", tmp_path / "gold")
    assert not report.unmappable and report.articles[0].gold_quotes == len(CORPUS_CONTENT)
    exact = report.totals.quotes["all"]["exact"]
    assert (exact.tp, exact.fp, exact.fn) == (len(CORPUS_CONTENT), 0, 0) and exact.f1 == 1.0


@pytest.mark.parametrize(("index", "words"), [
    (0, "will respond"),                              # a word missing
    (1, "It was the right decision. We have no"),      # a word missing at the end
    (2, "said, as expected, that the talks had failed"),  # an extra word
    (3, "Nie wieder\u00bb, schrieb"),                   # an extra word after the closing mark
    (6, "14 degrees"),                                 # the sign dropped: another number
])
def test_a_word_missing_or_added_is_still_not_exact(tmp_path: Path, index: int, words: str) -> None:
    text = write_corpus_article(tmp_path / "gold", "\n", "\n")
    said = [words if i == index else w for i, (_, _, w) in enumerate(CORPUS_CONTENT)]
    preds = [quote(w, "Trump", "indirect", span=span_of(w, text)) for w in said]
    write_pred(tmp_path / "out", preds, events=[], entities=[], text=text, article_id="c")
    t = evaluate(tmp_path / "out", tmp_path / "gold").totals
    exact, overlap = t.quotes["all"]["exact"], t.quotes["all"]["overlap"]
    assert (exact.tp, exact.fp, exact.fn) == (len(CORPUS_CONTENT) - 1, 1, 1)
    assert overlap.tp == len(CORPUS_CONTENT)  # still the same quote, by overlap


def test_scored_extent_sets_aside_only_edge_marks_space_and_punctuation() -> None:
    cases = {
        "\u201cWe will respond,\u201d": "We will respond", " \"fake news\". ": "fake news",
        "\u00ab Never again \u00bb,": "Never again", "\u201eWir gewinnen\u201c": "Wir gewinnen",
        "\u2039ok\u203a": "ok", "\u300e\u5f15\u7528\u300f": "\u5f15\u7528", "\u200b(laughs)\u00ad": "laughs",
        "-14 degrees.": "-14 degrees", "\u2013 14 degrees": "14 degrees", ".5 percent,": ".5 percent",
        "rose 5%.": "rose 5%", "#MeToo,": "#MeToo", "...": "",
    }
    for span, kept in cases.items():
        start, end = scored_extent(span, 0, len(span))
        assert span[start:end] == kept, span


# -- the command line ---------------------------------------------------------------------------------

def test_cli_prints_tables_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pred(tmp_path / "out", [quote(*q) for q in QUOTES[:4]])
    write_gold(tmp_path / "gold")
    assert main(["eval", "--pred", str(tmp_path / "out"), "--gold", str(tmp_path / "gold")]) == 0
    table = capsys.readouterr().out
    assert "quotes: indirect" in table and "speaker accuracy" in table and AID in table
    assert main(["eval", "--pred", str(tmp_path / "out"), "--gold", str(tmp_path / "gold"), "--json",
                 "--overlap", "0.8"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "summarize-eval/1" and report["overlap"] == 0.8
    assert report["totals"]["quotes"]["all"]["overlap"]["recall"] == pytest.approx(4 / 6)
    assert report["articles"][0]["article"] == AID


def test_cli_subprocess_reports_bad_gold_with_status_2(tmp_path: Path) -> None:
    write_pred(tmp_path / "out")
    write_gold(tmp_path / "gold", format="nope")
    proc = subprocess.run([sys.executable, "-m", "summarize", "eval", "--pred", str(tmp_path / "out"),
                           "--gold", str(tmp_path / "gold"), "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "summarize-gold/1" in proc.stderr and proc.stdout == ""
