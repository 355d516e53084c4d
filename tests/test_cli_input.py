"""What a user types that the command line must refuse cleanly: numbers out of range, abbreviated options,
and a reader that stops early (``| head``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarize import ConfigurationError, Summarizer, model_schema
from summarize.cli import main

from .conftest import ROOT, SEEDS
from .test_cli_and_api import run_cli

BAD_NUMBERS = [
    ("--concurrency", "0"), ("--concurrency", "-3"), ("--concurrency", "1.5"), ("--workers", "0"),
    ("--rpm", "0"), ("--rpm", "nan"), ("--tpm", "-5"), ("--tpm", "inf"), ("--max-reasks", "-1"),
    ("--retries", "-1"), ("--timeout", "0"), ("--timeout", "nan"), ("--max-tokens", "0"),
    ("--context-window", "-1"), ("--concurrency", "many"),
]


@pytest.mark.parametrize(("option", "value"), BAD_NUMBERS)
def test_a_numeric_option_out_of_range_is_a_usage_error_before_anything_runs(
        option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(["run", str(SEEDS[0]), "--out", str(out), option, value])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("usage: summarize run")
    assert f"argument {option}: expected a" in err and repr(value) in err
    assert not out.exists()  # refused before the run began


@pytest.mark.parametrize("value", ["0", "1.5", "nan"])
def test_an_overlap_out_of_range_is_a_usage_error(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["eval", "--pred", str(tmp_path), "--gold", str(tmp_path), "--overlap", value])
    assert exited.value.code == 2 and "argument --overlap: expected a finite number above 0 and at most 1" in capsys.readouterr().err


def test_concurrency_and_workers_of_zero_from_a_real_process_exit_2_without_a_traceback(tmp_path: Path) -> None:
    for option in ("--concurrency", "--workers"):
        proc = run_cli("run", "seeds/", "--out", str(tmp_path / "out"), option, "0")
        assert proc.returncode == 2, proc.stderr
        assert f"argument {option}: expected a whole number of at least 1, not '0'" in proc.stderr
        assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "seeds", "--output", "json"], "unrecognized arguments: --output json"),  # was --output-mode json
    (["run", "seeds", "--conc", "3"], "unrecognized arguments: --conc 3"),  # was --concurrency 3
    (["eval", "--pred", "p", "--gold", "g", "--js"], "unrecognized arguments: --js"),  # was --json
    (["fixtures", "author", "a.txt", "b.json", "--auth", "me", "--note", "n"],
     "the following arguments are required: --author"),  # --auth was --author
    (["report", "out", "--ht", "site"], "the following arguments are required: --html"),  # --ht was --html
])
def test_options_are_never_abbreviated(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # were an option taken, nothing would be written in the repository
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and expected in capsys.readouterr().err


def test_the_python_api_refuses_the_same_values_with_a_configuration_error(tmp_path: Path) -> None:
    for bad in ({"timeout": 0}, {"timeout": float("nan")}, {"rpm": 0}, {"tpm": float("inf")}, {"max_reasks": -1},
                {"retries": -1}, {"max_tokens": 0}, {"context_window": 0}, {"retry_budget": -1.0}):
        (name, value), = bad.items()
        with pytest.raises(ConfigurationError, match=f"^{name} must be a "):
            Summarizer(**bad)
    for bad in ({"concurrency": 0}, {"concurrency": -1}, {"concurrency": 2.5}, {"workers": 0}):
        (name, value), = bad.items()
        with pytest.raises(ConfigurationError, match=f"^{name} must be a whole number of at least 1, not {value}"):
            Summarizer().summarize_folder(SEEDS[0].parent, tmp_path / "out", **bad)
    assert not (tmp_path / "out").exists()


# -- a reader that stops early -----------------------------------------------------------------------------

@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_schema_into_a_pipe_closed_after_one_line_exits_141_without_a_traceback(unbuffered: bool) -> None:
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ to make the pipe smaller than the schema")
    read_end, write_end = os.pipe()
    # The pipe holds less than the schema, so the command is still writing when the reader goes away
    # (whatever the timing): its next write meets the closed pipe.
    size = fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    assert len(json.dumps(model_schema(), indent=2)) > size + 100
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_", "PYTHONUNBUFFERED"))}
    flags = ["-u"] if unbuffered else []
    proc = subprocess.Popen([sys.executable, *flags, "-m", "summarize", "schema"], stdout=write_end,
                            stderr=subprocess.PIPE, cwd=ROOT, env=env)
    os.close(write_end)
    first = b""
    while not first.endswith(b"\n"):  # one line, as `head -1` reads it
        chunk = os.read(read_end, 1)
        assert chunk, "the command ended before writing a line"
        first += chunk
    os.close(read_end)
    _, err = proc.communicate(timeout=120)
    assert first == b"{\n"
    assert (proc.returncode, err.decode()) == (141, "")  # no BrokenPipeError traceback, no message


def test_run_and_eval_into_a_pipe_whose_reader_has_gone_exit_141_and_the_work_is_saved(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    for argv in (["run", "seeds/", "--out", str(out)], ["eval", "--pred", str(out), "--gold", "tests/gold"],
                 ["timeline", str(out)]):
        read_end, write_end = os.pipe()
        proc = subprocess.Popen([sys.executable, "-m", "summarize", *argv], stdout=write_end,
                                stderr=subprocess.PIPE, cwd=ROOT, env=env)
        os.close(write_end)
        os.close(read_end)  # the reader is gone before the command writes anything
        _, err = proc.communicate(timeout=120)
        assert (proc.returncode, err.decode()) == (141, ""), argv  # not rich's exit status 1 ("an article failed")
        assert sorted(p.stem for p in out.glob("*.json")) == [p.stem for p in SEEDS]


@pytest.mark.parametrize("table", ['{"gpt-4o-mini": [-0.15, 0.6]}', '{"gpt-4o-mini": [NaN, 0.6]}',
                                   '{"gpt-4o-mini": [0.15, Infinity]}'])
def test_a_price_table_with_a_negative_or_infinite_price_is_refused(table: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(table, encoding="utf-8")
    assert main(["run", str(SEEDS[0]), "--out", str(tmp_path / "out"), "--prices", str(prices), "--quiet"]) == 2
    assert "the prices of gpt-4o-mini must be finite numbers of at least 0" in capsys.readouterr().err
