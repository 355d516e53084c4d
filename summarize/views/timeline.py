"""One timeline, and who said what, across a folder of summaries.

Terms used here (names, keys, entity groups, participants and content words: see :mod:`summarize.views.linking`;
quotes and speakers: see :mod:`summarize.views.speakers`):

- **document**: an output document of ``summarize run`` (``OUT/<article id>.json``, format 1).
- **entry**: one event of the timeline, merged from the events of one or more articles (its **sources**).
  Two events of one article are never merged: the article already told them apart.
- **compatible dates**: equal on the precision both have (``2020`` ~ ``2020-01`` ~ ``2020-01-03``;
  ``2020-01-02`` and ``2020-01-03`` are not). Two days one day apart are **adjacent**: outlets in
  different time zones date the same night differently (the strike that killed Soleimani was 3 January
  in Baghdad and 2 January in Washington), so adjacent days may merge, but only on strong evidence.
- **similarity**: the Jaccard index of two descriptions' content words (0 to 1).
- **shared quotation**: both events' evidence passages contain a quote that who-said-what merged across
  the two articles (the same words of the same speaker, e.g. "unsubstantiated and malicious").
- **strong match** between two events of different articles, with compatible dates:

  - a shared participant, the same event type and similarity >= ``SIMILARITY_SAME_TYPE``; or
  - a shared participant and similarity >= ``SIMILARITY_SHARED``; or
  - similarity >= ``SIMILARITY_ALONE``; or
  - a shared quotation and a shared participant or the same type.

  Adjacent days need a shared participant, the same type, and similarity >= ``ADJACENT_DAY_SIMILARITY``
  or a shared quotation. Undated events (compared only with undated events) need a shared participant,
  the same type and similarity >= ``UNDATED_SIMILARITY`` or a shared quotation; or similarity >=
  ``SIMILARITY_ALONE``.
- **agreement**: compatible dates, a shared participant, and the same type or similarity >=
  ``SIMILARITY_SAME_TYPE`` (adjacent days: the same type).
- **no chaining**: a dated event joins an entry when it strongly matches at least one of its events and
  agrees with *every* one of them; an undated event must strongly match every one. So A~B and B~C
  never pull an unrelated A and C together. Events are taken in a fixed order (day precision first, then
  month, then year; then by date, publication, article id and position), and each joins the entry it
  matches best (the highest lowest similarity), or starts a new one.
- **representative**: the source an entry shows first and takes its description, type and place from:
  the most precise date, then the earliest published article, then the article id. An entry's date is
  the most precise date its sources give; when sources one day apart disagree, the date most of them
  give, and the earlier on a tie.
- **order**: entries by date, a coarser date before the finer ones within it (``2020``, then
  ``January 2020``, then ``2020-01-03``), then by description; undated entries in the order their
  first article (the earliest published, then by id) tells them.

No model is called. The output does not depend on the order documents are given in.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.core.document import iter_documents
from summarize.errors import ArticleError, DocumentError
from summarize.text.dates import iso_date
from summarize.views.linking import EntityIndex, adjacent_days, date_parts, dates_compatible, jaccard, name_key
from summarize.views.markdown import timeline_markdown
from summarize.views.speakers import QUOTE_FUZZY_MIN_CHARS, QUOTE_PARTIAL_RATIO, who_said_what

__all__ = [
    "ADJACENT_DAY_SIMILARITY",
    "FORMAT",
    "QUOTE_FUZZY_MIN_CHARS",
    "QUOTE_PARTIAL_RATIO",
    "SIMILARITY_ALONE",
    "SIMILARITY_SAME_TYPE",
    "SIMILARITY_SHARED",
    "UNDATED_SIMILARITY",
    "SkippedFile",
    "build_timeline",
    "load_documents",
    "timeline_markdown",
]

FORMAT = "summarize-timeline/1"
#: Description similarity (Jaccard of content words) needed with a shared participant and the same type.
SIMILARITY_SAME_TYPE = 0.25
#: ... with a shared participant but different types.
SIMILARITY_SHARED = 0.4
#: ... with no shared participant.
SIMILARITY_ALONE = 0.6
#: ... for two dates one day apart (also needs a shared participant and the same type).
ADJACENT_DAY_SIMILARITY = 0.4
#: ... for two undated events (also needs a shared participant and the same type).
UNDATED_SIMILARITY = 0.5

_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


# -- reading a folder ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SkippedFile:
    """A file of the folder that is not used: ``corrupt`` when it should have been a summary but cannot be read."""

    path: Path
    reason: str
    corrupt: bool


def load_documents(out_dir: str | Path, *, on_skip: Callable[[SkippedFile], None] | None = None) -> Iterator[dict]:
    """Yield every summary document under ``out_dir`` (recursively, in sorted path order).

    ``ledger.jsonl``, hidden files and timelines written by this module are passed over silently. Other
    JSON files that are not summaries, and summaries that cannot be read (bad JSON, missing parts), are
    reported to ``on_skip`` (by default as a warning) and the rest goes on.
    """
    root = Path(out_dir)
    if not root.is_dir():
        raise ArticleError(f"{root} is not a folder of summaries: write one with `summarize run ARTICLES --out "
                           f"{root}`, then run `summarize timeline {root}`")

    def skip(path: Path, reason: str, corrupt: bool) -> None:
        if on_skip is None:
            warnings.warn(f"{path}: {reason}", stacklevel=3)
        else:
            on_skip(SkippedFile(path, reason, corrupt))

    for path, doc in iter_documents(root):
        if isinstance(doc, DocumentError):
            if not doc.corrupt and _is_timeline(path):
                continue
            skip(path, str(doc).removeprefix(f"{path}: "), doc.corrupt)
            continue
        yield doc.to_json()


def _is_timeline(path: Path) -> bool:
    """Whether ``path`` is a timeline this module wrote (passed over silently)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        return isinstance(data, dict) and data.get("format") == FORMAT
    return False


