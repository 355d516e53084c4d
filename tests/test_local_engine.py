"""The embedded local engine (summarize/http/local.py) with a real model, through the real openai client.

The tests that need a model are skipped, saying why, unless ``xllamacpp`` is installed and a GGUF model is
found: ``SUMMARIZE_TEST_MODEL``, else the cache of ``tools/get_model.py`` (SmolLM2-135M first: it is the
fastest). Generation is kept short (at most 64 tokens) except where a long generation is the point: there the
test waits for an event (a chunk arrived, a queued request was served), never for time.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx
import openai
import pytest
from pydantic import BaseModel, ConfigDict, Field

from summarize import ConfigurationError, SummarizeError, Summarizer, model_schema
from summarize.http.local import (
    EngineNotInstalledError,
    LocalEngine,
    LocalEngineError,
    ModelFileError,
    context_size,
)
from summarize.http.streaming import StreamingTransport
from tests.conftest import FAKE_KEY, ROOT, SEEDS, cancel_when_receiving


def _find_model() -> tuple[Path | None, str]:
    """The model to test with, or None and the reason to skip. A model named by ``SUMMARIZE_TEST_MODEL`` (CI's
    real-model tier) is never skipped: a missing engine must fail there, not pass as skipped."""
    if os.environ.get("SUMMARIZE_TEST_MODEL"):
        return Path(os.environ["SUMMARIZE_TEST_MODEL"]), ""
    if importlib.util.find_spec("xllamacpp") is None:
        return None, "xllamacpp is not installed (pip install 'summarize[local]')"
    spec = importlib.util.spec_from_file_location("get_model", ROOT / "tools" / "get_model.py")
    if spec is None or spec.loader is None:
        return None, "tools/get_model.py is missing"
    get_model = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("get_model", get_model)  # dataclasses look their module up while the class is built
    spec.loader.exec_module(get_model)
    for name in ("smollm2-135m", "qwen2.5-coder-0.5b"):
        if (path := get_model.cached(name, verify=False)) is not None:
            return path, ""
    return None, "no local model: run `python tools/get_model.py` or set SUMMARIZE_TEST_MODEL to a .gguf file"


MODEL, WHY_NOT = _find_model()
needs_model = pytest.mark.skipif(MODEL is None, reason=WHY_NOT)


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    assert MODEL is not None
    # A small context keeps the KV cache small; the longest request here (a seed article) needs ~1,800 tokens.
    with LocalEngine(MODEL, context=4096) as running:
        yield running


@pytest.fixture
def client(engine: LocalEngine) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=engine.base_url, api_key=FAKE_KEY, max_retries=0, timeout=300) as c:
        yield c


# -- errors that need no model -------------------------------------------------------------------------------

def test_a_missing_model_file_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelFileError, match="does not exist") as caught:
        LocalEngine(missing).start()
    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.path == str(missing)
    assert "tools/get_model.py" in str(caught.value)


def test_a_folder_or_a_file_that_is_not_gguf_is_refused_before_anything_loads(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a file"):
        LocalEngine(tmp_path).start()
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ModelFileError, match="not a GGUF model file"):
        LocalEngine(weights).start()


def test_without_xllamacpp_the_error_says_which_extra_to_install(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # how Python itself spells "not installed"
    with pytest.raises(EngineNotInstalledError, match=r"pip install 'summarize\[local\]'") as caught:
        LocalEngine(gguf).start()
    assert isinstance(caught.value, ConfigurationError)


def test_nonsense_settings_are_refused_when_the_engine_is_made(tmp_path: Path) -> None:
    for settings in ({"threads": 0}, {"context": 16}, {"parallel": 0}):
        with pytest.raises(LocalEngineError):
            LocalEngine(tmp_path / "m.gguf", **settings)  # type: ignore[arg-type]


def test_the_context_holds_the_prompt_and_every_turns_answer() -> None:
    assert context_size(0, 0) == 2048  # a floor: the chat template and a short answer always fit
    for prompt, output, turns in ((1150, 2500, 1), (1800, 2500, 2), (6000, 4000, 3)):
        size = context_size(prompt, output, turns=turns)
        assert size % 1024 == 0 and size >= prompt + turns * output
    with pytest.raises(ValueError):
        context_size(100, 100, turns=0)


def test_a_stopped_or_unstarted_engine_says_how_to_start_it(tmp_path: Path) -> None:
    with pytest.raises(LocalEngineError, match="not running"):
        _ = LocalEngine(tmp_path / "m.gguf").base_url


# -- a real model --------------------------------------------------------------------------------------------

@needs_model
def test_the_engine_answers_a_chat_completion_through_the_openai_client(engine: LocalEngine,
                                                                         client: openai.OpenAI) -> None:
    assert engine.base_url.startswith("http://127.0.0.1:") and engine.base_url.endswith("/v1")
    answer = client.chat.completions.create(
        model=engine.model_name, max_tokens=16, temperature=0,
        messages=[{"role": "user", "content": "Name one colour."}])
    assert answer.choices[0].message.content
    assert answer.choices[0].finish_reason in ("stop", "length")
    assert answer.usage is not None and 1 <= answer.usage.completion_tokens <= 16
    assert [m.id for m in client.models.list().data] == [MODEL.name]  # the file's name, never its path


@needs_model
def test_describe_names_the_engine_and_the_exact_model_file(engine: LocalEngine) -> None:
    import hashlib

    facts = engine.describe()
    assert facts["engine_version"] not in ("", "unknown")
    assert facts["model_file"] == MODEL.name and facts["model_bytes"] == MODEL.stat().st_size
    with MODEL.open("rb") as f:
        assert facts["model_sha256"] == hashlib.file_digest(f, "sha256").hexdigest()
    assert facts["threads"] >= 1 and facts["context"] == 4096


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["yes", "no"]
    confidence: int = Field(ge=0, le=10)


@needs_model
def test_a_strict_json_schema_response_format_is_honoured(engine: LocalEngine, client: openai.OpenAI) -> None:
    # A schema whose every answer is short, so 64 tokens always suffice: a grammar, not the model, decides.
    schema = {**_Verdict.model_json_schema(), "additionalProperties": False}
    answer = client.chat.completions.create(
        model=engine.model_name, max_tokens=64, temperature=0,
        messages=[{"role": "user", "content": "Is Paris in France? Answer with your confidence."}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "Verdict", "strict": True, "schema": schema}})
    assert answer.choices[0].finish_reason == "stop"
    _Verdict.model_validate_json(answer.choices[0].message.content or "")


@needs_model
def test_the_article_summary_schema_is_accepted_as_a_strict_response_format(engine: LocalEngine,
                                                                           client: openai.OpenAI) -> None:
    # llama.cpp compiles the schema into a grammar before it generates: a schema it cannot take is an HTTP
    # error here, not a bad answer. Eight tokens show the answer starts as the schema demands.
    seed = SEEDS[0].read_text(encoding="utf-8")
    answer = client.chat.completions.create(
        model=engine.model_name, max_tokens=8, temperature=0,
        messages=[{"role": "user", "content": "Summarize this article as JSON:\n\n" + seed}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "ArticleSummary", "strict": True, "schema": model_schema()}})
    assert answer.choices[0].finish_reason == "length"
    assert (answer.choices[0].message.content or "").lstrip().startswith("{")


def _predicted(engine: LocalEngine) -> float:
    return engine.metrics()["llamacpp:tokens_predicted_total"]


#: Far more than the tests read; a request that is not cancelled generates all of them (ignore_eos).
_LONG = {"max_tokens": 1024, "temperature": 0, "extra_body": {"ignore_eos": True},
         "messages": [{"role": "user", "content": "Count from 1 to 10000, one number per line."}]}


def _served_after(engine: LocalEngine, client: openai.OpenAI) -> None:
    """One one-token request. With one slot it is served only when the slot is free: after the request
    before it has ended, whether cancelled or finished."""
    client.chat.completions.create(model=engine.model_name, max_tokens=1,
                                   messages=[{"role": "user", "content": "Hi"}])


@needs_model
def test_closing_a_streamed_request_stops_the_servers_work(engine: LocalEngine, client: openai.OpenAI) -> None:
    assert engine.parallel == 1
    before = _predicted(engine)
    stream = client.chat.completions.create(model=engine.model_name, stream=True, **_LONG)  # type: ignore[call-overload]
    for chunks, _ in enumerate(stream, 1):
        if chunks == 3:
            break
    assert engine.slots()[0]["is_processing"] is True  # the generation is under way
    stream.close()  # closes the connection: what a client that gives up does
    _served_after(engine, client)
    assert engine.slots()[0]["is_processing"] is False
    generated = _predicted(engine) - before - 1
    assert generated < 256, f"the server generated {generated} of 1024 tokens after the client left"


@needs_model
def test_a_max_tokens_limit_ends_the_answer_with_finish_reason_length(engine: LocalEngine,
                                                                    client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model=engine.model_name, **{**_LONG, "max_tokens": 12})  # type: ignore[call-overload]
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 12


@needs_model
def test_stop_frees_the_port_and_a_new_engine_starts_in_the_same_process() -> None:
    assert MODEL is not None
    first = LocalEngine(MODEL, context=512).start()
    port = first.port
    assert _health(port) == 200
    first.stop()
    first.stop()  # a second stop is harmless
    assert not first.running
    with pytest.raises(ConnectionRefusedError):
        _health(port)
    with socket.socket() as s:  # nothing listens: the port can be bound again (TIME_WAIT aside)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    with LocalEngine(MODEL, context=512) as second:
        assert _health(second.port) == 200


def _health(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_command_line_refuses_local_with_a_base_url_and_names_a_missing_model(tmp_path: Path) -> None:
    both = subprocess.run([sys.executable, "-m", "summarize", "run", str(SEEDS[0]), "--out", str(tmp_path / "o"),
                           "--local", str(tmp_path / "m.gguf"), "--base-url", "http://127.0.0.1:9/v1"],
                          capture_output=True, text=True)
    assert both.returncode == 2 and "either --local" in both.stderr
    missing = subprocess.run([sys.executable, "-m", "summarize", "run", str(SEEDS[0]), "--out", str(tmp_path / "o"),
                              "--local", str(tmp_path / "m.gguf")], capture_output=True, text=True)
    assert missing.returncode == 2 and f"the model file {tmp_path / 'm.gguf'} does not exist" in missing.stderr
    assert not (tmp_path / "o").exists()  # refused before anything was written


# -- streaming (summarize/http/streaming.py) with the real engine ---------------------------------------------

def _streaming_summarizer(engine: LocalEngine, tmp_path: Path, **kw: object) -> Summarizer:
    return Summarizer(base_url=engine.base_url, api_key=FAKE_KEY, model=engine.model_name, mode="live",
                      fixtures=tmp_path / "fx", stream=True, **kw)  # type: ignore[arg-type]


@needs_model
def test_a_streamed_answer_is_assembled_into_what_the_engine_answers_unstreamed(engine: LocalEngine) -> None:
    body = {"model": engine.model_name, "max_tokens": 16, "temperature": 0,
            "messages": [{"role": "user", "content": "Name three colours."}]}
    url = engine.base_url + "/chat/completions"
    with httpx.Client(timeout=300) as plain, httpx.Client(transport=StreamingTransport(), timeout=300) as streaming:
        whole = plain.post(url, json=body).json()
        assembled = streaming.post(url, json=body).json()
    assert assembled.keys() == whole.keys() and assembled["object"] == "chat.completion"
    (one,), (other,) = assembled["choices"], whole["choices"]
    assert one.keys() == other.keys() and one["message"].keys() == other["message"].keys()
    assert (one["message"]["content"], one["finish_reason"]) == (other["message"]["content"], other["finish_reason"])
    assert assembled["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"] > 0


@needs_model
def test_a_streamed_request_that_times_out_frees_the_engine(engine: LocalEngine, client: openai.OpenAI,
                                                           tmp_path: Path) -> None:
    # The seed's prompt takes the engine seconds to read before its first token; the stream is silent that long,
    # far past a 50 ms read timeout, and the request is given up: its connection must close and the engine stop.
    before = _predicted(engine)
    s = _streaming_summarizer(engine, tmp_path, timeout=0.05, retries=0)
    with pytest.raises(SummarizeError, match=r"(?i)timed out"):
        s.run(path=SEEDS[0])
    s.close()
    _served_after(engine, client)
    assert engine.slots()[0]["is_processing"] is False
    generated = _predicted(engine) - before - 1
    assert generated < 16, f"the engine generated {generated} tokens for a request given up before its first"


@needs_model
def test_a_cancelled_streamed_request_frees_the_engine(engine: LocalEngine, client: openai.OpenAI,
                                                       tmp_path: Path) -> None:
    before = _predicted(engine)

    def under_way() -> None:
        assert engine.slots()[0]["is_processing"] is True  # the generation is under way

    async def cancel() -> int:
        s = _streaming_summarizer(engine, tmp_path)
        try:
            return await cancel_when_receiving(s.arun(path=SEEDS[0]), before_cancel=under_way)
        finally:
            await s.aclose()

    tokens = asyncio.run(cancel())
    _served_after(engine, client)
    assert engine.slots()[0]["is_processing"] is False
    generated = _predicted(engine) - before - 1
    assert tokens >= 3 and generated < tokens + 128, f"the engine generated {generated} tokens after {tokens} were read"


_SHORT_ARTICLE = """\
Harbour town opens new ferry terminal

