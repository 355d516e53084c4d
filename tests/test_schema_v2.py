"""Schema version 2: key points carry their evidence; documents say who wrote each answer and what the source
says of the article (outlet, byline, URL, language)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from summarize import ArticleSummary, Summarizer, load_article, model_schema
from summarize.core.articles import iter_articles
from summarize.core.document import read_document
from summarize.core.schema import GroundingContext, KeyPoint
from summarize.runs.authoring import ScriptedTransport
from summarize.testing.loopback import LoopbackServer
from summarize.views.report import write_report

from .browser import parse
from .conftest import FAKE_KEY, SEEDS, accepted_answer

SEED_000 = SEEDS[0]


def _ctx(path: Path) -> dict[str, Any]:
    article = load_article(path)
    return {"article": GroundingContext(text=article.text, published=article.published)}


# -- key points and their evidence ------------------------------------------------------------------------

def test_key_points_are_objects_with_evidence_and_spans_are_not_asked_of_the_model() -> None:
    schema = model_schema()
    items = schema["properties"]["key_points"]["items"]
    point = schema["$defs"][items["$ref"].rsplit("/", 1)[1]]
    assert point["required"] == ["text", "evidence"] and point["additionalProperties"] is False
    assert point["properties"]["evidence"]["type"] == "array"
    assert "evidence_spans" not in json.dumps(schema)


def test_every_authored_key_point_is_grounded_in_its_article() -> None:
    for path in SEEDS:
        text = load_article(path).text
        summary = ArticleSummary.model_validate(accepted_answer(path.stem), context=_ctx(path))
        assert summary.key_points
        for point in summary.key_points:
            assert point.evidence and len(point.evidence_spans) == len(point.evidence)
            for passage, span in zip(point.evidence, point.evidence_spans, strict=True):
                assert text[span.start:span.end] == passage  # the seeds' evidence is copied exactly


def test_an_ungrounded_or_missing_key_point_evidence_is_a_validation_error() -> None:
    data = accepted_answer(SEED_000.stem)
    data["key_points"][1]["evidence"] = ["Secret Service protections were doubled last month"]
    with pytest.raises(ValidationError) as info:
        ArticleSummary.model_validate(data, context=_ctx(SEED_000))
    message = str(info.value)
    assert "key_points.1" in message and "Secret Service protections were doubled last month" in message
    assert "does not appear word for word" in message and "closest passage" in message
    data["key_points"][1]["evidence"] = []
    with pytest.raises(ValidationError, match="has no evidence"):
        ArticleSummary.model_validate(data, context=_ctx(SEED_000))
    with pytest.raises(ValidationError):  # the old shape is not an answer of this schema
        ArticleSummary.model_validate({**data, "key_points": ["A point."]}, context=_ctx(SEED_000))


def test_an_ungrounded_key_point_is_sent_back_to_the_model_like_a_misquote() -> None:
    good = accepted_answer(SEED_000.stem)
    bad = copy.deepcopy(good)
    bad["key_points"][0]["evidence"] = ["Iran confirmed the plot on Monday"]
    script = ScriptedTransport([bad, good])
    with Summarizer(base_url="http://scripted.invalid/v1", api_key=FAKE_KEY, mode="live", transport=script) as s:
        result = s.run(SEED_000)
    assert result.usage.attempts == 2 and result.summary.key_points[0].evidence_spans
    reask = json.dumps(script.requests[1]["messages"][-1], ensure_ascii=False)
    assert "Iran confirmed the plot on Monday" in reask and "does not appear word for word" in reask


def test_a_saved_key_point_loads_without_context_keeping_its_spans() -> None:
    summary = ArticleSummary.model_validate(accepted_answer(SEED_000.stem), context=_ctx(SEED_000))
    again = ArticleSummary.model_validate_json(summary.model_dump_json())
    assert again.key_points == summary.key_points and again.key_points[0].evidence_spans
    assert isinstance(again.key_points[0], KeyPoint)


def test_a_document_written_before_schema_2_still_reads_its_key_points(tmp_path: Path) -> None:
    with Summarizer() as s:
        doc = s.run(SEED_000).to_document().to_json()
    doc["summary"]["key_points"] = ["The first point.", "The second point."]  # schema 1: strings
    for key in ("schema", "answers"):
        doc["run"].pop(key)
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    old = read_document(tmp_path / "old.json")
    assert old.key_points == [{"text": "The first point.", "evidence": [], "evidence_spans": []},
                              {"text": "The second point.", "evidence": [], "evidence_spans": []}]
    assert old.run is not None and old.run.accepted is None
    site = tmp_path / "site"
    write_report(tmp_path, site)
    page = (site / "articles" / f"{doc['article']['id']}.html").read_text(encoding="utf-8")
    assert "The first point." in page and "The second point." in page
    doc["summary"]["key_points"] = [3]
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(Exception, match="key_points"):
        read_document(tmp_path / "old.json")


# -- who wrote each answer --------------------------------------------------------------------------------

def test_a_replayed_authored_answer_says_who_wrote_it_and_no_model(tmp_path: Path) -> None:
    with Summarizer() as s:
        doc = s.run(next(p for p in SEEDS if p.stem.startswith("002"))).to_document()
    assert doc.run is not None and doc.run.schema_version == 2
    assert [a.source for a in doc.run.answers] == ["authored", "authored"]  # the reask sequence: both by hand
    accepted = doc.run.accepted
    assert accepted is not None and accepted.author == "summarize developers" and accepted.model is None
    assert accepted.note and "Schema v2" in accepted.note
    assert doc.to_json()["run"]["answers"][-1]["source"] == "authored"


def test_recorded_and_live_answers_name_their_model_server_and_time(tmp_path: Path) -> None:
    answer = accepted_answer(SEED_000.stem)
    with LoopbackServer(default=answer) as server:
        live = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="auto")
        first = live.run(SEED_000).to_document()
        again = Summarizer(fixtures=tmp_path / "fx", mode="replay").run(SEED_000).to_document()
        origin = server.url.removesuffix("/v1")
    assert first.run is not None and again.run is not None
    now, replayed = first.run.answers[-1], again.run.answers[-1]
    assert now.source == "live" and now.model and now.server == origin and now.at
    assert replayed.source == "recorded" and replayed.model == now.model and replayed.server == origin
    assert replayed.at and replayed.author is None


def test_the_report_shows_who_wrote_each_answer_and_the_key_point_evidence(tmp_path: Path) -> None:
    out, site = tmp_path / "out", tmp_path / "site"
    report = Summarizer().summarize_folder([SEED_000], out)
    assert report.ok
    write_report(out, site)
    root = parse((site / "articles" / f"{SEED_000.stem}.html").read_text(encoding="utf-8"))
    provenance = root.find(cls="provenance")
    assert provenance is not None
    assert "written by hand by summarize developers" in provenance.text() and "no model wrote it" in provenance.text()
    assert root.find(cls="c-authored") is not None
    marked = {ref for mark in root.find_all("mark", attr="data-refs") for ref in mark.attrs["data-refs"].split()}
    assert {f"k{i}" for i in range(1, 6)} <= marked
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "authored by summarize developers" in index


# -- article metadata ---------------------------------------------------------------------------------------

def test_records_and_pages_give_outlet_byline_url_and_language(tmp_path: Path) -> None:
    text = SEED_000.read_text(encoding="utf-8")
    records = [
        {"id": "a", "text": text, "outlet": "The Week", "byline": "Rafi Schwartz", "url": "https://example.org/a",
         "language": "en"},
        {"id": "b", "text": text, "source": "Reuters", "author": "A. Writer", "lang": "en-GB"},
        {"id": "c", "text": text, "source": {"id": "x", "name": "Feed"}},  # not a name: no outlet
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines()[1:] if line.strip())
    (tmp_path / "page.html").write_text(
        '<!doctype html><html lang="pt-BR"><head><title>T</title><meta property="og:site_name" content="Folha">'
        f'<meta name="author" content="Maria Silva"></head><body><article><h1>T</h1>{paragraphs}</article></body></html>',
        encoding="utf-8")
    found = {a.id: a for a in iter_articles([tmp_path]) if not isinstance(a, Exception)}
    a, b, c, page = found["a"], found["b"], found["c"], found["page"]
    assert (a.outlet, a.byline, a.url, a.language) == ("The Week", "Rafi Schwartz", "https://example.org/a", "en")
    assert (b.outlet, b.byline, b.url, b.language) == ("Reuters", "A. Writer", None, "en-GB")
    assert c.outlet is None
    assert (page.outlet, page.byline, page.language) == ("Folha", "Maria Silva", "pt-BR")
    # Written into the document's article block, and never sent to the model: the record replays the seed's answer.
    with Summarizer() as s:
        doc = s.run(a).to_document().to_json()
    assert {k: doc["article"][k] for k in ("outlet", "byline", "url", "language")} == \
        {"outlet": "The Week", "byline": "Rafi Schwartz", "url": "https://example.org/a", "language": "en"}
