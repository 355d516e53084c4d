"""The contract: strict schema rules, and the validators that ground and cross-check answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from pydantic import ValidationError

from summarize import ArticleSummary, MatchKind, Summarizer, load_article, model_schema
from summarize.core.schema import Event, GroundingContext, Quote, TimeRef

from .conftest import SEEDS, accepted_answer


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_schema_satisfies_openai_strict_rules_at_every_level() -> None:
    schema = model_schema()
    objects = _objects(schema)
    assert len(objects) >= 5  # summary, event, time, quote, entity
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    text = json.dumps(schema)
    assert '"default"' not in text
    for ref_holder in [n for n in json.loads(text)["$defs"].values()]:
        for prop in ref_holder.get("properties", {}).values():
            assert not ("$ref" in prop and len(prop) > 1), "strict mode wants a bare $ref"


def _property_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


def test_spans_are_computed_not_asked_of_the_model() -> None:
    names = _property_names(model_schema())
    assert {"text", "speaker", "evidence", "when"} <= names
    assert not {"span", "evidence_span", "start", "end", "match"} & names
    assert "span" in ArticleSummary.model_fields["quotes"].annotation.__args__[0].model_fields  # type: ignore[union-attr]


def test_optional_fields_are_nullable_not_missing() -> None:
    quote = model_schema()["$defs"]["Quote"]["properties"]
    assert {"type": "null"} in quote["speaker_role"]["anyOf"]
    assert {"type": "null"} in quote["cue"]["anyOf"]


def _ctx(article_id: str) -> GroundingContext:
    a = load_article(next(p for p in SEEDS if p.stem == article_id))
    return GroundingContext(text=a.text, published=a.published)


def _validate(data: dict[str, Any], article_id: str) -> ArticleSummary:
    return ArticleSummary.model_validate(data, context={"article": _ctx(article_id)})


def test_every_authored_answer_grounds_every_quote_and_evidence() -> None:
    for path in SEEDS:
        summary = _validate(accepted_answer(path.stem), path.stem)
        text = load_article(path).text
        for q in summary.quotes:
            assert q.span is not None and q.span.match is not MatchKind.FUZZY
        for e in summary.events:
            assert e.evidence_span is not None and e.evidence_span.match is not MatchKind.FUZZY
            assert e.evidence in text or e.evidence_span.match is MatchKind.NORMALIZED


def test_a_misquote_is_an_error_that_names_the_text_and_the_closest_passage() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    data["quotes"][0]["text"] = "human intelligence sources"
    with pytest.raises(ValidationError) as info:
        _validate(data, "000_1be79f4858f8214c")
    message = str(info.value)
    assert "human intelligence sources" in message and "does not appear word for word" in message
    assert "quotes.0" in message


def test_a_direct_quote_outside_quotation_marks_must_be_indirect() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    data["quotes"].append({"text": "The shooting at a Pennsylvania rally is not believed to be connected",
                           "speaker": "CNN", "speaker_role": None, "kind": "direct", "cue": "said"})
    with pytest.raises(ValidationError, match="not inside quotation marks"):
        _validate(data, "000_1be79f4858f8214c")
    data["quotes"][-1]["kind"] = "indirect"
    assert _validate(data, "000_1be79f4858f8214c").quotes[-1].span is not None


def test_unknown_proper_names_must_be_entities_but_descriptions_need_not() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    data["events"][0]["actors"] = ["Mossad"]
    with pytest.raises(ValidationError, match="'Mossad' is not an entity name or alias"):
        _validate(data, "000_1be79f4858f8214c")
    data["events"][0]["actors"] = ["a senior intelligence official"]
    _validate(data, "000_1be79f4858f8214c")


def test_past_events_may_not_postdate_the_article() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    event = next(e for e in data["events"] if e["status"] != "planned")
    event["when"] = {"text": "Saturday", "date": "2024-07-20", "precision": "day"}
    with pytest.raises(ValidationError, match="after the article's publication date 2024-07-17"):
        _validate(data, "000_1be79f4858f8214c")
    event["status"] = "planned"
    _validate(data, "000_1be79f4858f8214c")


@pytest.mark.parametrize(
    ("when", "ok"),
    [({"text": None, "date": "2020", "precision": "year"}, True), ({"text": None, "date": "2020-01", "precision": "month"}, True),
     ({"text": None, "date": "2020-01-03", "precision": "day"}, True), ({"text": "x", "date": None, "precision": None}, True),
     ({"text": None, "date": "2020-01", "precision": "day"}, False), ({"text": None, "date": "2020-13", "precision": "month"}, False),
     ({"text": None, "date": "Jan 2020", "precision": "month"}, False), ({"text": None, "date": None, "precision": "year"}, False)],
)
def test_time_refs_are_partial_iso_dates_with_matching_precision(when: dict[str, Any], ok: bool) -> None:
    if ok:
        TimeRef.model_validate(when)
    else:
        with pytest.raises(ValidationError):
            TimeRef.model_validate(when)


def test_the_articles_own_date_wins_and_extra_fields_are_forbidden() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    data["published"] = "2024-07-01"
    assert _validate(data, "000_1be79f4858f8214c").published == dt.date(2024, 7, 17)
    data["confidence"] = 0.9
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _validate(data, "000_1be79f4858f8214c")


def test_a_saved_summary_loads_without_context_keeping_its_spans() -> None:
    summary = _validate(accepted_answer("002_7ce57991391b9df3"), "002_7ce57991391b9df3")
    again = ArticleSummary.model_validate_json(summary.model_dump_json())
    assert again == summary and again.quotes[0].span == summary.quotes[0].span


def test_a_quote_or_evidence_found_only_inside_a_word_is_a_misquote() -> None:
    text = "\u201cThe strike was illegal,\u201d he said. 11 million people were displaced."
    ctx = {"article": GroundingContext(text=text)}
    quote = {"text": "legal", "speaker": "a spokesman", "speaker_role": None, "kind": "direct", "cue": "said"}
    with pytest.raises(ValidationError, match="does not appear word for word"):
        Quote.model_validate(quote, context=ctx)
    event = {"description": "People fled.", "event_type": "other", "actors": [], "targets": [], "when": None,
             "where": None, "status": "reported", "evidence": "1 million people were displaced"}
    with pytest.raises(ValidationError, match="does not appear word for word"):
        Event.model_validate(event, context=ctx)
    assert Quote.model_validate({**quote, "text": "illegal"}, context=ctx).span is not None


def test_a_reference_spelled_with_other_typography_or_code_points_names_the_listed_entity() -> None:
    data = accepted_answer("000_1be79f4858f8214c")
    data["entities"] += [{"name": "Conor O\u2019Brien", "type": "person", "aliases": ["Jos\u00e9 Z\u00fa\u00f1iga"]}]
    data["events"][0]["actors"] = ["Conor O'Brien", "Jose\u0301 Zu\u0301n\u0303iga"]
    summary = _validate(data, "000_1be79f4858f8214c")
    assert summary.events[0].actors == ["Conor O'Brien", "Jose\u0301 Zu\u0301n\u0303iga"]


#: The fingerprint (SHA-256 of the canonical JSON) of the schema models see, per SCHEMA_VERSION. The schema
#: is part of every request, hence of every fixture key: a change is a new version, recorded with fixtures.
SCHEMA_FINGERPRINTS = {
    1: "384a3f0758c9daad9a34742eab7698d9c2e87e8e1a16cd53f8f0c95e235af392",
    2: "ed5a715ef88ed2028256db26e76a0a1343b110e32980c31b18534d2c0f9cf5f4",  # key points carry their evidence
}


def test_the_schema_sent_matches_the_fingerprint_of_its_version() -> None:
    from summarize.core.schema import SCHEMA_VERSION
    from summarize.replay.store import canonical_json
    from summarize.runs.authoring import ScriptedTransport

    sent = {}
    for mode in ("json_schema", "tools"):
        script = ScriptedTransport([accepted_answer(SEEDS[0].stem)])
        with Summarizer(base_url="http://scripted.invalid/v1", api_key="k", mode="live", output_mode=mode,
                        transport=script) as s:
            s.run(SEEDS[0])
        body = script.requests[0]
        sent[mode] = body["response_format"]["json_schema"]["schema"] if mode == "json_schema" else \
            body["tools"][0]["function"]["parameters"]
    assert sent["json_schema"] == sent["tools"] == model_schema()
    fingerprint = hashlib.sha256(canonical_json(sent["json_schema"]).encode("utf-8")).hexdigest()
    assert fingerprint == SCHEMA_FINGERPRINTS.get(SCHEMA_VERSION), (
        f"The JSON schema models see changed (fingerprint {fingerprint}) but summarize.core.schema.SCHEMA_VERSION is still "
        f"{SCHEMA_VERSION}. Bump SCHEMA_VERSION to {SCHEMA_VERSION + 1}, add {SCHEMA_VERSION + 1}: \"{fingerprint}\" "
        "to SCHEMA_FINGERPRINTS in tests/test_schema.py, and rekey the fixtures (`summarize fixtures rekey seeds/`)."
        if SCHEMA_VERSION in SCHEMA_FINGERPRINTS else
        f"SCHEMA_VERSION {SCHEMA_VERSION} has no fingerprint yet: add {SCHEMA_VERSION}: \"{fingerprint}\" to "
        "SCHEMA_FINGERPRINTS in tests/test_schema.py.")
