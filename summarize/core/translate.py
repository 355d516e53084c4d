"""Translating what openai, pydantic and httpx raise into :mod:`summarize.errors`.

The most specific cause wins: an error this library raised itself (a refusal, a truncation, a replay
miss), then a context overflow (:mod:`summarize.http.overflow`: the article is too long for the server's
context, whatever the status), then an HTTP status (with advice for 400, 401, 403, 404, 429 and 5xx; a 429 is either rate limiting
or, as OpenAI's ``insufficient_quota``, a spent quota: :func:`quota_exhausted`), a timeout or a failed
connection, then a validation failure (the answer stayed invalid after every reask). Every message is
redacted (:mod:`summarize.http.redaction`): a server may echo the request, key included. What the server
said is redacted before it is clipped, never after: a clip through a secret would leave its first part.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from summarize.core.reask import validation_problems
from summarize.errors import (
    ArticleTooLongError,
    AuthenticationError,
    InvalidOutputError,
    ProviderError,
    QuotaExceededError,
    RateLimitedError,
    SummarizeError,
)
from summarize.http.network import RATE_LIMIT_WAITED, quota_exhausted
from summarize.http.overflow import Overflow, context_overflow
from summarize.http.redaction import Secrets, clip

if TYPE_CHECKING:
    from summarize.core.usage import Usage

__all__ = ["RATE_LIMIT_WAITED", "causes", "quota_exhausted", "translate"]

def causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during, outermost first."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def translate(exc: Exception, article_id: str, usage: Usage, *, secrets: Secrets | None = None) -> SummarizeError:
    """The most specific :class:`SummarizeError` for an exception from the client stack, with ``secrets``
    and anything that looks like a credential removed from its message (servers and proxies sometimes
    echo the request)."""
    secrets = secrets or Secrets()
    error = _most_specific(exc, article_id, usage, secrets)
    clean = secrets.redact(str(error))
    if clean != str(error):
        error.args = (clean, *error.args[1:])
    return error


def _most_specific(exc: Exception, article_id: str, usage: Usage, secrets: Secrets) -> SummarizeError:
    import openai
    from pydantic import ValidationError

    chain = causes(exc)
    for cause in chain:
        if isinstance(cause, SummarizeError):
            cause.article_id = cause.article_id or article_id
            return cause
    for cause in chain:
        if isinstance(cause, openai.APIStatusError):
            return _from_status(cause, article_id, secrets)
        if isinstance(cause, openai.APITimeoutError):
            return ProviderError("The request timed out. The server may be overloaded; try again or raise the timeout.", article_id=article_id)
        if isinstance(cause, openai.APIConnectionError):
            # openai says only "Connection error."; the transport's own error says to what and why
            detail = next((str(c) for c in chain if isinstance(c, httpx.TransportError) and str(c)), str(cause))
            return ProviderError(f"Could not connect to the model server{_at(cause)}: {detail.rstrip('.')}. "
                                 "Check the base URL and the network.", article_id=article_id)
    for cause in chain:
        if isinstance(cause, (ValidationError, json.JSONDecodeError)):
            problems = validation_problems(cause)
            return InvalidOutputError(
                f"The answer stayed invalid after {usage.attempts} attempt(s): " + "; ".join(problems[:5])
                + ". Raise max_reasks, try a stronger model, or inspect the recorded exchanges.",
                problems=problems, article_id=article_id,
            )
    return ProviderError(f"Unexpected failure from the model client: {type(exc).__name__}: {exc}", article_id=article_id)


def _from_status(exc: Any, article_id: str, secrets: Secrets) -> SummarizeError:
    status = exc.status_code
    detail = _server_message(exc, secrets)
    response = getattr(exc, "response", None)
    if isinstance(response, httpx.Response) and (overflow := context_overflow(status, response.content)) is not None:
        return _too_long(overflow, detail, article_id)
    if status == 429:
        return _from_429(exc, detail, article_id)
    advice = {
        401: "The server rejected the API key: check OPENAI_API_KEY.",
        403: "The key is not allowed to use this model or endpoint.",
        404: "Not found: check the model name and the base URL (it usually ends in /v1).",
        400: "The server rejected the request: it may not support this output mode (try --output-mode json) or this model.",
    }.get(status, "The model server failed; try again later." if status >= 500 else "The server refused the request.")
    cls = AuthenticationError if status in (401, 403) else ProviderError
    return cls(f"HTTP {status}: {advice}" + (f" Server said: {detail}" if detail else ""), status=status, article_id=article_id)


def _too_long(overflow: Overflow, detail: str, article_id: str) -> ArticleTooLongError:
    """A context overflow (:mod:`summarize.http.overflow`) as the article being too long, with what to do."""
    counted = (f": the server counted {overflow.prompt:,} tokens against a context of {overflow.context:,}"
               if overflow.prompt is not None and overflow.context is not None else "")
    return ArticleTooLongError(
        f"HTTP {overflow.status}: the article with the prompt does not fit the model's context{counted}. It was not "
        "retried (the same request fails again). With --local, raise --context-window (context_window=), the "
        "engine's context per request; for a server of your own, give it a larger context (llama.cpp: --ctx-size) "
        "and pass that number as --context-window, so that longer articles are refused before they are sent; "
        "or use a model with a larger context." + (f" Server said: {detail}" if detail else ""),
        prompt_tokens=overflow.prompt, context_window=overflow.context, article_id=article_id)


def _server_message(exc: Any, secrets: Secrets) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    msg = body.get("message") if isinstance(body, dict) else None
    return clip(str(msg), 300, secrets) if msg else ""


def _at(error: Any) -> str:
    """`` at <scheme://host:port>`` of the request an error is about, or nothing."""
    try:
        url = error.request.url
    except (AttributeError, RuntimeError):
        return ""
    return f" at {url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


def _from_429(exc: Any, detail: str, article_id: str) -> SummarizeError:
    said = f" Server said: {detail}" if detail else ""
    if quota_exhausted(getattr(exc, "body", None)):
        return QuotaExceededError(
            "HTTP 429 insufficient_quota: the account behind this API key has no quota or credit left. This is "
            "billing, not speed, so it was not retried: check the plan and billing details of the key's account "
            "(for OpenAI, https://platform.openai.com/settings/organization/billing), then run again to resume." + said,
            status=429, article_id=article_id)
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    waited, asked = headers.get(RATE_LIMIT_WAITED), headers.get("retry-after")
    how_long = f" after waiting {waited} s" if waited is not None else ""
    # A number of seconds or an HTTP date; anything longer is not a Retry-After value worth repeating.
    more = f" (it asked for Retry-After: {asked.strip()} more)" if asked and len(asked) <= 40 else ""
    return RateLimitedError(
        f"HTTP 429: the server was still rate limiting this request{how_long}{more}, the most the rate-limit wait "
        "allows (rate_limit_wait, --rate-limit-wait). Lower --concurrency or set --rpm/--tpm below "
        "your account's limits, or raise --rate-limit-wait; then run again to resume." + said,
        status=429, article_id=article_id)
