"""Shared test fixtures. Tests run offline: no key, no network beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from summarize.http.streaming import RECEIVING
from summarize.replay.store import FixtureStore, restored
from summarize.testing.loopback import write_synthetic_articles  # noqa: F401 - re-exported for tests

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
FIXTURES = ROOT / "fixtures"
#: The model the authored seed references are keyed under (the real recordings beside them are another model's).
AUTHORED_MODEL = "gpt-4o-mini"
#: Obviously fake; tests check it never reaches a written file.
FAKE_KEY = "test-key-NOT-A-REAL-KEY-4242"


def accepted_answer(article_id: str) -> dict[str, Any]:
    """The last (accepted) answer recorded for a seed article, as the model's JSON object."""
    exchanges = [e for e in FixtureStore(FIXTURES).for_article(article_id) if e[1]["provenance"]["source"] == "authored"]
    body = restored(exchanges[-1][1]["response"]["body"])
    return json.loads(body["choices"][0]["message"]["content"])


def copy_fixtures(article_id: str, root: Path) -> list[Path]:
    """Copy the shipped fixtures of one seed article, with their index lines, into the fixtures folder ``root``."""
    source, target = FixtureStore(FIXTURES), FixtureStore(root)
    entries = [e for e in source.index() if e["article"] == article_id and e["model"] == AUTHORED_MODEL]
    copied = []
    for entry in entries:
        copied.append(target.path_for(entry["key"]))
        copied[-1].parent.mkdir(parents=True, exist_ok=True)
        copied[-1].write_bytes(source.path_for(entry["key"]).read_bytes())
    target.add_to_index(entries)
    return copied


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's key, base URL or folders."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZE_MODEL", "SUMMARIZE_FIXTURES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def seed_paths() -> list[Path]:
    assert len(SEEDS) == 5, "copy the seed articles: cp ../shared/seeds/* seeds/"
    return SEEDS


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]



# Property tests are judged by their examples, never by how long one took: hypothesis's default 200 ms
# deadline per example fails a correct test on a busy machine.
settings.register_profile("summarize", deadline=None)
settings.load_profile("summarize")


async def cancel_when_receiving(run: Coroutine[Any, Any, Any], tokens: int = 3,
                                before_cancel: Callable[[], None] | None = None) -> int:
    """Run ``run`` as a task until its streamed answer has brought ``tokens`` tokens (the event
    :data:`summarize.http.streaming.RECEIVING` tells), call ``before_cancel``, cancel it; the tokens received."""
    arrived = asyncio.Event()
    received = [0]

    def tell(count: int) -> None:
        received[0] = count
        if count >= tokens:
            arrived.set()

    RECEIVING.set(tell)  # before the task is made: it runs in a copy of this context
    task = asyncio.create_task(run)
    waiting = asyncio.create_task(arrived.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    assert arrived.is_set(), f"the answer ended before {tokens} tokens had arrived"
    if before_cancel is not None:
        before_cancel()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return received[0]
