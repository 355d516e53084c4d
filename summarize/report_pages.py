"""The report's pages other than articles: the index, the timeline and who said what.

The index stays light for large folders: the article list is embedded once as compact JSON (one array per
article, see :data:`ROW_FIELDS`) in a ``<script type="application/json">``, and ``report.js`` renders pages of
:data:`PAGE_SIZE` rows with filtering, sorting and paging. The first page is also rendered here, so the
index works without JavaScript. The timeline pages render a ``summarize-timeline/1`` dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .report_article import article_page
from .report_html import Links, chip, esc, human_date, json_for_script, page

if TYPE_CHECKING:
    from .report import Row

__all__ = ["PAGE_SIZE", "ROW_FIELDS", "TIMELINE_SPLIT", "Links", "article_page", "index_page", "speakers_page",
           "speakers_pages", "timeline_page", "timeline_pages"]

#: Rows per page of the index.
PAGE_SIZE = 100
#: The fields of one article in the index's embedded JSON, in order (``report.js`` reads them by position).
ROW_FIELDS = ("id", "href", "title", "published", "status", "quotes", "events", "entities", "error", "message")


def index_page(rows: list[Row], names: dict[str, str], *, source: str) -> str:
    """The index: every article with its counts and status; failures with their error kind and message."""
    data = [[r.id, f"articles/{names[r.id]}" if r.id in names else "", r.title, r.published or "", r.status,
             r.quotes, r.events, r.entities, r.error or "", r.message or ""] for r in rows]
    failed = sum(r.status == "failed" for r in rows)
    missing = sum(r.status == "missing" for r in rows)
    totals = {key: sum(getattr(r, key) or 0 for r in rows if r.document is not None)
              for key in ("quotes", "events", "entities")}
    stats = [("articles", len(rows)), ("done", len(rows) - failed - missing), ("failed", failed)]
    if missing:
        stats.append(("missing", missing))
    stats += [(key, value) for key, value in totals.items()]
    stat_html = "".join(f'<div class="stat s-{key}{"" if value else " zero"}"><b>{value:,}</b><span>{key}</span></div>'
                        for key, value in stats)
    first = "".join(_row_html(row) for row in data[:PAGE_SIZE])
    more = ""
    if len(rows) > PAGE_SIZE:
        more = (f'<noscript><p class="note">JavaScript is off: showing the first {PAGE_SIZE} of {len(rows):,} '
                "articles. Every article's page is in the <code>articles/</code> folder.</p></noscript>")
    options = "".join(f'<option value="{s}">{s}</option>' for s in ("done", "failed", "missing"))
    body = f"""<section class="hero">
<h1>Summaries</h1>
<p class="lead">From <code>{esc(source)}</code>. See also the <a href="timeline.html">merged timeline</a> and
<a href="who-said-what.html">who said what</a>.</p>
<div class="stats">{stat_html}</div>
</section>
<div class="toolbar" id="toolbar">
<input type="search" id="filter" placeholder="Filter by title, id, date or error…" aria-label="Filter articles">
<select id="status" aria-label="Status"><option value="">any status</option>{options}</select>
<span class="shown" id="shown">{min(len(rows), PAGE_SIZE):,} of {len(rows):,}</span>
</div>
<div class="table-wrap"><table class="articles" id="articles">
<thead><tr><th data-sort="2">Article</th><th data-sort="3">Date</th><th data-sort="5" class="num">Quotes</th>
<th data-sort="6" class="num">Events</th><th data-sort="7" class="num">Entities</th>
<th data-sort="4">Status</th></tr></thead>
<tbody id="rows">{first}</tbody>
</table></div>
<nav class="pager" id="pager" aria-label="Pages"></nav>
{more}
<script type="application/json" id="report-data">{json_for_script(data)}</script>"""
    return page("Articles", body, current="index")


def _row_html(r: list[Any]) -> str:
    """One index row; ``report.js`` builds the same structure (keep the two in step)."""
    article_id, href, title, published, status, quotes, events, entities, error, message = r
    name = f'<a href="{esc(href)}">{esc(title)}</a>' if href else f"<span>{esc(title)}</span>"
    ident = f'<div class="id">{esc(article_id)}</div>' if title != article_id else ""
    msg = f'<div class="msg" title="{esc(message)}">{esc(message)}</div>' if message else ""
    err = f' <span class="err">{esc(error)}</span>' if error and status == "failed" else ""
    num = "".join(f'<td class="num" data-label="{label}">{"" if n is None else n}</td>'
                  for label, n in (("quotes", quotes), ("events", events), ("entities", entities)))
    return (f'<tr class="st-{esc(status)}"><td class="title">{name}{ident}{msg}</td>'
            f'<td class="date">{esc(published) or "—"}</td>{num}<td class="status">{chip(status)}{err}</td></tr>')


#: Above this many sources (each shows its passage), the timeline is split: an overview page and a page per
#: year (and one for the undated events), so a large folder's timeline does not make one page of tens of
#: megabytes (2,000 articles of the seeds' stories made a 13 MB page).
TIMELINE_SPLIT = 2000


def timeline_page(timeline: dict[str, Any], links: Links) -> str:
    """The merged timeline on one page: dated entries in order with their precision and sources, then the
    undated ones."""
    events, undated = list(timeline.get("events") or []), list(timeline.get("undated") or [])
    years = [f'<a href="#y-{esc(year)}">{esc(year)}</a>' for year in _by_year(events)]
    body = f"""{_timeline_hero(timeline, "Timeline", years, "#undated")}
{_dated_list(events, links)}
<h2 class="section" id="undated">Undated events</h2>
{_undated_list(undated, links)}"""
    return page("Timeline", body, current="timeline")


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
    nav = [f'<a href="{names[key][0]}">{esc(key)}</a>' for key in sections if key != "undated"]
    pages = {}
    for key, parts in chunks.items():
        title = "Timeline: undated events" if key == "undated" else f"Timeline: {key}"
        for n, (name, part) in enumerate(zip(names[key], parts, strict=True), 1):
            pager = _pager(names[key], name)
            entries = _undated_list(part, links) if key == "undated" else _dated_list(part, links)
            heading = f"{title} ({n} of {len(parts)})" if len(parts) > 1 else title
            body = f"{_timeline_hero(timeline, heading, nav, names['undated'][0])}\n{pager}\n{entries}"
            pages[name] = page(heading, body, current="timeline")
    rows = "".join(f'<li><a href="{names[key][0]}">{esc(key)}</a> <span class="muted">{len(entries):,} '
                   f'event{"s" if len(entries) != 1 else ""}</span></li>' for key, entries in sections.items())
    body = f"""{_timeline_hero(timeline, "Timeline", nav, names["undated"][0])}
