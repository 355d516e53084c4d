"""One place for settings defaults: the command line and the Python API start from the same values."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from summarize import Summarizer
from summarize.cli import _parser
from summarize.core import defaults
from summarize.core.config import Settings
from summarize.evaluation.evaluate import evaluate
from summarize.runs.folder import arun_folder

from .conftest import SEEDS, accepted_answer
from .test_cli_and_api import run_cli


def _default(func: object, name: str) -> object:
    return inspect.signature(func).parameters[name].default  # type: ignore[arg-type]


def test_the_cli_and_the_api_share_every_default() -> None:
    run = _parser().parse_args(["run", "x"])
    settings = Settings()
    # timeout and max_tokens: unset means fitted to the server (summarize.core.budget)
    for name, value in (("max_reasks", defaults.MAX_REASKS), ("retries", defaults.RETRIES),
                        ("timeout", None), ("max_tokens", None)):
        assert getattr(run, name) == getattr(settings, name) == _default(Summarizer.__init__, name) \
            == _default(Settings.resolve, name) == value, name
    for name in ("temperature", "retry_budget", "retry_backoff"):
        assert getattr(settings, name) == _default(Summarizer.__init__, name) == _default(Settings.resolve, name)
    # --concurrency unset: the API's default (defaults.CONCURRENCY, or a local engine's slots: Summarizer.summarize_folder)
    assert run.concurrency is None and _default(arun_folder, "concurrency") == defaults.CONCURRENCY
    assert _parser().parse_args(["eval", "--pred", "p", "--gold", "g"]).overlap == _default(evaluate, "overlap")
    assert settings.model == Settings.resolve(env={}).model == defaults.MODEL
    assert settings.fixtures == Settings.resolve(env={}).fixtures == Path(defaults.FIXTURES)


def test_authoring_fixtures_honours_summarize_fixtures_like_every_command(tmp_path: Path) -> None:
    """``summarize fixtures author`` wrote to ./fixtures whatever $SUMMARIZE_FIXTURES said."""
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(accepted_answer(SEEDS[0].stem)), encoding="utf-8")
    chosen = tmp_path / "chosen"
    proc = run_cli("fixtures", "author", str(SEEDS[0]), str(answer), "--author", "a test", "--note", "why",
                   cwd=tmp_path, env={"SUMMARIZE_FIXTURES": str(chosen)})
    assert proc.returncode == 0, proc.stderr
    assert list(chosen.rglob("*.json")) and not (tmp_path / defaults.FIXTURES).exists()
    assert str(chosen) in proc.stdout
