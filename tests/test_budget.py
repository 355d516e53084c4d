"""Defaults that survive real models: the automatic output budget, scaled timeouts, and requests that stop.

Through real HTTP to the loopback server. The automatic budget goes to servers other than OpenAI's and
stays out of the fixture key (summarize.core.budget); a cancelled or timed-out request closes its
connection, which the server sees (``Seen.gone``), so a real server stops generating.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from summarize import ArticleTooLongError, ProviderError, ReplayMissError, Summarizer
from summarize.core import defaults
from summarize.core.adapter import completion_body
from summarize.core.budget import (
    CEILING,
    LEAST,
    MARGIN,
    answer_timeout,
    automatic_budget,
    floor,
    is_openai,
    output_budget,
)
from summarize.replay.store import request_key
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer, write_synthetic_articles
from summarize.text.tokens import estimate_tokens

from .conftest import FAKE_KEY, FIXTURES, ROOT, SEEDS
from .test_batch import _cli

ARTICLE = "Minister acts on the plan\nThe minister said \u201cwe will act on the plan now\u201d on Monday.\n"


def _recorded(fixtures: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(fixtures.rglob("*.json"))]


def test_the_automatic_budget_goes_to_other_servers_and_stays_out_of_the_key(tmp_path: Path) -> None:
    fixtures = tmp_path / "fx"
    with LoopbackServer(responder=minimal_answer) as server:
        result = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="auto", fixtures=fixtures).run(ARTICLE)
        sent = server.seen[0].body
    assert sent["max_tokens"] == automatic_budget(len(result.article.text))
    (fixture,) = _recorded(fixtures)
    assert fixture["budget"] == "auto"
    without = {k: v for k, v in sent.items() if k != "max_tokens"}
    assert fixture["key"] == request_key(without) != request_key(sent)
    # The same request without a budget (to OpenAI, or before 0.2) finds the fixture, and so does the
    # budgeted one from another server: offline, nothing is sent.
    for base_url in (None, "http://127.0.0.1:9/v1"):
        again = Summarizer(base_url=base_url, mode="replay", fixtures=fixtures).run(ARTICLE)
        assert again.summary == result.summary and again.usage.replayed == 1


def test_the_automatic_budget_is_fitted_to_a_known_context_window(tmp_path: Path) -> None:
    """Qwen2.5-Coder-0.5B on an 8,192-token engine refused two seed articles as too long: prompt and budget
    did not fit together, though the prompt alone left thousands of tokens for an answer."""
    article = " ".join(f"Sentence {i} of a long report says the council met again on Tuesday." for i in range(90))
    window = 4_096
    with LoopbackServer(responder=minimal_answer) as server:
        result = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", context_window=window).run(article)
        sent = server.seen[0].body
    prompt = estimate_tokens(sum(len(m["content"]) for m in sent["messages"]))
    assert automatic_budget(len(result.article.text)) + prompt > window  # unfitted, it would not fit
    assert sent["max_tokens"] == window - prompt - MARGIN >= LEAST
    with LoopbackServer(responder=minimal_answer) as server:  # a budget the user sets is never lowered
        with pytest.raises(ArticleTooLongError):
            Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", context_window=window,
                       max_tokens=4_000).run(article)
        assert not server.seen


def test_the_shipped_seed_fixtures_replay_with_the_automatic_budget() -> None:
    """Recorded without a budget, they replay when a budget is sent (to a server other than OpenAI)."""
    s = Summarizer(base_url="http://127.0.0.1:9/v1", mode="replay", fixtures=FIXTURES, max_tokens="auto")
    for seed in SEEDS:
        result = s.run(path=seed)
        assert result.usage.replayed == result.usage.attempts >= 1
    # A miss names what the key holds, never the unkeyed budget.
    with pytest.raises(ReplayMissError) as miss:
        Summarizer(base_url="http://127.0.0.1:9/v1", mode="replay", fixtures=FIXTURES, model="gpt-4o").run(path=SEEDS[0])
    assert miss.value.differences == ["model (recorded 'gpt-4o-mini', now 'gpt-4o')"]


def test_a_truncation_under_the_automatic_budget_is_retried_with_twice_it_keyed(tmp_path: Path) -> None:
    fixtures = tmp_path / "fx"
    replies: list[Any] = []

    def respond(body: dict[str, Any]) -> Any:
        if not replies:
            replies.append(body)
            text = json.dumps(minimal_answer(body))
            return Reply(200, completion_body(text[: len(text) // 2], body, finish_reason="length"))
        replies.append(body)
        return minimal_answer(body)

    with LoopbackServer(responder=respond) as server:
        result = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="auto", fixtures=fixtures).run(ARTICLE)
    budget = automatic_budget(len(result.article.text))
    assert [seen.body["max_tokens"] for seen in server.seen] == [budget, 2 * budget]
    # The retry asks the same messages: only its (keyed) budget tells its fixture from the first one's.
    by_attempt = {f["attempt"]: f for f in _recorded(fixtures)}
    assert by_attempt[1].get("budget") == "auto" and "budget" not in by_attempt[2]
    assert by_attempt[2]["key"] == request_key(server.seen[1].body)
    again = Summarizer(base_url=server.url, mode="replay", fixtures=fixtures).run(ARTICLE)
    assert again.usage.attempts == again.usage.replayed == 2


def test_the_budget_applies_where_the_setting_says() -> None:
    assert is_openai(None) and is_openai("https://api.openai.com/v1") and not is_openai("http://127.0.0.1:8080/v1")
    assert output_budget(None, None, 4000) == (None, False)  # OpenAI: requests as before
    assert output_budget(None, "http://localhost:8080/v1", 4000) == (automatic_budget(4000), True)
    assert output_budget("auto", None, 4000) == (automatic_budget(4000), True)
    assert output_budget("none", "http://localhost:8080/v1", 4000) == (None, False)
    assert output_budget(700, "http://localhost:8080/v1", 4000) == (700, False)
    sizes = [automatic_budget(len(seed.read_text(encoding="utf-8"))) for seed in SEEDS]
    assert all(floor() < n < CEILING for n in sizes) and floor() <= automatic_budget(10) < floor() + 10
    assert automatic_budget(2_000) < automatic_budget(4_000) < automatic_budget(10_000_000) == CEILING


class _Timeouts(httpx.BaseTransport):
    """Hands requests to a real HTTP transport, noting the timeouts each one carries."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.timeouts: list[dict[str, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(request.extensions["timeout"])
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_local_server_gets_a_timeout_scaled_to_the_request(tmp_path: Path) -> None:
    for timeout in (None, 7.0):
        transport = _Timeouts()
        with LoopbackServer(responder=minimal_answer) as server:
            s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", timeout=timeout, transport=transport)
            result = s.run(ARTICLE)
            body = server.seen[0].body
        prompt_chars = sum(len(m["content"]) for m in body["messages"])
        expected = answer_timeout(timeout, server.url, prompt_chars, automatic_budget(len(result.article.text)))
        assert transport.timeouts[0]["read"] == expected
        assert expected == 7.0 if timeout else expected > defaults.TIMEOUT  # OpenAI's 120 s is not a CPU engine's


