"""The output document: one model, one reader, and every consumer of OUT applying the same rule."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from summarize import Summarizer
from summarize.errors import ArticleError
from summarize.evaluation.evaluate import load_prediction
from summarize.views.report import load_rows
from summarize.views.timeline import SkippedFile, load_documents

from .conftest import SEEDS


@pytest.fixture(scope="module")
def seed_docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("docs")
    report = Summarizer().summarize_folder([SEEDS[0].parent], out)
    assert report.ok and report.done == len(SEEDS), report.failures
    return out, {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}


def test_the_writers_document_round_trips_through_the_reader(tmp_path: Path) -> None:
    from summarize.core.document import OutputDocument, read_document

    with Summarizer() as s:
        result = s.run(SEEDS[0])
    path = result.write(tmp_path)
    written = path.read_text(encoding="utf-8")
    doc = read_document(path)
    assert isinstance(result.to_document(), OutputDocument)
    assert doc == result.to_document()
    # The reader loses nothing: the document read back serializes to the very bytes that were written.
    assert json.dumps(doc.to_json(), ensure_ascii=False, indent=2) + "\n" == written
    assert doc.article.id == result.article.id and doc.article.text == result.article.text
    assert doc.run is not None and doc.run.usage.record() == result.usage.record()


def test_documents_of_the_format_keep_their_shape(seed_docs: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    """Existing outputs still read: the keys written before the model existed are written, in that order."""
    _, docs = seed_docs
    for doc in docs.values():
        # The outcome (complete or partial, what was dropped, what was repaired) comes after.
        assert list(doc) == ["format", "article", "summary", "run", "status", "dropped", "repairs"]
        # Fields added later (the article's metadata; the schema version and who wrote each answer) come after.
        assert list(doc["article"]) == ["id", "title", "published", "source_path", "encoding", "content_hash",
                                        "text", "notes", "removed", "outlet", "byline", "url", "language"]
        # The usage record, the same fields as the ledger's (one shape), between the prompt and the seconds.
        assert list(doc["run"]) == ["model", "prompt", "attempts", "replayed", "retries", "prompt_tokens",
                                    "completion_tokens", "live_prompt_tokens", "live_completion_tokens", "seconds",
                                    "schema", "answers", "output_mode", "accepted_attempt"]


def _variants(good: dict[str, Any]) -> dict[str, tuple[str | None, bool | None]]:
    """File name → (content, damaged?): ``None`` damaged means a document, False not one, True a damaged one."""
    def changed(edit: Any) -> str:
        doc = copy.deepcopy(good)
        edit(doc)
        return json.dumps(doc)

    return {
        "good.json": (json.dumps(good), None),
        "truncated.json": (json.dumps(good)[:200], True),
        "prices.json": (json.dumps({"gpt-4o-mini": [0.15, 0.6]}), False),
        "list.json": ("[1, 2]", False),
        # Before: the report showed a document without "format" that the timeline skipped.
        "no-format.json": (changed(lambda d: d.pop("format")), False),
        "quotes-not-list.json": (changed(lambda d: d["summary"].update(quotes="none")), True),
        "entity-not-object.json": (changed(lambda d: d["summary"].update(entities=["Esper"])), True),
        "no-text.json": (changed(lambda d: d["article"].pop("text")), True),
        "no-id.json": (changed(lambda d: d["article"].update(id="")), True),
        "summary-not-object.json": (changed(lambda d: d.update(summary=[])), True),
    }


def test_every_reader_of_out_applies_the_same_document_rule(
        tmp_path: Path, seed_docs: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    _, docs = seed_docs
    good = docs[SEEDS[0].stem]
    variants = _variants(good)
    for name, (content, _) in variants.items():
        body = json.loads(content) if name == "good.json" else None
        if body is not None:
            body["article"]["id"] = "good"
        (tmp_path / name).write_text(json.dumps(body) if body is not None else content or "", encoding="utf-8")

    rows = {row.id: row for row in load_rows(tmp_path)}
    skipped: list[SkippedFile] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        timeline_ids = {d["article"]["id"] for d in load_documents(tmp_path, on_skip=skipped.append)}
    skipped_by_name = {s.path.name: s.corrupt for s in skipped}

    assert timeline_ids == {"good"} and rows["good"].status == "done"
    for name, (_, damaged) in variants.items():
        # Not a document: the report passes over it; the timeline says so; the evaluation refuses it.
        # A damaged document: a failed row, a corrupt skipped file, and a refusal saying it is damaged.
        stem = name.removesuffix(".json")
        if damaged is not None:
            assert (rows[stem].status == "failed") if damaged else stem not in rows, name
            assert skipped_by_name.get(name) is damaged, name
    assert load_prediction(tmp_path / "good.json", "good").text == good["article"]["text"]
    for name, (_, damaged) in variants.items():
        stem = name.removesuffix(".json")
        if damaged is None:
            continue
        with pytest.raises(ArticleError, match=r"summarize output document|cannot be read as JSON") as caught:
            load_prediction(tmp_path / name, stem)
        assert getattr(caught.value, "corrupt", None) is damaged, name


def test_resume_makes_an_article_again_when_its_document_is_damaged(tmp_path: Path) -> None:
    with Summarizer() as s:
        first = s.summarize_folder([SEEDS[0].parent], tmp_path)
    assert first.done == len(SEEDS)
    damaged = tmp_path / f"{SEEDS[1].stem}.json"
    doc = json.loads(damaged.read_text(encoding="utf-8"))
    doc["summary"]["quotes"] = "lost"
    damaged.write_text(json.dumps(doc), encoding="utf-8")
    foreign = tmp_path / f"{SEEDS[2].stem}.json"
    foreign.write_text(json.dumps({"gpt-4o-mini": [0.15, 0.6]}), encoding="utf-8")

    again = Summarizer().summarize_folder([SEEDS[0].parent], tmp_path)
    assert (again.done, again.skipped) == (2, len(SEEDS) - 2)
    from summarize.core.document import read_document

    assert isinstance(read_document(damaged).quotes, list) and read_document(foreign).id == SEEDS[2].stem


def test_the_ledger_and_the_document_write_one_usage_record(seed_docs: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    """One usage record: the same counters, in the same order, in the ledger line and the run block."""
    from summarize.core.ledger import Ledger

    out, docs = seed_docs
    entries = Ledger(out).last_entries()
    for article_id, doc in docs.items():
        counters = [k for k in doc["run"] if k not in ("model", "prompt", "seconds", "schema", "answers",
                                                       "accepted_attempt")]
        entry = entries[article_id]
        assert [k for k in entry if k in counters] == counters
        assert {k: entry[k] for k in counters} == {k: doc["run"][k] for k in counters}
        assert doc["run"]["attempts"] >= 1 and doc["run"]["replayed"] == doc["run"]["attempts"]
