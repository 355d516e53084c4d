"""Input a user has: publication dates in the forms feeds write, boilerplate that is (and is not) boilerplate,
and folder runs over a working folder (HTML pages, fixtures, earlier outputs, globs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarize import ArticleWarning, PartialDate, Summarizer, article_from_text, write_report
from summarize.core.articles import count_articles, iter_articles
from summarize.core.schema import ArticleSummary, Event, GroundingContext
from summarize.testing.loopback import LoopbackServer, minimal_answer
from summarize.text.dates import parse_date

from .conftest import FAKE_KEY, FIXTURES, ROOT

BODY = "Minister acts\nThe minister said \u201cwe will act now\u201d on Monday.\nOfficials confirmed the plan."


def _run(folder: Path, out: Path, server: LoopbackServer, **options: Any) -> dict[str, dict[str, Any]]:
    """A folder run against the loopback server; the ledger's last entry per article."""
    s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=out.parent / "fx")
    s.summarize_folder(folder, out, **options)
    lines = [json.loads(line) for line in (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    return {e["article"]: e for e in lines}


def _doc(out: Path, article_id: str) -> dict[str, Any]:
    return json.loads((out / f"{article_id}.json").read_text(encoding="utf-8"))


def _prompt(server: LoopbackServer, needle: str) -> str:
    """The user message of the request whose article contains ``needle``."""
    users = [m["content"] for seen in server.seen for m in seen.body["messages"] if m["role"] == "user"]
    return next(u for u in users if needle in u)


# -- publication dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "iso"), [
    ("2020", "2020"), ("2020-01", "2020-01"), ("2020-01-05", "2020-01-05"), (2020, "2020"),
    ("2020-01-05T23:30:00-05:00", "2020-01-05"), ("2020-01-05T10:00:00Z", "2020-01-05"),
    ("2020-01-05 10:00:00.123+01:00", "2020-01-05"),
    ("Sun, 05 Jan 2020 10:00:00 GMT", "2020-01-05"), ("Sun, 5 Jan 2020 10:00:00 +0100", "2020-01-05"),
    ("January 5, 2020", "2020-01-05"), ("Jan. 5, 2020", "2020-01-05"), ("Sept 30, 2020", "2020-09-30"),
    ("5 January 2020", "2020-01-05"), ("5th Jan 2020", "2020-01-05"), ("Sunday, January 5, 2020", "2020-01-05"),
    ("January 2020", "2020-01"), (dt.date(2020, 1, 5), "2020-01-05"), (dt.datetime(2020, 1, 5, 9), "2020-01-05"),
])
def test_the_common_date_forms_are_read_at_their_own_precision(value: object, iso: str) -> None:
    assert parse_date(value).isoformat() == iso


@pytest.mark.parametrize("value", ["2020-02-30", "2020-13", "05/01/2020", "Smarch 5, 2020", "February 30, 2020",
                                   "next Tuesday", "", "2020-02-30T10:00:00Z", True, 20.5, 0, 1704448800])
def test_what_is_not_a_date_is_refused_not_guessed(value: object) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


def test_a_year_only_date_covers_its_whole_year_and_invents_no_day() -> None:
    year = PartialDate(2020)
    assert (year.precision, year.as_date(), year.earliest(), year.latest()) == ("year", None, dt.date(2020, 1, 1),
                                                                              dt.date(2020, 12, 31))
    assert PartialDate(2024, 2).latest() == dt.date(2024, 2, 29)
    assert PartialDate(2020, 12).latest() == dt.date(2020, 12, 31)


def _event(date: str, precision: str) -> dict[str, Any]:
    return {"description": "It happened.", "event_type": "other", "actors": [], "targets": [], "where": None,
            "when": {"text": None, "date": date, "precision": precision}, "status": "reported",
            "evidence": "Officials confirmed the plan."}


def test_past_events_are_checked_against_the_last_day_a_partial_publication_date_can_mean() -> None:
    text = article_from_text(BODY).text
    year = {"article": GroundingContext(text=text, published=PartialDate(2020))}
    Event.model_validate(_event("2020-06", "month"), context=year)  # any day of 2020 may be after June
    with pytest.raises(ValueError, match="after the article's publication date 2020"):
        Event.model_validate(_event("2021-01-01", "day"), context=year)
    day = {"article": GroundingContext(text=text, published=dt.date(2020, 1, 5))}  # a date still means that day
    with pytest.raises(ValueError, match="after the article's publication date 2020-01-05"):
        Event.model_validate(_event("2020-01-06", "day"), context=day)


def test_the_summary_keeps_the_model_s_day_only_inside_a_partial_publication_date() -> None:
    text = article_from_text(BODY).text
    answer = {"title": "t", "summary": "s", "key_points": [], "events": [], "quotes": [], "entities": []}

    def published(article_date: object, model_date: str | None) -> dt.date | None:
        context = {"article": GroundingContext(text=text, published=article_date)}  # type: ignore[arg-type]
        return ArticleSummary.model_validate({**answer, "published": model_date}, context=context).published

    assert published(PartialDate(2020), "2020-01-05") == dt.date(2020, 1, 5)  # read from the text: possible
    assert published(PartialDate(2020), "2021-03-03") is None  # contradicts the article's own date
    assert published(PartialDate(2020, 1), None) is None  # never a day made up from "2020-01"
    assert published(PartialDate(2020, 1, 5), "2021-03-03") == dt.date(2020, 1, 5)  # a known day wins