def _never() -> threading.Event:
    return threading.Event()  # never set: the server holds its answer until the client goes away


def test_a_timed_out_request_closes_its_connection_sync_and_async() -> None:
    with LoopbackServer(default=Reply(hold=_never())) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", timeout=0.5, retries=0)
        with pytest.raises(ProviderError, match="timed out"):
            s.summarize(ARTICLE)
        assert server.seen[0].gone.wait(60), "the server never saw the client go away"
        with pytest.raises(ProviderError, match="timed out"):
            asyncio.run(s.asummarize(ARTICLE))
        assert server.seen[1].gone.wait(60)


def test_a_cancelled_request_closes_its_connection() -> None:
    arrived = threading.Event()

    def hold(body: dict[str, Any]) -> Reply:
        arrived.set()
        return Reply(hold=_never())

    async def cancel(s: Summarizer) -> None:
        task = asyncio.create_task(s.asummarize(ARTICLE))
        assert await asyncio.to_thread(arrived.wait, 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with LoopbackServer(responder=hold) as server:
        asyncio.run(cancel(Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live")))
        assert server.seen[0].gone.wait(60), "the server never saw the cancelled request go away"


def test_ctrl_c_of_a_synchronous_call_closes_its_connection() -> None:
    arrived = threading.Event()

    def hold(body: dict[str, Any]) -> Reply:
        arrived.set()
        return Reply(hold=_never())

    with LoopbackServer(responder=hold) as server:
        code = ("import sys; from summarize import Summarizer; "
                f"Summarizer(base_url=sys.argv[1], api_key={FAKE_KEY!r}, mode='live').summarize({ARTICLE!r})")
        proc = subprocess.Popen([sys.executable, "-c", code, server.url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        try:
            assert arrived.wait(120), "the request never arrived"
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
            assert "KeyboardInterrupt" in stderr
            assert server.seen[0].gone.wait(60), "the server never saw the interrupted request go away"
        finally:
            if proc.poll() is None:
                proc.kill()


def test_ctrl_c_of_a_folder_run_closes_every_request_in_flight(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 6)
    held = threading.Semaphore(0)

    def hold(body: dict[str, Any]) -> Reply:
        held.release()
        return Reply(hold=_never())

    with LoopbackServer(responder=hold) as server:
        proc = _cli(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--base-url", server.url,
                     "--mode", "live", "--concurrency", "3", "--quiet"], {"OPENAI_API_KEY": FAKE_KEY})
        try:
            for _ in range(3):
                assert held.acquire(timeout=120), "the run never had 3 requests in flight"
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
            assert proc.returncode == 130
            assert all(seen.gone.wait(60) for seen in server.seen) and len(server.seen) == 3
        finally:
            if proc.poll() is None:
                proc.kill()
