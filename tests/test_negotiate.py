"""Output-mode negotiation (``auto``) and permanent errors, against loopback servers that act like real ones.

llama-cpp-python's server answers ``response_format: {"type": "json_schema"}`` with HTTP 500 and a body
saying ``Input should be 'text' or 'json_object'``, and takes tools and JSON mode. Before negotiation,
``summarize run`` took that 500 for a transient failure: six requests for one article (the retries), then
"The model server failed; try again later".
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from summarize import OutputModeError, OutputModeWarning, ProviderError, Summarizer
from summarize.cli import main
from summarize.core.adapter import completion_body
from summarize.core.document import read_document
from summarize.core.negotiate import ORDER, mode_of_request
from summarize.http.rejection import structured_output_rejection
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer, write_synthetic_articles
from tests.conftest import FAKE_KEY

#: What llama-cpp-python's server answered a json_schema request with (its FastAPI validation error).
LLAMA_CPP_500 = {"detail": [{"type": "literal_error", "loc": ["body", "response_format", "type"],
                             "msg": "Input should be 'text' or 'json_object'", "input": "json_schema",
                             "ctx": {"expected": "'text' or 'json_object'"}}]}
NO_STRUCTURE_400 = {"error": {"message": "response_format is not supported by this model", "type": "invalid_request_error",
                              "param": "response_format", "code": None}}
ARTICLE = "Minister acts on item 1\nThe minister said \u201cwe will act on item 1 now\u201d on Monday.\n"


def llama_cpp_like(body: dict[str, Any]) -> Any:
    """Reject strict JSON schema as llama-cpp-python's server does; answer tools and JSON mode."""
    if mode_of_request(body) == "json_schema":
        return Reply(500, LLAMA_CPP_500)
    return minimal_answer(body)


def no_structure(body: dict[str, Any]) -> Any:
    """Reject every request field that asks for structure with a 400 naming response_format."""
    if mode_of_request(body) != "md_json":
        return Reply(400, NO_STRUCTURE_400)
    return minimal_answer(body)


def _then_answer(replies: list[Reply]) -> Any:
    """A responder that answers with ``replies``, then with a valid answer."""
    left = list(replies)
    return lambda body: left.pop(0) if left else minimal_answer(body)


def _live(server: LoopbackServer, **options: Any) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", model="local", retry_backoff=0, **options)


def _modes(server: LoopbackServer) -> list[tuple[str, int]]:
    return [(mode_of_request(seen.body), seen.status) for seen in server.seen]


def test_a_llama_cpp_like_server_is_asked_in_tools_after_one_rejection_and_it_is_said_once(tmp_path: Path) -> None:
    with LoopbackServer(responder=llama_cpp_like) as server, warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with _live(server) as s:
            first, second = s.run(ARTICLE), s.run(ARTICLE + "More.\n")
    # One rejection for the server, not retried, and not paid again by the second article.
    assert _modes(server) == [("json_schema", 500), ("tools", 200), ("tools", 200)]
    assert (first.usage.attempts, first.usage.retries, second.usage.attempts) == (2, 0, 1)
    assert first.usage.output_mode == second.usage.output_mode == "tools"
    announced = [w for w in said if issubclass(w.category, OutputModeWarning)]
    assert len(announced) == 1
    assert "json_schema" in str(announced[0].message) and "Input should be 'text' or 'json_object'" in str(announced[0].message)
    first.write(tmp_path)
    assert read_document(tmp_path / f"{first.article.id}.json").run.output_mode == "tools"  # type: ignore[union-attr]


def test_a_server_rejecting_every_request_field_is_asked_in_md_json_within_four_requests() -> None:
    with LoopbackServer(responder=no_structure) as server, _live(server) as s, pytest.warns(OutputModeWarning):
        result = s.run(ARTICLE)
    assert _modes(server) == [("json_schema", 400), ("tools", 400), ("json", 400), ("md_json", 200)]
    assert result.usage.output_mode == "md_json" and result.summary.quotes