The town of Westport opened a new ferry terminal on Monday after two years of construction.
The terminal cost 12 million euros and will serve about 400,000 passengers a year, officials said.
"This terminal connects our islands to the mainland in every season," said Mayor Anna Byrne at the opening.
The first ferry left for Clare Island at 9 a.m. with 80 passengers on board.
"""


@needs_model
def test_summarize_run_with_the_local_engine_ends_in_minutes_and_replays_the_same(tmp_path: Path) -> None:
    assert MODEL is not None
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ferry.txt").write_text(_SHORT_ARTICLE, encoding="utf-8")
    fixtures, out = tmp_path / "fx", tmp_path / "out"
    live = subprocess.run([sys.executable, "-m", "summarize", "run", str(folder), "--out", str(out), "--fixtures",
                           str(fixtures), "--local", str(MODEL), "--quiet"], capture_output=True, text=True)
    assert live.returncode in (0, 1), live.stderr
    (line,) = [json.loads(x) for x in (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["status"] in ("done", "partial", "failed") and line["attempts"] >= 1, line
    if line["status"] == "failed":
        assert line["error"] in ("repetitive", "validation", "truncated"), line  # a typed failure, not a crash
    else:
        assert (out / f"{line['article']}.json").is_file()
    recorded = [json.loads(p.read_text(encoding="utf-8")) for p in fixtures.rglob("*.json") if p.name != "index.json"]
    assert len(recorded) == line["attempts"]
    with MODEL.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    for fixture in recorded:
        assert fixture["provenance"]["served_by"]["model_sha256"] == digest
        assert "stream" not in fixture["request"]["body"]  # streaming stays below the fixtures
    again = tmp_path / "again"
    replay = subprocess.run([sys.executable, "-m", "summarize", "run", str(folder), "--out", str(again), "--fixtures",
                             str(fixtures), "--mode", "replay", "--model", MODEL.name, "--quiet"],
                            capture_output=True, text=True)
    assert replay.returncode == live.returncode, replay.stderr
    (same,) = [json.loads(x) for x in (again / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (same["status"], same.get("error"), same["attempts"]) == (line["status"], line.get("error"), line["attempts"])
    assert same["replayed"] == same["attempts"] and same["live_completion_tokens"] == 0  # no request was made