# -- events -------------------------------------------------------------------------------------------------

@dataclass
class _Event:
    doc: int
    index: int
    article: dict
    raw: dict
    date: str | None
    parts: tuple[int, ...] | None
    precision: str | None
    actors: dict[str, str]  # participant id → name shown
    targets: dict[str, str]
    words: frozenset[str]
    quotes: frozenset[str]  # ids of the quotes its evidence contains
    participants: frozenset[str] = frozenset()
    type: str = "other"

    def __post_init__(self) -> None:
        self.participants = frozenset({*self.actors, *self.targets})
        self.type = str(self.raw.get("event_type") or "other")

    def order(self) -> tuple:
        published = self.article.get("published") or "9999"
        return (_PRECISION_RANK.get(self.precision or "", 3), published, self.article["id"], self.index)


@dataclass(frozen=True)
class _Match:
    pair: tuple[str, str]  # the two article ids
    similarity: float
    shared: frozenset[str]
    quotes: frozenset[str]
    adjacent: bool
    strong: bool
    agrees: bool


def _compare(a: _Event, b: _Event) -> _Match | None:
    """The evidence that two events are one (see the module docstring); None when they cannot be."""
    if a.doc == b.doc:
        return None
    adjacent = False
    if a.parts is not None and b.parts is not None and not dates_compatible(a.parts, b.parts):
        if not adjacent_days(a.parts, b.parts):
            return None
        adjacent = True
    sim = jaccard(a.words, b.words)
    shared = a.participants & b.participants
    quotes = a.quotes & b.quotes
    same_type = a.type == b.type
    if adjacent:
        strong = bool(shared) and same_type and (sim >= ADJACENT_DAY_SIMILARITY or bool(quotes))
        agrees = bool(shared) and same_type
    elif a.parts is None:
        strong = (bool(shared) and same_type and (sim >= UNDATED_SIMILARITY or bool(quotes))) or sim >= SIMILARITY_ALONE
        agrees = strong
    else:
        strong = ((bool(shared) and same_type and sim >= SIMILARITY_SAME_TYPE)
                  or (bool(shared) and sim >= SIMILARITY_SHARED)
                  or sim >= SIMILARITY_ALONE
                  or (bool(quotes) and (bool(shared) or same_type)))
        agrees = bool(shared) and (same_type or sim >= SIMILARITY_SAME_TYPE)
    return _Match((a.article["id"], b.article["id"]), sim, shared, quotes, adjacent, strong, agrees or strong)


