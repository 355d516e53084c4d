"""The model client: the only module that imports ``openai`` and ``instructor``.

Terms:

- **attempt**: one HTTP request for one article. The first attempt and each reask are attempts; every
  one is counted, with its tokens, whether it succeeds or not.
- **reask**: after an answer fails validation (bad JSON, schema, ungrounded quotes), instructor sends
  the answer back with the validation messages and asks again, up to ``max_reasks`` times.
- **completion check**: before instructor parses an answer, :func:`_check_completion` turns a refusal,
  a content-filter stop, a truncated answer or an empty choice list into the matching typed error, so
  none of them is mistaken for a validation problem and reasked.

Every exception from openai, instructor or httpx is translated into :mod:`summarize.errors` as it
leaves this module (:mod:`summarize.translate`), with the credentials redacted (:mod:`summarize.redaction`):
the client's :class:`~summarize.redaction.Secrets` (key, base URL and proxy credentials) are handed to the
transport that receives answers, to the fixture store and to error translation.
The openai SDK's own retries are off (``max_retries=0``) so that retries never stack: transient
failures are retried once, below the fixture layer, by :class:`summarize.network.RetryTransport`.
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
from .fixtures import UNRECORDED, FixtureTransport, label_headers
from .limits import check_length, larger_output_budget
from .network import RETRY_LOG, RateLimiter, RetryPolicy, RetryTransport
from .redaction import RedactingTransport, Secrets, clip, redact_logs
from .schema import GROUNDING, ArticleSummary, GroundingContext, _cached_schema
from .translate import causes, translate

__all__ = ["ModelClient", "Usage"]

# instructor logs every failed attempt at ERROR level; this library reports failures itself, as typed
# errors. A NullHandler keeps Python's last-resort handler from printing them; an application that
# configures logging still receives them.
logging.getLogger("instructor").addHandler(logging.NullHandler())


_NO_KEY = "no-key-configured"  # the openai client insists on a key even where none is needed


@dataclass
class Usage:
    """Tokens and attempts spent on one article, failed attempts included.

    ``prompt_tokens`` / ``completion_tokens`` count every answer, replayed ones included (what the
    recorded model reported); ``live_*`` count only answers a server produced in this run, which is
    what costs money. ``retries`` counts transient failures retried below the attempts. ``warnings``
    lists what went wrong without failing the article (``{"kind", "message"}``, e.g. an answer that
    could not be recorded as a fixture).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    live_prompt_tokens: int = 0
    live_completion_tokens: int = 0
    attempts: int = 0
    replayed: int = 0
    retries: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)

    def add(self, completion: Any, replayed: bool) -> None:
        self.attempts += 1
        self.replayed += int(replayed)
        usage = getattr(completion, "usage", None)
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        self.prompt_tokens += prompt
        self.completion_tokens += completion_tokens
        if not replayed:
            self.live_prompt_tokens += prompt
            self.live_completion_tokens += completion_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def requests(self) -> int:
        """HTTP requests made for the article: attempts plus retried transient failures."""
        return self.attempts + self.retries


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

    instructor sends neither ``json_schema`` nor tools with ``"strict": true``, so for those two modes
    the whole ``response_format`` / ``tools`` field is set here (``extra_body`` replaces instructor's).
    """
    schema = _cached_schema(ArticleSummary)
    strict_format = {"type": "json_schema", "json_schema": {"name": "ArticleSummary", "strict": True, "schema": schema}}
    strict_tool = {"type": "function", "function": {"name": "ArticleSummary", "description": schema.get("description", ""),
                                                    "parameters": schema, "strict": True}}
    table: dict[str, tuple[str, dict[str, Any]]] = {
        "json_schema": ("JSON_SCHEMA", {"extra_body": {"response_format": strict_format}}),
        "tools": ("TOOLS", {"extra_body": {"tools": [strict_tool]}}),
        "json": ("JSON", {}),
        "md_json": ("MD_JSON", {}),
    }
    return table[output_mode]


def _labelled(kwargs: dict[str, Any], call: _Call) -> dict[str, Any]:
    """instructor's create() arguments with this attempt's label headers and a bounded conversation.

    Arguments that ``extra_body`` replaces (the strict ``response_format`` or ``tools``) are dropped
    rather than sent through openai's argument transformation, which walks the whole schema each time.
    Messages made only of strings travel in ``extra_body`` too: that transformation tries each of the
    message types of a union on every message (about 0.4 ms per request) and changes nothing in them
    (``tests/test_transport.py`` checks that the JSON sent is the same).
    """
    for key in kwargs.get("extra_body") or ():
        kwargs.pop(key, None)
    if isinstance(kwargs.get("messages"), list):
        kwargs["messages"] = messages = call.trimmed(kwargs["messages"])
        if all(isinstance(m, dict) and all(isinstance(v, str) for v in m.values()) for m in messages):
            kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), "messages": messages}
            kwargs["messages"] = []
    kwargs["extra_headers"] = {**kwargs.get("extra_headers", {}), **call.next_labels()}
    return kwargs


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

    ``initial`` is the number of messages of the prompt itself; ``seen`` how many instructor passed at
    the previous attempt. instructor appends each failed answer and its errors to the conversation;
    :meth:`trimmed` sends only the prompt and the latest of those, so reasks do not grow without bound.
    """

    article_id: str
    prompt_id: str
    usage: Usage
    secrets: Secrets
    initial: int = 0
    seen: int = 0
    grown: bool = False  # the output budget was already raised once after a truncation

    def next_labels(self) -> dict[str, str]:
        return label_headers(self.article_id, self.prompt_id, self.usage.attempts + 1)

    def trimmed(self, messages: list[Any]) -> list[Any]:
        n, seen = len(messages), max(self.seen, self.initial)
        self.seen = n
        return messages if seen <= self.initial or n <= seen else [*messages[: self.initial], *messages[seen:]]

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
        self.usage.add(completion, replayed=raw.headers.get("x-summarize-replayed") == "1")
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
        network = RetryTransport(self._inner, limiter=self.limiter, policy=RetryPolicy(attempts=s.retries + 1, budget=s.retry_budget, base=s.retry_backoff))
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

    def _create_kwargs(self, messages: list[dict[str, str]], context: GroundingContext) -> dict[str, Any]:
        s = self.settings
        _, extra = _request_options(s.output_mode)
        kwargs: dict[str, Any] = {
            "model": s.model,
            "messages": messages,
            "response_model": _wire_model(),
            "max_retries": s.max_reasks,
            **extra,
        }
        if s.temperature is not None:
            kwargs["temperature"] = s.temperature
        if s.max_tokens is not None:
            kwargs["max_tokens"] = s.max_tokens
        return kwargs

    # -- the two entry points -------------------------------------------------------------------
    def summarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                  prompt_id: str) -> tuple[ArticleSummary, Usage]:
        """One article's summary, validated and grounded against ``context``, and what it cost.

        Raises a :class:`~summarize.errors.SummarizeError` whose ``usage`` says what the failed
        article cost; an article too long for the model's context is refused before it is sent.
        """
        if self._sync is None:
            self._sync = self._instructor(is_async=False)
        with self._article(messages, context, article_id, prompt_id) as usage:
            kwargs = self._create_kwargs(messages, context)
            while True:
                try:
                    result = self._sync.chat.completions.create(**kwargs)
                    break
                except Exception as exc:
                    if (grown := self._grown(exc, kwargs)) is None:
                        raise
                    kwargs = grown
        return _plain(result), usage

    async def asummarize(self, messages: list[dict[str, str]], context: GroundingContext, *, article_id: str,
                         prompt_id: str) -> tuple[ArticleSummary, Usage]:
        """Async :meth:`summarize`."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:  # httpx async pools belong to one event loop
            self._async, self._async_loop = self._instructor(is_async=True), loop
        with self._article(messages, context, article_id, prompt_id) as usage:
            kwargs = self._create_kwargs(messages, context)
            while True:
                try:
                    result = await self._async.chat.completions.create(**kwargs)
                    break
                except Exception as exc:
                    if (grown := self._grown(exc, kwargs)) is None:
                        raise
                    kwargs = grown
        return _plain(result), usage

    @contextlib.contextmanager
    def _article(self, messages: list[dict[str, str]], context: GroundingContext, article_id: str,
                 prompt_id: str) -> Iterator[Usage]:
        """One article's call state: the length check, usage, retry log, grounding; errors translated."""
        s = self.settings
        check_length(sum(len(m.get("content") or "") for m in messages), article_id=article_id, model=s.model,
                     max_tokens=s.max_tokens, context_window=s.context_window)
        usage = Usage()
        retried: list[str] = []
        # The grounding context reaches the validators through a context variable, not instructor's
        # ``context=``: instructor renders messages as Jinja templates whenever that is given, and an
        # article containing "{{" or "{%" must stay data.
        call = _Call(article_id, prompt_id, usage, self.secrets, initial=len(messages))
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

    def _grown(self, exc: Exception, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """The arguments to try a truncated answer again with (a larger output budget, once), or None."""
        call = _CALL.get()
        if call.grown or not any(isinstance(c, TruncatedOutputError) for c in causes(exc)):
            return None
        budget = larger_output_budget(self.settings.model, kwargs.get("max_tokens"))
        if budget is None:
            return None
        call.grown, call.seen = True, call.initial  # a fresh conversation, with the larger budget
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


