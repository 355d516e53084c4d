"""Who said what: the quotes of many articles grouped by speaker, repeated quotes merged with all their sources.

The rules (speakers, overlapping quotes, no chaining) are described in :mod:`summarize.views.timeline`, which
calls :func:`who_said_what` while building a timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz

from summarize.text._normal import find_words
from summarize.text.grounding import normalize
from summarize.views.linking import STOP_WORDS, EntityIndex, name_key, name_tokens

__all__ = ["QUOTE_FUZZY_MIN_CHARS", "QUOTE_PARTIAL_RATIO", "names_nest", "quote_key", "quotes_overlap",
           "who_said_what"]

#: Lowest rapidfuzz partial_ratio (0-100) for two quotes that are neither equal nor contained in each other.
QUOTE_PARTIAL_RATIO = 90.0
#: Shortest normalized quote (characters) compared by partial_ratio: shorter quotes must be equal or contained.
QUOTE_FUZZY_MIN_CHARS = 25


class _Context(Protocol):
    """What who said what needs of the timeline's documents (``summarize.views.timeline`` builds it)."""

    docs: list[dict]  # the documents, in article-id order
    index: EntityIndex  # their entity groups, which who said what may join
    quote_ids: dict[tuple[int, int], str]  # filled here: (document, quote index) → quote id


def quote_key(text: str) -> str:
    """A quote's comparable form: typography and case folded, quote marks dropped, edge punctuation stripped."""
    folded = normalize(text).casefold().replace('"', " ")
    return re.sub(r"\s+", " ", folded).strip(" '.,;:!?-()[]{}")


def names_nest(a: str, b: str) -> bool:
    """Whether every word of one name (at least two words) is in the other: ``Iran's mission to the UN`` style."""
    ta, tb = name_tokens(a), name_tokens(b)
    small, large = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    return len(small) >= 2 and small <= large


def quotes_overlap(a: str, b: str) -> tuple[str, float] | None:
    """How two quote keys (:func:`quote_key`) overlap: ``("identical"|"contained"|"partial_ratio", score)`` or None."""
    if a == b:
        return "identical", 100.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if short and next(find_words(long, short), None) is not None:  # whole words: "14 degrees" is not in "-14 degrees"
        return "contained", 100.0
    if len(short) >= QUOTE_FUZZY_MIN_CHARS:
        score = fuzz.partial_ratio(short, long)
        if score >= QUOTE_PARTIAL_RATIO:
            return "partial_ratio", score
    return None


@dataclass
class _Quote:
    doc: int
    index: int
    article: dict
    raw: dict
    key: str  # quote_key of the text
    speaker: str  # as written
    sid: str  # speaker id before speakers are joined

    @property
    def start(self) -> int:
        span = self.raw.get("span") or {}
        return int(span.get("start", 0)) if isinstance(span, dict) else 0

    def source(self) -> dict:
        span = self.raw.get("span") or {}
        return {"article": self.article["id"], "title": self.article.get("title"),
                "published": self.article.get("published"), "text": self.raw.get("text"),
                "speaker_as_written": self.speaker, "speaker_role": self.raw.get("speaker_role"),
                "kind": self.raw.get("kind"),
                "span": {"start": span["start"], "end": span["end"]} if isinstance(span, dict) and "start" in span
                else None}


