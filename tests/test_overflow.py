"""A prompt over the engine's context (issue 12, real-model gaps): llama.cpp answers HTTP 400
``exceed_context_size_error`` with the numbers. It is the article being too long, said with the numbers and what
to do, after one request: never retried, never an output-mode fallback. Through real HTTP to the loopback server."""

from __future__ import annotations

from typing import Any

import pytest

from summarize import ArticleTooLongError, Summarizer
from summarize.http.rejection import structured_output_rejection
from summarize.testing.loopback import LoopbackServer, Reply

from .conftest import FAKE_KEY

#: What llama.cpp's server (xllamacpp) answered a prompt longer than its context with.
LLAMA_CPP_400 = {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                           "type": "exceed_context_size_error", "n_prompt_tokens": 1893, "n_ctx": 1024}}
OPENAI_400 = {"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages "
                                   "resulted in 131072 tokens (json_schema included). Please reduce the length of the "
                                   "messages.", "type": "invalid_request_error", "param": "messages",
                        "code": "context_length_exceeded"}}
LLAMA_CPP_PYTHON = {"error": {"message": "Requested tokens (5000) exceed context window of 4096",
                              "type": "invalid_request_error"}}
ARTICLE = "Minister acts on item 1\nThe minister said \u201cwe will act on item 1 now\u201d on Monday.\n"


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("output_mode", ["auto", "tools"])
def test_a_prompt_over_the_engines_context_is_too_long_after_one_request(status: int, output_mode: str) -> None:
    with LoopbackServer(default=Reply(status, LLAMA_CPP_400)) as server:
        with Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", model="local", retry_backoff=0,
                        output_mode=output_mode) as s, pytest.raises(ArticleTooLongError) as caught:
            s.run(ARTICLE)
    assert len(server.seen) == 1, "not retried, and not asked again in another output mode"
    error = caught.value
    assert error.kind == "too_long" and (error.prompt_tokens, error.context_window) == (1893, 1024)
    assert error.usage.attempts == 1 and error.usage.retries == 0
    message = str(error)
    assert "1,893 tokens against a context of 1,024" in message and "--context-window" in message
    assert "--ctx-size" in message


@pytest.mark.parametrize(("body", "numbers"), [(LLAMA_CPP_400, (1893, 1024)), (OPENAI_400, (131072, 128000)),
                                               (LLAMA_CPP_PYTHON, (5000, 4096))])
def test_what_counts_as_a_context_overflow_and_it_is_never_an_output_mode_rejection(
        body: dict[str, Any], numbers: tuple[int, int]) -> None:
    from summarize.http.overflow import context_overflow  # here, so that the test above runs on code without it

    overflow = context_overflow(400, body)
    assert overflow is not None and (overflow.prompt, overflow.context) == numbers
    assert structured_output_rejection(400, body) is None  # OpenAI's names json_schema, yet is no rejection
    assert context_overflow(400, {"error": {"message": "response_format json_schema is not supported"}}) is None
    assert context_overflow(200, body) is None
