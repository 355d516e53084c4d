"""Scoring predicted summaries (the documents ``summarize run`` writes) against gold annotations.

Terms and rules (the README's "Evaluate against gold" says the same for users):

- **alignment**: the gold article ``<id>`` is scored against ``PRED/<id>.json``. Gold articles with no
  predicted document count as all missed; predicted documents without gold are listed, not scored.
- **mapping**: gold offsets index the gold text (the brat ``.txt``, or the text whose SHA-256 the
  project JSON records). Each gold quote is looked up in the predicted document's ``article.text``:
  at its own offsets, then at its offsets shifted as much as the previous quote's were, then at the
  occurrence of its words nearest to that place, then (typography aside) near it or anywhere. A
  quote found nowhere is **unmappable**: reported and left out of every score.
- **scored extent** of a span (gold or predicted, after mapping): the span without white space, format
  characters (zero-width space, BOM) and Unicode punctuation at either edge, so quotation marks of
  every kind (straight, curly, ``« »``, ``„ “``, ``‹ ›``, ``「」``), commas, full stops, brackets and
  dashes standing at an edge do not count: gold ``“We will respond,”`` and a prediction ``We will
  respond`` have the same extent. Punctuation that is part of what it stands next to stays: a sign or
  a decimal point right before a digit at the start (``-14``, ``.5``) and ``# % & * @ § ¶ † ‡ ‰ ‱ ′ ″
  / \\``. Inner characters always count, so a word missing or added is a different extent.
  :func:`scored_extent` is the one place this is decided; every score below compares these extents.
- **overlap** of two spans: characters in common ÷ characters in either (intersection over union) of
  their scored extents, from 0 to 1. Spans **overlap-match** when it is at least the threshold
  (``--overlap``, default 0.5); they **exact-match** when their scored extents are equal.
- **matching** is one-to-one and greedy: of all pairs scoring at or above the threshold, the best is
  taken first (ties: lower gold index, then lower predicted index), then the best of what remains.
  Each gold quote and each predicted quote is used at most once; a duplicate prediction is a false
  positive.
- **rows**: ``all`` matches quotes regardless of kind; ``direct`` and ``indirect`` match only gold and
  predicted quotes of that kind, so a quote predicted with the wrong kind counts in ``all`` but is a
  miss (and a false positive) in the split rows. Kind agreement on the ``all`` matches is reported.
- **speaker accuracy**: of the ``all`` overlap matches whose gold quote names a speaker, the share whose
  predicted speaker names the same one (:mod:`summarize.text.names`: normalisation, titles, the gold and
  the predicted entities' aliases).
- **events**: a gold event is **recalled** when some predicted event has its date at the gold precision
  (a predicted ``2020-01-03`` has gold ``2020-01``; a predicted ``2020`` does not have gold
  ``2020-01-03``; an undated gold event accepts any date) and an actor in common (a gold event with no
  actors accepts any). **Date recall** counts dated gold events only, by date alone. **Event
  precision** is the share of predicted events that recall some gold event. Matching here is not
  one-to-one. Gold that does not annotate events (brat attributions) leaves every event score out.
- **grounding**: the share of predicted quotes (and of event evidence) whose span slices
  ``article.text`` to exactly their text, or, for a span marked ``normalized``, to the same words once
  typography and edge punctuation are set aside (as :func:`summarize.text.grounding.locate` compares them).
  A missing or ``fuzzy`` span is not grounded.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from summarize.core import defaults
from summarize.core.document import read_document
from summarize.errors import ConfigurationError, DocumentError
from summarize.evaluation.evalreport import ArticleEval, EvalReport, Scores, SpanCounts, Unmappable
from summarize.evaluation.gold import GoldArticle, GoldQuote, load_gold
from summarize.text.dates import iso_date
from summarize.text.grounding import _core, locate
from summarize.text.idpath import IdPathError, id_path
from summarize.text.names import NameIndex, same_referent

__all__ = ["EvalReport", "PredictedEvent", "PredictedQuote", "Prediction", "date_matches", "evaluate",
           "evaluate_article", "is_grounded", "load_gold", "load_prediction", "map_quotes", "match_spans",
           "scored_extent", "span_overlap"]


@dataclass(frozen=True)
class PredictedQuote:
    """A quote as the output document gives it; a span missing from the document is ``None``."""

    text: str
    start: int | None
    end: int | None
    match: str | None
    kind: str
    speaker: str | None


@dataclass(frozen=True)
class PredictedEvent:
    """An event's date, actors and evidence as the output document gives them."""

    date: str | None
    actors: tuple[str, ...]
    evidence: str
    start: int | None
    end: int | None
    match: str | None


