"""Streaming under the fixture layer (summarize/http/streaming.py), through real HTTP to the loopback server.

A streamed answer is assembled into the completion a non-streamed request gets, so fixtures, keys, usage and
outcomes are the same; a loop is stopped as it begins; a request given up (timeout, cancellation) closes its
connection; a folder run shows the tokens received.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from summarize import RepetitiveOutputError, SummarizeError, Summarizer
from summarize.core.adapter import completion_body
from summarize.http.streaming import StreamingTransport
from summarize.runs.folder import FolderReport
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer, write_synthetic_articles
from summarize.text.repetition import STOPPED

from .conftest import FAKE_KEY, cancel_when_receiving


def _fixtures(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.rglob("*.json") if p.name != "index.json"}


def _run(server: LoopbackServer, article: Path, fixtures: Path, **kw: Any) -> Any:
    s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="record", fixtures=fixtures, **kw)
    try:
        return s.run(path=article)
    finally:
        s.close()


@pytest.mark.parametrize("output_mode", ["json_schema", "tools"])
def test_a_streamed_answer_is_recorded_as_the_same_fixture_a_non_streamed_one_is(tmp_path: Path,
                                                                                 output_mode: str) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]
    with LoopbackServer(responder=minimal_answer) as server:
        plain = _run(server, article, tmp_path / "plain", output_mode=output_mode)
        streamed = _run(server, article, tmp_path / "streamed", output_mode=output_mode, stream=True)
    assert "stream" not in server.seen[0].body
    assert server.seen[1].body["stream"] is True and server.seen[1].body["stream_options"] == {"include_usage": True}
    assert server.seen[1].streamed > 4  # the answer came in pieces, not whole
    assert streamed.summary == plain.summary
    assert streamed.usage.record() == plain.usage.record() and plain.usage.completion_tokens > 0
    a, b = _fixtures(tmp_path / "plain"), _fixtures(tmp_path / "streamed")
    assert a.keys() == b.keys() and len(a) == 1  # the same key
    (name, first), = a.items()
    for part in ("key", "request", "response"):
        assert b[name][part] == first[part], part
    calls = first["response"]["body"]["choices"][0]["message"].get("tool_calls")
    assert bool(calls) == (output_mode == "tools")


def test_a_streamed_finish_reason_length_is_a_truncation_and_the_budget_grows(tmp_path: Path) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]
    replies = iter(["length", "stop"])

    def respond(body: dict[str, Any]) -> Reply:
        return Reply(200, completion_body(minimal_answer(body), body, finish_reason=next(replies)))

    with LoopbackServer(responder=respond) as server:
        result = _run(server, article, tmp_path / "fx", stream=True)
    assert result.usage.attempts == 2 and not result.partial
    assert server.seen[1].body["max_tokens"] == 2 * server.seen[0].body["max_tokens"]


def test_a_stream_cut_off_before_its_end_is_a_dropped_connection_and_is_retried(tmp_path: Path) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]
    first = threading.Event()

    def respond(body: dict[str, Any]) -> Reply:
        reply = Reply(200, completion_body(minimal_answer(body), body))
        if not first.is_set():
            first.set()
            reply.cut = 3
        return reply

    with LoopbackServer(responder=respond) as server:
        result = _run(server, article, tmp_path / "fx", stream=True, retries=1, retry_backoff=0)
    assert len(server.seen) == 2 and not server.seen[0].delivered and server.seen[1].delivered
    assert result.usage.retries == 1 and result.usage.attempts == 1
    with LoopbackServer(responder=lambda body: Reply(200, completion_body(minimal_answer(body), body), cut=3)) as server:
        with pytest.raises(SummarizeError, match=r"(?i)connection|closed|server"):
            _run(server, article, tmp_path / "fx2", stream=True, retries=0)


def _looping(body: dict[str, Any]) -> dict[str, Any]:
    answer = minimal_answer(body)
    answer["events"] = answer["events"] * 200
    return answer


def test_a_looping_stream_is_stopped_as_it_begins_and_replays_as_the_same_failure(tmp_path: Path) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]
    never = threading.Event()  # the server would send the end of the answer only once this is set

    def respond(body: dict[str, Any]) -> Reply:
        return Reply(200, completion_body(_looping(body), body, finish_reason="length"), hold=never)

    with LoopbackServer(responder=respond) as server:
        with pytest.raises(RepetitiveOutputError, match="came back") as caught:
            # strict: without it the loop's first copies are salvaged (tests/test_loops.py); here the failure is the point
            _run(server, article, tmp_path / "fx", stream=True, max_reasks=0, strict=True)
    assert server.seen[0].gone.is_set()  # the client closed the stream; it did not wait for its end
    assert caught.value.usage is not None and caught.value.usage.attempts == 1
    (fixture,) = _fixtures(tmp_path / "fx").values()
    choice = fixture["response"]["body"]["choices"][0]
    full = completion_body(_looping(server.seen[0].body), server.seen[0].body)["choices"][0]["message"]["content"]
    assert choice["finish_reason"] == STOPPED and len(choice["message"]["content"]) < len(full) / 10
    assert fixture["response"]["body"]["usage"]["completion_tokens"] > 0
    replay = Summarizer(mode="replay", fixtures=tmp_path / "fx", max_reasks=0, model=fixture["request"]["body"]["model"],
                        strict=True)
    with pytest.raises(RepetitiveOutputError, match="came back") as again:
        replay.run(path=article)
    assert again.value.usage is not None and again.value.usage.replayed == 1


def _held_stream(body: dict[str, Any]) -> Reply:
    return Reply(200, completion_body(minimal_answer(body), body), hold=threading.Event())  # never released


def test_a_streamed_request_that_times_out_between_chunks_closes_its_connection(tmp_path: Path) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]
    with LoopbackServer(responder=_held_stream) as server:
        with pytest.raises(SummarizeError, match=r"(?i)timed out"):
            _run(server, article, tmp_path / "fx", stream=True, timeout=0.5, retries=0)
        assert server.seen[0].gone.wait(60)
    assert server.seen[0].streamed > 4 and not server.seen[0].delivered


def test_a_cancelled_streamed_request_closes_its_connection(tmp_path: Path) -> None:
    article = write_synthetic_articles(tmp_path / "in", 1)[0]

    async def cancel(server: LoopbackServer) -> int:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", stream=True)
        try:
            return await cancel_when_receiving(s.arun(path=article))
        finally:
            await s.aclose()

    with LoopbackServer(responder=_held_stream) as server:
        tokens = asyncio.run(cancel(server))
        assert server.seen[0].gone.wait(60)
    assert tokens >= 3 and not server.seen[0].delivered


class _Watch:
    """A folder run's progress that says when an article shows tokens received."""

    def __init__(self) -> None:
        self.report: FolderReport | None = None
        self.receiving = threading.Event()

    def start(self, total: int) -> None: ...
    def stop(self) -> None: ...

    def update(self, report: FolderReport) -> None:
        self.report = report
        if report.receiving:
            self.receiving.set()


