"""Folder runs against a loopback server: concurrency, rate limits, failures, resume, interruption, records."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from summarize import Summarizer
from summarize.core.adapter import completion_body
from summarize.core.ledger import LEDGER_NAME, estimate_cost
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer

from .conftest import FAKE_KEY, ROOT, files_containing, write_synthetic_articles


def _summarizer(server: LoopbackServer, fixtures: Path, **kw: Any) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=fixtures, mode=kw.pop("mode", "live"), **kw)


def _ledger(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / LEDGER_NAME).read_text().splitlines() if line.strip()]


def test_concurrency_is_bounded_and_reached_and_every_article_is_written(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 24)
    responder = _Hold(lambda i: True, 4, release_when_held=True)  # the first answers wait until 4 are in flight
    with LoopbackServer(responder=responder) as server, responder.guarded():
        report = _summarizer(server, tmp_path / "fx").summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=4)
    assert server.max_in_flight == 4
    assert report.ok and report.done == 24 and report.total == 24
    assert len(list((tmp_path / "out").glob("*.json"))) == 24
    entries = _ledger(tmp_path / "out")
    assert len(entries) == 24 and {e["status"] for e in entries} == {"done"}
    assert report.prompt_tokens == sum(e["prompt_tokens"] for e in entries) > 0
    assert report.cost_usd == pytest.approx(estimate_cost("gpt-4o-mini", report.live_prompt_tokens, report.live_completion_tokens))


def test_a_429_pauses_every_worker_and_no_article_fails(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 20)
    with LoopbackServer(responder=minimal_answer, rate_limit=8) as server:
        s = _summarizer(server, tmp_path / "fx")
        report = s.summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=8)
    assert report.ok and report.done == 20
    assert any(seen.status == 429 for seen in server.seen), "the server never had to limit: the test proves nothing"
    assert s.limiter.pause_log, "no 429 paused the run"
    assert report.requests == len(server.seen)


def test_once_told_to_wait_no_worker_sends_until_the_pause_ends(tmp_path: Path) -> None:
    """Eight requests are held in the server; the first is answered 429, and the seven others only once
    the client has paused. Every request sent before the pause has then arrived, so any arrival before
    the pause ends was sent during it: no allowance for how busy the machine is is needed."""
    write_synthetic_articles(tmp_path / "in", 16)
    s: Summarizer | None = None  # set once the server is up; the held answers look at its limiter
    all_in = threading.Event()
    arrived = iter(range(10_000))
    lock = threading.Lock()

    class Paused:
        def is_set(self) -> bool:
            return s is not None and bool(s.limiter.pause_log)

    def responder(body: dict[str, Any]) -> Reply:
        with lock:
            n = next(arrived)
        if n == 7:
            all_in.set()
        if n == 0:
            return Reply(429, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}},
                         headers={"retry-after-ms": "300"}, hold=all_in)
        return Reply(200, completion_body(minimal_answer(body), body), hold=Paused() if n < 8 else None)

    with LoopbackServer(responder=responder) as server:
        s = _summarizer(server, tmp_path / "fx")
        report = s.summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=8)
    assert report.ok and report.done == 16 and [seen.status for seen in server.seen].count(429) == 1
    [(told, until)] = s.limiter.pause_log
    early = [round(seen.at - told, 3) for seen in server.seen if told < seen.at < until]  # one clock, time.monotonic
    assert not early, f"requests arrived {early} s into a {until - told:.3f} s pause"
    assert len([seen for seen in server.seen if seen.at >= until]) == 9  # the retry and the 8 articles left


def test_a_failed_article_is_recorded_and_the_run_goes_on_then_resume_redoes_only_it(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 6)

    def flaky(body: dict[str, Any]) -> Any:
        if "item 3 now" in json.dumps(body, ensure_ascii=False):
            return Reply(400, {"error": {"message": "this article is refused"}})
        return minimal_answer(body)

    with LoopbackServer(responder=flaky) as server:
        report = _summarizer(server, tmp_path / "fx").summarize_folder(tmp_path / "in", tmp_path / "out")
    assert not report.ok and report.done == 5
    assert [(f["article"], f["error"]) for f in report.failures] == [("a00003", "provider")]
    with LoopbackServer(responder=minimal_answer) as server:
        again = _summarizer(server, tmp_path / "fx").summarize_folder(tmp_path / "in", tmp_path / "out")
    assert again.ok and again.skipped == 5 and again.done == 1 and len(server.seen) == 1
    (tmp_path / "in" / "a00001.txt").write_text("Minister acts on item 1\nA changed article with \u201cnew words\u201d.\n")
    with LoopbackServer(responder=minimal_answer) as server:
        changed = _summarizer(server, tmp_path / "fx").summarize_folder(tmp_path / "in", tmp_path / "out")
        other_model = _summarizer(server, tmp_path / "fx", model="gpt-4.1-mini").summarize_folder(tmp_path / "in", tmp_path / "out")
    assert changed.done == 1 and changed.skipped == 5
    assert other_model.done == 6 and other_model.skipped == 0  # a new configuration redoes everything


def test_jsonl_and_json_records_are_articles_and_bad_records_fail_alone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [{"id": "r1", "title": "First", "published": "2024-07-16T10:00:00Z", "text": "First headline\nHe said \u201cyes indeed\u201d."},
             {"body": "Second headline\nNo quotes here."}, {"title": "no text"}]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n", encoding="utf-8")
    (folder / "more.json").write_text(json.dumps([{"content": "Third headline\nMore."}]), encoding="utf-8")
    with LoopbackServer(responder=minimal_answer) as server:
        report = _summarizer(server, tmp_path / "fx").summarize_folder(folder, tmp_path / "out")
    assert report.total == 5 and report.done == 3
    assert sorted(f["article"] for f in report.failures) == ["feed-3", "feed-4"]
    doc = json.loads((tmp_path / "out" / "r1.json").read_text())
    assert doc["article"]["published"] == "2024-07-16" and doc["article"]["title"] == "First"
    assert doc["summary"]["quotes"][0]["text"] == "yes indeed"
    assert (tmp_path / "out" / "feed-2.json").exists() and (tmp_path / "out" / "more-1.json").exists()


def test_glob_selects_files_and_the_output_folder_is_never_read_as_input(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in" / "keep", 2)
    write_synthetic_articles(tmp_path / "in" / "skip", 2, start=10)
    with LoopbackServer(responder=minimal_answer) as server:
        s = _summarizer(server, tmp_path / "fx")
        report = s.summarize_folder(tmp_path / "in", tmp_path / "in" / "out", glob="keep/*.txt")
        again = s.summarize_folder(tmp_path / "in", tmp_path / "in" / "out")
    assert report.total == 2 and sorted(p.name for p in (tmp_path / "in" / "out" / "keep").iterdir()) == ["a00000.json", "a00001.json"]
    assert again.total == 4  # the summaries under in/out are not articles


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a non-interactive shell hands a process


def _cli(args: list[str], env_extra: dict[str, str], *, sigint_ignored: bool = False) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    return subprocess.Popen([sys.executable, "-m", "summarize", *args], cwd=ROOT, env={**env, **env_extra},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ignore_sigint if sigint_ignored else None)


class _Hold:
    """A responder that holds the answers to the articles ``held`` picks (by number) until ``release`` is
    set, and answers the others at once; ``holding`` is set once ``count`` held requests have arrived,
    and with ``release_when_held`` that also releases them all (and every later one).

    A run's article tasks take the next article only when their previous one is written, so a held
    request for an article after the first ``2 x concurrency`` means an earlier one is finished: tests
    wait for these events, not for time, and the run cannot finish behind their back.
    """

    def __init__(self, held: Callable[[int], bool], count: int, *, release_when_held: bool = False) -> None:
        self.picks, self.count, self.release_when_held = held, count, release_when_held
        self.release, self.holding = threading.Event(), threading.Event()
        self.held = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        reply = Reply(200, completion_body(minimal_answer(body), body))
        if self.picks(_item(body)):
            reply.hold = self.release
            with self._lock:
                self.held += 1
                if self.held >= self.count:
                    self.holding.set()
                    if self.release_when_held:
                        self.release.set()
        return reply

    @contextlib.contextmanager
    def guarded(self) -> Iterator[None]:
        """Release after two minutes whatever happens, so a product bug fails the test instead of hanging it."""
        guard = threading.Timer(120, self.release.set)
        guard.start()
        try:
            yield
        finally:
            guard.cancel()

    def wait(self, proc: subprocess.Popen[str]) -> None:
        """Until ``count`` requests are held; fails (with the process's stderr) if the process ends first."""
        for _ in range(1200):  # a guard against a hang (two minutes), not a window the test relies on
            if self.holding.wait(0.1):  # looks at the process between waits: it may have died
                return
            if proc.poll() is not None:
                raise AssertionError(f"the run ended (exit {proc.returncode}) before {self.count} requests were held: "
                                     f"{proc.stderr.read() if proc.stderr else ''}")
        raise AssertionError(f"{self.count} held requests never arrived ({self.held} did)")


def _interrupt(responder: _Hold, proc: subprocess.Popen[str]) -> str:
    """Once requests are held, send Ctrl-C; the process's stderr."""
    try:
        responder.wait(proc)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        responder.release.set()
        if proc.poll() is None:
            proc.kill()
    return stderr


def _all_valid_json(folder: Path) -> int:
    count = 0
    for p in folder.rglob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))
        count += 1
    return count


