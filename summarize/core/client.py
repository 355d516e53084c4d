"""The model client: sends one article's attempts through the openai SDK and returns a validated summary.

Terms:

- **attempt**: one HTTP request for one article. The first attempt and each reask are attempts; every
  one is counted, with its tokens, whether it succeeds or not.
- **reask**: after an answer fails validation (bad JSON, schema, ungrounded quotes), the answer is sent
  back with the validation messages and the model is asked again, up to ``max_reasks`` times. This
  module runs that loop and words the messages itself (:mod:`summarize.core.reask`): a reask is part of a
  request, hence of its fixture key, so its text may not depend on a dependency's version (pydantic's own
  rendering of an error names its minor version in a documentation URL). Only the prompt and the latest
  failed answer are sent, so reasks do not grow without bound.
- **conversation**: the messages the next attempt sends, built here in every output mode and sent as
  they are (``extra_body``, :func:`summarize.core.adapter.request_arguments`).
- **reading**: an answer is repaired where only one fix can be meant, validated, and, once the reasks are
  spent, salvaged (its valid items kept, the rest listed as dropped) unless ``strict``
  (:mod:`summarize.core.repair`, :mod:`summarize.core.salvage`). Every rejected answer is kept until the
  article ends, so the best salvage may come from an earlier one.
- **completion check**: before an answer is read (:func:`summarize.core.salvage.read_answer`),
  :func:`_check_completion` turns a refusal, a content-filter stop, a truncated answer or an empty choice
  list into the matching typed error, so none of them is mistaken for a validation problem and reasked.
  Before it, an answer that repeats itself (a looping model; complete or cut off) is a failed attempt,
  reasked without the loop (:mod:`summarize.core.repetition`), never grown into a larger budget; like a
  truncated answer, it is kept among the rejected answers, whose salvage trims it to what it said once
  (:mod:`summarize.core.trimming`). In ``tools`` mode an answer without a tool call is handled first (see
  "ignored tool" in :mod:`summarize.core.negotiate`).
- **output budget and timeout**: fitted to the server per request (:mod:`summarize.core.budget`).
- **streaming** (``stream``, on by default for the local engine): answers are asked as streams below the
  fixture layer and handed up whole (:mod:`summarize.http.streaming`): fixtures and keys do not change, a
  loop is stopped as it begins, and a request given up closes its connection.
- **output mode of an attempt**: the configured one, or under ``auto`` what the negotiator
  (:mod:`summarize.core.negotiate`) says the server accepts; an attempt the server rejects for its mode is
  asked again in the next mode, with a fresh conversation, and that mode is kept in the usage.

The adapter (:mod:`summarize.core.adapter`) says what a request carries per output mode and reads the answer;
instructor is not used (its module docstring says why). Every exception from openai, pydantic or httpx is
translated into :mod:`summarize.errors` as it leaves this module (:mod:`summarize.core.translate`), with the
credentials redacted (:mod:`summarize.http.redaction`): the client's :class:`~summarize.http.redaction.Secrets` (key,
base URL and proxy credentials) are handed to the transport that receives answers, to the fixture store
and to error translation. The openai SDK's own retries are off (``max_retries=0``) so that retries never
stack: transient failures are retried once, below the fixture layer, by
:class:`summarize.http.network.RetryTransport`, and a 429 (rate limited) waits there, within
``rate_limit_wait``, without using up retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from summarize.core.adapter import answer_text, request_arguments, without_tool_call
from summarize.core.budget import answer_timeout, fit_window, output_budget
from summarize.core.config import Settings
from summarize.core.limits import check_length, larger_output_budget, model_limits
from summarize.core.negotiate import IGNORED_TOOL, KnownRejected, OutputModes, Server
from summarize.core.reask import reask_messages, validation_problems, with_schema_instruction
from summarize.core.repetition import check_repetition, repetition_reask
from summarize.core.salvage import Reading, read_answer, salvage_best
from summarize.core.schema import GROUNDING, SCHEMA_VERSION, ArticleSummary, GroundingContext, _cached_schema
from summarize.core.translate import causes, translate
from summarize.core.usage import Usage
from summarize.errors import (
    OutputModeError,
    ProviderError,
    RefusalError,
    RepetitiveOutputError,
    ReplayMissError,
    TruncatedOutputError,
)
from summarize.http.network import RETRY_LOG, RateLimiter, RetryPolicy, RetryTransport
from summarize.http.redaction import RedactingTransport, Secrets, clip, redact_logs
from summarize.http.streaming import StreamingTransport
from summarize.replay.fixtures import PROVENANCE, UNRECORDED, FixtureTransport, Mode, label_headers
from summarize.text.tokens import estimate_tokens

__all__ = ["ModelClient", "Usage"]

_NO_KEY = "no-key-configured"  # the openai client insists on a key even where none is needed


def _check_completion(completion: Any) -> None:
    """Turn a refusal, a truncation or an empty answer into its typed error (see the module docstring)."""
    choices = getattr(completion, "choices", None)
    if not choices:
        raise ProviderError("The server returned no choices; it may not support this request. Try another output mode.")
    choice = choices[0]
    message = getattr(choice, "message", None)
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise RefusalError(f"The model refused: {refusal}")
    reason = getattr(choice, "finish_reason", None)
    if reason == "content_filter":
        raise RefusalError("The provider's content filter stopped the answer.")
    if reason == "length":
        raise TruncatedOutputError(
            "The answer was cut off at the output-token limit before it was complete. "
            "Raise max_tokens, or use a model with a larger output limit."
        )


@dataclass
class _Call:
    """One article's attempts: what they send next and what they cost.

    ``prompt`` is the prompt's messages as sent (with the schema instruction in the JSON modes);
    ``conversation`` what the next attempt sends: the prompt, then after a failed answer that answer and
    its problems (see the module docstring).
    """

    article_id: str
    prompt_id: str
    usage: Usage
    secrets: Secrets
    output_mode: str
    content: str | None = None
    tried: list[str] = field(default_factory=list)  # the output modes this call asked in, in order
    first_miss: Exception | None = None  # under auto, the replay miss of the first mode tried
    prompt: list[dict[str, Any]] = field(default_factory=list)
    conversation: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # the prompt's messages, before any schema
    reasks: int = 0
    grown: bool = False  # the output budget was already raised once after a truncation
    max_tokens: int | None = None  # the output budget of the next attempt
    automatic: bool = False  # max_tokens is the automatic budget, left out of the fixture key (core.budget)
    context: GroundingContext | None = None  # what answers are grounded in (and repaired against)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # attempt and text of each invalid answer
    text: str = ""  # the text of the latest answer

    def next_labels(self) -> dict[str, str]:
        return label_headers(self.article_id, self.prompt_id, self.usage.attempts + 1, content=self.content,
                             schema=SCHEMA_VERSION, automatic_budget=self.automatic)

    def failed(self, exc: Exception) -> None:
        """A request that failed for good (its retries spent) is still an attempt; a replay miss, or a request
        in a mode its server is known to reject, sent nothing."""
        if not any(isinstance(c, (ReplayMissError, KnownRejected)) for c in causes(exc)):
            self.usage.attempts += 1

    def ask_in(self, mode: str, prompt: list[dict[str, Any]]) -> None:
        """Ask the next attempt in output ``mode`` (with its ``prompt``), in a fresh conversation."""
        self.output_mode = self.usage.output_mode = mode
        self.tried.append(mode)
        self.prompt = self.conversation = prompt
        self.reasks = 0

    def check(self, completion: Any) -> None:
        """Keep the answer's text in ``text``; raise for a repetitive answer, then as :func:`_check_completion` does."""
        choices = getattr(completion, "choices", None)
        self.text = answer_text(completion, self.output_mode) if choices else ""
        if choices:  # a loop cut off by the budget, or a stream stopped as it looped, is a repetition
            check_repetition(self.text, attempts=self.usage.attempts,
                             finish_reason=getattr(choices[0], "finish_reason", None))
        _check_completion(completion)

    def counted(self, raw: Any) -> Any:
        """The completion ``raw`` carries, its usage counted; a body that is not a completion is a ProviderError."""
        try:
            completion = raw.parse()
        except Exception as exc:  # a 200 whose body is not a completion: count the attempt, never reask it
            self.usage.attempts += 1
            raise ProviderError(
                f"The server answered with a body that is not a chat completion ({type(exc).__name__}: "
                f"{clip(raw.http_response.text, 120, self.secrets)!r}). Check the base URL; if it points at a proxy, "
                "check the proxy."
            ) from exc
        self.usage.add(completion, replayed=raw.headers.get("x-summarize-replayed") == "1",
                       provenance=raw.http_response.extensions.get(PROVENANCE))
        unrecorded = raw.http_response.extensions.get(UNRECORDED)
        if unrecorded is not None:
            self.usage.warnings.append({"kind": unrecorded.kind, "message": str(unrecorded)})
        return completion

    def keep_rejected(self) -> None:
        """Keep the latest answer among the rejected ones, for salvage (an answer paid for is never thrown away)."""
        if self.text:
            self.rejected.append((self.usage.attempts, self.text))


