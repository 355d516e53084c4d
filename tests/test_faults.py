"""One test per fault class, against the fault-injecting loopback server: what is retried, reasked, or final."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from summarize import (
    InvalidOutputError,
    ProviderError,
    RefusalError,
    Summarizer,
    TruncatedOutputError,
)
from summarize.testing.faults import EXPECTED, FaultPlan
from summarize.testing.loopback import LoopbackServer, Reply

from .conftest import FAKE_KEY, write_synthetic_articles

ARTICLE = "a00000"


def _summarizer(server: LoopbackServer, tmp_path: Path, **kw: Any) -> Summarizer:
    # The timeout only ends a stall (held until the client gives up); no real answer comes near it.
    options: dict[str, Any] = {"timeout": 5, "retry_backoff": 0.01, "max_reasks": 2, **kw}
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="live", **options)


def _run(tmp_path: Path, script: list[str | None], **kw: Any) -> tuple[Any, LoopbackServer]:
    """Summarize one synthetic article whose requests get ``script``'s faults in order."""
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    plan = FaultPlan(script={ARTICLE: script})  # a stall is held until the client gives up
    with LoopbackServer(responder=plan) as server:
        s = _summarizer(server, tmp_path, **kw)
        try:
            outcome: Any = s.run(path)
        except Exception as exc:  # noqa: BLE001 - the outcome under test may be any error
            outcome = exc
        finally:
            s.close()
    return outcome, server


def _initial_messages(server: LoopbackServer) -> int:
    return len(server.seen[0].body["messages"])


@pytest.mark.parametrize("fault", [f for f, outcome in EXPECTED.items() if outcome == "transient"])
def test_a_transient_fault_is_retried_below_the_attempts_and_the_article_succeeds(tmp_path: Path, fault: str) -> None:
    result, server = _run(tmp_path, [fault, None])
    assert not isinstance(result, Exception), result
    assert len(server.seen) == 2, "retried exactly once: no stacking, no reask"
    assert result.usage.attempts == 1 and result.usage.retries == 1
    assert server.seen[1].body["messages"] == server.seen[0].body["messages"], "a retry repeats the request; nothing is reasked"


@pytest.mark.parametrize("fault", [f for f, outcome in EXPECTED.items() if outcome == "reask"])
def test_an_invalid_answer_is_reasked_with_its_errors(tmp_path: Path, fault: str) -> None:
    result, server = _run(tmp_path, [fault, None])
    assert not isinstance(result, Exception), result
    assert len(server.seen) == 2 and result.usage.attempts == 2 and result.usage.retries == 0
    reask = server.seen[1].body["messages"]
    assert len(reask) == _initial_messages(server) + 2  # the failed answer, then the errors
    assert reask[-2]["role"] == "assistant" and reask[-1]["role"] == "user"
    if fault == "ungrounded":
        assert "does not appear word for word" in reask[-1]["content"]


def test_reasks_carry_only_the_last_answer_and_its_errors(tmp_path: Path) -> None:
    result, server = _run(tmp_path, ["ungrounded", "schema_invalid", "prose", None], max_reasks=3)
    assert not isinstance(result, Exception), result
    n = _initial_messages(server)
    sizes = [len(seen.body["messages"]) for seen in server.seen]
    assert sizes == [n, n + 2, n + 2, n + 2], "the conversation must not grow with every reask"
    last = server.seen[3].body["messages"]
    assert "Here is a summary" in last[-2]["content"]  # the prose answer of attempt 3 ...
    assert all("nowhere in the article" not in str(m.get("content")) for m in last)  # ... not attempt 1's quote
    assert last[:n] == server.seen[0].body["messages"][:n]


def test_transport_errors_never_enter_a_reask_prompt(tmp_path: Path) -> None:
    result, server = _run(tmp_path, ["503", "ungrounded", "502", None])
    assert not isinstance(result, Exception), result
    assert result.usage.attempts == 2 and result.usage.retries == 2
    for seen in server.seen:
        assert all("injected" not in str(m.get("content")) and "503" not in str(m.get("content"))
                   for m in seen.body["messages"])


def test_a_refusal_is_final_and_never_reasked(tmp_path: Path) -> None:
    for fault in ("refusal", "content_filter"):
        error, server = _run(tmp_path / fault, [fault, None])
        assert isinstance(error, RefusalError), error
        assert len(server.seen) == 1
        assert error.usage.attempts == 1 and error.usage.prompt_tokens == server.seen[0].usage["prompt_tokens"]


