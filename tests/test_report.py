"""The HTML report without a browser: highlighting, escaping, names, loading, pages and the command."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarize import ConfigurationError
from summarize.views.report import Row, load_rows, page_names, write_report
from summarize.views.report_article import Mark, highlight
from summarize.views.report_html import Links
from summarize.views.report_pages import (
    PAGE_SIZE,
    index_page,
    speakers_page,
    speakers_pages,
    timeline_page,
    timeline_pages,
)

from .browser import Node, parse
from .report_support import summarize_seeds, timeline_for, unmerged_timeline
from .test_cli_and_api import run_cli

HOSTILE = '<script>alert("x")</script></textarea><!-- & "quoted" \'single\' </script>'


def _not_badge(node: Node) -> bool:
    return "badge" in node.classes


def marks_by_ref(root: Node) -> dict[str, str]:
    """Each ref's text: the concatenation, in document order, of the ``<mark>`` segments that name it."""
    found: dict[str, str] = {}
    for mark in root.find_all("mark", attr="data-refs"):
        for ref in mark.attrs["data-refs"].split():
            found[ref] = found.get(ref, "") + mark.text()
    return found


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("seed-out")
    return out, summarize_seeds(out)


def hostile_document(article_id: str = 'evil/../"<b>"') -> dict[str, Any]:
    text = f"Headline {HOSTILE}\r\nThe spokesman said \u201c{HOSTILE}\u201d today.\nEnd."
    start = text.index("\u201c") + 1
    end = text.index("\u201d")
    return {
        "format": 1,
        "article": {"id": article_id, "title": f"Title {HOSTILE}", "published": "2024-07-01", "source_path": HOSTILE,
                    "encoding": "utf-8", "content_hash": "x", "text": text},
        "summary": {
            "title": HOSTILE, "published": "2024-07-01", "summary": HOSTILE, "key_points": [HOSTILE],
            "events": [{"description": HOSTILE, "event_type": "statement", "actors": [HOSTILE], "targets": [HOSTILE],
                        "when": {"text": HOSTILE, "date": "2024-07", "precision": "month"}, "where": HOSTILE,
                        "status": "reported", "evidence": text[:30],
                        "evidence_span": {"start": 0, "end": 30, "match": "exact"}}],
            "quotes": [{"text": text[start:end], "speaker": f"<img src=x onerror=alert(1)>{HOSTILE}",
                        "speaker_role": HOSTILE, "kind": "direct", "cue": HOSTILE,
                        "span": {"start": start, "end": end, "match": "exact"}}],
            "entities": [{"name": HOSTILE, "type": "person", "aliases": [HOSTILE]}],
        },
        "run": {"model": HOSTILE, "prompt": HOSTILE, "attempts": 1, "replayed": 1},
    }


def write_hostile_out(out: Path) -> dict[str, Any]:
    doc = hostile_document()
    out.mkdir(parents=True, exist_ok=True)
    (out / "evil.json").write_text(json.dumps(doc), encoding="utf-8")
    (out / "ledger.jsonl").write_text(json.dumps({"article": "failed<script>", "status": "failed", "error": "provider",
                                                  "message": HOSTILE}) + "\n", encoding="utf-8")
    return doc


# -- highlighting ---------------------------------------------------------------------------------------------

def test_overlapping_and_nested_spans_split_into_segments_carrying_every_covering_mark() -> None:
    text = "0123456789"
    marks = [Mark(0, 6, "q1", "q-direct", "one", "Q1"), Mark(3, 9, "e1", "ev", "two", "E1"),
             Mark(4, 5, "q2", "q-indirect", "three", "Q2")]
    root = parse(highlight(text, marks))
    assert root.text(skip=_not_badge) == text
    assert marks_by_ref(root) == {"q1": "012345", "e1": "345678", "q2": "4"}
    segments = [(m.text(), set(m.classes)) for m in root.find_all("mark")]
    assert segments == [("012", {"hl", "q-direct"}), ("3", {"hl", "q-direct", "ev"}),
                        ("4", {"hl", "q-direct", "ev", "q-indirect", "deep"}), ("5", {"hl", "q-direct", "ev"}),
                        ("678", {"hl", "ev"})]
    assert [b.attrs["id"] for b in root.find_all("a", cls="badge")] == ["s-q1", "s-e1", "s-q2"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&\"'\r\n\u201c\u00e9")), min_size=1, max_size=40), st.data())