def test_a_folder_run_shows_the_tokens_received_by_each_streamed_answer(tmp_path: Path) -> None:
    from summarize.runs.progress import in_progress_text

    write_synthetic_articles(tmp_path / "in", 1)
    release = threading.Event()
    progress = _Watch()

    def respond(body: dict[str, Any]) -> Reply:
        return Reply(200, completion_body(minimal_answer(body), body), hold=release)

    with LoopbackServer(responder=respond) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", stream=True)
        run = threading.Thread(target=s.summarize_folder, args=(tmp_path / "in", tmp_path / "out"),
                               kwargs={"progress": progress})
        run.start()
        try:
            assert progress.receiving.wait(120)
            assert progress.report is not None
            assert "a00000" in in_progress_text(progress.report) and " tok" in in_progress_text(progress.report)
        finally:
            release.set()
            run.join(120)
    assert progress.report.done == 1 and not progress.report.receiving


def _sse(*events: dict[str, Any] | str) -> httpx.MockTransport:
    body = b"".join(b"data: " + (e if isinstance(e, str) else json.dumps(e)).encode() + b"\n\n" for e in events)
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body,
                                                              headers={"Content-Type": "text/event-stream"}))


_CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def test_a_stream_that_ends_without_a_finish_reason_is_a_dropped_connection_and_an_error_event_a_500() -> None:
    partial = {**_CHUNK, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "{\"title\""}}]}
    with httpx.Client(transport=StreamingTransport(_sse(partial))) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="before the answer was complete"):
            client.post("http://server/v1/chat/completions", json={"model": "m", "messages": []})
    error = {"error": {"message": "the model crashed", "type": "server_error"}}
    with httpx.Client(transport=StreamingTransport(_sse(partial, error))) as client:
        answer = client.post("http://server/v1/chat/completions", json={"model": "m", "messages": []})
    assert answer.status_code == 500 and answer.json() == error
    done = {**_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    with httpx.Client(transport=StreamingTransport(_sse(partial, done, "[DONE]"))) as client:
        whole = client.post("http://server/v1/chat/completions", json={"model": "m", "messages": []}).json()
    assert whole["object"] == "chat.completion" and whole["choices"][0]["message"] == {"role": "assistant",
                                                                                     "content": "{\"title\""}
