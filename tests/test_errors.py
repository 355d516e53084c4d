"""Each failure becomes its typed error, over real HTTP to a loopback server, and nothing is reasked that should not be."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

import summarize
import summarize.errors
from summarize import (
    ArticleError,
    AuthenticationError,
    ConfigurationError,
    InvalidOutputError,
    ProviderError,
    RefusalError,
    SummarizeError,
    Summarizer,
    TruncatedOutputError,
)
from summarize.core.adapter import completion_body
from summarize.testing.loopback import LoopbackServer, Reply

from .conftest import FAKE_KEY, SEEDS, accepted_answer

ARTICLE = SEEDS[0]


def _live(server: LoopbackServer, **kw: Any) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", **kw)


def _completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    body = completion_body("{}", {"model": "gpt-4o-mini", "messages": []}, finish_reason=finish_reason)
    body["choices"][0]["message"] = message
    return body


def _misquoted() -> dict[str, Any]:
    bad = copy.deepcopy(accepted_answer(ARTICLE.stem))
    bad["quotes"][0]["text"] = "human intelligence sources"
    return bad


def test_a_bad_answer_is_reasked_then_accepted_and_every_attempt_is_counted() -> None:
    with LoopbackServer([_misquoted(), accepted_answer(ARTICLE.stem)]) as server:
        result = _live(server).run(ARTICLE)
    assert result.usage.attempts == 2 and len(server.seen) == 2
    first, second = (s.body for s in server.seen)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert "human intelligence sources" in second["messages"][-1]["content"]
    assert len(second["messages"]) == len(first["messages"]) + 2


def test_an_answer_that_stays_invalid_is_invalid_output_after_the_reask_budget_when_strict() -> None:
    with LoopbackServer(default=_misquoted()) as server:
        with pytest.raises(InvalidOutputError) as info:
            _live(server, max_reasks=1, strict=True).run(ARTICLE)
    assert len(server.seen) == 2
    assert any("human intelligence sources" in p for p in info.value.problems)
    assert "after 2 attempt(s)" in str(info.value) and info.value.article_id == ARTICLE.stem


def test_prose_instead_of_json_is_invalid_output_not_a_crash() -> None:
    with LoopbackServer(default="Sure! Here is a summary of the article: Iran denied it.") as server:
        with pytest.raises(InvalidOutputError):
            _live(server, max_reasks=0).run(ARTICLE)


@pytest.mark.parametrize(
    ("message", "finish", "error"),
    [
        ({"role": "assistant", "content": None, "refusal": "I can't help with that."}, "stop", RefusalError),
        ({"role": "assistant", "content": None}, "content_filter", RefusalError),
        ({"role": "assistant", "content": '{"title": "Trump sec'}, "length", TruncatedOutputError),
    ],
)
def test_refusals_and_truncation_are_terminal_and_never_reasked(message: dict[str, Any], finish: str, error: type) -> None:
    with LoopbackServer(default=Reply(200, _completion(message, finish))) as server:
        with pytest.raises(error):
            # No output budget: the server's own limit cut the answer, so there is none to grow (with the
            # automatic budget a truncation is retried once with twice it: tests/test_budget.py).
            _live(server, max_tokens="none").run(ARTICLE)
    assert len(server.seen) == 1


def test_empty_choices_and_extra_server_fields_do_not_crash() -> None:
    empty = _completion({"role": "assistant", "content": "{}"})
    empty["choices"] = []
    with LoopbackServer(default=Reply(200, empty)) as server:
        with pytest.raises(ProviderError, match="no choices"):
            _live(server).run(ARTICLE)
    chatty = completion_body(accepted_answer(ARTICLE.stem), {"model": "m", "messages": []})
    chatty["timings"] = {"prompt_ms": 12.5}
    chatty["choices"][0]["message"]["reasoning"] = "thinking..."
    with LoopbackServer(default=Reply(200, chatty)) as server:
        assert _live(server).run(ARTICLE).summary.quotes


@pytest.mark.parametrize(
    ("status", "error", "words", "sent"),
    [(401, AuthenticationError, "OPENAI_API_KEY", 1), (404, ProviderError, "base URL", 1), (400, ProviderError, "output mode", 1),
     (500, ProviderError, "try again", 3)],
)
def test_http_errors_are_translated_with_advice_and_only_transient_ones_retried(status: int, error: type, words: str, sent: int) -> None:
    body = {"error": {"message": "upstream says no", "type": "x"}}
    with LoopbackServer(default=Reply(status, body, headers={"retry-after-ms": "10"})) as server:
        with pytest.raises(error) as info:
            _live(server, retries=2).run(ARTICLE)
    assert len(server.seen) == sent  # our retries only: the SDK's own are off, so they never stack
    assert words in str(info.value) and "upstream says no" in str(info.value)
    assert info.value.status == status and FAKE_KEY not in str(info.value)


def test_a_transient_failure_is_retried_below_the_reask_loop_and_counted() -> None:
    answer = accepted_answer(ARTICLE.stem)
    script = [Reply(503, {"error": {"message": "busy"}}, headers={"retry-after": "0"}),
              Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after-ms": "20"}), answer]
    with LoopbackServer(script) as server:
        result = _live(server).run(ARTICLE)
    assert len(server.seen) == 3 and result.usage.attempts == 1 and result.usage.retries == 2
    assert result.usage.requests == 3
    assert all("Correct your JSON" not in str(s.body) for s in server.seen)  # transport errors never reach a reask


def test_connection_refused_is_a_provider_error_naming_the_address() -> None:
    s = Summarizer(base_url="http://127.0.0.1:9/v1", api_key=FAKE_KEY, mode="live", timeout=5, retries=0)
    with pytest.raises(ProviderError, match=r"Could not connect to the model server at http://127.0.0.1:9: .*refused") as sync_error:
        s.run(ARTICLE)

    async def go() -> None:
        async with s:
            await s.arun(ARTICLE)

    with pytest.raises(ProviderError, match=r"Could not connect to the model server at http://127.0.0.1:9: .*refused") as async_error:
        asyncio.run(go())
    assert ".." not in str(sync_error.value) + str(async_error.value)


def test_configuration_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        Summarizer(mode="live")
    with pytest.raises(ConfigurationError, match="Unknown fixture mode"):
        Summarizer(mode="sometimes")
    with pytest.raises(ConfigurationError, match="output mode"):
        Summarizer(output_mode="xml")
    with pytest.raises(ArticleError, match="does not exist"):
        Summarizer(fixtures=tmp_path).run(path="no/such/article.txt")


def test_error_tree_has_one_root_and_distinct_kinds() -> None:
    classes = [getattr(summarize, n) for n in summarize.__all__ if n.endswith("Error")]
    assert all(issubclass(c, SummarizeError) for c in classes)
    assert sorted(c.__name__ for c in classes) == sorted(summarize.errors.__all__)  # every error is public
    kinds = {c("x").kind for c in classes}
    assert len(kinds) == len(classes)
    assert "ValidationError" not in summarize.__all__


@pytest.mark.parametrize("output_mode", ["tools", "json", "md_json"])
def test_other_output_modes_work_against_a_compatible_server(output_mode: str) -> None:
    answer = accepted_answer(ARTICLE.stem)
    reply = __import__("json").dumps(answer)
    if output_mode == "md_json":
        reply = f"```json\n{reply}\n```"
    with LoopbackServer(default=reply) as server:
        result = _live(server, output_mode=output_mode).run(ARTICLE)
    body = server.seen[0].body
    assert result.summary.quotes[0].span is not None
    if output_mode == "tools":
        fn = body["tools"][0]["function"]
        assert fn["strict"] is True and fn["parameters"]["additionalProperties"] is False
    else:
        assert "response_format" not in body or body["response_format"]["type"] != "json_schema"


def test_template_syntax_in_an_article_stays_data() -> None:
    from summarize.testing.loopback import minimal_answer

    text = "Braces {{ 7*7 }} and {% if x %}tags{% endif %} in a headline\nHe said \u201cwe keep {{ literal }} braces\u201d."
    with LoopbackServer(responder=minimal_answer) as server:
        summary = _live(server).summarize(text)
    sent = server.seen[0].body["messages"][-1]["content"]
    assert "{{ 7*7 }}" in sent and "{% if x %}" in sent and "49" not in sent
    assert summary.quotes[0].text == "we keep {{ literal }} braces"