def test_any_spans_over_any_text_round_trip_exactly(text: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 6))
    marks = []
    for i in range(n):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        marks.append(Mark(start, end, f"q{i + 1}", "q-direct", f"label {text}", f"Q{i + 1}"))
    root = parse(highlight(text, marks))
    assert root.text(skip=_not_badge) == text
    assert marks_by_ref(root) == {m.ref: text[m.start:m.end] for m in marks}


# -- names and loading ----------------------------------------------------------------------------------------

def test_page_names_are_safe_unique_and_stable() -> None:
    ids = ["000_abc", "world/iran", "World/Iran", "../etc/passwd", ".hidden", "CON", "a b?c", "000_ABC", "café"]
    names = page_names(ids)
    # Safe ids keep their names, readable non-ASCII ones too (the id → path rule of summarize.text.idpath).
    assert page_names(["000_abc", "x.y-z", "café"]) == {"000_abc": "000_abc.html", "x.y-z": "x.y-z.html",
                                                        "café": "café.html"}
    assert min(names["000_abc"], names["000_ABC"]) == "000_ABC.html"  # the first of a case clash keeps its name
    assert len({n.lower() for n in names.values()}) == len(ids)  # unique even on case-insensitive file systems
    for name in names.values():
        assert re.fullmatch(r'[^./\\<>:"|?*\x00-\x1f][^/\\<>:"|?*\x00-\x1f]*\.html', name), name
        assert name.split(".")[0].upper() != "CON"
    assert page_names(list(reversed(ids))) == names


