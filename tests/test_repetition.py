"""A looping answer (the same item again and again) is a failed attempt, never a summary with 40 copies.

Through real HTTP to the loopback server, plus the detector on its own (summarize.core.repetition).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarize import RepetitiveOutputError, Summarizer
from summarize.core.adapter import completion_body
from summarize.core.repetition import repeated
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer, write_synthetic_articles

from .conftest import FAKE_KEY, SEEDS, accepted_answer


def _looping(body: dict[str, Any], copies: int = 40) -> dict[str, Any]:
    """The minimal answer to ``body`` with its one event repeated ``copies`` times, as a looping model writes it."""
    answer = minimal_answer(body)
    answer["events"] = answer["events"] * copies
    return answer


def _live(server: LoopbackServer, **kw: Any) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", **kw)


def _path(tmp_path: Path) -> Path:
    return write_synthetic_articles(tmp_path / "in", 1)[0]


def test_a_looping_answer_is_reasked_without_the_loop_and_the_next_answer_is_used(tmp_path: Path) -> None:
    answers = iter([_looping, minimal_answer])

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        return next(answers)(body)

    with LoopbackServer(responder=respond) as server:
        result = _live(server).run(path=_path(tmp_path))
    assert len(result.summary.events) == 1 and result.usage.attempts == 2
    first, second = (seen.body["messages"] for seen in server.seen)
    assert second[: len(first)] == first and len(second) == len(first) + 1  # the prompt, then what went wrong
    assert "repeated" in second[-1]["content"] and "events: item 0 came back 40 times" in second[-1]["content"]
    assert all(m["role"] != "assistant" for m in second), "the loop itself is not sent back"


def test_a_loop_cut_off_by_the_budget_is_a_repetition_not_a_truncation(tmp_path: Path) -> None:
    def cut(body: dict[str, Any]) -> Reply:
        text = json.dumps(_looping(body))
        return Reply(200, completion_body(text[: len(text) * 3 // 4], body, finish_reason="length"))

    with LoopbackServer(responder=cut) as server:
        with pytest.raises(RepetitiveOutputError) as caught:  # strict: no salvage of the loops (see test_loops.py)
            _live(server, max_reasks=1, strict=True).run(path=_path(tmp_path))
    error = caught.value
    assert error.kind == "repetitive" and error.usage.attempts == 2 and "events" in str(error)
    assert "larger model" in str(error)
    # Never retried with a larger budget: a loop only grows.
    assert len({seen.body["max_tokens"] for seen in server.seen}) == 1


def test_the_reference_answers_are_not_repetitions_and_loops_of_every_kind_are() -> None:
    for seed in SEEDS:
        assert repeated(json.dumps(accepted_answer(seed.stem), ensure_ascii=False)) == [], seed.stem
    answer = accepted_answer(SEEDS[0].stem)
    event = answer["events"][0]
    near = [{**event, "description": event["description"].replace(".", f" (part {i}).")} for i in range(5)]
    assert repeated(json.dumps({**answer, "events": [*answer["events"], *near]}))[0].startswith("events: item")
    twice = {**answer, "quotes": answer["quotes"] + answer["quotes"][:1]}
    assert repeated(json.dumps(twice)) == []  # a duplicate, for repair to merge: not a loop
    text = json.dumps(answer)
    assert repeated(text[:-20] + " " * 500) and repeated(text[:-20] + "the same words " * 40)
    entities = [{"name": name, "type": "country", "aliases": []} for name in ("Iran", "Iraq", "Oman", "Chad")]
    assert repeated(json.dumps({**answer, "entities": entities})) == []  # short and alike, but different
