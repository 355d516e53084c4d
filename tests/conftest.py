"""Shared test fixtures. Tests run offline: no key, no network beyond 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from summarize.replay.store import FixtureStore, restored
from summarize.testing.loopback import write_synthetic_articles  # noqa: F401 - re-exported for tests

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
FIXTURES = ROOT / "fixtures"
#: Obviously fake; tests check it never reaches a written file.
FAKE_KEY = "test-key-NOT-A-REAL-KEY-4242"


def accepted_answer(article_id: str) -> dict[str, Any]:
    """The last (accepted) answer recorded for a seed article, as the model's JSON object."""
    exchanges = FixtureStore(FIXTURES).for_article(article_id)
    body = restored(exchanges[-1][1]["response"]["body"])
    return json.loads(body["choices"][0]["message"]["content"])


def copy_fixtures(article_id: str, root: Path) -> list[Path]:
    """Copy the shipped fixtures of one seed article, with their index lines, into the fixtures folder ``root``."""
    source, target = FixtureStore(FIXTURES), FixtureStore(root)
    entries = [e for e in source.index() if e["article"] == article_id]
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