def test_resume_after_kill_9_leaves_every_article_exactly_once(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 30)
    out, fx = tmp_path / "out", tmp_path / "fx"
    responder = _Hold(lambda i: i >= 6, 3)  # 6 article tasks for 3 places: 3 held requests, 3 articles done
    with LoopbackServer(responder=responder) as server:
        args = ["run", str(tmp_path / "in"), "--out", str(out), "--fixtures", str(fx), "--base-url", server.url,
                "--mode", "auto", "--concurrency", "3", "--quiet"]
        proc = _cli(args, {"OPENAI_API_KEY": FAKE_KEY})
        responder.wait(proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        responder.release.set()  # for the resumed run
        killed_at = len(server.seen)
        assert proc.returncode == -signal.SIGKILL
        done_before = {e["article"] for e in _ledger(out) if e["status"] == "done"}
        # A document is renamed into place just before its ledger line is written: the kill can fall in
        # between, and then that article is not done as far as resume is concerned (it is redone).
        assert 3 <= len(done_before) <= 6
        proc = _cli(args, {"OPENAI_API_KEY": FAKE_KEY})
        proc.communicate(timeout=120)
        assert proc.returncode == 0
        resumed_requests = len(server.seen) - killed_at
    assert sorted(p.stem for p in out.glob("*.json")) == [f"a{i:05d}" for i in range(30)]
    assert _all_valid_json(out) == 30 and _all_valid_json(fx) >= 30 - len(done_before)
    assert not list(out.rglob("*.tmp"))
    final = {}
    for e in _ledger(out):
        final[e["article"]] = e["status"]
    assert set(final.values()) <= {"done", "skipped"} and len(final) == 30
    skipped = {e["article"] for e in _ledger(out) if e["status"] == "skipped"}
    assert skipped == done_before
    assert resumed_requests <= 30 - len(done_before)
    assert files_containing(tmp_path, FAKE_KEY) == []


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-inherited-ignored"])
def test_ctrl_c_stops_cleanly_with_exit_130_and_only_whole_files(tmp_path: Path, sigint_ignored: bool) -> None:
    write_synthetic_articles(tmp_path / "in", 40)
    out = tmp_path / "out"
    responder = _Hold(lambda i: i >= 8, 4)  # 8 article tasks for 4 places: 4 held requests mean 4 articles written
    with LoopbackServer(responder=responder) as server:
        proc = _cli(["run", str(tmp_path / "in"), "--out", str(out), "--fixtures", str(tmp_path / "fx"),
                     "--base-url", server.url, "--mode", "live", "--concurrency", "4"], {"OPENAI_API_KEY": FAKE_KEY},
                    sigint_ignored=sigint_ignored)
        stderr = _interrupt(responder, proc)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "resume" in stderr and "Traceback" not in stderr
    assert not list(out.rglob("*.tmp"))
    n = _all_valid_json(out)
    assert 4 <= n <= 8  # the held articles were never answered
    assert all(e["status"] == "done" for e in _ledger(out)) and len(_ledger(out)) >= n - 4
    assert not any(seen.delivered for seen in server.seen if _item(seen.body) >= 8)


def _item(body: dict[str, Any]) -> int:
    return int(re.search(r"item (\d+)", body["messages"][-1]["content"]).group(1))  # type: ignore[union-attr]


def test_the_deprecated_workers_option_is_ignored_with_a_warning_that_says_so(tmp_path: Path) -> None:
    """``workers`` (0.1's process pool) is accepted for one more release: the run is the same, and says why."""
    write_synthetic_articles(tmp_path / "in", 6)
    with LoopbackServer(responder=minimal_answer) as server:
        with pytest.warns(FutureWarning, match="workers is deprecated and ignored: a folder run is one process"):
            report = _summarizer(server, tmp_path / "fx").summarize_folder(tmp_path / "in", tmp_path / "out",
                                                                            concurrency=2, workers=2)
        assert report.ok and report.done == 6 and len(server.seen) == 6
        proc = _cli(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out-cli"), "--fixtures", str(tmp_path / "fx"),
                     "--base-url", server.url, "--mode", "live", "--workers", "2", "--quiet"], {"OPENAI_API_KEY": FAKE_KEY})
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    [said] = [line for line in stderr.splitlines() if "--workers" in line]
    assert said.startswith("summarize: warning: --workers is deprecated and ignored") and "0.2" in said
    assert "FutureWarning" not in stderr  # said once, in the CLI's words
    assert sorted(p.stem for p in (tmp_path / "out-cli").glob("*.json")) == [f"a{i:05d}" for i in range(6)]
