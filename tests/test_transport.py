"""The asynchronous transport (aiohttp under httpx) and the shortcut past openai's message transformation.

Everything runs over real HTTP to a loopback server.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from typing import Any

import pytest

from summarize import Summarizer
from summarize.core.adapter import completion_body
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer

from .conftest import FAKE_KEY, ROOT, SEEDS, accepted_answer

TEXT = SEEDS[0].read_text(encoding="utf-8")


def test_strict_string_messages_reach_the_server_as_openai_would_send_them() -> None:
    """The messages skip openai's argument transformation (see ``client._labelled``): the JSON sent
    must be what openai sends when it transforms them, for every kind of message a run sends."""
    import openai

    messages = [
        {"role": "system", "content": "Summarize. Quote \u201cexactly\u201d.\n\n<rules>\n</rules>"},
        {"role": "user", "content": "<article>\nL\u00e9a said: \u201cWe\u2019ll see\u201d \u2014 {{not a template}} \\ \"x\"\n</article>"},
        {"role": "assistant", "content": '{"quotes": []}'},
        {"role": "user", "content": "Correct the errors: 1 validation error for ArticleSummary"},
    ]
    fmt = {"type": "json_schema", "json_schema": {"name": "ArticleSummary", "strict": True, "schema": {"type": "object"}}}

    async def send(server: LoopbackServer) -> None:
        client = openai.AsyncOpenAI(base_url=server.url, api_key=FAKE_KEY, max_retries=0)
        base = {"model": "gpt-4o-mini", "max_tokens": 900, "temperature": 0.0}
        await client.chat.completions.create(messages=messages, extra_body={"response_format": fmt}, **base)
        await client.chat.completions.create(messages=[], extra_body={"response_format": fmt, "messages": messages}, **base)
        await client.close()

    with LoopbackServer(default=Reply(200, completion_body("{}", {"model": "gpt-4o-mini", "messages": []}))) as server:
        asyncio.run(send(server))
    transformed, untouched = (seen.body for seen in server.seen)
    assert untouched == transformed
    assert untouched["messages"] == messages


def test_sync_and_async_clients_send_the_same_body_and_get_the_same_summary() -> None:
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live")
        summary = s.summarize(TEXT)

        async def go() -> Any:
            async with s:
                return await s.asummarize(TEXT)

        asummary = asyncio.run(go())
    sync_body, async_body = (seen.body for seen in server.seen)
    assert sync_body == async_body and [m["role"] for m in async_body["messages"]] == ["system", "user"]
    assert summary == asummary and summary.events


def test_a_gzip_encoded_answer_is_decoded() -> None:
    answer = accepted_answer(SEEDS[0].stem)
    body = completion_body(answer, {"model": "gpt-4o-mini", "messages": []})
    encoded = gzip.compress(json.dumps(body).encode())
    with LoopbackServer([Reply(200, encoded, headers={"Content-Encoding": "gzip"})]) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live")

        async def go() -> Any:
            async with s:
                return await s.asummarize(SEEDS[0])

        summary = asyncio.run(go())
    assert [q.text for q in summary.quotes] == [q["text"] for q in answer["quotes"]]


def _asummarize(s: Summarizer) -> Any:
    async def go() -> Any:
        async with s:
            return await s.asummarize(TEXT)

    return asyncio.run(go())


def test_an_http_proxy_from_the_environment_is_used_with_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer(responder=minimal_answer) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://proxy-user:proxy-pass@127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        s = Summarizer(base_url="http://summarize-proxy-test.invalid/v1", api_key=FAKE_KEY, mode="live")
        assert _asummarize(s).events  # asynchronous: aiohttp
        assert s.summarize(TEXT).events  # synchronous: httpx
    assert [seen.headers.get("Host") for seen in proxy.seen] == ["summarize-proxy-test.invalid"] * 2
    for seen in proxy.seen:
        assert seen.headers.get("Proxy-Authorization") == "Basic cHJveHktdXNlcjpwcm94eS1wYXNz"  # proxy-user:proxy-pass


def test_all_proxy_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer(responder=minimal_answer) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{proxy.port}")
        assert _asummarize(Summarizer(base_url="http://summarize-proxy-test.invalid/v1", api_key=FAKE_KEY, mode="live")).events
    assert [seen.headers.get("Host") for seen in proxy.seen] == ["summarize-proxy-test.invalid"]


def test_no_proxy_sends_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer(responder=minimal_answer) as proxy, LoopbackServer(responder=minimal_answer) as server:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live")
        assert _asummarize(s).events and s.summarize(TEXT).events
    assert len(server.seen) == 2 and not proxy.seen


def test_a_summarizer_never_closed_leaves_no_warnings_at_exit() -> None:
    """``asyncio.run(s.asummarize(...))`` without ``aclose``: the loop's shutdown closes the connections."""
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(ROOT)!r})
from summarize import Summarizer
from summarize.testing.loopback import LoopbackServer, minimal_answer
with LoopbackServer(responder=minimal_answer) as server:
    s = Summarizer(base_url=server.url, api_key={FAKE_KEY!r}, mode="live")
    text = {TEXT!r}
    asyncio.run(s.asummarize(text))
    asyncio.run(s.asummarize(text))  # a second loop: a second session
    print(len(server.seen))
"""
    done = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    assert "Unclosed" not in done.stderr and done.stderr.strip() == "", done.stderr