def test_a_server_rejecting_every_mode_ends_in_a_typed_error_naming_the_modes_tried() -> None:
    with LoopbackServer(default=Reply(400, NO_STRUCTURE_400)) as server, _live(server) as s:
        with pytest.raises(OutputModeError) as caught:
            s.run(ARTICLE)
        assert len(server.seen) == 4
        with pytest.raises(OutputModeError):  # the next article is not sent at all
            s.run(ARTICLE + "More.\n")
    assert len(server.seen) == 4
    assert caught.value.modes_tried == list(ORDER) and caught.value.kind == "output_mode"
    message = str(caught.value)
    assert all(mode in message for mode in ORDER) and "response_format is not supported" in message
    assert caught.value.usage.attempts == 4


@pytest.mark.parametrize("mode", ["json_schema", "json"])
def test_an_explicit_output_mode_is_never_changed(mode: str) -> None:
    with LoopbackServer(responder=llama_cpp_like) as server, warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with _live(server, output_mode=mode) as s:
            if mode == "json_schema":
                with pytest.raises(OutputModeError) as caught:
                    s.run(ARTICLE)
                # Not retried, and the message says what to do.
                assert "--output-mode auto" in str(caught.value) and "'text' or 'json_object'" in str(caught.value)
            else:
                assert s.run(ARTICLE).usage.output_mode == "json"
    assert _modes(server) == [(mode, 500 if mode == "json_schema" else 200)]
    assert not [w for w in said if issubclass(w.category, OutputModeWarning)]


