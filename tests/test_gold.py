"""The hand-written gold annotations in tests/gold/ stay true to the seed articles.

Each gold file is checked against ``load_article(seed).text``: the text hash, every quote and event
span, and the allowed kinds, precisions and date shapes. A changed seed, a changed article cleaner or
a hand-edited offset makes these tests fail.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from summarize.core.articles import load_article

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
SEEDS = ROOT / "seeds"
GOLD_FILES = sorted(GOLD.glob("*.json"))
FORMAT = "summarize-gold/1"
KINDS = {"direct", "indirect"}
DATE_SHAPES = {"year": r"\d{4}", "month": r"\d{4}-\d{2}", "day": r"\d{4}-\d{2}-\d{2}"}


def gold_problems(doc: dict[str, Any], text: str) -> list[str]:
    """Everything wrong with one gold document against its article text (empty when it is sound)."""
    problems: list[str] = []
    if doc.get("format") != FORMAT:
        problems.append(f"format is {doc.get('format')!r}, not {FORMAT!r}")
    for key in ("article", "annotator", "note", "text_sha256", "entities", "quotes", "events"):
        if key not in doc:
            problems.append(f"missing key {key!r}")
    if doc.get("text_sha256") != hashlib.sha256(text.encode("utf-8")).hexdigest():
        problems.append("text_sha256 does not match the article text (the seed or the cleaner changed)")
    for ent in doc.get("entities", []):
        if not ent.get("name") or not isinstance(ent.get("aliases"), list):
            problems.append(f"entity without name or aliases list: {ent!r}")
    seen: set[tuple[int, int, str]] = set()
    for q in doc.get("quotes", []):
        start, end = q.get("start"), q.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            problems.append(f"quote offsets out of range: {q!r}")
        elif text[start:end] != q.get("text"):
            problems.append(f"quote [{start}:{end}] slices to {text[start:end]!r}, not {q.get('text')!r}")
        if q.get("kind") not in KINDS:
            problems.append(f"quote kind {q.get('kind')!r} is not direct/indirect")
        if not q.get("speaker"):
            problems.append(f"quote without speaker: {q.get('text')!r}")
        if q.get("cue") is not None and not isinstance(q.get("cue"), str):
            problems.append(f"quote cue must be a string or null: {q!r}")
        key = (start, end, q.get("kind"))
        if key in seen:
            problems.append(f"duplicate quote {key}")
        seen.add(key)
    for ev in doc.get("events", []):
        start, end = ev.get("start"), ev.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            problems.append(f"event offsets out of range: {ev.get('description')!r}")
        elif text[start:end] != ev.get("evidence"):
            problems.append(f"event evidence [{start}:{end}] does not slice to its text: {ev.get('description')!r}")
        date, precision = ev.get("date"), ev.get("precision")
        if date is None or precision is None:
            if date is not None or precision is not None:
                problems.append(f"event date and precision must both be null: {ev.get('description')!r}")
        elif precision not in DATE_SHAPES or not re.fullmatch(DATE_SHAPES[precision], date):
            problems.append(f"event date {date!r} does not fit precision {precision!r}")
        if not ev.get("description") or not isinstance(ev.get("actors"), list):
            problems.append(f"event without description or actors list: {ev!r}")
    return problems


def _load(path: Path) -> tuple[dict[str, Any], str]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc, load_article(SEEDS / f"{path.stem}.txt").text


def test_every_seed_has_a_gold_file() -> None:
    seeds = sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert seeds, "no seed articles found"
    assert [p.stem for p in GOLD_FILES] == seeds


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_matches_its_seed(path: Path) -> None:
    doc, text = _load(path)
    assert doc["article"] == path.stem
    assert gold_problems(doc, text) == []
    assert doc["quotes"] and doc["events"] and doc["entities"]


def test_the_checker_catches_corruption() -> None:
    doc, text = _load(GOLD_FILES[0])
    shifted = copy.deepcopy(doc)
    shifted["quotes"][0]["start"] += 1
    assert any("slices to" in p for p in gold_problems(shifted, text))
    assert any("text_sha256" in p for p in gold_problems(doc, text + " "))
    bad = copy.deepcopy(doc)
    bad["quotes"][0]["kind"] = "paraphrase"
    bad["events"][0].update(date="2024-07", precision="day")
    bad["quotes"].append(copy.deepcopy(bad["quotes"][0]))
    found = gold_problems(bad, text)
    assert any("kind" in p for p in found)
    assert any("does not fit precision" in p for p in found)
    assert any("duplicate" in p for p in found)
