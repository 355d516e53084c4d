"""One article's page: its text with every quote, every event's evidence and every key point's evidence
highlighted at its span.

Terms:

- **mark**: a span to highlight: a quote (``q1``, ``q2``, ... in the document's order; class ``q-direct``
  or ``q-indirect``), an event's evidence (``e1``, ...; class ``ev``) or a key point's evidence (``k1``,
  ...; class ``kp``; every passage of one key point has its ref, and only the first has a badge).
- **segment**: the text between two consecutive mark boundaries. The text is cut at every mark's start
  and end, so overlapping and nested marks need no nesting of elements: each covered segment becomes one
  ``<mark>`` whose classes are those of every mark covering it and whose ``data-refs`` names them all. A
  mark's text is therefore the concatenation, in order, of the segments whose ``data-refs`` name it.
- **dropped** / **repairs**: a partial document's dropped items (each with its path and reason, and the
  item as the model gave it) and the repairs made to the answer, listed under the header.
- **badge**: the small ``Q1``/``E1`` link placed where a mark starts; it is also the mark's anchor
  (``#s-q1``) and links to the mark's entry in the side panel (``#i-q1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from summarize.views.report_html import Links, answer_source, fragment, human_date, render, span_of

if TYPE_CHECKING:
    from summarize.views.report_html import Row

__all__ = ["Mark", "Segment", "article_page", "highlight", "marks_of", "segments"]


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
    for i, point in enumerate(_dicts(summary.get("key_points")), 1):
        spans = [span_of({"span": s}, "span", text) for s in point.get("evidence_spans") or []]
        found = [s for s in spans if s is not None]
        if point.get("evidence") and not found:
            lost.add(f"k{i}")
        label = f"K{i} · key point: {point.get('text') or ''}"
        # One badge per key point (its anchor must be unique); its other passages light up with it.
        marks.extend(Mark(*span, f"k{i}", "kp", label, f"K{i}" if n == 0 else "") for n, span in enumerate(found))
    return marks, lost


@dataclass
class Segment:
    """A piece of the text between two mark boundaries, the marks covering it and the marks starting at it."""

    text: str
    active: list[Mark] = field(default_factory=list)
    starting: list[Mark] = field(default_factory=list)

    @property
    def classes(self) -> str:
        return " ".join(dict.fromkeys(m.cls for m in self.active))

    @property
    def deep(self) -> bool:
        """Inside more than one quote (drawn darker)."""
        return sum(m.ref[0] == "q" for m in self.active) > 1

    @property
    def refs(self) -> str:
        return " ".join(m.ref for m in self.active)

    @property
    def title(self) -> str:
        return "\n".join(m.label for m in self.active)


def segments(text: str, marks: list[Mark]) -> list[Segment]:
    """``text`` cut at every mark boundary (see the module docstring for how overlaps work)."""
    starting: dict[int, list[Mark]] = {}
    for m in sorted(marks, key=lambda m: (m.start, -m.end, m.ref)):
        starting.setdefault(m.start, []).append(m)
    bounds = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[Segment] = []
    active: list[Mark] = []
    for a, b in pairwise(bounds):
        new = starting.get(a, [])
        active = [m for m in active if m.end > a] + new
        out.append(Segment(text[a:b], active, new))
    return out


def highlight(text: str, marks: list[Mark]) -> str:
    """``text`` as escaped HTML with every mark highlighted: each covered segment one ``<mark>``, a badge where
    a mark starts (the markup is ``templates/highlight.html``)."""
    return fragment("highlight.html", segments=segments(text, marks))


def article_page(row: Row, links: Links) -> str:
    """The whole page of one article (``row.document`` must be set)."""
    doc = row.document or {}
    article, summary = doc.get("article") or {}, doc.get("summary") or {}
    text = str(article.get("text") or "")
    marks, lost = marks_of(summary, text)
    entities: dict[str, list[dict[str, Any]]] = {}
    for ent in _dicts(summary.get("entities")):
        entities.setdefault(str(ent.get("type") or "other"), []).append(ent)
    return render(
        "article.html", title=row.title, current="article", depth=1, row=row, article=article, summary=summary,
        run=doc.get("run") if isinstance(doc.get("run"), dict) else {}, key_points=_dicts(summary.get("key_points")),
        written_by=answer_source(doc.get("run")), located_points=len({m.ref for m in marks if m.ref[0] == "k"}),
        segments=segments(text, marks), lost=lost, quotes=_dicts(summary.get("quotes")),
        dropped=_dicts(doc.get("dropped")), repairs=_dicts(doc.get("repairs")), item_json=_item_json,
        events=_dicts(summary.get("events")), entity_groups=sorted(entities.items()),
        entity_count=sum(map(len, entities.values())), located_quotes=sum(m.ref[0] == "q" for m in marks),
        located_events=sum(m.ref[0] == "e" for m in marks))


def _item_json(item: Any, limit: int = 400) -> str:
    """A dropped item as the model gave it, as compact JSON cut to ``limit`` characters (text, escaped by the page)."""
    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dicts(items: Any) -> list[dict[str, Any]]:
    """The list's items, with anything that is not an object replaced by an empty one (numbering is kept)."""
    return [item if isinstance(item, dict) else {} for item in items] if isinstance(items, list) else []
