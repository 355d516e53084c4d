"""What a folder run does when its files cannot be written, when two runs share OUT, and with many failures.

Write failures are real operating-system failures, for root too: a path under a regular file (ENOTDIR),
and a file size limit (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored, so writes past it fail with EFBIG or
fall short) set in the child process that runs the command.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from summarize import ConfigurationError, OutputError, RunLockedError, Summarizer
from summarize.core.ledger import LEDGER_NAME
from summarize.runs.authoring import author_fixtures
from summarize.runs.folder import FAILURES_KEPT
from summarize.runs.outfolder import LOCK_NAME
from summarize.testing.loopback import LoopbackServer, minimal_answer

from .conftest import FAKE_KEY, ROOT, SEEDS, accepted_answer, write_synthetic_articles

_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}


def _cli(args: list[str], *, file_size_limit: int | None = None) -> subprocess.Popen[str]:
    def limit() -> None:  # in the child, before it runs Python: a real EFBIG for every file it writes
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.Popen([sys.executable, "-m", "summarize", *args], cwd=ROOT,
                            env={**_ENV, "OPENAI_API_KEY": FAKE_KEY}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=limit if file_size_limit else None)


def _finish(proc: subprocess.Popen[str]) -> str:
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr
    return stderr


def _ledger_lines(out: Path) -> list[dict[str, Any]]:
    raw = (out / LEDGER_NAME).read_bytes()
    assert not raw or raw.endswith(b"\n"), "the ledger ends with half a line"
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]  # every line whole


def _final(out: Path) -> dict[str, str]:
    return {e["article"]: e["status"] for e in _ledger_lines(out)}


def _run_args(src: Path, out: Path, fixtures: Path, url: str, *more: str) -> list[str]:
    return ["run", str(src), "--out", str(out), "--fixtures", str(fixtures), "--base-url", url, "--concurrency", "2",
            "--quiet", *more]


# -- an answer that cannot be recorded as a fixture -------------------------------------------------
def test_an_answer_that_cannot_be_recorded_is_used_and_reported_in_its_ledger_line(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 3)
    (tmp_path / "file").write_text("a regular file, so nothing can be created under it")
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "file" / "fx", mode="auto")
        report = s.summarize_folder(tmp_path / "in", tmp_path / "out")
    assert report.done == 3 and report.failed == 0 and len(server.seen) == 3  # each answer paid once and used
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.json")) == ["a00000", "a00001", "a00002"]
    assert report.warnings == {"fixture_write": 3} and not report.ok
    for entry in _ledger_lines(tmp_path / "out"):
        assert entry["status"] == "done"
        [warning] = entry["warnings"]
        assert warning["kind"] == "fixture_write" and "Not a directory" in warning["message"]


def test_the_command_says_once_that_answers_were_not_recorded_and_exits_1(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 4)
    (tmp_path / "file").write_text("x")
    with LoopbackServer(responder=minimal_answer) as server:
        proc = _cli(_run_args(tmp_path / "in", tmp_path / "out", tmp_path / "file" / "fx", server.url,
                              "--mode", "record"))
        stderr = _finish(proc)
    assert proc.returncode == 1 and len(server.seen) == 4
    assert len(list((tmp_path / "out").glob("*.json"))) == 4
    assert "Could not connect" not in stderr
    [said] = [line for line in stderr.splitlines() if "fixture_write" in line]
    assert said.startswith("summarize: warning: 4 article(s)") and "ledger.jsonl" in said


def test_the_authoring_tool_fails_when_it_cannot_write_the_fixture(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    # The authoring tools stage their fixtures first, so a folder that cannot be written is refused before anything
    # is sent (and, with must_record, a write that fails later raises instead of being only reported).
    with pytest.raises(ConfigurationError, match="Cannot write fixtures"):
        author_fixtures(SEEDS[0], [accepted_answer(SEEDS[0].stem)], fixtures=tmp_path / "file" / "fx",
                        author="a test", note="the folder cannot be written")


# -- an output folder that cannot be written --------------------------------------------------------
def test_an_output_folder_that_cannot_be_written_fails_before_any_request(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 4)
    (tmp_path / "file").write_text("x")
    with LoopbackServer(responder=minimal_answer) as server:
        proc = _cli(_run_args(tmp_path / "in", tmp_path / "file" / "out", tmp_path / "fx", server.url,
                              "--mode", "live"))
        stderr = _finish(proc)
    assert proc.returncode == 3 and server.seen == []
    assert "Cannot write to the output folder" in stderr and "Nothing was sent" in stderr


def test_the_library_raises_output_error_before_any_request(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 2)
    (tmp_path / "file").write_text("x")
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live")
        with pytest.raises(OutputError, match="Cannot write to the output folder") as caught:
            s.summarize_folder(tmp_path / "in", tmp_path / "file" / "out")
    assert server.seen == [] and caught.value.path == str(tmp_path / "file" / "out")


@pytest.mark.parametrize(("resume", "message"), [(True, "Could not read the ledger"), (False, "Could not write the ledger")])
def test_a_ledger_that_cannot_be_opened_fails_before_any_request(tmp_path: Path, resume: bool, message: str) -> None:
    write_synthetic_articles(tmp_path / "in", 2)
    (tmp_path / "out" / LEDGER_NAME).mkdir(parents=True)  # OUT itself is writable; its ledger is not a file
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live")
        with pytest.raises(OutputError, match=f"{message} .*: Is a directory"):
            s.summarize_folder(tmp_path / "in", tmp_path / "out", resume=resume)
    assert server.seen == [] and not list((tmp_path / "out").glob("*.json"))


# -- a full disk (a file size limit) ---------------------------------------------------------------
def test_a_ledger_that_cannot_grow_stops_the_run_whole_and_a_resume_completes_it(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 30)
    out = tmp_path / "out"
    with LoopbackServer(responder=minimal_answer) as server:
        args = _run_args(tmp_path / "in", out, tmp_path / "fx", server.url, "--mode", "live")
        proc = _cli(args, file_size_limit=4096)  # a summary (~1.6 kB) fits; the ledger reaches it after ~11 lines
        stderr = _finish(proc)
        assert proc.returncode == 3, stderr
        assert "Could not write the ledger" in stderr and "run the same command again" in stderr
        first = _final(out)  # every line whole: the short write was cut back
        assert 5 <= len(first) < 30 and set(first.values()) == {"done"}
        paid = len(server.seen)
        assert paid < 30  # the run stopped instead of paying for articles it could not record
        again = _cli(args)
        _finish(again)
        assert again.returncode == 0
    final = _final(out)
    assert sorted(final) == [f"a{i:05d}" for i in range(30)] and set(final.values()) <= {"done", "skipped"}
    assert len(list(out.glob("*.json"))) == 30 and not list(out.rglob("*.tmp"))
    assert {a for a, status in final.items() if status == "skipped"} >= set(first)  # done work was kept


def test_a_summary_that_cannot_be_written_stops_the_run_and_a_resume_completes_it(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 6)
    big = tmp_path / "in" / "a00003.txt"
    big.write_text(big.read_text() + "".join(f"Paragraph {i} of a long report on the item.\n" for i in range(120)))
    out = tmp_path / "out"
    with LoopbackServer(responder=minimal_answer) as server:
        args = _run_args(tmp_path / "in", out, tmp_path / "fx", server.url, "--mode", "live")
        proc = _cli(args, file_size_limit=4096)  # the long article's summary (it holds the text) cannot fit
        stderr = _finish(proc)
        assert proc.returncode == 3, stderr
        assert "Could not write the summary of a00003" in stderr
        entries = _ledger_lines(out)
        [failed] = [e for e in entries if e["status"] == "failed"]
        assert failed["article"] == "a00003" and failed["error"] == "output" and failed["live_prompt_tokens"] > 0
        assert not (out / "a00003.json").exists() and not list(out.rglob("*.tmp"))
        again = _cli(args)
        _finish(again)
        assert again.returncode == 0
    assert _final(out)["a00003"] == "done" and len(list(out.glob("*.json"))) == 6


# -- two runs on the same output folder ------------------------------------------------------------
def test_a_second_run_on_the_same_out_names_the_holder_and_exits_or_waits(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 4)
    saw, release = threading.Event(), threading.Event()

    def held(body: dict[str, Any]) -> Any:  # the first run's answers wait until the test lets them go
        saw.set()
        release.wait(120)
        return minimal_answer(body)

    with LoopbackServer(responder=held) as server:
        args = _run_args(tmp_path / "in", tmp_path / "out", tmp_path / "fx", server.url, "--mode", "live")
        first = _cli(args)
        try:
            assert saw.wait(120), "the first run never sent a request"
            second = _cli(args)
            stderr = _finish(second)
            assert second.returncode == 2
            assert f"pid {first.pid} " in stderr and "--wait" in stderr
            third = _cli([*args, "--wait"])
            assert third.stderr is not None
            waiting = third.stderr.readline()  # the third run says it waits, and for whom
            assert "waiting for another summarize run" in waiting and f"pid {first.pid} " in waiting
        finally:
            release.set()
        _finish(first)
        _finish(third)
    assert first.returncode == 0 and third.returncode == 0
    assert len(server.seen) == 4  # every article paid for once: the waiting run found them done
    statuses = [e["status"] for e in _ledger_lines(tmp_path / "out")]
    assert statuses == ["done"] * 4 + ["skipped"] * 4


def test_a_lock_left_by_a_dead_process_does_not_block(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", f"""
import fcntl, os, sys
fd = os.open({str(out / LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b'{{"pid": %d, "host": "here", "started": "then"}}' % os.getpid())
print("locked", flush=True)
sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live")
        with pytest.raises(RunLockedError, match=f"pid {holder.pid} on here") as caught:
            s.summarize_folder(tmp_path / "in", out)
        assert caught.value.holder["pid"] == holder.pid and server.seen == []
        holder.kill()
        holder.wait(10)
        report = s.summarize_folder(tmp_path / "in", out)  # the kernel released the dead holder's lock
    assert report.ok and report.done == 2


# -- many failures ---------------------------------------------------------------------------------
def test_failures_are_counted_and_sampled_not_all_kept_in_memory(tmp_path: Path) -> None:
    n = 3_000
    records = [json.dumps({"id": f"r{i:05d}", "text": ""}) for i in range(n)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feed.jsonl").write_text("\n".join(records) + "\n")
    report = Summarizer(fixtures=tmp_path / "fx", mode="replay").summarize_folder(
        tmp_path / "in", tmp_path / "out", concurrency=2)
    assert report.failed == n and report.failure_kinds == {"article": n}
    assert len(report.failures) == FAILURES_KEPT and [f["article"] for f in report.failures] == [
        f"r{i:05d}" for i in range(FAILURES_KEPT)]
    assert sum(e["status"] == "failed" for e in _ledger_lines(tmp_path / "out")) == n  # the ledger has them all
