"""The scores an evaluation against gold produces, their JSON form and their table.

Terms:

- **counts**: every score is kept as counts (true positives, false positives, false negatives; or hits
  out of a total), so an article's scores add up into the run's **micro-averaged** totals: the counts
  are summed over articles and the rates computed once from the sums.
- A rate whose denominator is zero is ``None`` (``null`` in JSON, ``-`` in the table): undefined, not 0
  or 1. An article with no gold indirect quotes has no indirect recall.

:class:`EvalReport` is what :func:`summarize.evaluation.evaluate.evaluate` returns; ``to_dict()`` is the JSON
report ``summarize eval --json`` prints (``"format": "summarize-eval/1"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ArticleEval", "EvalReport", "Ratio", "Scores", "SpanCounts", "Unmappable", "print_report"]

QUOTE_ROWS = ("all", "direct", "indirect")
MATCH_MODES = ("exact", "overlap")


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class SpanCounts:
    """Matches between gold and predicted spans: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return _rate(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _rate(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _rate(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def add(self, other: SpanCounts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class Ratio:
    """``hits`` out of ``total``; ``rate`` is ``None`` when the total is zero."""

    hits: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return _rate(self.hits, self.total)

    def add(self, other: Ratio) -> None:
        self.hits += other.hits
        self.total += other.total

    def to_dict(self) -> dict[str, Any]:
        return {"hits": self.hits, "total": self.total, "rate": self.rate}


def _quote_table() -> dict[str, dict[str, SpanCounts]]:
    return {row: {mode: SpanCounts() for mode in MATCH_MODES} for row in QUOTE_ROWS}


@dataclass
class Scores:
    """Every score for one article, or summed over many (see the module docstring)."""

    quotes: dict[str, dict[str, SpanCounts]] = field(default_factory=_quote_table)
    """``quotes[row][mode]``: row ``all``, ``direct`` or ``indirect``; mode ``exact`` or ``overlap``."""
    speaker: Ratio = field(default_factory=Ratio)
    """Overlap-matched pairs (row ``all``) whose speaker is right, out of those whose gold names one."""
    kind: Ratio = field(default_factory=Ratio)
    """Overlap-matched pairs (row ``all``) whose kind (direct/indirect) agrees."""
    events: Ratio = field(default_factory=Ratio)
    """Gold events recalled: date at the gold precision and an actor in common."""
    event_dates: Ratio = field(default_factory=Ratio)
    """Dated gold events whose date some predicted event has (at the gold precision)."""
    event_precision: Ratio = field(default_factory=Ratio)
    """Predicted events that recall some gold event, out of all predicted events."""
    grounded_quotes: Ratio = field(default_factory=Ratio)
    """Predicted quotes whose span slices the article to their text."""
    grounded_evidence: Ratio = field(default_factory=Ratio)
    """Predicted events whose evidence span slices the article to their evidence."""

    def add(self, other: Scores) -> None:
        for row in QUOTE_ROWS:
            for mode in MATCH_MODES:
                self.quotes[row][mode].add(other.quotes[row][mode])
        for name in ("speaker", "kind", "events", "event_dates", "event_precision", "grounded_quotes",
                     "grounded_evidence"):
            getattr(self, name).add(getattr(other, name))

    @property
    def grounding(self) -> Ratio:
        """Quotes and evidence together."""
        return Ratio(self.grounded_quotes.hits + self.grounded_evidence.hits,
                     self.grounded_quotes.total + self.grounded_evidence.total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quotes": {row: {mode: c.to_dict() for mode, c in modes.items()} for row, modes in self.quotes.items()},
            "speaker_accuracy": self.speaker.to_dict(),
            "kind_agreement": self.kind.to_dict(),
            "events": {"recall": self.events.to_dict(), "date_recall": self.event_dates.to_dict(),
                       "precision": self.event_precision.to_dict()},
            "grounding": {"quotes": self.grounded_quotes.to_dict(), "evidence": self.grounded_evidence.to_dict(),
                          "all": self.grounding.to_dict()},
        }


@dataclass(frozen=True)
class Unmappable:
    """A gold span whose words could not be found in the predicted document's text."""

    article: str
    what: str
    """``quote`` (the only spans scored by position)."""
    index: int
    """Its position in the gold article's quotes."""
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "what": self.what, "index": self.index, "text": self.text,
                "start": self.start, "end": self.end}


@dataclass
class ArticleEval:
    """One gold article's scores. ``predicted`` is false when OUT held no document for it (all missed)."""

    article: str
    predicted: bool
    gold_quotes: int
    predicted_quotes: int
    gold_events: int
    predicted_events: int
    scores: Scores
    remapped: bool = False
    """Whether the gold text differed from the predicted document's, so spans were mapped by their words."""
    unmappable: list[Unmappable] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "predicted": self.predicted, "remapped": self.remapped,
                "gold_quotes": self.gold_quotes, "predicted_quotes": self.predicted_quotes,
                "gold_events": self.gold_events, "predicted_events": self.predicted_events,
                "scores": self.scores.to_dict(), "unmappable": [u.to_dict() for u in self.unmappable]}


@dataclass
class EvalReport:
    """The result of :func:`summarize.evaluation.evaluate.evaluate`: per-article scores and their micro-averaged totals."""

    overlap: float
    """The overlap threshold: intersection over union of two spans' characters."""
    articles: list[ArticleEval]
    missing_predictions: list[str]
    """Gold articles with no predicted document: scored as all missed."""
    predictions_without_gold: list[str]
    """Predicted documents with no gold: not scored."""

    @property
    def totals(self) -> Scores:
        """The counts summed over every gold article (micro-average)."""
        total = Scores()
        for a in self.articles:
            total.add(a.scores)
        return total

    @property
    def unmappable(self) -> list[Unmappable]:
        return [u for a in self.articles for u in a.unmappable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "summarize-eval/1",
            "overlap": self.overlap,
            "overlap_measure": "intersection over union of character offsets",
            "totals": self.totals.to_dict(),
            "articles": [a.to_dict() for a in self.articles],
            "missing_predictions": list(self.missing_predictions),
            "predictions_without_gold": list(self.predictions_without_gold),
            "unmappable": [u.to_dict() for u in self.unmappable],
        }


# -- the table ----------------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def print_report(report: EvalReport, console: Any = None) -> None:
    """Print ``report`` as rich tables: per article, then the totals by quote kind and match mode."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if len(report.articles) <= 50:
        per = Table(title=f"summarize eval: per article (overlap = IoU >= {report.overlap:g})", box=box.SIMPLE_HEAD)
        for col in ("article", "quotes g/p", "exact F1", "overlap F1", "spk acc", "event R", "grnd rate"):
            per.add_column(col, justify="left" if col == "article" else "right", no_wrap=col == "article")
        for a in report.articles:
            s = a.scores
            name = a.article if a.predicted else f"{a.article} (no prediction)"
            per.add_row(name, f"{a.gold_quotes}/{a.predicted_quotes}", _pct(s.quotes["all"]["exact"].f1),
                        _pct(s.quotes["all"]["overlap"].f1), _pct(s.speaker.rate), _pct(s.events.rate),
                        _pct(s.grounding.rate), style=None if a.predicted else "red")
        console.print(per)

    t = report.totals
    tot = Table(title=f"summarize eval: totals over {len(report.articles)} gold article(s), micro-averaged",
                box=box.SIMPLE_HEAD)
    for col in ("metric", "match", "P", "R", "F1", "tp", "fp", "fn"):
        tot.add_column(col, justify="left" if col in ("metric", "match") else "right")
    for row in ("all", "direct", "indirect"):
        for mode in ("exact", "overlap"):
            c = t.quotes[row][mode]
            tot.add_row(f"quotes: {row}", mode, _pct(c.precision), _pct(c.recall), _pct(c.f1),
                        str(c.tp), str(c.fp), str(c.fn))
    console.print(tot)
    for label, r in (("speaker accuracy (overlap-matched quotes)", t.speaker),
                     ("kind agreement (overlap-matched quotes)", t.kind),
                     ("event recall (date at gold precision + actor)", t.events),
                     ("event date-only recall", t.event_dates),
                     ("event precision (predicted events matching gold)", t.event_precision),
                     ("grounding: quotes", t.grounded_quotes), ("grounding: evidence", t.grounded_evidence),
                     ("grounding: all", t.grounding)):
        console.print(f"{label}: {_pct(r.rate)} ({r.hits}/{r.total})", highlight=False)
    if report.missing_predictions:
        console.print(f"[red]no prediction (scored as all missed):[/red] {', '.join(report.missing_predictions)}")
    if report.predictions_without_gold:
        console.print(f"predictions without gold (not scored): {', '.join(report.predictions_without_gold)}",
                      highlight=False)
    for u in report.unmappable[:50]:
        console.print(f"[yellow]unmappable gold {u.what}[/yellow] {u.article} #{u.index} at {u.start}-{u.end}: "
                      f"{u.text[:80]!r} (not found in the predicted document's text; not scored)", highlight=False)
    if len(report.unmappable) > 50:
        console.print(f"... and {len(report.unmappable) - 50} more unmappable spans (see --json)")
