"""A looping or cut-off answer is salvaged, not thrown away whole (issue 12: what a real small model did).

SmolLM2-135M, asked for seed 000, repeated key_points.0.evidence 228 times until the output budget cut it off, in
each of its three attempts: the article failed ``repetitive`` although each answer began with items that could
stand. Through real HTTP to the loopback server, with answers built from seed 000's recorded answer.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from summarize import RepetitiveOutputError, Summarizer
from summarize.core.adapter import completion_body
from summarize.core.document import read_document
from summarize.testing.loopback import LoopbackServer, Reply

from .conftest import FAKE_KEY, SEEDS, accepted_answer

ARTICLE = SEEDS[0]


def _answer() -> dict[str, Any]:
    return copy.deepcopy(accepted_answer(ARTICLE.stem))


def _evidence_loop(copies: int = 50) -> str:
    """Seed 000's answer whose third key point repeats its evidence passage ``copies`` times, then is cut off in
    the middle of the next copy (the output budget ran out), as a looping model writes it."""
    answer = _answer()
    passage = answer["key_points"][2]["evidence"][0]
    answer["key_points"][2]["evidence"] = [passage] * (copies + 10)
    text = json.dumps(answer, ensure_ascii=False)
    start = text.find(json.dumps(passage, ensure_ascii=False))
    end = start + (copies + 0.5) * (len(json.dumps(passage, ensure_ascii=False)) + 2)
    return text[: int(end)]


def _cut(text: str) -> Any:
    return lambda body: Reply(200, completion_body(text, body, finish_reason="length"))


def _live(server: LoopbackServer, **kw: Any) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", model="local", **kw)


def test_an_answer_looping_then_cut_off_ends_partial_with_its_valid_items_after_the_reasks(tmp_path: Any) -> None:
    answer = _answer()
    with LoopbackServer(responder=_cut(_evidence_loop(50))) as server:
        result = _live(server, max_reasks=1).run(ARTICLE)
    assert len(server.seen) == 2 and result.usage.attempts == 2, "the reask was asked, then the loop salvaged"
    assert len({seen.body["max_tokens"] for seen in server.seen}) == 1, "a loop is never given a larger budget"
    s = result.summary
    assert result.partial and [k.text for k in s.key_points] == [k["text"] for k in answer["key_points"][:3]]
    assert s.key_points[2].evidence == answer["key_points"][2]["evidence"], "the first of the run is kept"
    assert s.events == [] and s.quotes == [] and s.entities == []
    reasons = {d.path: d.reason for d in result.dropped}
    assert reasons["key_points.2.evidence.1"].startswith("repeated 50 times")
    assert "its 49 copies (key_points.2.evidence.1-49) dropped" in reasons["key_points.2.evidence.1"]
    for name in ("events", "quotes", "entities"):  # the lists the answer never reached
        assert reasons[name].startswith("cut off by the output budget"), name
    assert any(path.startswith("key_points.2") and "the answer ends here" in why for path, why in reasons.items())

    result.write(tmp_path)
    document = read_document(tmp_path / f"{ARTICLE.stem}.json")
    assert document.status == "partial" and len(document.dropped) == len(result.dropped)

    with LoopbackServer(responder=_cut(_evidence_loop(50))) as server:  # strict: failing as before
        with pytest.raises(RepetitiveOutputError):
            _live(server, max_reasks=1, strict=True).run(ARTICLE)
    assert len(server.seen) == 2


def test_when_every_attempt_loops_the_first_of_each_run_of_near_copies_is_kept() -> None:
    answer = _answer()
    event = answer["events"][4]
    near = [{**event, "description": event["description"].rstrip(".") + f" (again {i})."} for i in range(6)]
    looping = {**answer, "events": [*answer["events"][:5], *near, *answer["events"][5:]]}
    with LoopbackServer(default=looping) as server:
        result = _live(server, max_reasks=2).run(ARTICLE)
    assert len(server.seen) == 3
    assert [e.description for e in result.summary.events] == [e["description"] for e in answer["events"]]
    assert [(d.path, d.reason.split(",")[0]) for d in result.dropped] == [("events.5", "repeated 7 times")]
    assert len(result.summary.quotes) == len(answer["quotes"]), "nothing else is touched"


def test_a_cut_off_item_that_cannot_stand_is_dropped_as_cut_off() -> None:
    answer = _answer()
    text = json.dumps(answer, ensure_ascii=False)
    quote = json.dumps(answer["quotes"][2]["text"], ensure_ascii=False)
    cut = text[: text.find(quote) + len(quote) + 3]  # quotes.2 has its text, and is cut before its speaker
    with LoopbackServer(responder=_cut(cut)) as server:
        result = _live(server, max_tokens="none").run(ARTICLE)  # no budget to grow: final at once
    assert len(server.seen) == 1
    assert len(result.summary.key_points) == len(answer["key_points"]) and len(result.summary.quotes) <= 2
    reasons = {d.path: d.reason for d in result.dropped}
    assert reasons["quotes.2"].startswith("cut off by the output budget before the item was complete")
    assert reasons["entities"].startswith("cut off by the output budget")
    # The events and quotes that name an entity the answer never reached are dropped, as after any salvage.
    assert all("names no entity" in reasons[f"events.{i}"] for i, e in enumerate(answer["events"]) if e["actors"])