@dataclass(frozen=True)
class Prediction:
    """The parts of one output document that are scored."""

    id: str
    text: str
    quotes: tuple[PredictedQuote, ...]
    events: tuple[PredictedEvent, ...]
    entities: tuple[tuple[str, tuple[str, ...]], ...]


def load_prediction(path: str | Path, article_id: str | None = None) -> Prediction:
    """Read an output document (``OUT/<id>.json``) for scoring, by the one document rule
    (:func:`summarize.core.document.read_document`); :class:`~summarize.core.document.DocumentError` if it is not one."""
    try:
        doc = read_document(path)
    except DocumentError as exc:
        exc.article_id = article_id or exc.article_id
        raise
    quotes = tuple(
        PredictedQuote(str(q.get("text") or ""), *_span(q.get("span")), str(q.get("kind") or ""), q.get("speaker"))
        for q in doc.quotes
    )
    events = tuple(
        PredictedEvent(_when(e.get("when")), tuple(e.get("actors") or ()), str(e.get("evidence") or ""),
                       *_span(e.get("evidence_span")))
        for e in doc.events
    )
    entities = tuple((str(x.get("name") or ""), tuple(x.get("aliases") or ())) for x in doc.entities)
    return Prediction(article_id or Path(path).stem, doc.article.text, quotes, events, entities)


def _when(when: Any) -> str | None:
    return when.get("date") if isinstance(when, dict) else None


def _span(span: Any) -> tuple[int | None, int | None, str | None]:
    if not isinstance(span, dict):
        return None, None, None
    return span.get("start"), span.get("end"), span.get("match")


# -- spans --------------------------------------------------------------------------------------------

#: Punctuation that belongs to the word or number it stands next to, so it counts even at an edge.
_KEPT = "#%&*@\u00a7\u00b6\u2020\u2021\u2030\u2031\u2032\u2033/\\"
#: Before a digit at the start of a span, these are a sign or a decimal point: ``-14`` is not ``14``.
_NUMBER_PREFIX = "-.\u2010\u2011\u2012\u2013"


def scored_extent(text: str, start: int, end: int) -> tuple[int, int]:
    """The part of ``text[start:end]`` that scoring compares: without white space, format characters and
    punctuation at its edges (the rule is in the module docstring); empty (``start == end``) when
    nothing else is left."""
    while start < end and _ignored_edge(text, start, leading=True):
        start += 1
    while end > start and _ignored_edge(text, end - 1, leading=False):
        end -= 1
    return start, end


def _ignored_edge(text: str, i: int, *, leading: bool) -> bool:
    ch = text[i]
    category = unicodedata.category(ch)
    if ch.isspace() or category == "Cf":
        return True
    if category[0] != "P" or ch in _KEPT:
        return False
    return not (leading and ch in _NUMBER_PREFIX and i + 1 < len(text) and text[i + 1].isdigit())


def span_overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Characters in common ÷ characters in either (0 when disjoint or both empty)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if inter > 0 and union > 0 else 0.0


def match_spans(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]], threshold: float | None,
                ) -> list[tuple[int, int]]:
    """One-to-one greedy matching: ``(gold index, predicted index)`` pairs, best overlap first.

    ``threshold=None`` asks for exact matches (equal start and end). :func:`evaluate_article` passes
    scored extents, so the edge rule of the module docstring applies to both modes.
    """
    scored = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if threshold is None:
                if g == p:
                    scored.append((-1.0, gi, pi))
                continue
            score = span_overlap(g, p)
            if score > 0 and score >= threshold:
                scored.append((-score, gi, pi))
    scored.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, gi, pi in scored:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gi, pi))
    return sorted(pairs)


def _find_near(text: str, fragment: str, expected: int) -> tuple[int, int] | None:
    """Where ``fragment`` stands in ``text``, preferring the occurrence nearest ``expected``."""
    if not fragment.strip():
        return None
    hits: list[int] = []
    at = text.find(fragment)
    while at >= 0 and len(hits) < 10_000:
        hits.append(at)
        at = text.find(fragment, at + 1)
    if hits:
        best = min(hits, key=lambda p: (abs(p - expected), p))
        return best, best + len(fragment)
    margin = max(200, len(fragment))
    lo, hi = max(0, expected - margin), min(len(text), expected + len(fragment) + margin)
    for a, b in ((lo, hi), (0, len(text))):
        span = locate(text[a:b], fragment)
        if span is not None and span.match.value != "fuzzy":
            return a + span.start, a + span.end
    return None


