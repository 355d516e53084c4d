"""Record and replay through the real client stack: fixtures shipped for the seeds, and a loopback server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from summarize import ReplayMissError, Summarizer, load_article, load_prompt
from summarize.core.prompting import PromptTemplate
from summarize.core.reask import REASK_INTRO
from summarize.replay.store import _STYLES, FORMAT, FixtureStore, readable, request_key, restored
from summarize.testing.loopback import LoopbackServer

from .conftest import AUTHORED_MODEL, FAKE_KEY, FIXTURES, ROOT, SEEDS, accepted_answer, files_containing

SEED_002 = next(p for p in SEEDS if p.stem.startswith("002"))


def test_every_seed_replays_offline_from_the_shipped_fixtures() -> None:
    s = Summarizer(fixtures=FIXTURES)
    assert s.settings.mode.value == "replay"
    for path in SEEDS:
        result = s.run(path)
        expected = accepted_answer(path.stem)
        assert [q.text for q in result.summary.quotes] == [q["text"] for q in expected["quotes"]]
        assert len(result.summary.events) == len(expected["events"]) and result.summary.events
        assert result.usage.replayed == result.usage.attempts >= 1
        text = result.article.text
        for q in result.summary.quotes:
            assert q.span is not None and text[q.span.start : q.span.end]


def test_async_replay_of_all_seeds_concurrently() -> None:
    s = Summarizer(fixtures=FIXTURES)

    async def all_seeds() -> list[Any]:
        async with s:
            return await asyncio.gather(*(s.arun(p) for p in SEEDS))

    results = asyncio.run(all_seeds())
    assert [r.article.id for r in results] == [p.stem for p in SEEDS]
    assert all(r.summary.quotes for r in results)


def test_every_fixture_states_its_provenance_and_authored_ones_say_so() -> None:
    store = FixtureStore(FIXTURES)
    indexed = {(e["key"], e["article"]) for e in store.index()}
    paths = sorted(FIXTURES.rglob("*.json"))
    assert len(paths) == len(indexed)
    assert sum(e["model"] == AUTHORED_MODEL for e in store.index()) == 6  # the authored references
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["format"] == FORMAT and path == store.path_for(data["key"])
        assert path == FIXTURES / data["key"][:2] / f"{data['key']}.json"
        seed = load_article(ROOT / "seeds" / f"{data['article']}.txt")
        assert (data["key"], data["article"]) in indexed and data["content"] == seed.content_hash
        prov = data["provenance"]
        assert prov["source"] in ("authored", "recorded")
        if prov["source"] == "authored":
            assert "Not a recording" in prov["note"] and prov["author"]


def test_the_reask_sequence_replays_and_sends_the_error_back() -> None:
    s = Summarizer(fixtures=FIXTURES)
    result = s.run(SEED_002)
    assert result.usage.attempts == 2
    exchanges = [e for e in FixtureStore(FIXTURES).for_article(SEED_002.stem) if e[1]["provenance"]["source"] == "authored"]
    first_answer = restored(exchanges[0][1]["response"]["body"])["choices"][0]["message"]["content"]
    assert "To me, it is personal as well" in first_answer
    reask = exchanges[1][1]["request"]["body"]["messages"]
    assert len(reask) == 4 and reask[2]["role"] == "assistant"
    assert reask[3]["content"].startswith(
        REASK_INTRO + '\n- quotes.1: The direct quote "To me, it is personal as well" does not appear word for word')
    assert "http" not in reask[3]["content"]  # no dependency's documentation URL (it names pydantic's version)
    assert result.summary.quotes[1].text == "To me, it\u2019s personal as well,"


def test_key_is_canonical_and_covers_what_the_model_sees() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
    assert request_key(body) == request_key(dict(reversed(list(body.items()))))
    assert request_key(body) == request_key({**body, "user": "someone", "metadata": {"x": "y"}})
    assert request_key(body) != request_key({**body, "temperature": 0.5})
    assert request_key(body) != request_key({**body, "model": "n"})
    assert request_key(body) != request_key({**body, "messages": [{"role": "user", "content": "hi!"}]})


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=10)


@given(value=st.dictionaries(st.text(max_size=5), _json, max_size=4), style=st.sampled_from(sorted(_STYLES)))
def test_readable_form_restores_the_exact_string(value: dict[str, Any], style: str) -> None:
    content = json.dumps(value, **_STYLES[style])
    stored = readable({"message": {"content": content}})
    assert restored(stored)["message"]["content"] == content
    odd = '{"a":  1}'
    assert readable({"content": odd})["content"] == odd


def test_a_miss_names_the_article_and_what_differs(tmp_path: Path) -> None:
    with pytest.raises(ReplayMissError) as info:
        Summarizer(fixtures=FIXTURES, model="gpt-4o").run(SEEDS[0])
    msg = str(info.value)
    assert SEEDS[0].stem in msg and "model (recorded 'gpt-4o-mini', now 'gpt-4o')" in msg
    assert "--mode auto" in msg and info.value.article_id == SEEDS[0].stem

    base = load_prompt()
    v3 = PromptTemplate(base.name, 3, base.system + "\nBe brief.", base.user, base.path)
    with pytest.raises(ReplayMissError,
                       match=r"prompt version \(recorded summarize/v2, now summarize/v3\); system prompt text"):
        Summarizer(fixtures=FIXTURES, prompt=v3).run(SEEDS[0])
    with pytest.raises(ReplayMissError, match=r"parameter temperature \(recorded 0.0, now 0.7\)"):
        Summarizer(fixtures=FIXTURES, temperature=0.7).run(SEEDS[0])
    with pytest.raises(ReplayMissError, match="no fixtures for an article of this name or this text"):
        Summarizer(fixtures=tmp_path).run(SEEDS[0])
    with pytest.raises(ReplayMissError, match="article message"):
        Summarizer(fixtures=FIXTURES).run(load_article(SEEDS[0]).__class__(id=SEEDS[0].stem, text="Another text entirely."))


def test_record_then_replay_offline_and_no_secret_is_written(tmp_path: Path) -> None:
    answer = accepted_answer(SEEDS[0].stem)
    fixtures, out = tmp_path / "fixtures", tmp_path / "out"
    with LoopbackServer([answer]) as server:
        rec = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=fixtures, mode="record")
        recorded = rec.run(SEEDS[0])
        recorded.write(out)
        assert len(server.seen) == 1
        headers = {k.lower(): v for k, v in server.seen[0].headers.items()}
        assert headers["authorization"] == f"Bearer {FAKE_KEY}"  # the key did travel...
        assert not any(h.startswith("x-summarize") for h in headers)  # ...our labels did not
        url = server.url
    files = list(fixtures.rglob("*.json"))
    assert len(files) == 1 and [e["article"] for e in FixtureStore(fixtures).index()] == [SEEDS[0].stem]
    data = json.loads(files[0].read_text())
    assert data["provenance"]["source"] == "recorded" and data["provenance"]["server"] == url.removesuffix("/v1")
    assert files_containing(tmp_path, FAKE_KEY) == []  # ...and never reached a file
    assert files_containing(tmp_path, "Bearer") == []

    replayed = Summarizer(fixtures=fixtures).run(SEEDS[0])  # server is gone: replay only
    assert replayed.summary == recorded.summary and replayed.usage.replayed == 1


def test_auto_replays_hits_and_records_misses_live_writes_nothing(tmp_path: Path) -> None:
    answer = accepted_answer(SEEDS[0].stem)
    shipped = shutil.copytree(FIXTURES, tmp_path / "shipped")  # a miss here must not record into the checkout
    with LoopbackServer(default=answer) as server:
        auto = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=shipped)
        assert auto.settings.mode.value == "auto"
        auto.run(SEEDS[0])
        assert server.seen == []  # a hit: nothing sent
        live = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "live", mode="live")
        live.run(SEEDS[0])
        assert len(server.seen) == 1 and not (tmp_path / "live").exists()
        auto_new = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "auto", temperature=0.3)
        auto_new.run(SEEDS[0])
        auto_new.run(SEEDS[0])
        assert len(server.seen) == 2  # recorded once, then replayed
        assert len(list((tmp_path / "auto").rglob("*.json"))) == 1
