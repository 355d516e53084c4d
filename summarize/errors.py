"""Every error summarize raises, under one root.

::

    SummarizeError                  anything this library raises on purpose
    ├── ArticleError                the input cannot be read as an article (empty, binary, undecodable, missing)
    │   ├── ArticleTooLongError     the article cannot fit the model's context window; not sent
    │   ├── DocumentError           a file in an output folder is not a usable output document
    │   └── GoldFormatError         a gold annotation file is malformed (names the file and the line)
    ├── ConfigurationError          settings are wrong or missing (no key for a live call, unknown mode, bad URL)
    ├── ProviderError               the model server or the network failed (HTTP status, timeout, connection)
    │   ├── AuthenticationError     the server rejected the credentials (401/403)
    │   ├── OutputModeError         the server rejected the output mode (every one tried, under auto); not retried
    │   ├── RateLimitedError        still rate limited (429) when the rate-limit wait ran out
    │   └── QuotaExceededError      the account's quota or credit is spent (429 insufficient_quota); not retried
    ├── RefusalError                the model refused to answer (a refusal, or a content-filter stop)
    ├── TruncatedOutputError        the answer was cut off by the output-token limit
    ├── InvalidOutputError          the answer stayed invalid after every reask
    │   └── RepetitiveOutputError   the model repeated the same item again and again (a loop) in every attempt
    ├── ReplayMissError             replay found no recorded exchange for a request
    ├── OutputError                 a file could not be written: the output folder, a summary or the ledger
    │   └── FixtureWriteError       an answer could not be recorded in the fixtures folder (it was still used)
    └── RunLockedError              another folder run is writing to the same output folder

Each error says what happened and what to do. Errors raised by openai, pydantic or httpx are
translated into these where they cross into this library (``raise ... from exc``), so the original is
always available as ``__cause__``. Each carries ``article_id`` when it concerns one article.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArticleError",
    "ArticleTooLongError",
    "AuthenticationError",
    "ConfigurationError",
    "DocumentError",
    "FixtureWriteError",
    "GoldFormatError",
    "InvalidOutputError",
    "OutputError",
    "OutputModeError",
    "ProviderError",
    "QuotaExceededError",
    "RateLimitedError",
    "RefusalError",
    "RepetitiveOutputError",
    "ReplayMissError",
    "RunLockedError",
    "SummarizeError",
    "TruncatedOutputError",
]


class SummarizeError(Exception):
    """The root of every error this library raises on purpose."""

    def __init__(self, message: str, *, article_id: str | None = None) -> None:
        super().__init__(message)
        self.article_id = article_id
        #: What the article cost before it failed (a :class:`summarize.core.usage.Usage`), when it reached the client.
        self.usage: Any = None

    @property
    def kind(self) -> str:
        """A short stable name for ledgers and tables, e.g. ``"replay_miss"``."""
        return _KINDS.get(type(self), type(self).__name__)


class ArticleError(SummarizeError):
    """The input cannot be read as an article."""


class ArticleTooLongError(ArticleError):
    """The article (with the prompt) cannot fit the model's context window: refused before it was sent, or
    refused by the server (a context overflow, :mod:`summarize.http.overflow`; never retried). ``prompt_tokens``
    and ``context_window`` are the numbers, when known."""

    def __init__(self, message: str, *, prompt_tokens: int | None = None, context_window: int | None = None,
                 article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.prompt_tokens = prompt_tokens
        self.context_window = context_window


class DocumentError(ArticleError):
    """A file is not a usable output document (:mod:`summarize.core.document`). ``corrupt`` is true when it is meant
    to be one (unreadable, or damaged) and false when it is some other file; ``path`` names it."""

    def __init__(self, message: str, *, path: str | None = None, corrupt: bool = True,
                 article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.path = path
        self.corrupt = corrupt


class GoldFormatError(ArticleError):
    """A gold annotation file (project JSON or brat standoff) is malformed. ``path`` and ``line`` say where."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 article_id: str | None = None) -> None:
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message, article_id=article_id)
        self.path = path
        self.line = line


class ConfigurationError(SummarizeError):
    """A setting is wrong or missing."""


class ProviderError(SummarizeError):
    """The model server or the network failed. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.status = status


class AuthenticationError(ProviderError):
    """The server rejected the credentials."""


class OutputModeError(ProviderError):
    """The server rejected how structured output was asked for (:mod:`summarize.http.rejection`): the output
    mode given, or, under ``auto``, every mode tried. ``modes_tried`` lists them, in order."""

    def __init__(self, message: str, *, modes_tried: list[str] | None = None, status: int | None = None,
                 article_id: str | None = None) -> None:
        super().__init__(message, status=status, article_id=article_id)
        self.modes_tried = modes_tried or []


class RateLimitedError(ProviderError):
    """The server kept answering 429 (rate limited) for longer than ``rate_limit_wait`` allows.

    A 429 never uses up an article's retries: the request waits and tries again until that budget of
    seconds is spent (see :mod:`summarize.http.network`).
    """


class QuotaExceededError(ProviderError):
    """The account has no quota or credit left (OpenAI's 429 ``insufficient_quota``).

    It arrives as a 429, like rate limiting, but waiting cannot help: it is not retried.
    """


class RefusalError(SummarizeError):
    """The model refused to produce the summary."""


class TruncatedOutputError(SummarizeError):
    """The answer was cut off by the output-token limit."""


class InvalidOutputError(SummarizeError):
    """The answer stayed invalid after every reask. ``problems`` lists the last validation messages."""

    def __init__(self, message: str, *, problems: list[str] | None = None, article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.problems = problems or []


class RepetitiveOutputError(InvalidOutputError):
    """The model repeated the same item again and again (a loop) in every attempt; ``problems`` says what it
    repeated (see :mod:`summarize.core.repetition`)."""


class ReplayMissError(SummarizeError):
    """Replay mode found no recorded exchange for a request. ``differences`` says how the nearest differs."""

    def __init__(self, message: str, *, differences: list[str] | None = None, article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.differences = differences or []


class OutputError(SummarizeError):
    """A file could not be written (folder not writable, disk full, file size limit). ``path`` names it.

    A folder run checks its output folder before the first request, and stops at the first summary or
    ledger line it cannot write: every later article would be paid for and lost the same way.
    """

    def __init__(self, message: str, *, path: str | None = None, article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.path = path


class FixtureWriteError(OutputError):
    """An answer could not be recorded in the fixtures folder. The answer itself was still used: in a
    run this is a warning on the article's ledger line, not a failure."""


class RunLockedError(SummarizeError):
    """Another folder run holds the output folder's lock. ``holder`` is what it wrote there (pid, host, start)."""

    def __init__(self, message: str, *, holder: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}


_KINDS = {
    SummarizeError: "error",
    ArticleError: "article",
    ArticleTooLongError: "too_long",
    DocumentError: "document",
    GoldFormatError: "gold",
    ConfigurationError: "configuration",
    ProviderError: "provider",
    AuthenticationError: "authentication",
    OutputModeError: "output_mode",
    RateLimitedError: "rate_limited",
    QuotaExceededError: "quota",
    RefusalError: "refusal",
    TruncatedOutputError: "truncated",
    InvalidOutputError: "invalid_output",
    RepetitiveOutputError: "repetitive",
    ReplayMissError: "replay_miss",
    OutputError: "output",
    FixtureWriteError: "fixture_write",
    RunLockedError: "locked",
}
