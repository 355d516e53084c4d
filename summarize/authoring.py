"""Writing fixtures by hand, and carrying fixtures over to a new prompt or schema.

Terms:

- **authored fixture**: an exchange whose answer a person wrote, as a careful model would answer,
  rather than one recorded from a server. It is made by running the real pipeline in ``record`` mode
  against a :class:`ScriptedTransport` that answers with the written text, so its request and key are
  exactly what the library sends; its provenance says ``authored``, who wrote it and why.
- **answer**: the JSON object a model would return (the fields of the schema sent to models; no spans).
  Several answers make a reask sequence: each but the last must fail validation.
- **rekey**: after a prompt or schema change every key changes. Rekeying replays each article's
  recorded answers, in order, through the current pipeline and records them under the new keys,
  keeping their provenance and noting the rekey.

Usage counts in authored fixtures are estimates (about four characters per token), and say so.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx

from .errors import SummarizeError
from .fixtures import FixtureStore, Mode, restored
from .pipeline import Summarizer, SummaryResult, as_article

__all__ = ["ScriptedTransport", "author_fixtures", "completion_body", "rekey_fixtures"]

_AUTHORED_BASE_URL = "http://authored.invalid/v1"  # never contacted: the scripted transport answers


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def completion_body(answer: dict[str, Any] | str, request: dict[str, Any], *, finish_reason: str = "stop") -> dict[str, Any]:
    """An OpenAI chat completion carrying ``answer``, shaped for the request's output mode."""
    content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    tools = request.get("tools")
    if tools:
        message: dict[str, Any] = {
            "role": "assistant", "content": None, "refusal": None,
            "tool_calls": [{"id": "call_authored", "type": "function",
                            "function": {"name": tools[0]["function"]["name"], "arguments": content}}],
        }
    else:
        message = {"role": "assistant", "content": content, "refusal": None}
    prompt_chars = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    prompt_tokens, completion_tokens = max(1, prompt_chars // 4), _estimate_tokens(content)
    return {
        "id": "chatcmpl-authored", "object": "chat.completion", "created": 0, "model": request.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class ScriptedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests with prepared replies, in order: answers (wrapped by :func:`completion_body`)
    or whole response bodies (dicts with ``"choices"``, passed as they are)."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        self.requests.append(body)
        if not self.replies:
            return httpx.Response(500, json={"error": {"message": "the script has no more replies"}})
        reply = self.replies.pop(0)
        if not (isinstance(reply, dict) and "choices" in reply):
            reply = completion_body(reply, body)
        return httpx.Response(200, json=reply)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


def _summarizer(fixtures: Path, provenance: dict[str, Any], replies: list[Any], **options: Any) -> tuple[Summarizer, ScriptedTransport]:
    script = ScriptedTransport(replies)
    s = Summarizer(fixtures=fixtures, mode=Mode.RECORD, base_url=_AUTHORED_BASE_URL, transport=script, **options)
    # The fixture layer writes what the script answers; provenance marks it authored, not recorded.
    s._client.provenance = provenance
    s._client.must_record = True  # the fixture is the product here: failing to write it fails the command
    return s, script


def author_fixtures(source: Any, answers: list[dict[str, Any] | str], *, fixtures: str | Path = "fixtures",
                    author: str, note: str, **options: Any) -> SummaryResult:
    """Record authored answers for one article as fixtures; returns the accepted result.

    Raises :class:`SummarizeError` if the last answer does not validate, and ``ValueError`` if an
    earlier answer was accepted (the answers after it would never be asked for).
    """
    provenance = {"source": "authored", "author": author, "note": note,
                  "created": dt.date.today().isoformat(),
                  "usage": "estimated at about four characters per token; no model produced these tokens"}
    s, script = _summarizer(Path(fixtures), provenance, list(answers), **options)
    with s:
        result = s.run(as_article(source))
    if script.replies:
        raise ValueError(f"Answer {len(answers) - len(script.replies)} was accepted; "
                         f"the {len(script.replies)} answer(s) after it would never be asked for.")
    return result


def rekey_fixtures(sources: list[Any], *, fixtures: str | Path = "fixtures", **options: Any) -> dict[str, str]:
    """Re-record each article's fixtures under the current prompt and schema; returns a status per article."""
    store = FixtureStore(fixtures)
    report: dict[str, str] = {}
    for source in sources:
        article = as_article(source)
        old = store.for_article(article.id)
        if not old:
            report[article.id] = "no fixtures"
            continue
        bodies = [restored(data["response"]["body"]) for _, data in old]
        provenance = dict(old[-1][1].get("provenance") or {})
        provenance["rekeyed"] = dt.date.today().isoformat()
        s, script = _summarizer(Path(fixtures), provenance, bodies, **options)
        try:
            with s:
                s.run(article)
        except SummarizeError as exc:
            report[article.id] = f"failed: {exc}"
            continue
        kept = {p.resolve() for p in s._client.recorded}
        for path, _ in old:
            if path.resolve() not in kept:
                path.unlink(missing_ok=True)
        report[article.id] = f"rekeyed {len(kept)} exchange(s)" + (f", {len(script.replies)} unused" if script.replies else "")
    return report
