"""One article's page: its text with every quote and every event's evidence highlighted at its span.

Terms:

- **mark**: a span to highlight: a quote (``q1``, ``q2``, ... in the document's order; class ``q-direct``
  or ``q-indirect``) or an event's evidence (``e1``, ...; class ``ev``).
- **segment**: the text between two consecutive mark boundaries. The text is cut at every mark's start
  and end, so overlapping and nested marks need no nesting of elements: each covered segment becomes one
  ``<mark>`` whose classes are those of every mark covering it and whose ``data-refs`` names them all. A
  mark's text is therefore the concatenation, in order, of the segments whose ``data-refs`` name it.
- **badge**: the small ``Q1``/``E1`` link placed where a mark starts; it is also the mark's anchor
  (``#s-q1``) and links to the mark's entry in the side panel (``#i-q1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .report_html import Links, chip, esc, human_date, page, span_of

if TYPE_CHECKING:
    from .report import Row

__all__ = ["Mark", "article_page", "highlight", "marks_of"]


@dataclass(frozen=True)
class Mark:
    """A highlighted span: ``ref`` (``q1``/``e1``), its CSS ``cls``, a hover ``label`` and a ``badge`` text."""

    start: int
    end: int
    ref: str
    cls: str
    label: str
    badge: str


def marks_of(summary: dict[str, Any], text: str) -> tuple[list[Mark], set[str]]:
    """The marks of a summary's quotes and events, and the refs of those whose span is missing or unusable."""
    marks: list[Mark] = []
    lost: set[str] = set()
    for i, q in enumerate(_dicts(summary.get("quotes")), 1):
        span = span_of(q, "span", text)
        kind = "indirect" if q.get("kind") == "indirect" else "direct"
        role = f" ({q['speaker_role']})" if q.get("speaker_role") else ""
        cue = f', cue “{q["cue"]}”' if q.get("cue") else ""
        if span is None:
            lost.add(f"q{i}")
        else:
            label = f"Q{i} · {q.get('speaker') or 'unknown'}{role}: {kind} quote{cue}"
            marks.append(Mark(*span, f"q{i}", f"q-{kind}", label, f"Q{i}"))
    for i, e in enumerate(_dicts(summary.get("events")), 1):
        span = span_of(e, "evidence_span", text)
        when = w if isinstance(w := e.get("when"), dict) else {}
        date = f", {human_date(when.get('date'), when.get('precision'))}" if when.get("date") else ""
        if span is None:
            lost.add(f"e{i}")
        else:
            label = f"E{i} · evidence: {e.get('description') or ''} ({e.get('status') or '?'}{date})"
            marks.append(Mark(*span, f"e{i}", "ev", label, f"E{i}"))
    return marks, lost


def highlight(text: str, marks: list[Mark]) -> str:
    """``text`` as escaped HTML with every mark highlighted (see the module docstring for how overlaps work)."""
    starting: dict[int, list[Mark]] = {}
    for m in sorted(marks, key=lambda m: (m.start, -m.end, m.ref)):
        starting.setdefault(m.start, []).append(m)
    bounds = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[str] = []
    active: list[Mark] = []
    for a, b in pairwise(bounds):
        new = starting.get(a, [])
        out.extend(f'<a class="badge b-{m.ref[0]}" id="s-{m.ref}" href="#i-{m.ref}" title="{esc(m.label)}">'
                   f"{m.badge}</a>" for m in new)
        active = [m for m in active if m.end > a] + new
        segment = esc(text[a:b])
        if not active:
            out.append(segment)
            continue
        classes = " ".join(dict.fromkeys(m.cls for m in active))
        depth = " deep" if sum(m.ref[0] == "q" for m in active) > 1 else ""
        refs = " ".join(m.ref for m in active)
        title = "\n".join(m.label for m in active)
        out.append(f'<mark class="hl {classes}{depth}" data-refs="{refs}" title="{esc(title)}">{segment}</mark>')
    return "".join(out)


def article_page(row: Row, links: Links) -> str:
    """The whole page of one article (``row.document`` must be set)."""
    doc = row.document or {}
    article, summary = doc.get("article") or {}, doc.get("summary") or {}
    text = str(article.get("text") or "")
    marks, lost = marks_of(summary, text)
    run = doc.get("run") if isinstance(doc.get("run"), dict) else {}
    meta = [f'<time>{esc(human_date(row.published))}</time>' if row.published else "no date", chip(row.status)]
    if run:
        replayed = " (replayed)" if run.get("replayed") and run.get("replayed") == run.get("attempts") else ""
        meta.append(f"{esc(run.get('model'))} · {esc(run.get('prompt'))} · "
                    f"{esc(run.get('attempts'))} attempt(s){replayed}")
    failure = ""
    if row.status == "failed":
        failure = (f'<div class="failure"><strong>Last run failed</strong> {chip(row.error or "error", "failed")} '
                   f"{esc(row.message)}<br>This page shows the summary from an earlier run.</div>")
    points = "".join(f"<li>{esc(p)}</li>" for p in summary.get("key_points") or [])
    points = f"<ul>{points}</ul>" if points else ""
    body = f"""<article class="doc">
<header class="doc-head">
<p class="crumbs"><a href="../index.html">Articles</a> / <code>{esc(row.id)}</code></p>
<h1>{esc(row.title)}</h1>
<p class="meta">{' · '.join(meta)}</p>
</header>
{failure}
<div class="reader">
<div class="text-col">
<section class="summary card"><h2>Summary</h2><p>{esc(summary.get('summary'))}</p>{points}</section>
{_legend(len([m for m in marks if m.ref[0] == 'q']), len([m for m in marks if m.ref[0] == 'e']))}
<section aria-label="Article text"><div class="article-text">{highlight(text, marks)}</div>
<p class="source">{esc(article.get('source_path'))}</p></section>
</div>
<aside class="panel">
<nav class="panel-nav">
<a href="#p-quotes">Quotes</a><a href="#p-events">Events</a><a href="#p-entities">Entities</a>
</nav>
{_quotes(summary, lost)}
{_events(summary, lost)}
{_entities(summary)}
</aside>
</div>
</article>"""
    return page(row.title, body, current="article", depth=1)


