"""Rate limits against the loopback server: a 429 waits without using up retries, within a budget of time;
a spent quota (429 ``insufficient_quota``) fails at once. Every check counts requests and error kinds, never time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarize import ConfigurationError, QuotaExceededError, RateLimitedError, SummarizeError, Summarizer
from summarize.core.ledger import LEDGER_NAME
from summarize.testing.faults import FaultPlan
from summarize.testing.loopback import LoopbackServer, Reply

from .conftest import FAKE_KEY, write_synthetic_articles
from .test_cli_and_api import run_cli

ARTICLE = "a00000"
#: OpenAI's answer when the account has no credit left: a 429, like rate limiting, but no wait helps.
QUOTA = Reply(429, {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                              "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}})


def _limited(seconds: str) -> Reply:
    return Reply(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                 "code": "rate_limit_exceeded"}}, headers={"retry-after": seconds})


def _summarizer(server: LoopbackServer, tmp_path: Path, **kw: Any) -> Summarizer:
    options: dict[str, Any] = {"timeout": 5, "retry_backoff": 0.01, **kw}
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live", **options)


def _outcome(s: Summarizer, path: Path) -> Any:
    try:
        return s.run(path)
    except SummarizeError as exc:
        return exc
    finally:
        s.close()


def _ledger(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / LEDGER_NAME).read_text().splitlines() if line.strip()]


def test_more_consecutive_429s_than_the_retries_allow_still_succeed(tmp_path: Path) -> None:
    """The bench lost articles whose requests met more 429s in a row than ``retries`` allowed."""
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    plan = FaultPlan(script={ARTICLE: ["429"] * 8 + [None]})  # each 429 asks for retry-after-ms 50
    with LoopbackServer(responder=plan) as server:
        result = _outcome(_summarizer(server, tmp_path, retries=1), path)
    assert not isinstance(result, Exception), result
    assert [seen.status for seen in server.seen] == [429] * 8 + [200]
    assert result.usage.attempts == 1 and result.usage.retries == 8 and result.usage.requests == len(server.seen)


def test_429s_in_a_folder_run_use_up_no_retries_and_every_article_is_written(tmp_path: Path) -> None:
    """The asynchronous path of a folder run, with ``Retry-After: 0`` (jittered back-off instead)."""
    write_synthetic_articles(tmp_path / "in", 3)
    plan = FaultPlan(script={f"a0000{i}": ["429"] * 4 + [None] for i in range(3)})
    served: list[str] = []

    def respond(body: dict[str, Any]) -> Reply:
        reply = plan(body)
        served.append(reply.fault or "answer")
        return _limited("0") if reply.fault == "429" else reply

    with LoopbackServer(responder=respond) as server:
        s = _summarizer(server, tmp_path, retries=0)
        report = s.summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=3)
    assert report.ok and report.done == 3, [e.get("message") for e in _ledger(tmp_path / "out")]
    assert served.count("429") == 12 and served.count("answer") == 3
    assert [(e["attempts"], e["retries"]) for e in _ledger(tmp_path / "out")] == [(1, 4)] * 3
    assert s.limiter.pauses >= 1, "a 429 pauses the whole run"


def test_429s_do_not_use_up_the_retries_of_other_transient_failures(tmp_path: Path) -> None:
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    plan = FaultPlan(script={ARTICLE: ["503", "429", "429", "429", "503", None]})
    with LoopbackServer(responder=plan) as server:
        result = _outcome(_summarizer(server, tmp_path, retries=2), path)
    assert not isinstance(result, Exception), result
    assert len(server.seen) == 6 and result.usage.retries == 5

    plan = FaultPlan(script={ARTICLE: ["503", "429", "503", "429", "503", None]})
    with LoopbackServer(responder=plan) as server:
        error = _outcome(_summarizer(server, tmp_path / "again", retries=2), path)
    assert error.kind == "provider" and error.status == 503, error
    assert len(server.seen) == 5, "the third 503 spends the two retries; the 429s between them spent nothing"


def test_a_wait_longer_than_the_budget_is_not_begun_and_the_article_fails_as_rate_limited(tmp_path: Path) -> None:
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    with LoopbackServer(default=_limited("3600")) as server:  # more than the default budget of 600 s
        error = _outcome(_summarizer(server, tmp_path, retries=0), path)
    assert isinstance(error, RateLimitedError) and error.kind == "rate_limited" and error.status == 429, error
    assert len(server.seen) == 1
    assert "Retry-After: 3600" in str(error) and "--rate-limit-wait" in str(error) and "resume" in str(error)
    assert "Rate limit reached" in str(error), "the server's own words are kept"


def test_a_budget_of_zero_gives_up_at_the_first_429(tmp_path: Path) -> None:
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    with LoopbackServer(default=_limited("0")) as server:
        error = _outcome(_summarizer(server, tmp_path, rate_limit_wait=0), path)
    assert isinstance(error, RateLimitedError) and error.kind == "rate_limited", error
    assert len(server.seen) == 1 and "after waiting 0.0 s" in str(error)


def test_a_spent_quota_fails_at_once_and_says_to_check_billing(tmp_path: Path) -> None:
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    with LoopbackServer(default=QUOTA) as server:
        error = _outcome(_summarizer(server, tmp_path), path)
    assert isinstance(error, QuotaExceededError) and error.kind == "quota" and error.status == 429, error
    assert len(server.seen) == 1, "waiting cannot help: never retried"
    assert "billing" in str(error) and "You exceeded your current quota" in str(error)
    assert FAKE_KEY not in str(error)


def test_a_spent_quota_in_a_folder_run_costs_one_request_an_article(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 4)
    with LoopbackServer(default=QUOTA) as server:
        report = _summarizer(server, tmp_path).summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=2)
    assert report.failed == 4 and len(server.seen) == 4
    assert {e["error"] for e in _ledger(tmp_path / "out")} == {"quota"}


def test_the_rate_limit_wait_is_a_checked_setting_and_a_cli_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit_wait"):
        Summarizer(base_url="http://127.0.0.1:9/v1", rate_limit_wait=-1)
    write_synthetic_articles(tmp_path / "in", 1)
    with LoopbackServer(default=_limited("0")) as server:
        proc = run_cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--base-url", server.url,
                       "--mode", "live", "--fixtures", str(tmp_path / "fx"), "--rate-limit-wait", "0",
                       env={"OPENAI_API_KEY": FAKE_KEY})
    assert proc.returncode == 1 and "rate_limited" in proc.stderr, proc.stderr
    assert len(server.seen) == 1
    (entry,) = _ledger(tmp_path / "out")
    assert entry["error"] == "rate_limited" and entry["retries"] == 0


def test_a_rate_limited_answer_and_a_quota_answer_are_told_apart_by_their_body() -> None:
    from summarize.core.translate import quota_exhausted

    assert quota_exhausted(QUOTA.body) and quota_exhausted(QUOTA.body["error"])
    assert not quota_exhausted(_limited("1").body) and not quota_exhausted("insufficient_quota")