def map_quotes(gold: GoldArticle, text: str) -> tuple[list[tuple[int, GoldQuote]], list[Unmappable], bool]:
    """Gold quotes moved into ``text``: ``(index, quote)`` pairs, the unmappable ones, and whether any moved."""
    if gold.text is not None:
        remapped = gold.text != text
    else:
        remapped = gold.text_sha256 is not None and gold.text_sha256 != hashlib.sha256(text.encode()).hexdigest()
    mapped: list[tuple[int, GoldQuote]] = []
    lost: list[Unmappable] = []
    delta = 0
    for i, q in enumerate(gold.quotes):
        n = len(q.text)
        if text[q.start:q.end] == q.text and n:
            found: tuple[int, int] | None = (q.start, q.end)
        elif n and text[q.start + delta:q.start + delta + n] == q.text:
            found = (q.start + delta, q.start + delta + n)
        else:
            found = _find_near(text, q.text, q.start + delta)
        if found is None:
            lost.append(Unmappable(gold.id, "quote", i, q.text, q.start, q.end))
            continue
        shift = found[0] - q.start
        if found != (q.start, q.end):
            remapped = True
        delta = shift
        parts = tuple((s + shift, e + shift) for s, e in q.parts)
        mapped.append((i, replace(q, start=found[0], end=found[1], parts=parts)))
    return mapped, lost, remapped


def is_grounded(text: str, fragment: str, start: int | None, end: int | None, match: str | None) -> bool:
    """Whether ``text[start:end]`` is ``fragment`` (or, for a ``normalized`` span, the same words)."""
    if start is None or end is None or not (0 <= start <= end <= len(text)) or not fragment:
        return False
    passage = text[start:end]
    if passage == fragment:
        return True
    return match == "normalized" and bool(_core(fragment)) and _core(passage) == _core(fragment)


# -- events -------------------------------------------------------------------------------------------

def date_matches(gold: str | None, predicted: str | None) -> bool:
    """Whether a predicted date has the gold date at the gold's precision (``None`` gold: any date)."""
    if gold is None:
        return True
    wanted, found = iso_date(gold), iso_date(predicted)
    return wanted is not None and found is not None and wanted.covers(found)


# -- one article, then a folder -----------------------------------------------------------------------

