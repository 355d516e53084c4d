"""One token estimate: the length check, the token budget and authored usage count a text alike."""

from __future__ import annotations

import json

import httpx
import pytest

from summarize.core.adapter import completion_body
from summarize.core.limits import check_length
from summarize.errors import ArticleTooLongError
from summarize.http.network import _estimate_tokens
from summarize.text.tokens import estimate_tokens


@pytest.mark.parametrize("length", [0, 1, 3, 4, 401, 4000])
def test_every_consumer_counts_a_text_alike(length: int) -> None:
    text = "x" * length
    request = {"model": "m", "messages": [{"role": "user", "content": text}]}
    usage = completion_body(text, request)["usage"]
    assert usage["prompt_tokens"] == usage["completion_tokens"] == estimate_tokens(text) == estimate_tokens(length)
    body = json.dumps({"max_tokens": 7, "messages": [{"content": text}]}).encode()
    sent = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions", content=body)
    assert _estimate_tokens(sent) == estimate_tokens(body) + 7
    # The length check counts the prompt the same way: exactly full fits, one token more does not.
    window = estimate_tokens(length) + 100
    check_length(length, article_id="a", model="m", max_tokens=100, context_window=window)
    with pytest.raises(ArticleTooLongError):
        check_length(length, article_id="a", model="m", max_tokens=100, context_window=window - 1)