def test_a_folder_run_discovers_the_mode_once_and_says_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    """Eight articles, two requests in flight: the requests on the wire when the rejection came each meet it,
    the rest are asked in tools from the start (a request prepared in json_schema while it waited for its place
    is not sent)."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    write_synthetic_articles(tmp_path / "in", 8)
    with LoopbackServer(responder=llama_cpp_like) as server:
        code = main(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--fixtures", str(tmp_path / "fx"),
                     "--base-url", server.url, "--model", "local", "--mode", "live", "--concurrency", "2"])
    out, err = capfd.readouterr()
    assert code == 0, err
    rejected = [m for m, status in _modes(server) if status != 200]
    assert rejected and set(rejected) == {"json_schema"} and len(rejected) <= 2
    assert [m for m, status in _modes(server) if status == 200] == ["tools"] * 8
    assert err.count("rejected output mode json_schema") == 1, err
    assert "output mode auto: tools" in " ".join(out.split())
    ledger = [json.loads(line) for line in (tmp_path / "out" / "ledger.jsonl").read_text().splitlines()]
    assert [e["output_mode"] for e in ledger] == ["tools"] * 8
    assert sum(e["attempts"] for e in ledger) == len(server.seen)


def test_fixtures_recorded_after_a_fallback_replay_under_auto(tmp_path: Path) -> None:
    with LoopbackServer(responder=llama_cpp_like) as server, pytest.warns(OutputModeWarning):
        Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="record", model="local", fixtures=tmp_path).run(ARTICLE)
    replayed = Summarizer(mode="replay", model="local", fixtures=tmp_path).run(ARTICLE)
    assert (replayed.usage.replayed, replayed.usage.output_mode) == (1, "tools")


def test_a_5xx_is_retried_until_it_repeats_itself() -> None:
    """A 500 whose body repeats the previous one is permanent: retrying stops at once. A 5xx with bodies that
    vary, and a 503 (whose status says "try later" whatever its body), are retried as before."""
    same = Reply(500, {"error": {"message": "model crashed", "type": "server_error"}})
    with LoopbackServer(default=same) as server, _live(server) as s:
        with pytest.raises(ProviderError) as caught:
            s.run(ARTICLE)
    assert len(server.seen) == 2 and caught.value.usage.retries == 1
    varying = [Reply(500, {"error": {"message": f"worker {i} failed"}}) for i in range(3)]
    busy = [Reply(503, {"error": {"message": "The server is overloaded or not ready yet."}})] * 3
    for script in (varying, busy):
        with LoopbackServer(responder=_then_answer(script)) as server, _live(server) as s:
            answer = s.run(ARTICLE)
        assert len(server.seen) == 4 and answer.usage.retries == 3


@pytest.mark.parametrize(("status", "body", "field"), [
    (500, LLAMA_CPP_500, "response_format"),
    (400, NO_STRUCTURE_400, "response_format"),
    (400, {"error": {"message": "This model does not support tools"}}, "tools"),
    (400, {"error": {"message": "'tool_choice' must be 'auto'"}}, "tool_choice"),
    (400, {"error": {"message": "Invalid schema: 'additionalProperties' is required"}}, "schema"),
    (500, "json_schema: failed to build grammar", "json_schema"),
    # Not rejections of the output mode:
    (400, {"error": {"message": "This model's maximum context length is 8192 tokens"}}, None),
    (422, {"detail": [{"loc": ["body", "messages"], "msg": "too long", "input": "an article about garden tools"}]}, None),
    (500, {"error": {"message": "schema cache exhausted"}}, None),  # "schema" counts only in a 400 / 422
    (401, {"error": {"message": "invalid key for response_format"}}, None),
    (200, NO_STRUCTURE_400, None),
])
def test_what_counts_as_a_structured_output_rejection(status: int, body: Any, field: str | None) -> None:
    rejection = structured_output_rejection(status, json.dumps(body).encode() if not isinstance(body, str) else body)
    assert (rejection.field if rejection else None) == field


def _toolless(body: dict[str, Any], content: str | None = None) -> Any:
    """llama.cpp's server without --jinja: json_schema rejected here (to reach tools), tools answered with a 200
    whose JSON is in the message content and no tool call; JSON mode answered."""
    mode = mode_of_request(body)
    if mode == "json_schema":
        return Reply(400, NO_STRUCTURE_400)
    if mode == "tools":
        completion = completion_body(minimal_answer(body), {**body, "tools": None})
        if content is not None:
            completion["choices"][0]["message"]["content"] = content
        return Reply(200, completion)
    return minimal_answer(body)


def test_a_tools_answer_without_a_tool_call_is_that_mode_failing_under_auto() -> None:
    with LoopbackServer(responder=_toolless) as server, warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with _live(server) as s:
            first, second = s.run(ARTICLE), s.run(ARTICLE + "More.\n")
    assert _modes(server) == [("json_schema", 400), ("tools", 200), ("json", 200), ("json", 200)]
    assert (first.usage.attempts, second.usage.attempts) == (3, 1), "every request counted; tools remembered"
    assert first.usage.output_mode == second.usage.output_mode == "json" and not first.partial
    announced = [str(w.message) for w in said if issubclass(w.category, OutputModeWarning)]
    assert len(announced) == 1 and "without calling the tool" in announced[0] and "json" in announced[0]


def test_an_explicit_tools_mode_reads_a_json_content_and_names_a_server_that_ignored_the_tool() -> None:
    with LoopbackServer(responder=_toolless) as server, _live(server, output_mode="tools") as s:
        result = s.run(ARTICLE)
    assert _modes(server) == [("tools", 200)] and result.usage.output_mode == "tools" and result.summary.key_points
    with LoopbackServer(responder=lambda body: _toolless(body, "I would rather talk about it.")) as server:
        with _live(server, output_mode="tools") as s, pytest.raises(OutputModeError) as caught:
            s.run(ARTICLE)
    assert len(server.seen) == 1 and caught.value.kind == "output_mode" and caught.value.usage.attempts == 1
    assert "ignored the tool" in str(caught.value) and "--output-mode auto" in str(caught.value)
