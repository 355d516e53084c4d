"""The model client: the only module that imports ``openai`` and ``instructor``.

Terms:

- **attempt**: one HTTP request for one article. The first attempt and each reask are attempts; every
  one is counted, with its tokens, whether it succeeds or not.
- **reask**: after an answer fails validation (bad JSON, schema, ungrounded quotes), the answer is sent
  back with the validation messages and the model is asked again, up to ``max_reasks`` times. This
  module runs that loop itself (instructor makes one attempt per call, ``max_retries=0``) and words the
  messages itself (:mod:`summarize.reask`): a reask is part of a request, hence of its fixture key, so
  its text may not depend on instructor's or pydantic's version (pydantic's own rendering of an error
  names its minor version in a documentation URL). Only the prompt and the latest failed answer are
  sent, so reasks do not grow without bound.
- **conversation**: the messages the next attempt sends, built here in every output mode and sent as
  they are (``extra_body``), so no dependency adds its own words to a request.
- **completion check**: before instructor parses an answer, :func:`_check_completion` turns a refusal,
  a content-filter stop, a truncated answer or an empty choice list into the matching typed error, so
  none of them is mistaken for a validation problem and reasked.

Every exception from openai, instructor or httpx is translated into :mod:`summarize.errors` as it
leaves this module (:mod:`summarize.translate`), with the credentials redacted (:mod:`summarize.redaction`):
the client's :class:`~summarize.redaction.Secrets` (key, base URL and proxy credentials) are handed to the
transport that receives answers, to the fixture store and to error translation.
The openai SDK's own retries are off (``max_retries=0``) so that retries never stack: transient
failures are retried once, below the fixture layer, by :class:`summarize.network.RetryTransport`, and a
429 (rate limited) waits there, within ``rate_limit_wait``, without using up retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .config import Settings
from .errors import (
    ProviderError,
    RefusalError,
    ReplayMissError,
    TruncatedOutputError,
)
from .fixtures import PROVENANCE, UNRECORDED, FixtureTransport, label_headers
from .limits import check_length, larger_output_budget
from .network import RETRY_LOG, RateLimiter, RetryPolicy, RetryTransport
from .reask import reask_messages, validation_problems, with_schema_instruction
from .redaction import RedactingTransport, Secrets, clip, redact_logs
from .schema import GROUNDING, SCHEMA_VERSION, ArticleSummary, GroundingContext, _cached_schema
from .translate import causes, translate
from .usage import Usage

__all__ = ["ModelClient", "Usage"]

# instructor logs every failed attempt at ERROR level; this library reports failures itself, as typed
# errors. A NullHandler keeps Python's last-resort handler from printing them; an application that
# configures logging still receives them.
logging.getLogger("instructor").addHandler(logging.NullHandler())


_NO_KEY = "no-key-configured"  # the openai client insists on a key even where none is needed


@functools.lru_cache(maxsize=1)
def _wire_model() -> type[ArticleSummary]:
    """ArticleSummary as the model sees it: the strict schema, no span fields.

    It is already an instructor ``ResponseSchema``, so instructor does not build a wrapper class on
    every call (that cost milliseconds per article in folder runs).
    """
    import instructor

    def model_json_schema(cls: type, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return _cached_schema(ArticleSummary)  # only serialized, never mutated, by instructor and openai

    # Named ArticleSummary: the name appears in the schema and in reask messages the model reads.
    return type("ArticleSummary", (ArticleSummary, instructor.ResponseSchema),
                {"model_json_schema": classmethod(model_json_schema), "__module__": __name__})


@functools.lru_cache(maxsize=1)
def _check_async_validators_once() -> None:
    """Make instructor's check for async validators run once per model class, not on every call.

    instructor 1.17 walks the whole response model (every nested class and its MRO) several times per
    request to refuse async validators. For a fixed class the answer never changes; that walk was the
    largest CPU cost of a folder run after the network itself (about 1 ms per article).
    """
    import instructor.v2.core.patch as patch_module
    import instructor.v2.validation.async_validators as module

    original = getattr(module, "reject_async_validators", None)
    if original is None or getattr(original, "__wrapped__", None) is not None:
        return  # another instructor version, or already wrapped
    checked: weakref.WeakSet[type] = weakref.WeakSet()

    @functools.wraps(original)
    def reject_async_validators(response_model: Any) -> None:
        if isinstance(response_model, type) and response_model in checked:
            return
        original(response_model)  # raises for a model with async validators: never cached
        if isinstance(response_model, type):
            checked.add(response_model)

    module.reject_async_validators = reject_async_validators
    if getattr(patch_module, "reject_async_validators", None) is original:
        patch_module.reject_async_validators = reject_async_validators


@functools.lru_cache(maxsize=8)
def _request_options(output_mode: str) -> tuple[str, dict[str, Any]]:
    """The instructor mode name and extra create() arguments for an output mode.

    The fields that carry the output mode and the schema are set here, whole, in every mode
    (``extra_body`` replaces instructor's): instructor sends neither ``json_schema`` nor tools with
    ``"strict": true``, and what this library sends must not change with instructor's version.
    """
    schema = _cached_schema(ArticleSummary)
    strict_format = {"type": "json_schema", "json_schema": {"name": "ArticleSummary", "strict": True, "schema": schema}}
    strict_tool = {"type": "function", "function": {"name": "ArticleSummary", "description": schema.get("description", ""),
                                                    "parameters": schema, "strict": True}}
    tool_choice = {"type": "function", "function": {"name": "ArticleSummary"}}
    table: dict[str, tuple[str, dict[str, Any]]] = {
        "json_schema": ("JSON_SCHEMA", {"extra_body": {"response_format": strict_format}}),
        "tools": ("TOOLS", {"extra_body": {"tools": [strict_tool], "tool_choice": tool_choice}}),
        "json": ("JSON", {"extra_body": {"response_format": {"type": "json_object"}}}),
        "md_json": ("MD_JSON", {}),
    }
    return table[output_mode]


def _labelled(kwargs: dict[str, Any], call: _Call) -> dict[str, Any]:
    """instructor's create() arguments with this attempt's label headers and our conversation.

    Arguments that ``extra_body`` replaces (the output mode's fields, the messages) are dropped rather
    than sent through openai's argument transformation, which walks the whole schema each time and tries
    each message type of a union on every message (about 0.4 ms per request) while changing nothing in
    them (``tests/test_transport.py`` checks that the JSON sent is the same). The messages sent are the
    call's conversation, whatever instructor made of them (see the module docstring).
    """
    for key in kwargs.get("extra_body") or ():
        kwargs.pop(key, None)
    kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), "messages": call.conversation}
    kwargs["messages"] = []
    kwargs["extra_headers"] = {**kwargs.get("extra_headers", {}), **call.next_labels()}
    return kwargs


def _failed_answer(exc: Exception) -> tuple[Any, list[str]] | None:
    """The completion whose answer failed validation, with the problems, when that is what ``exc`` says;
    ``None`` for every other failure (an HTTP error, a refusal, a truncation: never reasked)."""
    completion = getattr(exc, "last_completion", None)  # instructor's InstructorRetryException
    if completion is None or not getattr(completion, "choices", None):
        return None
    return completion, validation_problems(exc.__cause__ or exc)


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
    """The article a create() call belongs to; instructor's create() is shared, so this travels in a ContextVar.

    ``prompt`` is the prompt's messages as sent (with the schema instruction in the JSON modes);
    ``conversation`` what the next attempt sends: the prompt, then after a failed answer that answer and
    its problems (see the module docstring).
    """

    article_id: str
    prompt_id: str
    usage: Usage
    secrets: Secrets
    content: str | None = None
    prompt: list[dict[str, Any]] = field(default_factory=list)
    conversation: list[dict[str, Any]] = field(default_factory=list)
    reasks: int = 0
    grown: bool = False  # the output budget was already raised once after a truncation

    def next_labels(self) -> dict[str, str]:
        return label_headers(self.article_id, self.prompt_id, self.usage.attempts + 1, content=self.content,
                             schema=SCHEMA_VERSION)

    def failed(self, exc: Exception) -> None:
        """A request that failed for good (its retries spent) is still an attempt; a replay miss sent nothing."""
        if not any(isinstance(c, ReplayMissError) for c in causes(exc)):
            self.usage.attempts += 1

    def checked(self, raw: Any) -> Any:
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
        _check_completion(completion)
        return completion


_CALL: ContextVar[_Call] = ContextVar("summarize_call")


class ModelClient:
    """Sends messages to the model through instructor and returns a validated, grounded summary."""

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

    @property
    def recorded(self) -> list[Path]:
        """The fixture files this client has written."""
        return [p for t in self._transports for p in t.recorded]  # at most the latest 10,000 per transport

    # -- construction ---------------------------------------------------------------------------
    def _transport(self) -> FixtureTransport:
        s = self.settings
        policy = RetryPolicy(attempts=s.retries + 1, budget=s.retry_budget, base=s.retry_backoff,
                             rate_limit_wait=s.rate_limit_wait)
        network = RetryTransport(self._inner, limiter=self.limiter, policy=policy)
        transport = FixtureTransport(s.fixtures, s.mode, inner=RedactingTransport(network, self.secrets),
                                     provenance=self.provenance, secrets=self.secrets, must_record=self.must_record)
        self._transports.append(transport)
        return transport

    def _openai_kwargs(self) -> dict[str, Any]:
        s = self.settings
        return {"api_key": s.api_key or _NO_KEY, "base_url": s.base_url, "max_retries": 0, "timeout": s.timeout}

    def _instructor(self, is_async: bool) -> Any:
        import instructor
        import openai

        _check_async_validators_once()
        redact_logs(self.secrets)
        mode_name, _ = _request_options(self.settings.output_mode)
        mode = getattr(instructor.Mode, mode_name)
        # openai 3 takes httpx clients as well as httpx2 ones, but its annotations name only httpx2's: hence Any.
        http: Any
        if is_async:
            http = httpx.AsyncClient(transport=self._transport())
            client = openai.AsyncOpenAI(http_client=http, **self._openai_kwargs())
            create = instructor.patch(create=self._async_create(client), mode=mode)
            return instructor.AsyncInstructor(client=client, create=create, mode=mode, provider=instructor.Provider.OPENAI)
        http = httpx.Client(transport=self._transport())
        sync_client = openai.OpenAI(http_client=http, **self._openai_kwargs())
        create = instructor.patch(create=self._sync_create(sync_client), mode=mode)
        return instructor.Instructor(client=sync_client, create=create, mode=mode, provider=instructor.Provider.OPENAI)

    # -- the raw create() that instructor calls once per attempt ----------------------------------
    @staticmethod
    def _sync_create(client: Any) -> Any:
        def create(*args: Any, **kwargs: Any) -> Any:
            call = _CALL.get()
            try:
                raw = client.chat.completions.with_raw_response.create(*args, **_labelled(kwargs, call))
            except Exception as exc:
                call.failed(exc)
                raise
            return call.checked(raw)

        return create

    @staticmethod
    def _async_create(client: Any) -> Any:
        async def create(*args: Any, **kwargs: Any) -> Any:
            call = _CALL.get()
            try:
                raw = await client.chat.completions.with_raw_response.create(*args, **_labelled(kwargs, call))
            except Exception as exc:
                call.failed(exc)
                raise
            return call.checked(raw)

        return create

    def _create_kwargs(self) -> dict[str, Any]:
        s = self.settings
        _, extra = _request_options(s.output_mode)
        kwargs: dict[str, Any] = {
            "model": s.model,
            "messages": list(_CALL.get().prompt),  # replaced by the conversation as it is sent (_labelled)
            "response_model": _wire_model(),
            "max_retries": 0,  # reasks are this module's loop (see the module docstring)
            **extra,
        }
        if s.temperature is not None:
            kwargs["temperature"] = s.temperature
        if s.max_tokens is not None:
            kwargs["max_tokens"] = s.max_tokens
        return kwargs

    # -- the two entry points -------------------------------------------------------------------
    def summarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                  prompt_id: str, content: str | None = None) -> tuple[ArticleSummary, Usage]:
        """One article's summary, validated and grounded against ``context``, and what it cost.

        ``content`` (the article's content hash) labels the fixtures recorded, so that the article's other
        names find them. Raises a :class:`~summarize.errors.SummarizeError` whose ``usage`` says what the
        failed article cost; an article too long for the model's context is refused before it is sent.
        """
        if self._sync is None:
            self._sync = self._instructor(is_async=False)
        with self._article(messages, context, article_id, prompt_id, content) as usage:
            kwargs = self._create_kwargs()
            while True:
                try:
                    result = self._sync.chat.completions.create(**kwargs)
                    break
                except Exception as exc:
                    if (following := self._next_attempt(exc, kwargs)) is None:
                        raise
                    kwargs = following
        return _plain(result), usage

    async def asummarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                         prompt_id: str, content: str | None = None) -> tuple[ArticleSummary, Usage]:
        """Async :meth:`summarize`."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:  # httpx async pools belong to one event loop
            self._async, self._async_loop = self._instructor(is_async=True), loop
        with self._article(messages, context, article_id, prompt_id, content) as usage:
            kwargs = self._create_kwargs()
            while True:
                try:
                    result = await self._async.chat.completions.create(**kwargs)
                    break
                except Exception as exc:
                    if (following := self._next_attempt(exc, kwargs)) is None:
                        raise
                    kwargs = following
        return _plain(result), usage

    @contextlib.contextmanager
    def _article(self, messages: list[dict[str, str]], context: GroundingContext, article_id: str,
                 prompt_id: str, content: str | None) -> Iterator[Usage]:
        """One article's call state: the length check, usage, retry log, grounding; errors translated."""
        s = self.settings
        prompt = with_schema_instruction(messages, s.output_mode, _cached_schema(ArticleSummary))
        check_length(sum(len(m.get("content") or "") for m in prompt), article_id=article_id, model=s.model,
                     max_tokens=s.max_tokens, context_window=s.context_window)
        usage = Usage()
        retried: list[str] = []
        # The grounding context reaches the validators through a context variable, not instructor's
        # ``context=``: instructor renders messages as Jinja templates whenever that is given, and an
        # article containing "{{" or "{%" must stay data.
        call = _Call(article_id, prompt_id, usage, self.secrets, content=content, prompt=prompt, conversation=prompt)
        tokens = _CALL.set(call), RETRY_LOG.set(retried), GROUNDING.set(context)
        try:
            yield usage
        except Exception as exc:
            error = translate(exc, article_id, usage, secrets=self.secrets)
            error.usage = usage
            raise error from exc
        finally:
            usage.retries = len(retried)
            _CALL.reset(tokens[0])
            RETRY_LOG.reset(tokens[1])
            GROUNDING.reset(tokens[2])

    def _next_attempt(self, exc: Exception, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """The arguments of the attempt after the failed one, or None when ``exc`` is final: a reask after
        an answer that failed validation (while the budget lasts), or a fresh conversation with a larger
        output budget, once, after a truncation."""
        call = _CALL.get()
        failed = _failed_answer(exc)
        if failed is not None:
            if call.reasks >= self.settings.max_reasks:
                return None
            call.reasks += 1
            call.conversation = [*call.prompt, *reask_messages(*failed)]
            return kwargs
        if call.grown or not any(isinstance(c, TruncatedOutputError) for c in causes(exc)):
            return None
        budget = larger_output_budget(self.settings.model, kwargs.get("max_tokens"))
        if budget is None:
            return None
        # A fresh conversation, with the larger budget and the whole reask budget.
        call.grown, call.reasks, call.conversation = True, 0, call.prompt
        return {**kwargs, "max_tokens": budget}

    def close(self) -> None:
        """Close the synchronous HTTP connections."""
        if self._sync is not None:
            self._sync.client.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the asynchronous HTTP connections (and the synchronous ones)."""
        self.close()
        if self._async is not None:
            await self._async.client.close()
            self._async = self._async_loop = None


def _plain(result: ArticleSummary) -> ArticleSummary:
    """The wire subclass as a plain ArticleSummary (no re-validation)."""
    return ArticleSummary.model_construct(**{name: getattr(result, name) for name in ArticleSummary.model_fields})


