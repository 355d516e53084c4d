"""Fault injection for the loopback server: every way a provider or a model fails, on demand.

Terms:

- **fault**: one way a request goes wrong, named by a string in :data:`FAULTS`. Each has the outcome
  the client must reach (:data:`EXPECTED`): retried below the attempts (``transient``), reasked
  (``reask``), a typed failure of the article (``refusal``, ``truncated``, ``provider``), or nothing at
  all (``benign``: the answer is fine despite its oddity).
- **plan**: :class:`FaultPlan` decides each request's fault from a hash of the seed, the article (:func:`article_of`)
  and the article's request number, so a run injects the same faults whatever order concurrent
  requests arrive in. ``rate`` is the share of requests that get a fault; ``script`` forces the
  faults of one article's requests in order (``None`` for a clean answer).
- **stall**: the answer is held until the client closes the connection (its timeout), so it is never
  delivered however slow the machine is; ``stall=<seconds>`` instead sends it after that long (for
  benchmarks that want a late answer rather than none).
- **answer**: without a fault, the plan answers with ``answer(body)`` (default
  :func:`summarize.testing.loopback.minimal_answer`, valid for :func:`~summarize.testing.loopback.write_synthetic_articles`).

Usage::

    plan = FaultPlan(rate=0.3, seed=7)
    with LoopbackServer(responder=plan) as server:
        ...
    server.seen  # each request with its .fault, and the .usage the server reported, if delivered
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from summarize.testing.loopback import Reply, minimal_answer

__all__ = ["EXPECTED", "FAULTS", "FaultPlan", "article_of"]

#: Every fault the plan can inject, with what the client must do about it.
EXPECTED: dict[str, str] = {
    "429": "transient",  # rate limited, with retry-after-ms
    "500": "transient",
    "502": "transient",
    "503": "transient",
    "stall": "transient",  # holds the answer until the client gives up (its timeout), then sends nothing
    "drop": "transient",  # closes the connection without answering
    "malformed_body": "transient",  # a 200 whose body is not JSON
    "schema_invalid": "reask",  # valid JSON, wrong shape
    "prose": "reask",  # prose instead of JSON
    "ungrounded": "reask",  # a quote that is not in the article
    "truncated": "truncated",  # finish_reason "length", the JSON cut in half
    "refusal": "refusal",  # message.refusal set
    "content_filter": "refusal",  # finish_reason "content_filter"
    "empty_choices": "provider",  # a completion with no choices
    "no_usage": "benign",  # a valid answer without a usage field
    "extra_fields": "benign",  # a valid answer with fields local servers add (reasoning, timings)
}
FAULTS: tuple[str, ...] = tuple(EXPECTED)

_HEADLINE = re.compile(r"^Headline: (.*)$", re.MULTILINE)
_SYNTHETIC = re.compile(r"^Minister acts on item (\d+)$")


def article_of(body: dict[str, Any]) -> str:
    """The article a chat-completions request is about, as far as the request tells (it names no article id:
    see :mod:`summarize.core.prompting`): ``a00007`` for the synthetic article of that name
    (:func:`~summarize.testing.loopback.write_synthetic_articles`; its headline carries its number), else the
    headline; ``"?"`` when the request has none."""
    for message in body.get("messages") or ():
        m = _HEADLINE.search(str(message.get("content") or ""))
        if m:
            synthetic = _SYNTHETIC.match(m.group(1))
            return f"a{int(synthetic.group(1)):05d}" if synthetic else m.group(1)
    return "?"


class FaultPlan:
    """A loopback responder that injects faults (see the module docstring). Thread-safe."""

    def __init__(self, rate: float = 0.3, *, seed: int = 0, kinds: Iterable[str] = FAULTS,
                 script: dict[str, list[str | None]] | None = None, stall: float | None = None,
                 answer: Callable[[dict[str, Any]], dict[str, Any]] = minimal_answer) -> None:
        self.kinds = tuple(kinds)
        unknown = sorted(set(self.kinds) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; choose from {', '.join(FAULTS)}")
        self.rate, self.seed, self.stall, self.answer = rate, seed, stall, answer
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.requests: dict[str, int] = {}  # per article: requests seen so far
        self._lock = threading.Lock()

    def fault_for(self, article: str, n: int) -> str | None:
        """The fault of ``article``'s ``n``-th request (0-based), or None."""
        if article in self.script:
            faults = self.script[article]
            return faults[n] if n < len(faults) else None
        digest = hashlib.sha256(f"{self.seed}:{article}:{n}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.rate or not self.kinds:
            return None
        return self.kinds[int.from_bytes(digest[8:16], "big") % len(self.kinds)]

    def __call__(self, body: dict[str, Any]) -> Reply:
        article = article_of(body)
        with self._lock:
            n = self.requests.get(article, 0)
            self.requests[article] = n + 1
        fault = self.fault_for(article, n)
        reply = self._reply(fault, body)
        reply.fault = fault
        return reply

    def _reply(self, fault: str | None, body: dict[str, Any]) -> Reply:
        from summarize.core.adapter import completion_body

        answer = self.answer(body)
        if fault in ("500", "502", "503"):
            return Reply(int(fault), {"error": {"message": f"injected {fault}", "type": "server_error"}})
        if fault == "429":
            return Reply(429, {"error": {"message": "injected rate limit", "type": "rate_limit_exceeded"}},
                         headers={"retry-after-ms": "50"})
        if fault == "stall":
            if self.stall is not None:
                return Reply(200, completion_body(answer, body), delay=self.stall)
            return Reply(200, completion_body(answer, body), hold=threading.Event())  # never set
        if fault == "drop":
            return Reply(200, None, drop=True)
        if fault == "malformed_body":
            return Reply(200, '{"id": "chatcmpl-broken", "choices": [{"index": 0, "message": {"role": "assis')
        if fault == "schema_invalid":
            return Reply(200, completion_body({"title": 42, "summary": ["not", "a", "string"]}, body))
        if fault == "prose":
            return Reply(200, completion_body("Here is a summary of the article: a minister said he would act.", body))
        if fault == "ungrounded":
            bad = {**answer, "quotes": [{"text": "these words are nowhere in the article", "speaker": "a spokesperson",
                                         "speaker_role": None, "kind": "direct", "cue": "said"}]}
            return Reply(200, completion_body(bad, body))
        if fault == "truncated":
            text = json.dumps(answer)
            return Reply(200, completion_body(text[: len(text) // 2], body, finish_reason="length"))
        if fault == "refusal":
            completion = completion_body(answer, body)
            completion["choices"][0]["message"].update(content=None, refusal="I can't help with that request.")
            return Reply(200, completion)
        if fault == "content_filter":  # the filter stops the answer part-way
            text = json.dumps(answer)
            return Reply(200, completion_body(text[: len(text) // 3], body, finish_reason="content_filter"))
        completion = completion_body(answer, body)
        if fault == "empty_choices":
            completion["choices"] = []
        elif fault == "no_usage":
            del completion["usage"]
        elif fault == "extra_fields":
            completion["timings"] = {"prompt_ms": 12.5, "predicted_ms": 80.1}
            completion["system_fingerprint"] = "fp_local"
            completion["choices"][0]["message"]["reasoning"] = "The article is about a minister."
            completion["choices"][0]["message"]["reasoning_content"] = None
        return Reply(200, completion)
