"""Authoring and rekeying fixtures: an answer that fails validation is never stored, and says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarize import ConfigurationError, FixtureStore, InvalidOutputError, Summarizer
from summarize.runs.authoring import author_fixtures, rekey_fixtures

from .conftest import SEEDS, accepted_answer, copy_fixtures
from .test_cli_and_api import run_cli

SEED = SEEDS[0]
INVENTED = "words nobody ever said in this article"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A fixtures folder holding the seed article's good, recorded exchange."""
    root = tmp_path / "fixtures"
    copy_fixtures(SEED.stem, root)
    return root


def answers(tmp_path: Path, **named: Any) -> dict[str, Path]:
    """Write each answer to ``tmp_path/<name>.json``."""
    paths = {}
    for name, answer in named.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    return paths


def good() -> dict[str, Any]:
    return accepted_answer(SEED.stem)


def invalid() -> dict[str, Any]:
    answer = good()
    answer["quotes"][0]["text"] = INVENTED
    return answer


def author(fixtures: Path, *files: Path) -> Any:
    return run_cli("fixtures", "author", str(SEED), *map(str, files), "--author", "a test", "--note", "why",
                   "--fixtures", str(fixtures))


def test_an_invalid_answer_from_the_cli_leaves_the_good_fixture_byte_for_byte_and_names_the_quote(
        fixtures: Path, tmp_path: Path) -> None:
    before = snapshot(fixtures)
    proc = author(fixtures, answers(tmp_path, bad=invalid())["bad"])
    assert snapshot(fixtures) == before  # nothing stored, nothing left behind (no staging folder either)
    assert proc.returncode == 2, proc.stderr
    assert "Answer 1 of 1 fails validation" in proc.stderr and "quotes.0" in proc.stderr and INVENTED in proc.stderr
    assert "HTTP 500" not in proc.stderr and "Traceback" not in proc.stderr


def test_the_api_raises_invalid_output_with_the_problems_and_stores_no_part_of_a_sequence_that_ends_invalid(
        fixtures: Path) -> None:
    before = snapshot(fixtures)
    with pytest.raises(InvalidOutputError, match="Answer 2 of 2 fails validation") as caught:
        author_fixtures(SEED, [invalid(), invalid()], fixtures=fixtures, author="a test", note="why")
    assert any(p.startswith("quotes.0") and INVENTED in p for p in caught.value.problems), caught.value.problems
    assert snapshot(fixtures) == before


def test_a_reask_sequence_that_ends_valid_is_stored_whole_and_replays(fixtures: Path, tmp_path: Path) -> None:
    files = answers(tmp_path, bad=invalid(), fixed=good())
    proc = author(fixtures, files["bad"], files["fixed"])
    assert proc.returncode == 0, proc.stderr
    stored = sorted(fixtures.rglob("*.json"))  # the first request is the shipped one's: its fixture was replaced
    assert len(stored) == 2 and [p for p, _ in FixtureStore(fixtures).for_article(SEED.stem)] == sorted(
        stored, key=lambda p: json.loads(p.read_text(encoding="utf-8"))["attempt"])
    assert f"2 exchange(s) written to {fixtures}" in proc.stdout
    kinds = [json.loads(p.read_text(encoding="utf-8"))["provenance"]["source"] for p in stored]
    assert kinds == ["authored", "authored"]
    with Summarizer(fixtures=fixtures, mode="replay") as replay:
        result = replay.run(SEED)
    assert (result.usage.attempts, result.usage.replayed) == (2, 2)  # the invalid answer, its reask, the fix
    assert result.summary.model_dump(mode="json")["quotes"][0]["text"] == good()["quotes"][0]["text"]


def test_an_answer_accepted_before_the_last_is_a_configuration_error_and_nothing_is_written(fixtures: Path) -> None:
    before = snapshot(fixtures)
    with pytest.raises(ConfigurationError, match="Answer 1 of 2 was accepted"):
        author_fixtures(SEED, [good(), good()], fixtures=fixtures, author="a test", note="why")
    assert snapshot(fixtures) == before


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot be read: No such file or directory"),
    ('{"title": "cut off', "is not UTF-8 JSON"),
    (b"\xff\xfe\x00broken", "is not UTF-8 JSON"),
    ("[1, 2]", "holds a JSON list, not an object"),
])
def test_a_missing_or_malformed_answer_file_is_a_clear_error(fixtures: Path, tmp_path: Path, content: str | bytes | None,
                                                             expected: str) -> None:
    before = snapshot(fixtures)
    path = tmp_path / "answer.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    proc = author(fixtures, path)
    assert proc.returncode == 2 and f"Answer file {path} {expected}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and snapshot(fixtures) == before


def test_rekeying_an_answer_that_no_longer_validates_stores_nothing(fixtures: Path, tmp_path: Path) -> None:
    quote = good()["quotes"][0]["text"]
    changed = tmp_path / SEED.name  # the same article id, its quoted words gone from the text
    changed.write_text(SEED.read_text(encoding="utf-8").replace(quote, "something else entirely"), encoding="utf-8")
    before = snapshot(fixtures)
    report = rekey_fixtures([changed], fixtures=fixtures)
    assert report[SEED.stem].startswith("failed: The answer stayed invalid"), report
    assert snapshot(fixtures) == before  # neither the invalid answer under a new key nor a half sequence


def test_a_fixtures_folder_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    proc = author(blocked / "fixtures", answers(tmp_path, fixed=good())["fixed"])
    assert proc.returncode == 2 and f"Cannot write fixtures in {blocked / 'fixtures'}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
