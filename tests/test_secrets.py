"""Credentials never land anywhere: not the key, not a base URL's or a proxy's user and password.

The run tests drive the real client against a loopback server (real HTTP), then scan every file the run
wrote (fixtures, documents, ledger, HTML report), everything it printed and every log record, at DEBUG
level, for any 12-character piece of each credential: a credential cut in half by a clip must not leak
either. A server (or a proxy) echoes the credentials it received, in answers and in errors.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from summarize import Summarizer
from summarize.cli import main
from summarize.core.client import Usage
from summarize.core.translate import translate
from summarize.http.redaction import Secrets, clip, redact
from summarize.testing.faults import article_of
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer

from .conftest import FAKE_KEY, write_synthetic_articles
from .leaks import PIECE, leaks


def _cli(capfd: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str]:
    code = main([str(a) for a in args])
    out, err = capfd.readouterr()
    return code, out + err


def _ledger(out: Path) -> dict[str, dict[str, Any]]:
    return {e["article"]: e for e in map(json.loads, (out / "ledger.jsonl").read_text().splitlines())}


def test_the_leak_scan_finds_a_piece_of_a_secret(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / ".hidden").write_text(f"...{FAKE_KEY[5:5 + PIECE]}...")
    assert leaks([FAKE_KEY], folders=[tmp_path]) == [f"{tmp_path / 'deep' / '.hidden'}: {FAKE_KEY[5:5 + PIECE]}"]
    assert leaks([FAKE_KEY], texts=["clean", FAKE_KEY[-PIECE:]]) == [f"text #1: {FAKE_KEY[-PIECE:]}"]
    assert leaks([FAKE_KEY], folders=[tmp_path], texts=[FAKE_KEY[:PIECE - 1]]) != []  # the file still counts
    assert leaks([FAKE_KEY], texts=[FAKE_KEY[:PIECE - 1]]) == []


# Where each server answer puts the key so that the old clips (300 characters of a JSON error message,
# 120 of a body that is not JSON) cut it after 16 of its characters.
CLIPPED = {
    "json error message": Reply(400, {"error": {"message": "Incorrect API key provided: ".ljust(284, "x") + FAKE_KEY
                                                + " (check it)"}}),
    "body that is not JSON": Reply(200, "<html><body>Bad gateway: ".ljust(104, "x") + FAKE_KEY + " end</body></html>"),
}


@pytest.mark.parametrize("case", sorted(CLIPPED))
def test_a_clip_through_the_key_leaks_no_piece_of_it(case: str, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                     caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    write_synthetic_articles(tmp_path / "in", 1)
    with LoopbackServer(default=CLIPPED[case]) as server:
        code, printed = _cli(capfd, "run", tmp_path / "in", "--out", tmp_path / "out", "--base-url", server.url,
                             "--mode", "record", "--fixtures", tmp_path / "fx", "--retries", 0)
    assert code == 1 and server.seen and all(s.headers["Authorization"] == f"Bearer {FAKE_KEY}" for s in server.seen)
    entry = _ledger(tmp_path / "out")["a00000"]
    assert entry["status"] == "failed" and "[redacted]" in entry["message"], entry
    code, report_printed = _cli(capfd, "report", tmp_path / "out", "--html", tmp_path / "site")
    assert code == 0 and "[redacted]" in (tmp_path / "site" / "index.html").read_text()
    assert leaks([FAKE_KEY], folders=[tmp_path], texts=[printed, report_printed, caplog.text]) == []


def test_a_server_message_is_redacted_before_it_is_clipped() -> None:
    """translate() itself, on an error the openai client raised from a real answer (not via our transport)."""
    message = "Incorrect API key provided: ".ljust(284, "x") + FAKE_KEY
    with LoopbackServer([Reply(400, {"error": {"message": message}})]) as server:
        client = openai.OpenAI(base_url=server.url, api_key=FAKE_KEY, max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    error = translate(caught.value, "a", Usage(), secrets=Secrets([FAKE_KEY]))
    assert "Server said: Incorrect API key" in str(error) and str(error).endswith("[redacted]")
    assert leaks([FAKE_KEY], texts=[str(error)]) == []
    assert clip("x" * 290 + FAKE_KEY, 300, Secrets([FAKE_KEY])) == "x" * 290 + "[redacted]"


def _echoing(body: dict[str, Any]) -> Reply:
    """Echoes the request's credentials: a failure for a00001; for a00000 an ungrounded answer first, then a
    grounded one (so the reask, which carries the first answer, is recorded too)."""
    if article_of(body) == "a00001":
        return Reply(500, {"error": {"message": "upstream rejected {Authorization} via {Proxy-Authorization}"}},
                     echo=True)
    answer = minimal_answer(body)
    answer["summary"] += " Seen: {Authorization} {Proxy-Authorization}"
    if len(body["messages"]) <= 2:
        answer["quotes"] = [{"text": "words the article never had", "speaker": "a spokesperson", "speaker_role": None,
                             "kind": "direct", "cue": "said"}]
    from summarize.core.adapter import completion_body

    return Reply(200, {**completion_body(answer, body), "debug": "auth={Authorization}"}, echo=True)


def test_an_answer_or_error_that_echoes_the_key_is_stored_redacted_and_replays(
        tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    write_synthetic_articles(tmp_path / "in", 2)
    with LoopbackServer(responder=_echoing) as server:
        code, printed = _cli(capfd, "run", tmp_path / "in", "--out", tmp_path / "out", "--base-url", server.url,
                             "--mode", "record", "--fixtures", tmp_path / "fx", "--retries", 0)
    assert code == 1
    assert sum(article_of(s.body) == "a00000" for s in server.seen) == 2, "the first answer was reasked"
    ledger = _ledger(tmp_path / "out")
    assert ledger["a00000"]["status"] == "done" and ledger["a00001"]["status"] == "failed"
    assert "upstream rejected Bearer [redacted]" in ledger["a00001"]["message"]
    summary = json.loads((tmp_path / "out" / "a00000.json").read_text())["summary"]["summary"]
    assert summary.endswith("Seen: Bearer [redacted] {Proxy-Authorization}")
    fixtures = sorted((tmp_path / "fx").rglob("*.json"))
    assert len(fixtures) == 2 and all("Bearer [redacted]" in p.read_text() for p in fixtures)

    # Replaying what was recorded needs no key, and gives the same summary: the reask that was recorded
    # carried the redacted answer, as the replayed one does.
    monkeypatch.delenv("OPENAI_API_KEY")
    code, replayed = _cli(capfd, "run", tmp_path / "in", "--out", tmp_path / "again", "--mode", "replay",
                          "--fixtures", tmp_path / "fx")
    assert _ledger(tmp_path / "again")["a00000"]["status"] == "done"
    assert json.loads((tmp_path / "again" / "a00000.json").read_text())["summary"]["summary"] == summary
    _cli(capfd, "report", tmp_path / "out", "--html", tmp_path / "site")
    assert leaks([FAKE_KEY], folders=[tmp_path], texts=[printed, replayed, caplog.text]) == []


def _clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_base_url_and_proxy_credentials_are_written_nowhere(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                            caplog: pytest.LogCaptureFixture,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The loopback server is the proxy (it answers the requests it is asked to forward), the base URL's
    host does not exist: every request goes through the proxy, with both pairs of credentials."""
    caplog.set_level(logging.DEBUG)
    base_user, base_password = "base-user-0003", "BASE-pass/word:0004"  # "/" and ":" travel percent-encoded
    proxy_user, proxy_password = "proxy-user-0001", "PROXY-pass-word-0002"
    tokens = [base64.b64encode(f"{u}:{p}".encode()).decode()
              for u, p in ((base_user, base_password), (proxy_user, proxy_password))]
    quoted = httpx.URL("http://h/").copy_with(username=base_user, password=base_password).userinfo.decode()
    base_url = f"http://{quoted}@model.example.invalid/v1"
    write_synthetic_articles(tmp_path / "in", 3)
    _clear_proxies(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    with LoopbackServer(responder=_echoing) as server:
        monkeypatch.setenv("HTTP_PROXY", f"http://{proxy_user}:{proxy_password}@127.0.0.1:{server.port}")
        code, printed = _cli(capfd, "run", tmp_path / "in", "--out", tmp_path / "out", "--base-url", base_url,
                             "--mode", "record", "--fixtures", tmp_path / "fx", "--retries", 0)
        # the synchronous client goes through another proxy implementation (httpx's, not aiohttp's)
        sync = Summarizer(base_url=base_url, api_key=FAKE_KEY, mode="record", fixtures=tmp_path / "fx-sync",
                          retries=0).run(tmp_path / "in" / "a00002.txt")
    assert code == 1 and len(server.seen) == 2 + 1 + 2 + 2  # a00000 and a00002 are reasked, in the run and alone
    assert {s.headers["Authorization"] for s in server.seen} == {f"Basic {tokens[0]}"}
    assert {s.headers["Proxy-Authorization"] for s in server.seen} == {f"Basic {tokens[1]}"}
    assert sync.summary.summary.endswith("Seen: Basic [redacted] Basic [redacted]")
    ledger = _ledger(tmp_path / "out")
    assert ledger["a00000"]["status"] == ledger["a00002"]["status"] == "done"
    assert "upstream rejected Basic [redacted] via Basic [redacted]" in ledger["a00001"]["message"]
    _cli(capfd, "report", tmp_path / "out", "--html", tmp_path / "site")
    secrets = [FAKE_KEY, base_user, base_password, quoted, proxy_user, proxy_password, *tokens]
    assert leaks(secrets, folders=[tmp_path], texts=[printed, caplog.text]) == []


def test_the_secrets_of_a_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy-user-0001:p%40ss-word-0002@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,internal.example")
    secrets = Secrets.configured(FAKE_KEY, "https://base-user-0003:short@api.example/v1")
    assert repr(secrets) == f"Secrets({len(secrets.values)} value(s))" and FAKE_KEY not in repr(secrets)
    text = (f"key {FAKE_KEY} via http://proxy-user-0001:p%40ss-word-0002@proxy.example:3128 "
            "password p@ss-word-0002 user base-user-0003 at https://base-user-0003:short@api.example/v1")
    redacted = secrets.redact(text)
    assert leaks([FAKE_KEY, "proxy-user-0001", "p@ss-word-0002", "p%40ss-word-0002", "base-user-0003"],
                 texts=[redacted]) == [] and "short" not in redacted
    assert redacted.startswith("key [redacted] via http://[redacted]@proxy.example:3128 password [redacted]")
    # Messages lose whatever looks like a credential, and keep the words that merely resemble one.
    assert redact("Authorization: Basic dXNlcjpwYXNzd29yZA== and 'authorization': 'Bearer abc.def', "
                  "Proxy-Authorization=xyz; bearer tok") == ("Authorization: Basic [redacted] and 'authorization': "
                                                            "'Bearer [redacted]', Proxy-Authorization=[redacted]; "
                                                            "bearer [redacted]")
    assert redact("authorization required; the bearer_auth flag") == "authorization required; the bearer_auth flag"
    # Bodies keep their words: only the secrets themselves go, never what merely looks like a credential.
    body = {"content": f"The authorization of force; {FAKE_KEY}", "n": 1}
    assert secrets.scrub(body) == {"content": "The authorization of force; [redacted]", "n": 1}
    # An answer's bytes: the secret as JSON may write it (escaped), or as a URL does (percent-encoded).
    odd = Secrets(["pass/w\u00f6rd-0002"])
    for encoded in (json.dumps({"a": "pass/w\u00f6rd-0002"}), json.dumps({"a": "pass/w\u00f6rd-0002"}, ensure_ascii=False),
                    '{"a": "pass\\/w\\u00f6rd-0002"}', '{"a": "pass%2Fw%C3%B6rd-0002"}'):
        assert json.loads(odd.scrub_bytes(encoded.encode())) == {"a": "[redacted]"}, encoded