_LISTED = 6  # an entry's "why" lists its matches one by one up to this many, else sums them up


@dataclass
class _Cluster:
    """An entry's events, and what its "why" needs of the matches between them.

    Every event that joins is compared with every earlier member (no chaining), so the matches grow with
    the square of the members: only their count, range, quotes and the first few are kept (a story told
    by 400 articles makes about 80,000, and a 2,000-article timeline took 2.8 GB of memory).
    """

    members: list[_Event]
    pairs: int = 0
    low: float = 1.0
    high: float = 0.0
    adjacent: bool = False
    quotes: set[str] = field(default_factory=set)
    first: list[_Match] = field(default_factory=list)  # the first _LISTED + 1 matches

    def join(self, event: _Event, matches: list[_Match]) -> None:
        self.members.append(event)
        self.pairs += len(matches)
        for m in matches:
            self.low, self.high = min(self.low, m.similarity), max(self.high, m.similarity)
            self.adjacent = self.adjacent or m.adjacent
            self.quotes.update(m.quotes)
        self.first.extend(matches[: _LISTED + 1 - len(self.first)])


def _tokens(event: _Event) -> set[str]:
    """What two events must share for a strong match: a participant, a content word or a quote."""
    return {*event.participants, *event.words, *event.quotes}


def _compatible_dates(parts: tuple[int, ...] | None) -> list[tuple[int, ...] | None]:
    """Every date a member can have and still match an event dated ``parts``: the same date, a coarser one
    containing it, a finer one inside it, or, at day precision, the day before or after."""
    if parts is None:
        return [None]
    found: list[tuple[int, ...] | None] = [parts[:k] for k in range(1, len(parts) + 1)]
    if len(parts) == 3:
        day = datetime.date(*parts)
        for step in (-1, 1):
            with contextlib.suppress(OverflowError):
                near = day + datetime.timedelta(days=step)
                found.append((near.year, near.month, near.day))
        return found
    months = [parts] if len(parts) == 2 else [(parts[0], m) for m in range(1, 13)]
    for year, month in months:
        if len(parts) == 1:
            found.append((year, month))
        found += [(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    return found


def _cluster(events: list[_Event]) -> list[_Cluster]:
    """Group events into entries (see "no chaining" in the module docstring).

    Only entries with a member of a compatible date (:func:`_compatible_dates`) sharing a token
    (:func:`_tokens`) with an event are compared with it: a strong match is impossible without one, so
    this changes nothing but the time taken. (Looking only at the year made every event of a busy year a
    candidate for every entry of that year that shared a participant.)
    """
    clusters: list[_Cluster] = []
    index: dict[tuple[tuple[int, ...] | None, str], set[int]] = {}
    for event in sorted(events, key=lambda e: (e.order()[0], e.parts or (), *e.order()[1:])):
        tokens = _tokens(event)
        candidates = {c for when in _compatible_dates(event.parts) for t in tokens for c in index.get((when, t), ())}
        best: tuple[float, int, list[_Match]] | None = None
        for i in sorted(candidates):
            matches = []
            for member in clusters[i].members:
                match = _compare(event, member)
                if match is None or not match.agrees:
                    break
                matches.append(match)
            else:
                if not any(m.strong for m in matches):
                    continue
                score = min(m.similarity for m in matches)
                if best is None or score > best[0]:
                    best = (score, i, matches)
        if best is None:
            clusters.append(_Cluster([event]))
            target = len(clusters) - 1
        else:
            target = best[1]
            clusters[target].join(event, best[2])
        for t in tokens:
            index.setdefault((event.parts, t), set()).add(target)
    return clusters


def _entry_date(members: list[_Event]) -> tuple[str | None, str | None]:
    dated = [m for m in members if m.parts is not None]
    if not dated:
        return None, None
    finest = min(_PRECISION_RANK[m.precision or "year"] for m in dated)
    dates = [m.date for m in dated if _PRECISION_RANK[m.precision or "year"] == finest]
    best = min(set(dates), key=lambda d: (-dates.count(d), d))
    return best, next(m.precision for m in dated if m.date == best)


def _names(members: list[_Event], attr: str) -> list[str]:
    seen: dict[str, str] = {}
    for m in members:
        for pid, name in getattr(m, attr).items():
            seen.setdefault(pid, name)
    return list(seen.values())


def _why(members: list[_Event], cluster: _Cluster, names: dict[str, str], quotes: dict[str, str]) -> str:
    """Why these sources are one entry, in words (see the module docstring for the rules)."""
    if len(members) == 1:
        return "reported by one article"
    dates = list(dict.fromkeys(m.date for m in members))
    if dates == [None]:
        when = "undated"
    elif len(dates) == 1:
        when = f"same {members[0].precision} {dates[0]}"
    else:
        when = "compatible dates " + ", ".join(str(d) for d in dates)
    if cluster.adjacent:
        when += " (one day apart: read as the same night in different time zones)"
    counts: dict[str, int] = {}
    for m in members:
        for pid in m.participants:
            counts[pid] = counts.get(pid, 0) + 1
    shared = sorted((names[p] for p, n in counts.items() if n > 1), key=str.casefold)
    types = list(dict.fromkeys(m.type for m in members))
    if cluster.pairs <= _LISTED:
        weak = " (weak, but shares a participant and the type)"
        sim = ", ".join(f"{' / '.join(sorted(m.pair))} {m.similarity:.2f}{'' if m.strong else weak}"
                        for m in sorted(cluster.first, key=lambda m: sorted(m.pair)))
    else:
        sim = f"{cluster.low:.2f} to {cluster.high:.2f} over {cluster.pairs} pairs"
    parts = [f"{len(members)} articles", when,
             f"shared participants: {', '.join(shared)}" if shared else "no shared participant",
             f"same type {types[0]}" if len(types) == 1 else f"types {', '.join(types)}",
             f"description similarity {sim}"]
    cited = sorted(cluster.quotes)
    if cited:
        said = dict.fromkeys(quotes.get(q, q) for q in cited)  # several speakers' quotes can hold the same words
        parts.append("same words quoted: " + ", ".join(f"\"{text}\"" for text in said))
    return "; ".join(parts)


def _entry(cluster: _Cluster, names: dict[str, str], quotes: dict[str, str]) -> dict:
    members = sorted(cluster.members, key=_Event.order)
    rep = members[0].raw
    date, precision = _entry_date(members)
    sources = []
    for m in members:
        span = m.raw.get("evidence_span") or {}
        when = m.raw.get("when") or {}
        sources.append({
            "article": m.article["id"], "title": m.article.get("title"), "published": m.article.get("published"),
            "description": m.raw.get("description"), "date": m.date, "precision": m.precision,
            "when_text": when.get("text") if isinstance(when, dict) else None,
            "event_type": m.raw.get("event_type"), "status": m.raw.get("status"), "evidence": m.raw.get("evidence"),
            "evidence_span": {"start": span["start"], "end": span["end"]} if "start" in span else None,
        })
    return {
        "id": "", "date": date, "precision": precision, "description": rep.get("description"),
        "event_type": rep.get("event_type"), "actors": _names(members, "actors"), "targets": _names(members, "targets"),
        "where": next((m.raw["where"] for m in members if m.raw.get("where")), None),
        "statuses": list(dict.fromkeys(m.raw.get("status") for m in members if m.raw.get("status"))),
        "sources": sources, "why": _why(members, cluster, names, quotes),
    }


def _date_key(entry: dict) -> tuple:
    parts = date_parts(entry["date"]) or ()
    return (*parts, *(0,) * (3 - len(parts)))


# -- the whole timeline ---------------------------------------------------------------------------------------

class _Context:
    """The documents, in article-id order, with their entity groups."""

    def __init__(self, documents: Iterable[dict]) -> None:
        by_id: dict[str, list[dict]] = {}
        for doc in documents:
            by_id.setdefault(str(doc["article"]["id"]), []).append(doc)
        self.docs = []
        for article_id in sorted(by_id):
            versions = by_id[article_id]
            if len(versions) > 1:  # which one is kept must not depend on the order they came in
                warnings.warn(f"{len(versions)} summaries of article {article_id!r}: one is used", stacklevel=3)
                versions.sort(key=lambda d: json.dumps(d, sort_keys=True))
            self.docs.append(versions[0])
        self.index = EntityIndex([d["summary"].get("entities") or [] for d in self.docs])
        self.phrases: dict[str, str] = {}
        self.quote_ids: dict[tuple[int, int], str] = {}  # (document, quote index) → quote id, from who_said_what

    def participant(self, doc: int, phrase: str) -> str:
        group = self.index.resolve(doc, phrase)
        if group is not None:
            return group
        key = "p:" + (name_key(phrase) or phrase.strip())
        self.phrases.setdefault(key, phrase.strip())
        return key

    def display(self, pid: str) -> str:
        return self.index.name(pid) if pid.startswith("e") else self.phrases[pid]

    def events(self) -> list[_Event]:
        out = []
        for d, doc in enumerate(self.docs):
            for i, raw in enumerate(doc["summary"].get("events") or []):
                when = raw.get("when") if isinstance(raw.get("when"), dict) else {}
                date = iso_date(when.get("date"))
                parts = date.parts if date is not None else None
                precision = date.precision if date is not None else None  # what the date itself says
                actors = {self.participant(d, a): "" for a in raw.get("actors") or [] if str(a).strip()}
                targets = {self.participant(d, t): "" for t in raw.get("targets") or [] if str(t).strip()}
                out.append(_Event(d, i, doc["article"], raw, when.get("date") if parts else None, parts,
                                  precision, {p: self.display(p) for p in actors},
                                  {p: self.display(p) for p in targets},
                                  self.index.content_words(d, str(raw.get("description") or "")),
                                  self._quoted(d, raw.get("evidence_span"))))
        return out

    def _quoted(self, doc: int, span: Any) -> frozenset[str]:
        """The ids of the quotes of document ``doc`` that stand inside an evidence span."""
        if not isinstance(span, dict) or "start" not in span:
            return frozenset()
        found = set()
        for i, quote in enumerate(self.docs[doc]["summary"].get("quotes") or []):
            qspan = quote.get("span")
            if isinstance(qspan, dict) and "start" in qspan and span["start"] <= qspan["start"] \
                    and qspan["end"] <= span["end"] and (doc, i) in self.quote_ids:
                found.add(self.quote_ids[(doc, i)])
        return frozenset(found)


def build_timeline(documents: Iterable[dict]) -> dict:
    """Merge the events and quotes of summary documents into one timeline (format ``summarize-timeline/1``).

    See the module docstring for the rules, and ``README.md`` for the format. The result is plain JSON
    data and does not depend on the order of ``documents``.
    """
    ctx = _Context(documents)
    speakers = who_said_what(ctx)  # may join entity groups (one speaker named two ways): before events
    events = ctx.events()
    names = {pid: ctx.display(pid) for e in events for pid in e.participants}
    quotes = {q["id"]: q["text"] for s in speakers for q in s["quotes"]}
    dated = [_entry(c, names, quotes) for c in _cluster([e for e in events if e.parts is not None])]
    dated.sort(key=lambda e: (_date_key(e), str(e["description"]).casefold(), e["sources"][0]["article"]))
    clusters = _cluster([e for e in events if e.parts is None])
    clusters.sort(key=lambda c: min(m.order() for m in c.members)[1:])  # the first article's telling order
    undated = [_entry(c, names, quotes) for c in clusters]
    for n, entry in enumerate([*dated, *undated], 1):
        entry["id"] = f"ev-{n:04d}"
    articles = [{"id": d["article"]["id"], "title": d["article"].get("title"),
                 "published": d["article"].get("published")} for d in ctx.docs]
    return {"format": FORMAT, "articles": articles, "events": dated, "undated": undated, "speakers": speakers}
