"""Bad input in folder runs: each gives a typed error or a sensible result, and the rest goes on."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarize import ArticleTooLongError, Summarizer, load_article
from summarize.core.ledger import LEDGER_NAME
from summarize.replay.fixtures import INDEX_NAME
from summarize.testing.faults import article_of
from summarize.testing.loopback import LoopbackServer, minimal_answer

from .conftest import FAKE_KEY, ROOT, write_synthetic_articles


def _ledger(out: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in (out / LEDGER_NAME).read_text().splitlines() if line.strip()]
    return {e["article"]: e for e in lines}


def _folder_of_bad_input(root: Path) -> Path:
    folder = root / "in"
    write_synthetic_articles(folder, 1)  # a00000.txt: a good article
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("  \n\t\n   \n", encoding="utf-8")
    (folder / "boilerplate.txt").write_text("Advertisement\nShare this article\nAll rights reserved.\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "legacy.txt").write_bytes("Caf\xe9 owner speaks\nThe owner said \x93we will reopen\x94 on Monday.\n".encode("latin-1"))
    (folder / "utf16.txt").write_bytes("Minister speaks\nThe minister said \u201cwe will act\u201d today.\n".encode("utf-16"))
    (folder / "page.txt").write_text(
        "<!DOCTYPE html><html><head><title>Site | Minister acts</title><script>track()</script></head><body>"
        "<nav>Home World Sport</nav><article><h1>Minister acts</h1><p>The minister said &ldquo;we will act&rdquo; "
        "on Monday.</p><p>Officials confirmed it.</p></article><footer>&copy; 2024 Site</footer></body></html>",
        encoding="utf-8")
    (folder / "five_mb.txt").write_text("A very long article. " * 250_000, encoding="utf-8")  # ~5 MB, ~1.3M tokens
    with (folder / "huge.txt").open("wb") as f:
        f.truncate(51 * 10**6)  # sparse: refused from its size, never read
    os.symlink("loop_b.txt", folder / "loop_a.txt")
    os.symlink("loop_a.txt", folder / "loop_b.txt")
    (folder / "sub").mkdir()
    write_synthetic_articles(folder / "sub", 1, start=1)
    os.symlink("..", folder / "sub" / "up")  # a folder loop: never followed
    return folder


def test_every_kind_of_bad_input_gets_a_typed_outcome_and_the_rest_goes_on(tmp_path: Path) -> None:
    folder = _folder_of_bad_input(tmp_path)
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live")
        report = s.summarize_folder(folder, tmp_path / "out", concurrency=4)
    ledger = _ledger(tmp_path / "out")
    outcome = {a: (e["status"], e.get("error")) for a, e in ledger.items()}
    assert outcome == {
        "a00000": ("done", None), "sub/a00001": ("done", None),
        "legacy": ("done", None), "utf16": ("done", None), "page": ("done", None),
        "empty": ("failed", "article"), "blank": ("failed", "article"), "boilerplate": ("failed", "article"),
        "binary": ("failed", "article"), "huge": ("failed", "article"), "loop_a": ("failed", "article"),
        "loop_b": ("failed", "article"), "five_mb": ("failed", "too_long"),
    }
    assert report.total == len(outcome) and report.failed == 8
    assert "too large" in ledger["huge"]["message"] and "cannot be read" in ledger["loop_a"]["message"]
    assert "not sent" in ledger["five_mb"]["message"] and "tokens" in ledger["five_mb"]["message"]
    sent = {article_of(seen.body) for seen in server.seen}
    # Requests name no file (see summarize.core.prompting): the articles are told apart by their headlines.
    assert sent == {"a00000", "a00001", "Caf\u00e9 owner speaks", "Minister speaks", "Minister acts"}, \
        "bad input must never reach the server"

    legacy = json.loads((tmp_path / "out" / "legacy.json").read_text(encoding="utf-8"))["article"]
    assert legacy["encoding"] == "cp1252" and "\u201cwe will reopen\u201d" in legacy["text"] and "Caf\u00e9" in legacy["text"]
    assert json.loads((tmp_path / "out" / "utf16.json").read_text(encoding="utf-8"))["article"]["encoding"] == "utf-16"
    page = json.loads((tmp_path / "out" / "page.json").read_text(encoding="utf-8"))["article"]
    assert page["title"] == "Minister acts"
    assert page["text"] == "Minister acts\n\nThe minister said \u201cwe will act\u201d on Monday.\n\nOfficials confirmed it."


def test_an_article_too_long_for_the_context_is_refused_before_sending(tmp_path: Path) -> None:
    with LoopbackServer(responder=minimal_answer) as server:
        small_window = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", model="local-model",
                                  context_window=3000, fixtures=tmp_path)
        text = "Minister acts\nThe minister said \u201cwe will act\u201d on Monday.\n" + "More detail follows here. " * 400
        with pytest.raises(ArticleTooLongError) as caught:
            small_window.run(text)
        assert "3,000" in str(caught.value) and "context_window" in str(caught.value) and not server.seen
        unknown = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", model="local-model", fixtures=tmp_path)
        assert unknown.run(text).summary.events, "an unknown model with no context_window is not checked"
        assert len(server.seen) == 1


def _drop_file_permission_override() -> None:
    """In the child, before exec: a root process loses the capabilities that bypass file permissions."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_folder_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_synthetic_articles(folder / "open", 2)
    write_synthetic_articles(folder / "locked", 2, start=2)
    os.chmod(folder / "locked", 0)
    try:
        probe = subprocess.run([sys.executable, "-c", f"import os; os.listdir({str(folder / 'locked')!r})"],
                               preexec_fn=_drop_file_permission_override, capture_output=True)
        if probe.returncode == 0:
            pytest.skip("this machine lets every process read a mode-000 folder (no way to drop that privilege)")
        with LoopbackServer(responder=minimal_answer) as server:
            env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY}
            run = subprocess.run(
                [sys.executable, "-m", "summarize", "run", str(folder), "--out", str(tmp_path / "out"), "--quiet",
                 "--base-url", server.url, "--mode", "live", "--fixtures", str(tmp_path / "fx")],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_drop_file_permission_override)
    finally:
        os.chmod(folder / "locked", 0o755)
    assert run.returncode == 1, run.stderr
    ledger = _ledger(tmp_path / "out")
    assert {a for a, e in ledger.items() if e["status"] == "done"} == {"open/a00000", "open/a00001"}
    assert ledger["locked"]["status"] == "failed" and "cannot be read" in ledger["locked"]["message"]
    assert "locked" in run.stderr


