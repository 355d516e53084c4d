"""Support for the report's tests: the seed run, and a stand-in timeline.

:func:`unmerged_timeline` builds the documented ``summarize-timeline/1`` shape without any merging (one
entry per event, one per quote), so the report's tests do not depend on how the timeline merges;
:func:`timeline_for` uses the real :func:`summarize.views.timeline.build_timeline` when that module exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import SEEDS


def summarize_seeds(out: Path) -> list[dict[str, Any]]:
    """Replay the seed articles into ``out`` (offline) and return their documents, sorted by id."""
    from summarize import Summarizer

    report = Summarizer().summarize_folder([p.parent for p in SEEDS[:1]], out)
    assert report.ok and report.total == len(SEEDS) == 5, report.failures
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))]


def timeline_for(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The real timeline when :mod:`summarize.views.timeline` exists (after the timeline branch), else the stand-in."""
    try:
        from summarize.views.timeline import build_timeline
    except ImportError:
        return unmerged_timeline(documents)
    return build_timeline(documents)


def unmerged_timeline(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Every event of every document as its own entry; every quote under its speaker as written."""
    articles = sorted(({"id": d["article"]["id"], "title": d["article"].get("title") or d["summary"].get("title"),
                        "published": d["article"].get("published")} for d in documents), key=lambda a: a["id"])
    titles = {a["id"]: a["title"] for a in articles}
    dated, undated, speakers = [], [], {}
    for doc in sorted(documents, key=lambda d: d["article"]["id"]):
        aid = doc["article"]["id"]
        for e in doc["summary"]["events"]:
            when = e.get("when") or {}
            source = {"article": aid, "title": titles[aid], "published": doc["article"].get("published"),
                      "description": e["description"], "date": when.get("date"), "precision": when.get("precision"),
                      "status": e["status"], "evidence": e["evidence"], "evidence_span": e.get("evidence_span")}
            entry = {"date": when.get("date"), "precision": when.get("precision"), "description": e["description"],
                     "event_type": e["event_type"], "actors": e["actors"], "targets": e["targets"],
                     "where": e.get("where"),
                     "statuses": [e["status"]], "sources": [source], "why": "one source"}
            (dated if when.get("date") else undated).append(entry)
        for q in doc["summary"]["quotes"]:
            quotes = speakers.setdefault(q["speaker"], [])
            quotes.append({"text": q["text"], "kind": q["kind"], "why": "one source",
                           "sources": [{"article": aid, "title": titles[aid], "text": q["text"],
                                        "speaker_as_written": q["speaker"], "span": q.get("span")}]})
    dated.sort(key=lambda e: (e["date"], e["description"]))
    for i, entry in enumerate(dated + undated, 1):
        entry["id"] = f"ev-{i:04d}"
    people = sorted(speakers.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    n = 0
    for _, quotes in people:
        for q in quotes:
            n += 1
            q["id"] = f"q-{n:04d}"
    return {"format": "summarize-timeline/1", "articles": articles, "events": dated, "undated": undated,
            "speakers": [{"speaker": name, "names": [name], "quotes": quotes} for name, quotes in people]}
