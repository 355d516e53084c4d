"""The report's pages other than articles: the index, the timeline and who said what.

The index stays light for large folders: the article list is embedded once as compact JSON (one array per
article, see :data:`ROW_FIELDS`) in a ``<script type="application/json">``, and ``report.js`` renders pages of
:data:`PAGE_SIZE` rows with filtering, sorting and paging. The first page is also rendered here, so the
index works without JavaScript. The timeline pages render a ``summarize-timeline/1`` dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from summarize.views.report_article import article_page
from summarize.views.report_html import Links, answer_source, render

if TYPE_CHECKING:
    from summarize.views.report_html import Row

__all__ = ["PAGE_SIZE", "ROW_FIELDS", "TIMELINE_SPLIT", "Links", "article_page", "index_page", "speakers_page",
           "speakers_pages", "timeline_page", "timeline_pages"]

#: Rows per page of the index.
PAGE_SIZE = 100
#: The fields of one article in the index's embedded JSON, in order (``report.js`` reads them by position).
ROW_FIELDS = ("id", "href", "title", "published", "status", "quotes", "events", "entities", "error", "message",
              "written_by")


def index_page(rows: list[Row], names: dict[str, str], *, source: str) -> str:
    """The index: every article with its counts and status; failures with their error kind and message."""
    data = [[r.id, f"articles/{names[r.id]}" if r.id in names else "", r.title, r.published or "", r.status,
             r.quotes, r.events, r.entities, r.error or "", r.message or "", _written_by(r)] for r in rows]
    failed = sum(r.status == "failed" for r in rows)
    missing = sum(r.status == "missing" for r in rows)
    partial = sum(r.status == "partial" for r in rows)
    totals = {key: sum(getattr(r, key) or 0 for r in rows if r.document is not None)
              for key in ("quotes", "events", "entities")}
    stats = [("articles", len(rows)), ("done", len(rows) - failed - missing - partial), ("failed", failed)]
    if partial:
        stats.append(("partial", partial))
    if missing:
        stats.append(("missing", missing))
    stats += [(key, value) for key, value in totals.items()]
    return render("index.html", title="Articles", current="index", source=source, stats=stats, data=data,
                  first=data[:PAGE_SIZE], total=len(rows), page_size=PAGE_SIZE)


def _written_by(row: Row) -> str:
    """Who wrote the article's accepted answer, short (see :func:`summarize.views.report_html.answer_source`)."""
    found = answer_source((row.document or {}).get("run"))
    return found[1] if found else ""


#: Above this many sources (each shows its passage), the timeline is split: an overview page and a page per
#: year (and one for the undated events), so a large folder's timeline does not make one page of tens of
#: megabytes (2,000 articles of the seeds' stories made a 13 MB page).
TIMELINE_SPLIT = 2000


def timeline_page(timeline: dict[str, Any], links: Links) -> str:
    """The merged timeline on one page: dated entries in order with their precision and sources, then the
    undated ones."""
    years = _by_year(list(timeline.get("events") or []))
    return render("timeline.html", title="Timeline", current="timeline", timeline=timeline, heading="Timeline",
                  years=[(year, f"#y-{year}") for year in years], undated_href="#undated", links=links, part=None,
                  dated=years, undated=list(timeline.get("undated") or []))