def test_truncation_without_a_budget_to_grow_fails_as_truncation_at_once(tmp_path: Path) -> None:
    # the server's own limit cut it; strict, as nothing is salvaged then
    error, server = _run(tmp_path, ["truncated", None], max_tokens="none", strict=True)
    assert isinstance(error, TruncatedOutputError), error
    assert len(server.seen) == 1, "a truncated answer is not a validation problem: never reasked"
    assert "cut off" in str(error) and error.kind == "truncated"
    # Without strict, what the answer held before the cut is salvaged (test_loops.py), still after one request.
    result, server = _run(tmp_path / "salvaged", ["truncated", None], max_tokens="none")
    assert len(server.seen) == 1 and result.partial and result.summary.key_points
    assert any(d.reason.startswith("cut off by the output budget") for d in result.dropped)


def test_truncation_is_retried_once_with_twice_the_output_budget(tmp_path: Path) -> None:
    result, server = _run(tmp_path, ["truncated", None], max_tokens=700)
    assert not isinstance(result, Exception), result
    assert [seen.body.get("max_tokens") for seen in server.seen] == [700, 1400]
    assert server.seen[1].body["messages"] == server.seen[0].body["messages"], "a fresh conversation, not a reask"
    assert result.usage.attempts == 2

    error, server = _run(tmp_path / "again", ["truncated", "truncated", None], max_tokens=700, strict=True)
    assert isinstance(error, TruncatedOutputError) and len(server.seen) == 2 and error.usage.attempts == 2


def test_the_larger_budget_stays_within_the_models_output_limit(tmp_path: Path) -> None:
    result, server = _run(tmp_path, ["truncated", None], max_tokens=12_000, model="gpt-4o-mini")
    assert not isinstance(result, Exception), result
    assert [seen.body.get("max_tokens") for seen in server.seen] == [12_000, 16_384]
    error, server = _run(tmp_path / "at-limit", ["truncated", None], max_tokens=16_384, model="gpt-4o-mini", strict=True)
    assert isinstance(error, TruncatedOutputError) and len(server.seen) == 1


def test_an_empty_choice_list_is_a_typed_provider_error(tmp_path: Path) -> None:
    error, server = _run(tmp_path, ["empty_choices", None])
    assert isinstance(error, ProviderError) and "no choices" in str(error)
    assert len(server.seen) == 1


@pytest.mark.parametrize("fault", ["no_usage", "extra_fields"])
def test_odd_but_valid_answers_are_accepted(tmp_path: Path, fault: str) -> None:
    result, server = _run(tmp_path, [fault])
    assert not isinstance(result, Exception), result
    assert len(server.seen) == 1 and result.summary.events
    if fault == "no_usage":
        assert result.usage.prompt_tokens == 0 and result.usage.attempts == 1
    else:
        assert result.usage.prompt_tokens == server.seen[0].usage["prompt_tokens"]


def test_retries_never_stack_and_a_persistent_5xx_fails_after_its_budget(tmp_path: Path) -> None:
    error, server = _run(tmp_path, ["503"] * 10, retries=2)
    assert isinstance(error, ProviderError) and error.status == 503
    assert len(server.seen) == 3, "one try and two retries: the SDK's own retries are off"
    assert error.usage.attempts == 1 and error.usage.retries == 2 and error.usage.requests == 3


def test_a_persistently_malformed_body_fails_with_a_message_that_says_so(tmp_path: Path) -> None:
    error, server = _run(tmp_path, ["malformed_body"] * 3, retries=2)
    assert isinstance(error, ProviderError) and "not a chat completion" in str(error)
    assert len(server.seen) == 3


def test_usage_is_counted_for_every_failed_attempt(tmp_path: Path) -> None:
    error, server = _run(tmp_path, ["ungrounded", "schema_invalid", "prose"], strict=True)  # strict: no salvage
    assert isinstance(error, InvalidOutputError), error
    assert len(server.seen) == 3 and error.usage.attempts == 3
    assert error.usage.prompt_tokens == sum(seen.usage["prompt_tokens"] for seen in server.seen)
    assert error.usage.completion_tokens == sum(seen.usage["completion_tokens"] for seen in server.seen)


def test_an_error_that_echoes_the_request_never_shows_the_key(tmp_path: Path) -> None:
    path = write_synthetic_articles(tmp_path / "in", 1)[0]
    echo = Reply(401, {"error": {"message": f"Invalid header Authorization: Bearer {FAKE_KEY} (key {FAKE_KEY})"}})
    with LoopbackServer([echo]) as server:
        s = _summarizer(server, tmp_path)
        with pytest.raises(ProviderError) as caught:
            s.run(path)
    text = str(caught.value)
    assert "HTTP 401" in text and "OPENAI_API_KEY" in text and "[redacted]" in text
    assert FAKE_KEY not in text and FAKE_KEY[:12] not in text
