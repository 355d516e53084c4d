"""The HTML report in a real browser: headless Chromium (driven by Playwright) renders each page, scripts
run, and the tests read the DOM or act on the page as a reader would. They skip, saying why, when Playwright
or Chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.async_api import Page, expect
except ImportError:  # the tests skip, saying so (see the chromium fixture)
    pass

from summarize.views.report import Row, page_names, write_report
from summarize.views.report_files import write_page
from summarize.views.report_pages import PAGE_SIZE, index_page

from .browser import TIMEOUT_MS, Chromium, find_chromium, missing_browser, parse, url
from .report_support import summarize_seeds, timeline_for, unmerged_timeline
from .test_report import HOSTILE, _not_badge, marks_by_ref, write_hostile_out

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    reason = missing_browser()
    if reason is not None:
        pytest.skip(reason)
    browser = Chromium(find_chromium() or "")
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], dict[str, Any]]:
    out = tmp_path_factory.mktemp("out")
    docs = summarize_seeds(out)
    timeline = timeline_for(docs)
    site = tmp_path_factory.mktemp("site")
    write_report(out, site, timeline=timeline)
    return site, docs, timeline


def test_every_quote_and_evidence_is_highlighted_in_the_rendered_article_pages(
        chromium: Chromium, seed_site: tuple[Path, list[dict[str, Any]], dict[str, Any]], tmp_path: Path) -> None:
    site, docs, _ = seed_site
    pages = [site / "articles" / f"{d['article']['id']}.html" for d in docs]
    doms = [chromium.dump_dom(url(p)) for p in pages]
    chromium.screenshot(url(pages[0]), tmp_path / "article.png", 1280, 1500)
    for doc, dom in zip(docs, doms, strict=False):
        root = parse(dom)
        text, summary = doc["article"]["text"], doc["summary"]
        found = marks_by_ref(root)
        quotes = {ref: t for ref, t in found.items() if ref.startswith("q")}
        assert len(quotes) == len(summary["quotes"]) > 0
        for i, quote in enumerate(summary["quotes"], 1):
            assert quotes[f"q{i}"] == text[quote["span"]["start"]:quote["span"]["end"]] == quote["text"]
        for i, event in enumerate(summary["events"], 1):
            assert found[f"e{i}"] == text[event["evidence_span"]["start"]:event["evidence_span"]["end"]]
        assert root.find(cls="article-text").text(skip=_not_badge) == text
        kinds = {q["kind"] for q in summary["quotes"]}
        for mark in root.find_all("mark", attr="data-refs"):  # classes name every covering mark, hover says who
            refs = mark.attrs["data-refs"].split()
            assert ("ev" in mark.classes) == any(r.startswith("e") for r in refs)
            assert any(f"q-{k}" in mark.classes for k in kinds) == any(r.startswith("q") for r in refs)
            assert all(f"{r.upper()} ·" in mark.attrs["title"] for r in refs)


def test_the_index_and_the_timeline_pages_list_everything(
        chromium: Chromium, seed_site: tuple[Path, list[dict[str, Any]], dict[str, Any]], tmp_path: Path) -> None:
    site, docs, timeline = seed_site
    index_dom, timeline_dom, speakers_dom = (chromium.dump_dom(url(site / name))
                                             for name in ("index.html", "timeline.html", "who-said-what.html"))
    chromium.screenshot(url(site / "index.html"), tmp_path / "index.png", 1280, 900)
    chromium.screenshot(url(site / "timeline.html"), tmp_path / "timeline.png", 1280, 1400)
    chromium.screenshot(url(site / "who-said-what.html"), tmp_path / "who-said-what.png", 1280, 1200)
    rows = parse(index_dom).find("tbody").find_all("tr")
    assert [r.find("a").attrs["href"] for r in rows] == [f"articles/{d['article']['id']}.html" for d in docs]
    assert [r.find("a").text() for r in rows] == [d["article"]["title"] or d["summary"]["title"] for d in docs]
    assert [[td.text() for td in r.find_all("td", cls="num")] for r in rows] == [
        [str(len(d["summary"][k])) for k in ("quotes", "events", "entities")] for d in docs]
    assert parse(index_dom).find(id="shown").text() == f"1–{len(docs)} of {len(docs)}"  # the script ran

    entries = parse(timeline_dom).find_all("li", cls="tl-entry")
    expected = timeline["events"] + timeline["undated"]
    assert [e.attrs["id"] for e in entries] == [x["id"] for x in expected]
    assert [e.find("h3").text() for e in entries] == [x["description"] for x in expected]
    dated = [e.find("time").attrs["datetime"] for e in entries[:len(timeline["events"])]]
    assert dated == [x["date"] for x in timeline["events"]] and len(dated) > 0
    assert sum(len(e.find_all("li", cls="tl-source")) for e in entries) == sum(len(x["sources"]) for x in expected)
    assert sum(len(x["sources"]) for x in expected) == sum(len(d["summary"]["events"]) for d in docs)

    quotes = parse(speakers_dom).find_all("li", cls="quote")
    assert len(quotes) == sum(len(s["quotes"]) for s in timeline["speakers"])
    assert sum(len(q.find("ul", cls="q-sources").find_all("li")) for q in quotes) == sum(
        len(d["summary"]["quotes"]) for d in docs)
    for name in ("index.png", "timeline.png", "who-said-what.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_an_index_of_10000_articles_renders_one_page_and_pages_through(chromium: Chromium, tmp_path: Path) -> None:
    rows = [Row(f"world/{i:05d}", "failed" if i % 10 == 3 else "done",
                f"Officials report development number {i} in the region", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                i % 9, i % 13, i % 17, error="replay_miss" if i % 10 == 3 else None,
                message="No recorded exchange for this request: the model differs." if i % 10 == 3 else None)
           for i in range(10_000)]
    index = tmp_path / "index.html"
    write_page(index, index_page(rows, page_names([r.id for r in rows if r.status == "done"]), source="out"))
    for asset in ("report.css", "report.js"):
        write_page(tmp_path / asset, (Path(__file__).parent.parent / "summarize" / "views" / "static" / asset).read_text())
    size = index.stat().st_size
    assert size < 2_500_000, f"{size:,} bytes: {size / len(rows):.0f} per article"

    first, last, found, failed = (parse(chromium.dump_dom(url(index, fragment)))
                                  for fragment in ("", "page=100", "q=world/01234", "status=failed&page=2"))
    body = first.find("tbody").find_all("tr")
    assert len(body) == PAGE_SIZE and first.find(id="shown").text() == "1–100 of 10,000"
    assert [b.text() for b in first.find(id="pager").find_all("button")][:3] == ["‹ Prev", "1", "2"]
    assert [r.find(cls="id").text() for r in last.find("tbody").find_all("tr")] == [r.id for r in rows[9900:]]
    assert [r.find(cls="id").text() for r in found.find("tbody").find_all("tr")] == ["world/01234"]
    failed_rows = failed.find("tbody").find_all("tr")
    assert len(failed_rows) == PAGE_SIZE and all(r.attrs["class"] == "st-failed" for r in failed_rows)
    assert failed_rows[0].find(cls="id").text() == "world/01003" and "replay_miss" in failed_rows[0].text()
    assert failed.find(id="shown").text() == "101–200 of 1,000 (10,000 in all)"
    # Typing in the filter and sorting by a column work on the whole list, not just the page shown.
    every_word = [r.id for r in rows if all(w in f"{r.id} {r.title} {r.published}" for w in ("number", "777"))]

    async def filter_then_sort(tab: Page) -> tuple[list[str], str, str]:
        shown = tab.locator("#shown")
        await tab.fill("#filter", "number 777")  # redrawn once typing pauses: wait for that, not for a time
        n = len(every_word)
        await expect(shown).to_have_text(f"1–{n} of {n} (10,000 in all)", timeout=TIMEOUT_MS)
        found = await tab.locator("#rows .id").all_text_contents()
        await tab.fill("#filter", "")
        await expect(shown).to_have_text("1–100 of 10,000", timeout=TIMEOUT_MS)
        quotes = tab.locator('th[data-sort="5"]')
        await quotes.click()
        await quotes.click()
        first = await tab.locator("#rows td.num").first.text_content() or ""
        return found, first, await tab.evaluate("location.hash")

    assert chromium.on_page(url(index), filter_then_sort) == (every_word, str(max(r.quotes or 0 for r in rows)),
                                                              "#sort=5&dir=desc")


def test_hostile_text_stays_text_in_the_browser(chromium: Chromium, tmp_path: Path) -> None:
    doc = write_hostile_out(tmp_path / "out")
    site = tmp_path / "site"
    write_report(tmp_path / "out", site, timeline=unmerged_timeline([doc]))
    (article,) = (site / "articles").glob("*.html")
    doms = [parse(chromium.dump_dom(url(p)))
            for p in (article, site / "index.html", site / "timeline.html", site / "who-said-what.html")]
    for root in doms:
        assert [s.attrs.get("src") for s in root.find_all("script") if s.attrs.get("type") != "application/json"] \
            in (["report.js"], ["../report.js"])
        assert root.find_all("img") == [] and root.find_all("textarea") == []
    page, index = doms[0], doms[1]
    assert page.find(cls="article-text").text(skip=_not_badge) == doc["article"]["text"]
    assert marks_by_ref(page) == {"q1": doc["summary"]["quotes"][0]["text"], "e1": doc["article"]["text"][:30]}
    titles = [r.find("td", cls="title").text() for r in index.find("tbody").find_all("tr")]
    assert titles[0].startswith("Title " + HOSTILE) and titles[1] == "failed<script>" + HOSTILE  # title, message
