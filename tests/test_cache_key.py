"""The fixture key is what a request asks, never where the article's file lives or a dependency's version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from summarize import ReplayMissError, Summarizer, load_article, load_prompt, model_schema
from summarize.core.ledger import LEDGER_NAME
from summarize.core.reask import REASK_INTRO, validation_problems, with_schema_instruction
from summarize.replay.fixtures import FixtureStore
from summarize.runs.authoring import ScriptedTransport
from summarize.testing.loopback import LoopbackServer

from .conftest import FAKE_KEY, FIXTURES, SEEDS, accepted_answer

SEED_002 = next(p for p in SEEDS if p.stem.startswith("002"))


def test_400_copies_of_the_seeds_under_other_names_and_folders_replay_without_a_miss(tmp_path: Path) -> None:
    src = tmp_path / "copies"
    for i in range(400):
        seed = SEEDS[i % len(SEEDS)]
        target = src / f"desk-{i % 7}" / f"wire {i // 7}" / f"story-{i:03d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, target)
    report = Summarizer(fixtures=FIXTURES, mode="replay").summarize_folder(src, tmp_path / "out", concurrency=16)
    ledger = [json.loads(line) for line in (tmp_path / "out" / LEDGER_NAME).read_text(encoding="utf-8").splitlines()]
    assert [e for e in ledger if e.get("error") == "replay_miss"] == []
    assert report.ok and report.done == report.replayed == 400


def test_a_renamed_article_replays_its_reask_sequence_through_the_python_api(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "Esper says Iran wants revenge.txt"
    moved.parent.mkdir()
    shutil.copyfile(SEED_002, moved)
    result = Summarizer(fixtures=FIXTURES).run(moved)
    assert result.article.id == "Esper says Iran wants revenge"
    assert (result.usage.attempts, result.usage.replayed) == (2, 2)
    assert [q.text for q in result.summary.quotes] == [q["text"] for q in accepted_answer(SEED_002.stem)["quotes"]]


def test_the_same_text_under_two_names_is_paid_for_once_and_no_name_reaches_the_model(tmp_path: Path) -> None:
    names = [tmp_path / "inbox" / "Zebra-7731 draft.txt", tmp_path / "archive" / "2024" / "Quokka-1429.txt"]
    for path in names:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SEEDS[0], path)
    with LoopbackServer(default=accepted_answer(SEEDS[0].stem)) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="auto")
        first, second = s.run(names[0]), s.run(names[1])
        assert len(server.seen) == 1, "the second name asks the same request: replayed, not sent"
        sent = json.dumps(server.seen[0].body, ensure_ascii=False)
    assert (first.usage.replayed, second.usage.replayed) == (0, 1) and first.summary == second.summary
    for word in ("Zebra", "Quokka", "inbox", "archive", "draft"):
        assert word not in sent
    # The index still finds the exchange by the name it was recorded under, and by the text.
    store = FixtureStore(tmp_path / "fx")
    [entry] = store.index()
    assert entry["article"] == "Zebra-7731 draft" and entry["content"] == first.article.content_hash
    found = store.for_article("Quokka-1429", first.article.content_hash)
    assert [p for p, _ in found] == [store.path_for(entry["key"])]


def test_a_miss_for_a_copy_finds_the_nearest_recording_by_its_text(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.txt"
    shutil.copyfile(SEED_002, copy)
    with pytest.raises(ReplayMissError) as info:
        Summarizer(fixtures=FIXTURES, model="gpt-4o").run(copy)
    msg = str(info.value)
    assert (f"(recorded for article '{SEED_002.stem}', the same text), differs in: "
            "model (recorded 'gpt-4o-mini', now 'gpt-4o')") in msg
    assert info.value.article_id == "renamed"


def _sent(output_mode: str, replies: list[Any], **options: Any) -> list[dict[str, Any]]:
    """The request bodies a live run of seed 000 sends in ``output_mode`` when the server says ``replies``."""
    script = ScriptedTransport(replies)
    s = Summarizer(base_url="http://scripted.invalid/v1", api_key=FAKE_KEY, mode="live", output_mode=output_mode,
                   transport=script, retries=0, **options)
    with s:
        s.run(SEEDS[0])
    return script.requests


@pytest.mark.parametrize("output_mode", ["json_schema", "tools", "json", "md_json"])
def test_every_output_mode_sends_only_this_librarys_words(output_mode: str) -> None:
    answer = accepted_answer(SEEDS[0].stem)
    reply = f"```json\n{json.dumps(answer)}\n```" if output_mode == "md_json" else answer
    [body] = _sent(output_mode, [reply])
    prompt = load_prompt().messages(load_article(SEEDS[0]))
    # No dependency adds words of its own (instructor's JSON-mode instructions change with its version).
    assert body["messages"] == with_schema_instruction(prompt, output_mode, model_schema())
    if output_mode == "tools":
        assert body["tool_choice"] == {"type": "function", "function": {"name": "ArticleSummary"}}


@pytest.mark.parametrize("output_mode", ["json_schema", "tools"])
def test_a_reask_says_what_is_wrong_in_this_librarys_words_without_a_documentation_url(output_mode: str) -> None:
    answer = accepted_answer(SEEDS[0].stem)
    bad = {**answer, "quotes": [{**answer["quotes"][0], "text": "words nobody said"}, *answer["quotes"][1:]]}
    first, reask = _sent(output_mode, [bad, answer], max_reasks=1)
    added = reask["messages"][len(first["messages"]):]
    assert reask["messages"][: len(first["messages"])] == first["messages"]
    said = json.loads(added[0]["content"] if output_mode == "json_schema"
                      else added[0]["tool_calls"][0]["function"]["arguments"])
    assert added[0]["role"] == "assistant" and said == bad
    assert added[1]["role"] == ("user" if output_mode == "json_schema" else "tool")
    assert added[1]["content"].startswith(
        REASK_INTRO + '\n- quotes.0: The direct quote "words nobody said" does not appear')
    assert "http" not in added[1]["content"] and "Value error" not in added[1]["content"]


def test_validation_problems_name_the_field_and_the_message_and_no_url() -> None:
    class Model(BaseModel):
        count: int
        name: str

        @field_validator("name")
        @classmethod
        def _named(cls, value: str) -> str:
            raise ValueError("Name it as the article does.")

    with pytest.raises(ValidationError) as info:
        Model.model_validate({"name": "x"})
    assert "https://errors.pydantic.dev/" in str(info.value)  # what pydantic's own rendering would send
    assert validation_problems(info.value) == ["count: Field required", "name: Name it as the article does."]
    assert validation_problems(json.JSONDecodeError("Expecting value", "{", 1))[0].endswith(
        "Expecting value at line 1, column 2.")