<p class="note">{len(events) + len(undated):,} entries from {sources:,} sources: a page per year.</p>
<ol class="year-index">{rows}</ol>"""
    pages["timeline.html"] = page("Timeline", body, current="timeline")
    return pages


def _pager(names: list[str], here: str) -> str:
    """Links to the pages of a section split in several (nothing for one page)."""
    if len(names) < 2:
        return ""
    current = ' aria-current="page"'
    return '<nav class="years" aria-label="Pages">' + "".join(
        f'<a href="{name}"{current if name == here else ""}>page {k}</a>' for k, name in enumerate(names, 1)) + "</nav>"


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


def _timeline_hero(timeline: dict[str, Any], title: str, years: list[str], undated_href: str) -> str:
    events, undated = timeline.get("events") or [], timeline.get("undated") or []
    n_articles = len(timeline.get("articles") or [])
    return f"""<section class="hero">
<h1>{esc(title)}</h1>
<p class="lead">{len(events):,} dated events and {len(undated):,} undated, merged from {n_articles:,} articles.
Each entry keeps every source that reported it, with the passage that supports it.</p>
<nav class="years" aria-label="Years">{''.join(years)}<a href="{undated_href}">undated</a></nav>
</section>"""


def _dated_list(events: list[dict[str, Any]], links: Links) -> str:
    items: list[str] = []
    for year, entries in _by_year(events).items():
        items.append(f'<li class="tl-year" id="y-{esc(year)}" aria-hidden="true">{esc(year)}</li>')
        items.extend(_entry(entry, links) for entry in entries)
    return f"""<ol class="timeline">{''.join(items) or '<li class="empty">No dated events.</li>'}</ol>"""


def _undated_list(undated: list[dict[str, Any]], links: Links) -> str:
    return f"""<ol class="timeline undated">{''.join(_entry(e, links) for e in undated) or '<li class="empty">None.</li>'}</ol>"""


def _entry(entry: dict[str, Any], links: Links) -> str:
    date, precision = entry.get("date"), entry.get("precision")
    when = (f'<time datetime="{esc(date)}">{esc(human_date(date, precision))}</time>'
            f'<span class="prec">{esc(precision or "date")}</span>') if date else '<span class="prec">undated</span>'
    actors = ", ".join(map(str, entry.get("actors") or []))
    targets = ", ".join(map(str, entry.get("targets") or []))
    who = esc(actors or "—") + (f" → {esc(targets)}" if targets else "")
    where = f' · <span class="where">{esc(entry.get("where"))}</span>' if entry.get("where") else ""
    statuses = "".join(chip(s) for s in entry.get("statuses") or [])
    sources = entry.get("sources") or []
    items = []
    for s in sources:
        src_date = f' · {esc(human_date(s.get("date"), s.get("precision")))}' if s.get("date") else ""
        differs = (f'<p class="as-told">{esc(s.get("description"))}</p>'
                   if s.get("description") and s.get("description") != entry.get("description") else "")
        link = links.source(str(s.get("article")), "e", s.get("evidence_span"), s.get("title"))
        items.append(f'<li class="tl-source">{link} {chip(s.get("status") or "unknown")}'
                     f'<span class="muted">{src_date}</span>{differs}'
                     f'<blockquote>{esc(s.get("evidence"))}</blockquote></li>')
    why = f'<p class="why">Merged: {esc(entry.get("why"))}</p>' if entry.get("why") and len(sources) > 1 else ""
    plural = "s" if len(sources) != 1 else ""
    return f"""<li class="tl-entry" id="{esc(entry.get('id'))}">