def timeline_pages(timeline: dict[str, Any], links: Links, *, split: int | None = None) -> dict[str, str]:
    """The timeline's pages by file name: ``timeline.html`` alone up to ``split`` sources in all (default
    :data:`TIMELINE_SPLIT`). Above, ``timeline.html`` is an overview, and each year, and the undated events,
    get pages of at most ``split`` sources each: ``timeline-<year>.html``, ``timeline-<year>-2.html``...,
    ``timeline-undated.html``... (an entry with more sources than that has a page to itself)."""
    limit = TIMELINE_SPLIT if split is None else split
    events, undated = list(timeline.get("events") or []), list(timeline.get("undated") or [])
    sources = sum(map(_sources, (*events, *undated)))
    if sources <= limit:
        return {"timeline.html": timeline_page(timeline, links)}
    sections = {**_by_year(events), "undated": undated}
    chunks = {key: _chunks(entries, limit, _sources) for key, entries in sections.items()}
    names = {key: [f"timeline-{key}.html" if n == 1 else f"timeline-{key}-{n}.html" for n in range(1, len(parts) + 1)]
             for key, parts in chunks.items()}
    years = [(key, names[key][0]) for key in sections if key != "undated"]
    common: dict[str, Any] = {"current": "timeline", "timeline": timeline, "years": years, "undated_href": names["undated"][0],
              "links": links}
    pages = {}
    for key, parts in chunks.items():
        title = "Timeline: undated events" if key == "undated" else f"Timeline: {key}"
        for n, (name, part) in enumerate(zip(names[key], parts, strict=True), 1):
            heading = f"{title} ({n} of {len(parts)})" if len(parts) > 1 else title
            pages[name] = render("timeline.html", title=heading, heading=heading, part=key, part_names=names[key],
                                 part_name=name, dated=_by_year(part), undated=part, **common)
    pages["timeline.html"] = render(
        "timeline.html", title="Timeline", heading="Timeline", part=None, entry_count=len(events) + len(undated),
        source_count=sources, sections=[(key, names[key][0], len(entries)) for key, entries in sections.items()],
        **common)
    return pages


def _sources(entry: dict[str, Any]) -> int:
    return len(entry.get("sources") or [])


def _quoted_sources(speaker: dict[str, Any]) -> int:
    return sum(_sources(q) for q in speaker.get("quotes") or [])


def _chunks(items: list[Any], limit: int, weight: Callable[[Any], int]) -> list[list[Any]]:
    """Consecutive runs of items weighing at most ``limit`` in all (at least one item each, one run when there
    are none; a negative ``limit`` never splits)."""
    chunks: list[list[Any]] = [[]]
    count = 0
    for item in items:
        n = weight(item)
        if 0 <= limit < count + n and chunks[-1]:
            chunks.append([])
            count = 0
        chunks[-1].append(item)
        count += n
    return chunks


def _by_year(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    years: dict[str, list[dict[str, Any]]] = {}
    for entry in events:  # already in date order
        years.setdefault(str(entry.get("date") or "")[:4], []).append(entry)
    return years


def speakers_page(timeline: dict[str, Any], links: Links) -> str:
    """Who said what: every speaker's quotes, each with the articles that carry it."""
    return speakers_pages(timeline, links, split=-1)["who-said-what.html"]


def speakers_pages(timeline: dict[str, Any], links: Links, *, split: int | None = None) -> dict[str, str]:
    """Who said what, by file name: ``who-said-what.html`` alone up to ``split`` sources in all (default
    :data:`TIMELINE_SPLIT`; -1: never split); above, the speakers in order over pages of at most that many
    sources, ``who-said-what.html``, ``who-said-what-2.html``..., each listing every speaker."""
    limit = TIMELINE_SPLIT if split is None else split
    speakers = list(timeline.get("speakers") or [])
    groups = _chunks(list(range(len(speakers))), limit, lambda i: _quoted_sources(speakers[i]))
    names = ["who-said-what.html" if k == 0 else f"who-said-what-{k + 1}.html" for k in range(len(groups))]
    home = {i: names[k] for k, group in enumerate(groups) for i in group}
    total = sum(len(s.get("quotes") or []) for s in speakers)
    pages = {}
    for k, group in enumerate(groups):
        heading = "Who said what" if len(groups) == 1 else f"Who said what ({k + 1} of {len(groups)})"
        pages[names[k]] = render("speakers.html", title=heading, current="speakers", heading=heading,
                                 speakers=speakers, total=total, group=group, here=names[k], names=names,
                                 homes=[home[i] for i in range(len(speakers))], parts=len(groups), links=links)
    return pages
