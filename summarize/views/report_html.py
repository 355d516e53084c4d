"""Building blocks shared by the report's pages: the template environment, dates, spans and links.

The pages are jinja2 templates in ``summarize/views/templates/`` (shipped in the wheel), rendered with
autoescaping: everything that comes from an article or a model is escaped as HTML text or attribute value,
so hostile text stays text; carriage returns survive as ``&#13;`` and ``None`` renders as nothing. Data
embedded in a ``<script>`` goes through :func:`json_for_script` (the ``script_json`` filter).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from summarize._version import __version__

__all__ = ["Links", "Row", "answer_source", "fragment", "human_date", "json_for_script", "render", "span_of"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: No network at all: only this site's own stylesheet and script, and data: images.
_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:"
_NAV = (("index", "index.html", "Articles"), ("timeline", "timeline.html", "Timeline"),
        ("speakers", "who-said-what.html", "Who said what"))


@dataclass
class Row:
    """One article of the report: its document (when readable) and its last ledger line."""

    id: str
    status: str
    title: str
    published: str | None = None
    quotes: int | None = None
    events: int | None = None
    entities: int | None = None
    error: str | None = None
    message: str | None = None
    document: dict[str, Any] | None = field(default=None, repr=False)
    ledger: dict[str, Any] | None = field(default=None, repr=False)


def json_for_script(data: Any) -> str:
    """Compact JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` at all."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(template: str, *, title: str, current: str, depth: int = 0, **context: Any) -> str:
    """A whole page: ``template`` (which extends ``base.html``: head, navigation, footer, the shared script)
    rendered with ``context``; ``depth`` is how many folders below the site's root the page is."""
    return _environment().get_template(template).render(
        title=title, current=current, up="../" * depth, csp=_CSP, nav=_NAV, version=__version__, **context)


def fragment(template: str, **context: Any) -> str:
    """A piece of a page: ``template`` (one that does not extend ``base.html``) rendered with ``context``."""
    return _environment().get_template(template).render(**context)


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader(__package__ or "summarize.views", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize)
    env.filters.update(human_date=human_date, script_json=lambda data: Markup(json_for_script(data)),
                       thousands=lambda n: f"{n:,}", join_all=_join_all, chip_class=_chip_class)
    return env


def _finalize(value: Any) -> Any:
    """Every ``{{ }}``: ``None`` as nothing; text escaped here so that a carriage return survives (``&#13;``)."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(str(escape(value)).replace("\r", "&#13;"))
    return value


def _join_all(items: Any, sep: str = ", ") -> str:
    return sep.join(map(str, items or []))


def _chip_class(value: object) -> str:
    """A chip's colour class from its kind: letters, digits, ``-`` and ``_`` kept, anything else ``-``."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(value).lower())


def human_date(date: str | None, precision: str | None = None) -> str:
    """``2020-01-03`` → ``3 Jan 2020``; ``2020-01`` → ``Jan 2020``; ``2020`` → ``2020``; anything else as is."""
    if not date:
        return "undated"
    parts = str(date).split("-")
    try:
        if len(parts) == 3 and precision in (None, "day"):
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
        if len(parts) >= 2 and precision in (None, "day", "month"):
            return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[0])}"
        return str(int(parts[0]))
    except (ValueError, IndexError):
        return str(date)


def answer_source(run: Any) -> tuple[str, str, str] | None:
    """Who wrote the accepted answer of a document's ``run`` block (the last of ``run.answers``): its source
    (``recorded``, ``authored``, ``live``), a short label for the index (``authored by …``, ``recorded:
    <model>``, ``live: <model>``) and a sentence for the article page; ``None`` when the document does not
    say (written before ``answers`` existed)."""
    answers = run.get("answers") if isinstance(run, dict) else None
    last = answers[-1] if isinstance(answers, list) and answers and isinstance(answers[-1], dict) else None
    if last is None or last.get("source") not in ("recorded", "authored", "live"):
        return None
    at = f" on {human_date(str(last['at'])[:10])}" if last.get("at") else ""
    if last["source"] == "authored":
        by = last.get("author") or "a person"
        note = f" {last['note']}" if last.get("note") else ""
        return "authored", f"authored by {by}", f"Answer written by hand by {by}{at}: no model wrote it.{note}"
    model = last.get("model") or "an unnamed model"
    server = f" at {last['server']}" if last.get("server") else ""
    if last["source"] == "recorded":
        return "recorded", f"recorded: {model}", f"Answer recorded from {model}{server}{at}, replayed from the fixtures."
    return "live", f"live: {model}", f"Answer from {model}{server}{at}, in this run."


def span_of(item: dict[str, Any], key: str, text: str) -> tuple[int, int] | None:
    """The ``(start, end)`` of ``item[key]`` when it is a usable span of ``text``, else ``None``."""
    span = item.get(key)
    if not isinstance(span, dict):
        return None
    start, end = span.get("start"), span.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return start, end
    return None


class Links:
    """Where things are in the site: each article's page, and the anchor of a quote or an event by its span."""

    def __init__(self, names: dict[str, str], rows: Iterable[Row]) -> None:
        self.names = names
        self.titles: dict[str, str] = {}
        self._anchors: dict[tuple[str, str, int, int], str] = {}
        for row in rows:
            self.titles[row.id] = row.title
            doc = row.document
            if doc is None:
                continue
            summary, text = doc["summary"], doc["article"]["text"]
            for prefix, items, key in (("q", summary.get("quotes"), "span"),
                                       ("e", summary.get("events"), "evidence_span")):
                for i, item in enumerate(items or [], 1):
                    span = span_of(item, key, text) if isinstance(item, dict) else None
                    if span is not None:
                        self._anchors.setdefault((row.id, prefix, *span), f"{prefix}{i}")

    def article(self, article_id: str, *, depth: int = 0, anchor: str | None = None) -> str | None:
        """The relative address of an article's page (``None`` when it has none), optionally at an anchor."""
        name = self.names.get(article_id)
        if name is None:
            return None
        return f"{'../' * depth}articles/{name}" + (f"#{anchor}" if anchor else "")

    def at_span(self, article_id: str, kind: str, span: Any) -> str | None:
        """The address of the quote (``kind`` ``q``) or event evidence (``e``) at ``span`` in an article."""
        anchor = None
        if isinstance(span, dict) and isinstance(span.get("start"), int) and isinstance(span.get("end"), int):
            found = self._anchors.get((article_id, kind, span["start"], span["end"]))
            anchor = f"s-{found}" if found else None
        return self.article(article_id, anchor=anchor)