def test_rss_and_year_only_dates_are_summarized_and_an_unreadable_one_is_noted(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    records = [("rss", "Sun, 05 Jan 2020 10:00:00 GMT"), ("year", "2020"), ("words", "January 5, 2020"),
               ("bad", "the day after the storm")]
    with (folder / "feed.jsonl").open("w", encoding="utf-8") as f:
        for article_id, published in records:
            f.write(json.dumps({"id": article_id, "published": published,
                                "text": BODY.replace("Minister acts", f"Minister acts ({article_id})")}) + "\n")
    out = tmp_path / "out"
    with LoopbackServer(responder=minimal_answer) as server, pytest.warns(ArticleWarning, match="the day after"):
        ledger = _run(folder, out, server)
    assert {a: e["status"] for a, e in ledger.items()} == {a: "done" for a, _ in records}
    published = {a: _doc(out, a)["article"]["published"] for a, _ in records}
    assert published == {"rss": "2020-01-05", "year": "2020", "words": "2020-01-05", "bad": None}
    assert "Publication date: 2020-01-05\n" in _prompt(server, "(rss)")
    assert "Publication date: 2020 (only the year is known)\n" in _prompt(server, "(year)")
    assert "Publication date: unknown\n" in _prompt(server, "(bad)")
    bad = _doc(out, "bad")["article"]
    assert len(bad["notes"]) == 1
    assert "the day after the storm" in bad["notes"][0] and "without a publication date" in bad["notes"][0]
    assert ledger["bad"]["notes"] == bad["notes"] and "notes" not in ledger["rss"]
    assert _doc(out, "rss")["article"]["notes"] == []


def test_an_impossible_date_line_is_reported_not_taken_into_the_title() -> None:
    with pytest.warns(ArticleWarning, match="2020-02-30"):
        a = article_from_text("date 2020-02-30 Minister resigns\nThe minister said \u201cI am done\u201d on Monday.")
    assert (a.title, a.published) == ("Minister resigns", None)
    assert not a.text.startswith("date") and "2020-02-30" in a.notes[0] and "without a publication date" in a.notes[0]


def test_a_partial_date_line_keeps_its_precision() -> None:
    a = article_from_text("date 2020-03 Minister resigns\nThe minister resigned in March.")
    assert (a.published, a.title, a.notes) == (PartialDate(2020, 3), "Minister resigns", ())


# -- boilerplate ----------------------------------------------------------------------------------------

REAL_PARAGRAPHS = [
    "Related to the strike, officials said 40 people had died.",
    "Related developments in Iraq drew a sharp response from the ministry, which summoned the ambassador.",
    "Read more about the plot in the indictment, which prosecutors made public in Manhattan.",
    "Copyright lawsuits against AI companies have multiplied since 2023, with authors suing over training data.",
    "Jane Doe is a reporter for The Post who was detained in Minsk while covering the protests.",
    "Evan Gershkovich is a reporter for the Wall Street Journal, held in Russia since March 29, 2023.",
    "Jane Doe was a correspondent for Reuters in Tehran until the government expelled her.",
    "Source: officials said the strike killed 40 people",
    "Subscribers to the service reported outages across the region.",
    "Share prices fell 4% after the announcement.",
]


@pytest.mark.parametrize("paragraph", REAL_PARAGRAPHS)
def test_a_real_closing_paragraph_is_never_trimmed(paragraph: str) -> None:
    a = article_from_text(f"{BODY}\n\n{paragraph}")
    assert a.text.endswith(paragraph) and a.removed == ()


@pytest.mark.parametrize("line", [
    'Related: "We will respond," Iran says',
    "Read more: \u201cThey lied to us\u201d: survivors speak",
    "Jane Doe is a reporter for The Post. \u201cI was never afraid,\u201d she said.",
    "Source: \u201cReuters\u201d",
    "Sign up for \u201cThe Briefing\u201d newsletter",
])
def test_a_line_that_carries_a_quotation_is_never_trimmed(line: str) -> None:
    a = article_from_text(f"{BODY}\n\n{line}")
    assert a.text.endswith(line) and a.removed == ()


def test_a_real_boilerplate_tail_is_removed_and_listed_in_the_document(tmp_path: Path) -> None:
    tail = [("Related articles", "related"), ("Read more: Iran denies plot to kill Trump", "related"),
            ("Advertisement", "advertisement"), ("Tags: Iran, Trump, security", "tags"),
            ("Sign up for our newsletter", "newsletter"),
            ("Jane Doe is a senior national security correspondent for CNN.", "author bio"),
            (("Copyright 2020 The Associated Press. All rights reserved. This material may not be published, "
              "broadcast, rewritten or redistributed."), "copyright"), ("\u00a9 2020 Outlet", "copyright")]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(BODY + "\n\n" + "\n\n".join(line for line, _ in tail) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    with LoopbackServer(responder=minimal_answer) as server:
        assert _run(folder, out, server)["story"]["status"] == "done"
    article = _doc(out, "story")["article"]
    assert article["text"] == BODY
    assert article["removed"] == [{"text": line, "reason": reason} for line, reason in tail]


def test_the_seeds_lose_exactly_their_old_boilerplate(seed_paths: list[Path]) -> None:
    from summarize import load_article

    removed = {p.stem: [(r.reason, r.text[:24]) for r in load_article(p).removed] for p in seed_paths}
    assert removed == {
        "000_1be79f4858f8214c": [("newsletter", "From our morning news br"),
                                 ("author bio", "Rafi Schwartz has worked")],
        "001_7711f6691b26a254": [], "002_7ce57991391b9df3": [], "003_84b2f991367e7357": [("source", "Source: Msn")],
        "004_ae59d914d090ed4d": [("advertisement", "Advertisement"), ("tags", "Tags"),
                                 ("advertisement", "Advertisement")],
    }


# -- folder runs ----------------------------------------------------------------------------------------

PAGE = ("<!DOCTYPE html><html><head><title>Site</title></head><body><article><h1>{title}</h1><p>The minister said "
        "&ldquo;we will act&rdquo; on Monday.</p></article></body></html>")


def test_html_pages_are_articles_in_a_folder_run(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "web").mkdir(parents=True)
    (folder / "web" / "story.html").write_text(PAGE.format(title="Minister acts"), encoding="utf-8")
    (folder / "web" / "old.HTM").write_text(PAGE.format(title="Minister acted"), encoding="utf-8")
    (folder / "plain.txt").write_text(BODY, encoding="utf-8")
    out = tmp_path / "out"
    with LoopbackServer(responder=minimal_answer) as server:
        ledger = _run(folder, out, server)
    assert {a: e["status"] for a, e in ledger.items()} == {"plain": "done", "web/story": "done", "web/old": "done"}
    assert _doc(out, "web/old")["article"]["title"] == "Minister acted"
    # A report site beside the articles holds summaries as pages: never read back as articles.
    write_report(out, folder / "site")
    assert sorted(a.id for a in iter_articles([folder], exclude=[out])) == ["plain", "web/old", "web/story"]
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=tmp_path / "fx")
        report = s.summarize_folder(folder, tmp_path / "out2")
    assert (report.done, report.failed) == (3, 0)
    assert report.skipped_folders == [(folder / "site", "an HTML report written by summarize report")]


def test_run_dot_skips_the_fixtures_in_use_and_earlier_outputs_and_says_so(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "a.txt").write_text(BODY, encoding="utf-8")
    (work / "sub" / "b.txt").write_text(BODY.replace("Minister", "Mayor"), encoding="utf-8")
    shutil.copytree(FIXTURES, work / "fixtures")  # recorded exchanges: .json files that are not articles
    old = work / "old-out"
    (old / "nested").mkdir(parents=True)
    (old / "ledger.jsonl").write_text('{"article": "x", "status": "done"}\n', encoding="utf-8")
    (old / "x.json").write_text(json.dumps({"format": 1, "article": {"id": "x"}}), encoding="utf-8")
    (old / "nested" / "y.txt").write_text(BODY, encoding="utf-8")
    with LoopbackServer(responder=minimal_answer) as server:
        run = subprocess.run(
            [sys.executable, "-m", "summarize", "run", ".", "--out", "out", "--base-url", server.url,
             "--mode", "record"],
            check=False, cwd=work, env={**os.environ, "OPENAI_API_KEY": FAKE_KEY, "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    ledger = [json.loads(line) for line in (work / "out" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(e["article"] for e in ledger) == ["a", "sub/b"]
    assert len(server.seen) == 2
    assert ("skipped 2 folder(s) that hold no articles: fixtures (excluded: this run's output or fixtures); "
            "old-out (holds ledger.jsonl: an earlier run's output)") in run.stderr, run.stderr


def test_double_star_glob_matches_files_at_the_top_and_nested(tmp_path: Path) -> None:
    for rel in ("top.txt", "x/mid.txt", "x/y/deep.txt", "x/y/other.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(BODY, encoding="utf-8")

    def ids(glob: str) -> list[str]:
        return sorted(a.id for a in iter_articles([tmp_path], glob=glob))

    assert ids("**/*.txt") == ["top", "x/mid", "x/y/deep"]
    assert count_articles([tmp_path], glob="**/*.txt") == 3
    assert ids("*.txt") == ["top", "x/mid", "x/y/deep"]  # no "/": the file name matches
    assert ids("x/*.txt") == ["x/mid"]  # "*" stays within its folder
    assert ids("x/**/*.md") == ["x/y/other"]
    assert ids("**/y/*") == ["x/y/deep", "x/y/other"]