class _Joined:
    """A tiny union-find over strings whose root is the smallest member, so results do not depend on order."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _speaker_id(ctx: _Context, doc: int, speaker: str) -> str:
    group = ctx.index.resolve(doc, speaker)
    if group is not None:
        return group
    key = name_key(speaker) or "unknown"
    if re.match(r"(a|an|one)\s", normalize(speaker).strip().casefold()):
        return f"p:{ctx.docs[doc]['article']['id']}:{key}"  # "a U.S. official" is nobody in particular
    return f"p:{key}"


def _join_speakers(ctx: _Context, by_sid: dict[str, list[_Quote]]) -> tuple[_Joined, dict[str, list[str]]]:
    """Join speakers credited with overlapping quotes in different articles whose names nest (module docstring)."""
    joined = _Joined()
    reasons: dict[str, list[str]] = {}
    names = {sid: sorted({q.speaker for q in quotes}) for sid, quotes in by_sid.items()}
    by_token: dict[str, set[str]] = {}
    for sid, written in names.items():
        for name in written:
            for token in name_tokens(name):
                by_token.setdefault(token, set()).add(sid)
    pairs: set[tuple[str, ...]] = set()
    for sid, written in names.items():
        for name in written:
            tokens = name_tokens(name)
            if len(tokens) >= 2:  # the other speakers whose names hold every word of this one
                pairs.update(tuple(sorted((sid, other))) for other in set.intersection(*(by_token[t] for t in tokens))
                             if other != sid)
    for a, b in sorted(pairs):
        nest = next(((x, y) for x in names[a] for y in names[b] if names_nest(x, y)), None)
        shared = next((qa for qa in by_sid[a] for qb in by_sid[b]
                       if qa.doc != qb.doc and quotes_overlap(qa.key, qb.key)), None) if nest else None
        if nest is None or shared is None:
            continue
        joined.union(a, b)
        ctx.index.join(a, b)
        reasons.setdefault(joined.find(a), []).append(
            f"\"{nest[0]}\" and \"{nest[1]}\" are credited with the same words (\"{shared.raw.get('text')}\") in "
            "different articles, and every word of one name is in the other")
    return joined, reasons


def _words(key: str) -> set[str]:
    """The words of a quote key that say something (all its words if none does)."""
    words = set(re.findall(r"\w+", key))
    return (words - STOP_WORDS) or words


def _cluster_quotes(quotes: list[_Quote]) -> list[list[_Quote]]:
    """Complete linkage: a quote joins the group it overlaps best, only if it overlaps every member.

    Quotes are taken longest first, and only groups sharing a word (:func:`_words`) with a quote are
    compared with it: a quote contained in a longer one has all its words there, and a partial_ratio of
    90 over 25 characters cannot be reached without a whole word in common.
    """
    clusters: list[list[_Quote]] = []
    index: dict[str, set[int]] = {}
    for q in sorted(quotes, key=lambda q: (-len(q.key), q.article["id"], q.start, q.index)):
        words = _words(q.key)
        best: tuple[tuple, int] | None = None
        for i in sorted({c for w in words for c in index.get(w, ())}):
            cluster = clusters[i]
            scores = []
            for m in cluster:
                overlap = None if (m.doc == q.doc and m.key != q.key) else quotes_overlap(q.key, m.key)
                if overlap is None:
                    break
                scores.append(overlap[1])
            else:
                rank = (min(scores), q.raw.get("kind") == cluster[0].raw.get("kind"), -i)
                if best is None or rank > best[0]:
                    best = (rank, i)
        if best is None:
            clusters.append([q])
            target = len(clusters) - 1
        else:
            target = best[1]
            clusters[target].append(q)
        for w in set(re.findall(r"\w+", q.key)):
            index.setdefault(w, set()).add(target)
    return clusters


def _quote_why(cluster: list[_Quote]) -> str:
    articles = len({q.article["id"] for q in cluster})
    if len(cluster) == 1:
        return "one article"
    rep = cluster[0]
    if all(q.key == rep.key for q in cluster):
        return f"identical text in {articles} articles" + (" (repeated within one)" if articles < len(cluster) else "")
    notes = []
    for q in cluster[1:]:
        how, score = quotes_overlap(rep.key, q.key) or ("?", 0.0)
        what = {"identical": "identical", "contained": "contained in the longest text"}.get(
            how, f"partial_ratio {score:.0f} with the longest text")
        notes.append(f"{q.article['id']}: {what}")
    return f"{articles} articles; " + "; ".join(notes)


def _display(names: list[str]) -> str:
    counts = {n: names.count(n) for n in names}
    return min(counts, key=lambda n: (-counts[n], -len(n), n.casefold(), n))


def who_said_what(ctx: _Context) -> list[dict]:
    """The ``speakers`` list of a timeline (see ``summarize.views.timeline``).

    Fills ``ctx.quote_ids`` ((document, quote index) → quote id), and may join entity groups in ``ctx``.
    """
    by_sid: dict[str, list[_Quote]] = {}
    for d, doc in enumerate(ctx.docs):
        for i, raw in enumerate(doc["summary"].get("quotes") or []):
            text, speaker = str(raw.get("text") or ""), str(raw.get("speaker") or "").strip() or "(unknown)"
            if not quote_key(text):
                continue
            q = _Quote(d, i, doc["article"], raw, quote_key(text), speaker, _speaker_id(ctx, d, speaker))
            by_sid.setdefault(q.sid, []).append(q)
    joined, reasons = _join_speakers(ctx, by_sid)
    groups: dict[str, list[_Quote]] = {}
    for sid, quotes in by_sid.items():
        groups.setdefault(joined.find(sid), []).extend(quotes)

    speakers: list[dict[str, Any]] = []
    members: dict[int, list[_Quote]] = {}
    for root, quotes in groups.items():
        entity = next((q.sid for q in quotes if q.sid.startswith("e")), None)
        written = [q.speaker for q in quotes]
        name = ctx.index.name(entity) if entity else _display(written)
        names = sorted(set(written), key=lambda n: (n.casefold(), n))
        why = reasons.get(root) or (["names of one entity in the articles' entity lists"] if len(names) > 1 else [])
        entries: list[dict[str, Any]] = []
        for cluster in _cluster_quotes(quotes):
            sources = sorted(cluster, key=lambda q: (q.article["id"], q.start, q.index))
            entries.append({"id": "", "text": cluster[0].raw.get("text"), "kind": cluster[0].raw.get("kind"),
                            "sources": [q.source() for q in sources], "why": _quote_why(cluster)})
            members[id(entries[-1])] = cluster
        entries.sort(key=lambda e: (e["sources"][0]["article"], (e["sources"][0]["span"] or {}).get("start", 0),
                                    str(e["text"])))
        roles = sorted({str(q.raw["speaker_role"]) for q in quotes if q.raw.get("speaker_role")})
        speakers.append({"speaker": name, "names": names, "roles": roles, "quotes": entries, "why": "; ".join(why)})
    speakers.sort(key=lambda s: (-len(s["quotes"]), s["speaker"].casefold(), s["speaker"],
                                 s["quotes"][0]["sources"][0]["article"]))
    n = 0
    for s in speakers:
        for entry in s["quotes"]:
            n += 1
            entry["id"] = f"q-{n:04d}"
            for q in members[id(entry)]:
                ctx.quote_ids[(q.doc, q.index)] = entry["id"]
    return speakers