class ModelClient:
    """Sends an article's messages to the model through openai and returns a validated, grounded summary."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._inner = transport
        self._sync: Any = None
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._transports: list[FixtureTransport] = []
        #: Shared by every request this client sends: rate budgets and the pause a 429 imposes.
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        #: The credentials of this configuration, removed from every answer, fixture, message and log record.
        self.secrets = Secrets.configured(settings.api_key, settings.base_url)
        #: What recorded fixtures say of their origin; None means "recorded from the server".
        self.provenance: dict[str, Any] | None = None
        #: Whether an answer that cannot be recorded fails the call (the authoring tools) or is only reported.
        self.must_record = False
        #: What serves the answers beyond its URL (the local engine's description), recorded in fixtures.
        self.served_by: dict[str, Any] | None = None
        #: What output mode the server takes (``auto``), shared by every article this client summarizes.
        self.modes = OutputModes(settings.output_mode, secrets=self.secrets)
        self.server = Server.of(settings.base_url, settings.model)

    @property
    def recorded(self) -> list[Path]:
        """The fixture files this client has written."""
        return [p for t in self._transports for p in t.recorded]  # at most the latest 10,000 per transport

    # -- construction ---------------------------------------------------------------------------
    def _transport(self) -> FixtureTransport:
        s = self.settings
        policy = RetryPolicy(attempts=s.retries + 1, budget=s.retry_budget, base=s.retry_backoff,
                             rate_limit_wait=s.rate_limit_wait)
        inner = StreamingTransport(self._inner) if s.stream else self._inner  # see summarize.http.streaming
        network = RetryTransport(inner, limiter=self.limiter, policy=policy,
                                 hook=self.modes.hook(self.server))
        transport = FixtureTransport(s.fixtures, s.mode, inner=RedactingTransport(network, self.secrets),
                                     provenance=self.provenance, secrets=self.secrets, must_record=self.must_record,
                                     served_by=self.served_by)
        self._transports.append(transport)
        return transport

    def _openai(self, is_async: bool) -> Any:
        import openai

        redact_logs(self.secrets)
        s = self.settings
        options: dict[str, Any] = {"api_key": s.api_key or _NO_KEY, "base_url": s.base_url, "max_retries": 0,
                                   "timeout": answer_timeout(s.timeout, s.base_url, 0, None)}  # each request sets its own
        # openai 3 takes httpx clients as well as httpx2 ones, but its annotations name only httpx2's: hence Any.
        http: Any
        if is_async:
            http = httpx.AsyncClient(transport=self._transport())
            return openai.AsyncOpenAI(http_client=http, **options)
        http = httpx.Client(transport=self._transport())
        return openai.OpenAI(http_client=http, **options)

    def _arguments(self, call: _Call) -> dict[str, Any]:
        """openai's create() arguments for the next attempt of ``call``."""
        s = self.settings
        prompt_chars = sum(len(str(m.get("content") or "")) for m in call.conversation)
        return {**request_arguments(model=s.model, output_mode=call.output_mode, conversation=call.conversation,
                                    headers=call.next_labels(), temperature=s.temperature, max_tokens=call.max_tokens),
                "timeout": answer_timeout(s.timeout, s.base_url, prompt_chars, call.max_tokens)}

    # -- the two entry points -------------------------------------------------------------------
    def summarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                  prompt_id: str, content: str | None = None) -> tuple[Reading, Usage]:
        """One article's summary, validated and grounded against ``context`` (repaired, or salvaged after
        the last reask unless ``strict``: see :mod:`summarize.core.salvage`), and what it cost.

        ``content`` (the article's content hash) labels the fixtures recorded, so that the article's other
        names find them. Raises a :class:`~summarize.errors.SummarizeError` whose ``usage`` says what the
        failed article cost; an article too long for the model's context is refused before it is sent.
        """
        if self._sync is None:
            self._sync = self._openai(is_async=False)
        with self._article(messages, context, article_id, prompt_id, content) as call:
            while True:
                try:
                    raw = self._sync.chat.completions.with_raw_response.create(**self._arguments(call))
                except Exception as exc:
                    if self._failed(call, exc):
                        continue
                    raise
                if (result := self._read(call, raw)) is not None:
                    return result, call.usage

    async def asummarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                         prompt_id: str, content: str | None = None) -> tuple[Reading, Usage]:
        """Async :meth:`summarize`."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:  # httpx async pools belong to one event loop
            self._async, self._async_loop = self._openai(is_async=True), loop
        with self._article(messages, context, article_id, prompt_id, content) as call:
            while True:
                try:
                    raw = await self._async.chat.completions.with_raw_response.create(**self._arguments(call))
                except Exception as exc:
                    if self._failed(call, exc):
                        continue
                    raise
                if (result := self._read(call, raw)) is not None:
                    return result, call.usage

    @contextlib.contextmanager
    def _article(self, messages: list[dict[str, str]], context: GroundingContext, article_id: str,
                 prompt_id: str, content: str | None) -> Iterator[_Call]:
        """One article's call state: the length check, usage, retry log, grounding; errors translated."""
        s = self.settings
        budget, automatic = output_budget(s.max_tokens, s.base_url, len(context.text))
        usage = Usage()
        retried: list[str] = []
        call = _Call(article_id, prompt_id, usage, self.secrets, s.output_mode, content=content, max_tokens=budget,
                     automatic=automatic, context=context)
        # The grounding context reaches the validators through a context variable (pydantic's validation
        # context would have to be threaded through every nested model's validators).
        tokens = RETRY_LOG.set(retried), GROUNDING.set(context)
        try:
            self._ask_in(call, messages, self.modes.first(self.server))
            yield call
        except Exception as exc:
            error = translate(exc, article_id, usage, secrets=self.secrets)
            error.usage = usage
            raise error from exc
        finally:
            usage.retries = len(retried)
            RETRY_LOG.reset(tokens[0])
            GROUNDING.reset(tokens[1])

    def _ask_in(self, call: _Call, messages: list[dict[str, Any]], mode: str) -> None:
        """Set ``call`` to ask in output ``mode``; an article too long for the model in it is refused unsent."""
        s = self.settings
        prompt = with_schema_instruction(messages, mode, _cached_schema(ArticleSummary))
        prompt_chars = sum(len(m.get("content") or "") for m in prompt)
        if call.automatic and call.max_tokens is not None:  # the automatic budget fits the window (core.budget)
            window = s.context_window or (model_limits(s.model) or (None, None))[0]
            call.max_tokens = fit_window(call.max_tokens, estimate_tokens(prompt_chars), window)
        check_length(prompt_chars, article_id=call.article_id, model=s.model, max_tokens=call.max_tokens,
                     context_window=s.context_window)
        call.messages = messages
        call.ask_in(mode, prompt)

    def _failed(self, call: _Call, exc: Exception) -> bool:
        """Count a failed request; True when the attempt is to be asked again in another output mode (see
        :mod:`summarize.core.negotiate`); raises what is final about the mode."""
        call.failed(exc)
        mode = self.modes.next_mode(self.server, call.output_mode, exc, chain=causes(exc), tried=call.tried,
                                    answered=bool(call.usage.attempts), replaying=self.settings.mode is Mode.REPLAY)
        if mode is None:
            if call.first_miss is not None and not call.usage.attempts:  # no mode replays: say the first's miss
                raise call.first_miss
            return False
        if call.first_miss is None and any(isinstance(c, ReplayMissError) for c in causes(exc)):
            call.first_miss = exc
        self._ask_in(call, call.messages, mode)
        return True

    def _read(self, call: _Call, raw: Any) -> Reading | None:
        """The reading of one attempt's answer, or None when a next attempt is due: a reask after an answer
        that failed validation once repaired (while the budget lasts), or a fresh conversation with a larger
        output budget, once, after a truncation. When the reasks are spent, or a truncation is final, the best
        salvage of the rejected answers (unless ``strict``). Raises what is final."""
        completion = call.counted(raw)
        if self._without_tool_call(call, completion):
            return None
        self.modes.accepted(self.server, call.output_mode)
        try:
            call.check(completion)
        except TruncatedOutputError:
            call.keep_rejected()  # what it answered before the cut may be the best salvage
            budget = None if call.grown else larger_output_budget(self.settings.model, call.max_tokens)
            if budget is None:
                if (kept := self._salvaged(call)) is not None:  # an earlier answer, paid for, still counts
                    return kept
                raise
            # A fresh conversation, with the larger budget (keyed: see core.budget) and the whole reask budget.
            call.grown, call.reasks, call.conversation, call.max_tokens = True, 0, call.prompt, budget
            call.automatic = False
            return None
        except RepetitiveOutputError as exc:  # a failed attempt: reasked without the loop (see core.repetition)
            call.keep_rejected()  # trimmed to what it said once, it may be the best salvage (core.trimming)
            if call.reasks >= self.settings.max_reasks:
                if (kept := self._salvaged(call)) is not None:  # an earlier answer, paid for, still counts
                    return kept
                raise
            call.reasks += 1
            call.conversation = [*call.prompt, *repetition_reask(exc.problems)]
            return None
        try:
            return read_answer(call.text, call.context, attempt=call.usage.attempts)
        except (ValidationError, json.JSONDecodeError) as exc:
            call.keep_rejected()
            if call.reasks >= self.settings.max_reasks:
                if (kept := self._salvaged(call)) is not None:
                    return kept
                raise
            call.reasks += 1
            call.conversation = [*call.prompt, *reask_messages(completion, validation_problems(exc))]
            return None

    def _without_tool_call(self, call: _Call, completion: Any) -> bool:
        """Whether ``completion`` is a ``tools`` answer with no tool call that, under ``auto``, makes the
        attempt ask again in the next output mode (see "ignored tool" in :mod:`summarize.core.negotiate`); an
        explicit ``tools`` mode reads a JSON content as the answer, and fails on any other content."""
        if not without_tool_call(completion, call.output_mode):
            return False
        text = answer_text(completion, call.output_mode)  # the JSON of its content, or ""
        if not self.modes.auto and text:
            return False
        if not self.modes.auto:
            content = str(getattr(completion.choices[0].message, "content", None) or "")
            raise OutputModeError(self.secrets.redact(
                f"The model server at {self.server} ignored the tool: it answered output mode tools without a tool "
                f"call, and its message content holds no JSON object ({clip(content, 120, self.secrets)!r}). Use "
                "--output-mode auto (the default) or json."), modes_tried=["tools"], status=200)
        call.text = text
        call.keep_rejected()
        self.modes.rejected(self.server, "tools", IGNORED_TOOL)
        self._ask_in(call, call.messages, self.modes.first(self.server))
        return True

    def _salvaged(self, call: _Call) -> Reading | None:
        """The best salvage of the article's rejected answers, unless ``strict`` (see :mod:`summarize.core.salvage`)."""
        return None if self.settings.strict else salvage_best(call.rejected, call.context)

    def close(self) -> None:
        """Close the synchronous HTTP connections."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the asynchronous HTTP connections (and the synchronous ones)."""
        self.close()
        if self._async is not None:
            await self._async.close()
            self._async = self._async_loop = None