def test_rows_join_documents_with_the_ledger(seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    _, docs = seed_out
    out = tmp_path / "out"
    (out / "nested").mkdir(parents=True)
    for doc in docs[:2]:
        (out / f"{doc['article']['id']}.json").write_text(json.dumps(doc), encoding="utf-8")
    (out / "nested" / "broken.json").write_text("{not json", encoding="utf-8")
    (out / "prices.json").write_text('{"gpt-4o-mini": [0.15, 0.6]}', encoding="utf-8")  # not a document: ignored
    (out / ".hidden.json.x.tmp").write_text("{", encoding="utf-8")
    first, second = docs[0]["article"]["id"], docs[1]["article"]["id"]
    lines = [{"article": first, "status": "done"}, {"article": second, "status": "done"},
             {"article": second, "status": "failed", "error": "replay_miss", "message": "no fixture " * 100},
             {"article": "lost", "status": "failed", "error": "article", "message": "lost.txt has no text."},
             {"article": "gone", "status": "done", "quotes": 3}]
    (out / "ledger.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"cut short', encoding="utf-8")
    rows = {r.id: r for r in load_rows(out)}
    assert sorted(rows) == sorted([first, second, "nested/broken", "lost", "gone"])
    assert (rows[first].status, rows[first].quotes) == ("done", len(docs[0]["summary"]["quotes"]))
    assert rows[second].status == "failed" and rows[second].document is not None  # the last line wins; page kept
    assert rows[second].error == "replay_miss" and len(rows[second].message or "") <= 600
    lost = rows["lost"]
    assert (lost.status, lost.error, lost.message) == ("failed", "article", "lost.txt has no text.")
    assert rows["nested/broken"].status == "failed" and "cannot be read" in (rows["nested/broken"].message or "")
    assert rows["gone"].status == "missing" and rows["gone"].quotes == 3


def test_a_folder_without_summaries_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="summarize run"):
        load_rows(tmp_path / "nowhere")
    with pytest.raises(ConfigurationError, match="no summaries"):
        write_report(tmp_path, tmp_path / "site", timeline=unmerged_timeline([]))


# -- pages ----------------------------------------------------------------------------------------------------

def test_the_report_of_the_seeds_has_every_page_and_is_deterministic(seed_out: tuple[Path, list[dict[str, Any]]],
                                                                       tmp_path: Path) -> None:
    out, docs = seed_out
    timeline = timeline_for(docs)
    written = write_report(out, tmp_path / "site", timeline=timeline)
    site = tmp_path / "site"
    assert written.index == site / "index.html"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    pages = ["index.html", "timeline.html", "who-said-what.html", "report.css", "report.js",
             *(f"articles/{d['article']['id']}.html" for d in docs)]
    assert files == sorted([*pages, ".summarize-report.json"])  # the pages and the manifest of what was written
    assert sorted(p.relative_to(site).as_posix() for p in written.written) == sorted(pages)
    first = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    write_report(out, site, timeline=timeline)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == first  # no temporaries, same bytes
    for page in first:
        if page.suffix == ".html":  # nothing is fetched: no absolute URL in any src or href
            assert not re.search(r'(src|href)="(https?:)?//', page.read_text(encoding="utf-8")), page
    fewer = tmp_path / "fewer"
    shutil.copytree(out, fewer)
    gone = docs[0]["article"]["id"]
    (fewer / f"{gone}.json").unlink()  # the article leaves the summaries folder
    (site / "articles" / "notes.txt").write_text("a reader's own file")
    write_report(fewer, site, timeline=timeline)
    assert not (site / "articles" / f"{gone}.html").exists()  # its stale page is gone, the others stay
    assert {p.name for p in (site / "articles").iterdir()} == {f"{d['article']['id']}.html" for d in docs[1:]} | {"notes.txt"}


def test_every_quote_and_evidence_span_is_marked_on_its_article_page(seed_out: tuple[Path, list[dict[str, Any]]],
                                                                      tmp_path: Path) -> None:
    out, docs = seed_out
    write_report(out, tmp_path, timeline=unmerged_timeline(docs))
    for doc in docs:
        text, summary = doc["article"]["text"], doc["summary"]
        root = parse((tmp_path / "articles" / f"{doc['article']['id']}.html").read_text(encoding="utf-8"))
        expected = {f"q{i}": text[q["span"]["start"]:q["span"]["end"]] for i, q in enumerate(summary["quotes"], 1)}
        expected |= {f"e{i}": text[e["evidence_span"]["start"]:e["evidence_span"]["end"]]
                     for i, e in enumerate(summary["events"], 1)}
        # A key point's passages, in text order, are all marked with its ref.
        expected |= {f"k{i}": "".join(text[s["start"]:s["end"]] for s in sorted(k["evidence_spans"], key=lambda s: s["start"]))
                     for i, k in enumerate(summary["key_points"], 1)}
        assert marks_by_ref(root) == expected
        assert root.find(cls="article-text").text(skip=_not_badge) == text
        assert len(root.find_all("li", cls="item")) == len(summary["quotes"]) + len(summary["events"]) + \
            len(summary["key_points"])
        assert len(root.find_all("li", cls="entity")) == len(summary["entities"])


def test_hostile_text_is_escaped_everywhere(tmp_path: Path) -> None:
    doc = write_hostile_out(tmp_path / "out")
    write_report(tmp_path / "out", tmp_path / "site", timeline=unmerged_timeline([doc]))
    pages = {p.relative_to(tmp_path / "site").as_posix(): p.read_text(encoding="utf-8")
             for p in (tmp_path / "site").rglob("*.html")}
    assert len(pages) == 4
    for name, html in pages.items():
        assert "<img" not in html and "<!-- &" not in html and "</textarea>" not in html, name
        assert 'alert("x")' not in html, name
        scripts = re.findall(r"<script\b[^>]*>", html)  # only the site's own script (and the index's data)
        assert len(scripts) == (2 if name == "index.html" else 1) and scripts[-1].endswith('report.js">'), name
    (article,) = [p for name, p in pages.items() if name.startswith("articles/")]
    root = parse(article)
    assert root.find(cls="article-text").text(skip=_not_badge) == doc["article"]["text"]  # \r survives as &#13;
    assert marks_by_ref(root)["q1"] == doc["summary"]["quotes"][0]["text"]
    assert root.find("h1").text() == f"Title {HOSTILE}"
    blob = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', pages["index.html"], re.DOTALL)
    assert blob and "<" not in blob.group(1)
    rows = json.loads(blob.group(1))
    assert [r[2] for r in rows] == ["Title " + HOSTILE, "failed<script>"] and rows[1][9] == HOSTILE


_TAGS = {"html", "head", "meta", "title", "link", "body", "header", "div", "a", "span", "nav", "main", "section",
         "h1", "h2", "h3", "p", "ol", "ul", "li", "time", "details", "summary", "blockquote", "footer", "script",
         "input", "b"}


def test_hostile_text_in_every_field_of_a_split_timeline_stays_text() -> None:
    # A year is the first four characters of an event's date: '"><i' once broke out of the year pages' links.
    def source(kind: str) -> dict[str, Any]:
        return {"article": HOSTILE, "title": HOSTILE, "status": HOSTILE, "evidence": HOSTILE, "description": HOSTILE,
                "text": HOSTILE, "speaker_as_written": HOSTILE, "date": HOSTILE, "precision": HOSTILE,
                f"{kind}span": {"start": 0, "end": 1}}

    entry = {"id": HOSTILE, "date": '"><i>' + HOSTILE, "precision": HOSTILE, "description": HOSTILE,
             "event_type": HOSTILE, "actors": [HOSTILE], "targets": [HOSTILE], "where": HOSTILE, "why": HOSTILE,
             "statuses": [HOSTILE], "sources": [source("evidence_"), source("evidence_")]}
    timeline = {"articles": [{"id": HOSTILE}], "events": [entry], "undated": [{**entry, "date": None}] * 2,
                "speakers": [{"speaker": HOSTILE, "names": [HOSTILE + "?"], "quotes": [
                    {"id": HOSTILE, "text": HOSTILE, "kind": HOSTILE, "why": HOSTILE,
                     "sources": [source(""), source("")]}]}] * 2}
    links = Links({HOSTILE: 'a"<b>.html'}, [Row(HOSTILE, "done", HOSTILE)])
    pages = {**timeline_pages(timeline, links, split=0), **speakers_pages(timeline, links, split=0)}
    assert len(pages) == 6  # an overview, a year, two undated parts, two of who said what
    for name, html in pages.items():
        root = parse(html)
        assert {n.tag for n in root.iter()} - {"#document"} <= _TAGS, name
        assert "<img" not in html and 'alert("x")' not in html and "</textarea>" not in html, name
        assert [n.attrs.get("src") for n in root.find_all("script")] == ["report.js"], name
    year = '"><i'
    overview = parse(pages["timeline.html"])
    assert [a.attrs["href"] for a in overview.find("ol", cls="year-index").find_all("a")] == [
        f"timeline-{year}.html", "timeline-undated.html"]
    assert overview.find("ol", cls="year-index").find("a").text() == year
    part = parse(pages[f"timeline-{year}.html"])
    assert part.find("li", cls="tl-year").text() == year and part.find("h3").text() == HOSTILE
    assert [a.attrs["href"] for a in parse(pages["timeline-undated.html"]).find_all("a")
            if a.text().startswith("page")] == ["timeline-undated.html", "timeline-undated-2.html"]


def test_the_index_renders_its_first_page_and_embeds_every_row() -> None:
    rows = [Row(f"a{i:05d}", "done" if i % 7 else "failed", f"Article {i}", "2024-01-02", 1, 2, 3,
                error=None if i % 7 else "provider", message=None if i % 7 else "HTTP 500") for i in range(250)]
    html = index_page(rows, page_names([r.id for r in rows]), source="out")
    root = parse(html)
    assert len(root.find("tbody").find_all("tr")) == PAGE_SIZE
    data = json.loads(root.find("script", attr="type").text())
    assert len(data) == 250 and data[7][4] == "failed" and data[7][8:] == ["provider", "HTTP 500", ""]
    assert "JavaScript is off" in root.find("noscript").text()


def test_timeline_pages_show_entries_in_order_with_precision_sources_and_links() -> None:
    timeline = {
        "format": "summarize-timeline/1", "articles": [{"id": "a", "title": "A", "published": None}],
        "events": [
            {"id": "ev-0001", "date": "2020", "precision": "year", "description": "Year event", "event_type": "attack",
             "actors": ["X"], "targets": [], "where": None, "statuses": ["reported"], "why": "one",
             "sources": [{"article": "a", "title": "A", "status": "reported", "evidence": "ev one",
                          "evidence_span": {"start": 0, "end": 6}}]},
            {"id": "ev-0002", "date": "2020-01-03", "precision": "day", "description": "Day event",
             "event_type": "attack", "actors": ["X", "Y"], "targets": ["Z"], "where": "Baghdad",
             "statuses": ["confirmed", "alleged"],
             "why": "same day 2020-01-03; shared actors: X",
             "sources": [{"article": "a", "title": "A", "status": "confirmed", "evidence": "ev two",
                          "evidence_span": {"start": 7, "end": 13}},
                         {"article": "b", "title": "B (no page)", "status": "alleged", "evidence": "ev three"}]}],
        "undated": [{"id": "ev-0003", "date": None, "precision": None, "description": "Sometime",
                     "statuses": ["planned"],
                     "sources": [{"article": "a", "title": "A", "status": "planned", "evidence": "x"}]}],
        "speakers": [{"speaker": "Esper", "names": ["Esper", "Mark Esper"], "quotes": [
            {"id": "q-0001", "text": "It's personal", "kind": "direct", "why": "identical text in 2 articles",
             "sources": [{"article": "a", "title": "A", "text": "It's personal", "speaker_as_written": "Mark Esper",
                          "span": {"start": 0, "end": 6}}, {"article": "b", "title": "B", "text": "It's personal"}]}]}],
    }
    doc = {"article": {"id": "a", "text": "ev one ev two"},
           "summary": {"quotes": [{"span": {"start": 0, "end": 6}}],
                       "events": [{"evidence_span": {"start": 0, "end": 6}},
                                  {"evidence_span": {"start": 7, "end": 13}}]}}
    links = Links({"a": "a.html"}, [Row("a", "done", "A", document=doc)])
    root = parse(timeline_page(timeline, links))
    entries = root.find_all("li", cls="tl-entry")
    assert [e.attrs["id"] for e in entries] == ["ev-0001", "ev-0002", "ev-0003"]
    assert [e.find(cls="prec").text() for e in entries] == ["year", "day", "undated"]
    assert entries[1].find("time").text() == "3 Jan 2020" and entries[0].find("time").text() == "2020"
    hrefs = [a.attrs.get("href") for a in entries[1].find_all(cls="src")]
    assert hrefs == ["articles/a.html#s-e2", None]  # the second source has no page: its title, no link
    assert "shared actors: X" in entries[1].find(cls="why").text()
    assert root.find("h2", cls="section").text() == "Undated events"
    people = parse(speakers_page(timeline, links))
    quote = people.find("li", cls="quote")
    assert quote.find("blockquote").text() == "\u201cIt's personal\u201d"
    assert [a.attrs.get("href") for a in quote.find_all(cls="src")] == ["articles/a.html#s-q1", None]
    assert "Mark Esper" in people.find(cls="aka").text()


def _entries(dates: list[str | None]) -> list[dict[str, Any]]:
    return [{"id": f"ev-{i:04d}", "date": d, "precision": "day" if d else None, "description": f"Event {i}",
             "statuses": ["reported"], "sources": [{"article": "a", "title": "A", "status": "reported", "evidence": "x"}]}
            for i, d in enumerate(dates, 1)]


def test_a_large_timeline_is_split_into_a_page_per_year(seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dated = _entries(["2019-05-01", "2020-01-03", "2020-01-08", "2021-12-31"])
    for e in dated[1:3]:  # 2020's two entries carry three sources each
        e["sources"] = e["sources"] * 3
    undated = _entries([None, None])
    for n, e in enumerate(undated, len(dated) + 1):
        e["id"] = f"ev-{n:04d}"
    timeline = {"format": "summarize-timeline/1", "articles": [{"id": "a"}], "events": dated, "undated": undated,
                "speakers": []}
    links = Links({}, [])
    assert list(timeline_pages(timeline, links, split=10)) == ["timeline.html"]  # 10 sources: one page
    pages = timeline_pages(timeline, links, split=5)
    shown = {name: [e.attrs["id"] for e in parse(html).find_all("li", cls="tl-entry")] for name, html in pages.items()}
    assert shown == {"timeline.html": [], "timeline-2019.html": ["ev-0001"], "timeline-2020.html": ["ev-0002"],
                     "timeline-2020-2.html": ["ev-0003"], "timeline-2021.html": ["ev-0004"],
                     "timeline-undated.html": ["ev-0005", "ev-0006"]}  # every entry once; 2020 over two pages
    overview = [a.attrs["href"] for a in parse(pages["timeline.html"]).find(cls="year-index").find_all("a")]
    assert overview == ["timeline-2019.html", "timeline-2020.html", "timeline-2021.html", "timeline-undated.html"]
    navs = parse(pages["timeline-2020-2.html"]).find_all("nav")
    pager = next(n for n in navs if n.attrs.get("aria-label") == "Pages")
    assert [a.attrs["href"] for a in pager.find_all("a")] == ["timeline-2020.html", "timeline-2020-2.html"]

    out, _ = seed_out  # written by write_report: a smaller report later removes the year pages
    monkeypatch.setattr("summarize.views.report_pages.TIMELINE_SPLIT", 5)
    write_report(out, tmp_path / "site", timeline=timeline)
    assert (tmp_path / "site" / "timeline-2020.html").exists()
    monkeypatch.setattr("summarize.views.report_pages.TIMELINE_SPLIT", 500)
    write_report(out, tmp_path / "site", timeline=timeline)
    assert not list((tmp_path / "site").glob("timeline-*.html"))
    assert len(parse((tmp_path / "site" / "timeline.html").read_text(encoding="utf-8")).find_all("li", cls="tl-entry")) == 6


def test_many_speakers_are_spread_over_pages_and_every_page_lists_them_all(
        seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def speaker(name: str, sources: int) -> dict[str, Any]:
        return {"speaker": name, "names": [name], "quotes": [
            {"id": f"q-{name}", "text": f"words of {name}", "kind": "direct",
             "sources": [{"article": "a", "title": "A", "text": f"words of {name}"}] * sources}]}

    timeline = {"format": "summarize-timeline/1", "articles": [], "events": [], "undated": [],
                "speakers": [speaker("Ann", 3), speaker("Bo", 3), speaker("Cy", 1)]}
    links = Links({}, [])
    assert list(speakers_pages(timeline, links, split=7)) == ["who-said-what.html"]  # 7 sources: one page
    pages = speakers_pages(timeline, links, split=4)
    shown = {name: [h.text().split()[0] for h in parse(html).find_all("h2")] for name, html in pages.items()}
    assert shown == {"who-said-what.html": ["Ann"], "who-said-what-2.html": ["Bo", "Cy"]}
    toc = [a.attrs["href"] for a in parse(pages["who-said-what-2.html"]).find(cls="speaker-toc").find_all("a")]
    assert toc == ["who-said-what.html#sp-1", "#sp-2", "#sp-3"]  # every speaker, on whichever page it is
    assert "spread over 2 pages" in parse(pages["who-said-what.html"]).find(cls="hero").text()
    pager = next(n for n in parse(pages["who-said-what.html"]).find_all("nav") if n.attrs.get("aria-label") == "Pages")
    assert [a.attrs["href"] for a in pager.find_all("a")] == ["who-said-what.html", "who-said-what-2.html"]

    out, _ = seed_out
    monkeypatch.setattr("summarize.views.report_pages.TIMELINE_SPLIT", 4)
    write_report(out, tmp_path / "site", timeline=timeline)
    assert (tmp_path / "site" / "who-said-what-2.html").exists()
    monkeypatch.setattr("summarize.views.report_pages.TIMELINE_SPLIT", 2000)
    write_report(out, tmp_path / "site", timeline=timeline)
    assert not (tmp_path / "site" / "who-said-what-2.html").exists()


def test_write_report_builds_the_timeline_itself_by_default(seed_out: tuple[Path, list[dict[str, Any]]],
                                                             tmp_path: Path) -> None:
    timeline = pytest.importorskip("summarize.views.timeline", reason="summarize.views.timeline arrives with the timeline branch")
    out, docs = seed_out
    write_report(out, tmp_path)
    expected = timeline.build_timeline(docs)
    root = parse((tmp_path / "timeline.html").read_text(encoding="utf-8"))
    assert len(root.find_all("li", cls="tl-entry")) == len(expected["events"]) + len(expected["undated"])


def test_report_command_writes_the_site_and_explains_a_missing_folder(seed_out: tuple[Path, list[dict[str, Any]]],
                                                                      tmp_path: Path) -> None:
    proc = run_cli("report", str(tmp_path / "nowhere"), "--html", str(tmp_path / "x"))
    assert proc.returncode == 2 and "summarize run" in proc.stderr and "Traceback" not in proc.stderr
    if importlib.util.find_spec("summarize.views.timeline") is None:
        pytest.skip("summarize.views.timeline arrives with the timeline branch")
    out, _ = seed_out
    proc = run_cli("report", str(out), "--html", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stderr
    assert str(tmp_path / "site" / "index.html") in proc.stdout and (tmp_path / "site" / "timeline.html").exists()