<div class="tl-when">{when}</div>
<div class="tl-card card"><h3>{esc(entry.get('description'))}</h3>
<p class="meta">{statuses} {esc(str(entry.get('event_type') or 'event').replace('_', ' '))} · {who}{where}</p>
<details{' open' if len(sources) <= 3 else ''}><summary>{len(sources)} source{plural}</summary>
<ul class="tl-sources">{''.join(items)}</ul></details>
{why}</div></li>"""


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
    pages = {}
    for k, group in enumerate(groups):
        here = names[k]
        toc = "".join(f'<a class="chip c-speaker" href="{"" if home[i] == here else home[i]}#sp-{i + 1}">'
                      f'{esc(s.get("speaker"))} <b>{len(s.get("quotes") or [])}</b></a>' for i, s in enumerate(speakers))
        sections = "".join(_speaker(i + 1, speakers[i], links) for i in group)
        pages[here] = _speakers_body(speakers, toc, sections, part=(k + 1, len(groups)), pager=_pager(names, here))
    return pages


def _speakers_body(speakers: list[dict[str, Any]], toc: str, sections: str, *, part: tuple[int, int],
                   pager: str) -> str:
    total = sum(len(s.get("quotes") or []) for s in speakers)
    title = "Who said what" if part[1] == 1 else f"Who said what ({part[0]} of {part[1]})"
    body = f"""<section class="hero">
<h1>{title}</h1>
<p class="lead">{total:,} quotes from {len(speakers):,} speakers. Quotes that several articles carry are merged;
each keeps its sources.</p>{_spread_note(part)}
{pager}
</section>
<div class="toolbar">
<input type="search" id="speaker-filter" placeholder="Filter by speaker or words…" aria-label="Filter quotes">
</div>
<div class="speakers-layout">
<nav class="speaker-toc" aria-label="Speakers">{toc}</nav>
<div class="speaker-list">{sections or '<p class="empty">No quotes.</p>'}</div>
</div>"""
    return page(title, body, current="speakers")


def _spread_note(part: tuple[int, int]) -> str:
    if part[1] == 1:
        return ""
    return (f'\n<p class="note">The speakers are spread over {part[1]} pages (the list links them all); '
            "the filter searches this page.</p>")


def _speaker(i: int, s: dict[str, Any], links: Links) -> str:
    names = [n for n in s.get("names") or [] if n != s.get("speaker")]
    aka = f'<p class="aka">Also written as {esc("; ".join(map(str, names)))}</p>' if names else ""
    quotes = []
    for q in s.get("quotes") or []:
        kind = "indirect" if q.get("kind") == "indirect" else "direct"
        text = f"“{esc(q.get('text'))}”" if kind == "direct" else esc(q.get("text"))
        sources = []
        for src in q.get("sources") or []:
            said = src.get("speaker_as_written")
            said = f' <span class="muted">as “{esc(said)}”</span>' if said and said != s.get("speaker") else ""
            own = (f'<p class="as-told">{esc(src.get("text"))}</p>'
                   if src.get("text") and src.get("text") != q.get("text") else "")
            link = links.source(str(src.get("article")), "q", src.get("span"), src.get("title"))
            sources.append(f"<li>{link}{said}{own}</li>")
        why = f'<p class="why">Merged: {esc(q.get("why"))}</p>' if q.get("why") and len(sources) > 1 else ""
        quotes.append(f'<li class="quote q-{kind}" id="{esc(q.get("id"))}"><blockquote>{text}</blockquote>'
                      f'<div class="meta">{chip(kind)}<ul class="q-sources">{"".join(sources)}</ul></div>{why}</li>')
    n = len(quotes)
    return (f'<section class="speaker-card card" id="sp-{i}"><h2>{esc(s.get("speaker"))} '
            f'<span class="count">{n} quote{"s" if n != 1 else ""}</span></h2>{aka}'
            f'<ol class="quotes">{"".join(quotes)}</ol></section>')