def test_a_single_html_file_is_read_as_its_article(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text("<html><body><header>Menu</header><main><h1>Storm hits coast</h1><p>Winds of 100 km/h "
                    "were <em>recorded</em>.</p><script>x()</script></main></body></html>", encoding="utf-8")
    article = load_article(page)
    assert article.title == "Storm hits coast" and article.text == "Storm hits coast\n\nWinds of 100 km/h were recorded."


def test_an_html_page_with_no_text_is_an_article_error(tmp_path: Path) -> None:
    from summarize import ArticleError

    page = tmp_path / "empty.html"
    page.write_text("<!doctype html><html><body><nav>Home</nav><script>app()</script></body></html>", encoding="utf-8")
    with pytest.raises(ArticleError, match=r"nothing to summarize|empty"):
        load_article(page)


def test_two_processes_recording_into_one_fixtures_folder_leave_only_whole_files(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 40)
    fixtures = tmp_path / "fx"
    with LoopbackServer(responder=minimal_answer, latency=0.01) as server:
        env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY}
        procs = [subprocess.Popen(
            [sys.executable, "-m", "summarize", "run", str(tmp_path / "in"), "--out", str(tmp_path / f"out{i}"),
             "--quiet", "--base-url", server.url, "--mode", "record", "--fixtures", str(fixtures), "--concurrency", "8"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert len(server.seen) == 80, "both processes really recorded"
    files = [p for p in fixtures.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".tmp")], "no temporary file may be left behind"
    index = fixtures / INDEX_NAME
    files.remove(index)
    assert len(files) == 40 and len({p.name for p in files}) == 40
    # Both processes appended to one index, and no line is torn: 80 lines, each whole, 40 distinct keys.
    lines = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 80 and {e["key"] for e in lines} == {p.stem for p in files}
    assert {e["article"] for e in lines} == {f"a{i:05d}" for i in range(40)}
    for p in files:
        exchange = json.loads(p.read_text(encoding="utf-8"))
        assert exchange["response"]["status"] == 200
    # and the recordings replay
    replay = Summarizer(fixtures=fixtures, mode="replay").summarize_folder(tmp_path / "in", tmp_path / "replayed")
    assert replay.done == 40 and replay.replayed == 40