def _legend(quotes: int, events: int) -> str:
    return (f'<div class="legend" aria-label="Legend"><span class="hl q-direct sample">direct quote</span>'
            f'<span class="hl q-indirect sample">indirect quote</span><span class="hl ev sample">event evidence</span>'
            f'<span class="hint">{quotes} quotes and {events} evidence passages located. Hover a highlight or an '
            f'entry to see where they meet; the badges link text and side panel.</span></div>')


def _quotes(summary: dict[str, Any], lost: set[str]) -> str:
    items = []
    for i, q in enumerate(_dicts(summary.get("quotes")), 1):
        kind = "indirect" if q.get("kind") == "indirect" else "direct"
        ref = f"q{i}"
        text = f"“{esc(q.get('text'))}”" if kind == "direct" else esc(q.get("text"))
        role = f' <span class="role">{esc(q.get("speaker_role"))}</span>' if q.get("speaker_role") else ""
        cue = f" · cue <em>{esc(q.get('cue'))}</em>" if q.get("cue") else ""
        items.append(f'<li class="item q-{kind}" id="i-{ref}" data-ref="{ref}">{_badge(ref, lost)}'
                     f'<span class="speaker">{esc(q.get("speaker") or "unknown speaker")}</span>{role}'
                     f'<p class="qtext">{text}</p><p class="meta">{chip(kind)}{cue}{_lost(ref, lost)}</p></li>')
    return _section("Quotes", items, "No quotes.")


def _events(summary: dict[str, Any], lost: set[str]) -> str:
    items = []
    for i, e in enumerate(_dicts(summary.get("events")), 1):
        ref = f"e{i}"
        when = w if isinstance(w := e.get("when"), dict) else {}
        date = '<span class="prec">undated</span>'
        if when.get("date"):
            shown = esc(human_date(when.get("date"), when.get("precision")))
            date = (f'<time datetime="{esc(when.get("date"))}">{shown}</time>'
                    f' <span class="prec">{esc(when.get("precision"))}</span>')
        said = f' <span class="said">“{esc(when.get("text"))}”</span>' if when.get("text") else ""
        who = ", ".join(map(str, e.get("actors") or [])) or "—"
        whom = f" → {esc(', '.join(map(str, e.get('targets') or [])))}" if e.get("targets") else ""
        where = f' · <span class="where">{esc(e.get("where"))}</span>' if e.get("where") else ""
        items.append(f'<li class="item ev" id="i-{ref}" data-ref="{ref}">{_badge(ref, lost)}'
                     f'<span class="desc">{esc(e.get("description"))}</span>'
                     f'<p class="meta">{date}{said} · {chip(e.get("status") or "unknown")} · '
                     f'{esc(str(e.get("event_type") or "event").replace("_", " "))}</p>'
                     f'<p class="meta actors">{esc(who)}{whom}{where}{_lost(ref, lost)}</p></li>')
    return _section("Events", items, "No events.")


def _entities(summary: dict[str, Any]) -> str:
    by_type: dict[str, list[str]] = {}
    for ent in _dicts(summary.get("entities")):
        aliases = ", ".join(map(str, ent.get("aliases") or []))
        title = f' title="also: {esc(aliases)}"' if aliases else ""
        more = f' <span class="aka">+{len(ent.get("aliases") or [])}</span>' if aliases else ""
        by_type.setdefault(str(ent.get("type") or "other"), []).append(
            f'<li class="entity"{title}>{esc(ent.get("name"))}{more}</li>')
    groups = [f'<li><h3>{esc(kind)}</h3><ul class="entities">{"".join(names)}</ul></li>'
              for kind, names in sorted(by_type.items())]
    return _section("Entities", groups, "No entities.", cls="entity-groups", count=sum(map(len, by_type.values())))


def _section(title: str, items: list[str], empty: str, cls: str = "items", count: int | None = None) -> str:
    inner = f'<ol class="{cls}">{"".join(items)}</ol>' if items else f'<p class="empty">{empty}</p>'
    n = len(items) if count is None else count
    return f'<section id="p-{title.lower()}"><h2>{title} <span class="count">{n}</span></h2>{inner}</section>'


def _badge(ref: str, lost: set[str]) -> str:
    label = ref.upper()
    if ref in lost:
        return f'<span class="badge b-{ref[0]} off">{label}</span>'
    return f'<a class="badge b-{ref[0]}" href="#s-{ref}">{label}</a>'


def _lost(ref: str, lost: set[str]) -> str:
    return ' · <span class="lost">not located in the text</span>' if ref in lost else ""


def _dicts(items: Any) -> list[dict[str, Any]]:
    """The list's items, with anything that is not an object replaced by an empty one (numbering is kept)."""
    return [item if isinstance(item, dict) else {} for item in items] if isinstance(items, list) else []