def evaluate_article(gold: GoldArticle, pred: Prediction | None, *, overlap: float = defaults.OVERLAP) -> ArticleEval:
    """Score one prediction (``None``: no document, everything missed) against its gold."""
    scores = Scores()
    if pred is None:
        for row, kinds in (("all", ("direct", "indirect")), ("direct", ("direct",)), ("indirect", ("indirect",))):
            for mode in ("exact", "overlap"):
                scores.quotes[row][mode].fn = sum(q.kind in kinds for q in gold.quotes)
        scores.events.total = len(gold.events)
        scores.event_dates.total = sum(e.date is not None for e in gold.events)
        return ArticleEval(gold.id, False, len(gold.quotes), 0, len(gold.events), 0, scores)

    gold_quotes, lost, remapped = map_quotes(gold, pred.text)
    gq = [q for _, q in gold_quotes]
    g_spans = [scored_extent(pred.text, q.start, q.end) for q in gq]
    pq = [(q, _pred_span(pred.text, q)) for q in pred.quotes]
    gold_names = NameIndex((e.name, e.aliases) for e in gold.entities)
    pred_names = NameIndex(pred.entities)

    for row in ("all", "direct", "indirect"):
        g_idx = [i for i, q in enumerate(gq) if row == "all" or q.kind == row]
        p_idx = [i for i, (q, _) in enumerate(pq) if row == "all" or q.kind == row]
        p_spans = [(i, pq[i][1]) for i in p_idx]
        located = [(i, s) for i, s in p_spans if s is not None]
        for mode, threshold in (("exact", None), ("overlap", overlap)):
            pairs = match_spans([g_spans[i] for i in g_idx], [s for _, s in located], threshold)
            c: SpanCounts = scores.quotes[row][mode]
            c.tp, c.fn, c.fp = len(pairs), len(g_idx) - len(pairs), len(p_idx) - len(pairs)
            if row == "all" and mode == "overlap":
                for gi, pi in pairs:
                    g, p = gq[g_idx[gi]], pq[located[pi][0]][0]
                    scores.kind.total += 1
                    scores.kind.hits += g.kind == p.kind
                    if g.speaker:
                        scores.speaker.total += 1
                        scores.speaker.hits += same_referent(g.speaker, p.speaker, gold_names, pred_names)

    def recalls(g_actors: Sequence[str], g_date: str | None, p_actors: Sequence[str], p_date: str | None) -> bool:
        return date_matches(g_date, p_date) and (
            not g_actors or any(same_referent(a, b, gold_names, pred_names) for a in g_actors for b in p_actors))

    matched_pred: set[int] = set()
    for ev in gold.events:
        hits = [i for i, p in enumerate(pred.events) if recalls(ev.actors, ev.date, p.actors, p.date)]
        matched_pred.update(hits)
        scores.events.total += 1
        scores.events.hits += bool(hits)
        if ev.date is not None:
            scores.event_dates.total += 1
            scores.event_dates.hits += any(date_matches(ev.date, p.date) for p in pred.events)
    if gold.events_annotated:
        scores.event_precision.total = len(pred.events)
        scores.event_precision.hits = len(matched_pred)

    scores.grounded_quotes.total = len(pred.quotes)
    scores.grounded_quotes.hits = sum(is_grounded(pred.text, q.text, q.start, q.end, q.match) for q in pred.quotes)
    scores.grounded_evidence.total = len(pred.events)
    scores.grounded_evidence.hits = sum(is_grounded(pred.text, e.evidence, e.start, e.end, e.match) for e in pred.events)
    return ArticleEval(gold.id, True, len(gq), len(pred.quotes), len(gold.events), len(pred.events), scores,
                       remapped=remapped, unmappable=lost)


def _pred_span(text: str, q: PredictedQuote) -> tuple[int, int] | None:
    """A predicted quote's scored extent; located by its words when the document gives no span (never
    fuzzily). ``None`` when it cannot be placed or holds nothing but punctuation."""
    if isinstance(q.start, int) and isinstance(q.end, int) and 0 <= q.start <= q.end <= len(text):
        found: tuple[int, int] | None = (q.start, q.end)
    else:
        span = locate(text, q.text) if q.text else None
        found = (span.start, span.end) if span is not None and span.match.value != "fuzzy" else None
    extent = scored_extent(text, *found) if found is not None else None
    return extent if extent is not None and extent[0] < extent[1] else None


def evaluate(pred_dir: str | Path, gold_dir: str | Path, *, overlap: float = defaults.OVERLAP) -> EvalReport:
    """Score the documents in ``pred_dir`` (as ``summarize run`` writes them) against the gold in ``gold_dir``.

    ``gold_dir`` is a folder (or one file) of project gold JSON or brat ``.ann``/``.txt`` pairs (see
    :func:`summarize.evaluation.gold.load_gold`); ``overlap`` is the intersection-over-union threshold for overlap
    matches, in ``(0, 1]``. The rules are in the module docstring.
    """
    if not 0 < overlap <= 1:
        raise ConfigurationError(f"overlap must be above 0 and at most 1 (a share of the two spans' characters), "
                                 f"not {overlap}")
    pred_root = Path(pred_dir)
    if not pred_root.is_dir():
        raise ConfigurationError(f"predictions folder {pred_root} does not exist; give the --out folder of "
                                 "`summarize run`")
    golds = load_gold(gold_dir)
    articles: list[ArticleEval] = []
    missing: list[str] = []
    expected: set[str] = set()
    for g in golds:
        try:
            document = id_path(g.id, ".json")  # where `summarize run` wrote the article's document
        except IdPathError:
            document = None
        path = pred_root / document if document is not None else None
        pred = load_prediction(path, g.id) if path is not None and path.is_file() else None
        if pred is None:
            missing.append(g.id)
        if document is not None:
            expected.add(document)
        articles.append(evaluate_article(g, pred, overlap=overlap))
    predicted = sorted(
        rel.as_posix()
        for rel in (p.relative_to(pred_root) for p in pred_root.rglob("*.json"))
        if not any(part.startswith(".") for part in rel.parts)
    )
    return EvalReport(overlap, articles, missing, [p[: -len(".json")] for p in predicted if p not in expected])
