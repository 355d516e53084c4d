"""The per-article pipeline: load, prompt, call, validate, ground.

Terms:

- **source**: what a caller hands in, said explicitly: an :class:`~summarize.core.articles.Article`
  (``Article.from_text(...)``, ``load_article(path)``), a :class:`pathlib.Path` (or any ``os.PathLike``)
  to an article file, ``path="..."`` as a keyword, or a ``str``, which is always the article's text
  (a ``str`` naming an existing file is still read from it, with a ``DeprecationWarning``, for one release).
- **result**: a :class:`SummaryResult`: the summary with the article it belongs to, what making it
  cost (attempts, tokens, seconds), the repairs made to the answer and the items dropped from it (a
  **partial** result: see :mod:`summarize.core.salvage`). :meth:`ArticleSummarizer.summarize` returns just
  the summary, partial or not; :meth:`ArticleSummarizer.run` says which (or pass ``strict=True``).
- **output document**: the JSON written for one article (:meth:`SummaryResult.to_document`, an
  :class:`~summarize.core.document.OutputDocument`): the article with its text, the summary and how it was
  made. Its fields, and the one rule for reading it back, are in :mod:`summarize.core.document`.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Self

import httpx

from summarize.core import defaults
from summarize.core.articles import Article, article_from_text, load_article
from summarize.core.client import ModelClient
from summarize.core.config import Settings
from summarize.core.document import DOCUMENT_FORMAT, ArticleBlock, OutputDocument, RemovedLine, RunBlock
from summarize.core.prompting import PromptTemplate, load_prompt
from summarize.core.repair import Repair
from summarize.core.salvage import Dropped, Reading
from summarize.core.schema import ArticleSummary, GroundingContext
from summarize.core.usage import Usage
from summarize.errors import ArticleError, ConfigurationError
from summarize.http.network import RateLimiter
from summarize.replay.fixtures import Mode
from summarize.text.idpath import id_path

if TYPE_CHECKING:
    from summarize.http.local import LocalEngine

__all__ = ["DOCUMENT_FORMAT", "ArticleSummarizer", "Source", "SummaryResult", "as_article"]


Source = Article | str | os.PathLike[str]


@dataclass(frozen=True)
class SummaryResult:
    """A summary with its article, its cost, the repairs made to the answer and the items dropped from it."""

    article: Article
    summary: ArticleSummary
    usage: Usage
    model: str
    prompt: str
    seconds: float
    repairs: list[Repair] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    accepted_attempt: int | None = None  # the attempt whose answer this is, when not the last

    @property
    def partial(self) -> bool:
        """Whether items of the answer were dropped (salvaged after the last reask)."""
        return bool(self.dropped)

    def to_document(self) -> OutputDocument:
        """The output document for this article (see :mod:`summarize.core.document`)."""
        a = self.article
        return OutputDocument(
            article=ArticleBlock(
                id=a.id, title=a.title, published=a.published.isoformat() if a.published else None,
                source_path=a.source_path, encoding=a.encoding, content_hash=a.content_hash, text=a.text,
                notes=list(a.notes), removed=[RemovedLine(**r.to_dict()) for r in a.removed],
                outlet=a.outlet, byline=a.byline, url=a.url, language=a.language,
            ),
            summary=self.summary.model_dump(mode="json"),
            run=RunBlock.of(self.model, self.prompt, self.usage, self.seconds, self.accepted_attempt),
            status="partial" if self.partial else "complete", repairs=list(self.repairs), dropped=list(self.dropped),
        )

    def write(self, folder: str | Path) -> Path:
        """Write the output document to ``folder/<article id>.json`` atomically (the id made a path by
        :func:`summarize.text.idpath.id_path`, so it never leaves ``folder``); returns the path."""
        path = Path(folder) / id_path(self.article.id, ".json")
        self.to_document().write(path)
        return path


class ArticleSummarizer:
    """Turns news articles into grounded :class:`~summarize.core.schema.ArticleSummary` objects, one at a time.

    Users construct :class:`summarize.Summarizer`, which is this class with folder runs added (folder runs
    live in :mod:`summarize.runs`, above this wing, so they are joined at the top level).

    Every argument is optional. ``model``, ``base_url`` and ``api_key`` default to ``SUMMARIZE_MODEL``,
    ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; ``fixtures`` to ``SUMMARIZE_FIXTURES`` or ``./fixtures``;
    ``mode`` to ``auto`` when a key or base URL is configured, else ``replay`` (offline). ``output_mode``
    picks how structure is requested (``auto``, the default, finds per server the first of ``json_schema``,
    ``tools``, ``json``, ``md_json`` it accepts: :mod:`summarize.core.negotiate`); ``max_reasks``
    bounds how often an invalid or ungrounded answer is sent back (after repair); when they are spent, the
    valid items of the answer are kept and the result is partial, unless ``strict`` (then the article fails);
    ``retries`` how often a transient failure
    (5xx, timeout) is retried, while a 429 waits and retries for up to ``rate_limit_wait`` seconds (default
    600) without using them up. ``max_tokens`` (a number, ``"auto"`` or ``"none"``) and ``timeout`` (seconds)
    default to an output budget and a timeout fitted to the server (:mod:`summarize.core.budget`). ``transport`` replaces the real HTTP
    transport under the fixture layer (tests pass a loopback or mock transport here).

    ``local`` (a GGUF model file) runs the model on this machine: llama.cpp's server starts in this process on
    a free loopback port (:class:`summarize.http.local.LocalEngine`, ``pip install 'summarize[local]'``) and
    is used like any server, fixtures and ledger included; ``model`` defaults to the file's name (the name
    its recordings replay under), ``context_window`` to the engine's context, and fixtures record the
    engine, its version and the model file's SHA-256. :meth:`close` stops the engine. ``stream`` (default: on
    with ``local``, off otherwise) asks answers as streams (:mod:`summarize.http.streaming`): a looping answer is
    stopped as it begins, and a request given up stops the server's work; fixtures are the same either way.
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        fixtures: str | Path | None = None,
        mode: Mode | str | None = None,
        output_mode: str | None = None,
        temperature: float | None = defaults.TEMPERATURE,
        max_tokens: int | str | None = None,
        max_reasks: int = defaults.MAX_REASKS,
        timeout: float | None = None,
        retries: int = defaults.RETRIES,
        retry_budget: float = defaults.RETRY_BUDGET,
        retry_backoff: float = defaults.RETRY_BACKOFF,
        rate_limit_wait: float = defaults.RATE_LIMIT_WAIT,
        rpm: float | None = None,
        tpm: float | None = None,
        context_window: int | None = None,
        strict: bool = False,
        prompt: PromptTemplate | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        local: str | os.PathLike[str] | None = None,
        stream: bool | None = None,
    ) -> None:
        self.engine: LocalEngine | None = None
        if local is not None:
            if base_url is not None:
                raise ConfigurationError("give either local= (a model file to run here) or base_url= (a server), "
                                         "not both")
            from summarize.http.local import LocalEngine  # only here: http.client and friends, for local runs

            self.engine = LocalEngine(local, context=context_window).start()
            base_url, model = self.engine.base_url, model or self.engine.model_name
            context_window = self.engine.context
        self.settings = Settings.resolve(
            model=model, base_url=base_url, api_key=api_key, fixtures=fixtures, mode=mode, output_mode=output_mode,
            temperature=temperature, max_tokens=max_tokens, max_reasks=max_reasks, timeout=timeout,
            retries=retries, retry_budget=retry_budget, retry_backoff=retry_backoff, rate_limit_wait=rate_limit_wait,
            rpm=rpm, tpm=tpm,
            context_window=context_window, strict=strict, stream=local is not None if stream is None else stream,
        )
        self.prompt = prompt or load_prompt()
        self._client = ModelClient(self.settings, transport)
        if self.engine is not None:
            self._client.served_by = self.engine.describe()

    @classmethod
    def from_settings(cls, settings: Settings, prompt: PromptTemplate | None = None,
                      transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None) -> Self:
        """A Summarizer with already resolved :class:`~summarize.core.config.Settings` (used by worker processes)."""
        self = cls.__new__(cls)
        self.settings = settings
        self.prompt = prompt or load_prompt()
        self._client = ModelClient(settings, transport)
        self.engine = None
        return self

    def __repr__(self) -> str:
        s = self.settings
        return f"{type(self).__name__}(model={s.model!r}, mode={s.mode.value!r}, fixtures={str(s.fixtures)!r}, prompt={self.prompt.id!r})"

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter every request of this Summarizer shares (budgets, and pauses after 429s)."""
        return self._client.limiter

    def summarize(self, source: Source | None = None, *, path: str | os.PathLike[str] | None = None) -> ArticleSummary:
        """Summarize one article: an :class:`~summarize.core.articles.Article`, a :class:`pathlib.Path` to an
        article file, or a ``str`` that is the article's text; ``path=`` names a file as a string."""
        return self.run(source, path=path).summary

    async def asummarize(self, source: Source | None = None, *,
                         path: str | os.PathLike[str] | None = None) -> ArticleSummary:
        """Async :meth:`summarize`."""
        return (await self.arun(source, path=path)).summary

    def run(self, source: Source | None = None, *, path: str | os.PathLike[str] | None = None) -> SummaryResult:
        """Summarize one article (as :meth:`summarize` takes it) and return the summary with its article and cost."""
        article = as_article(source, path=path)
        started = time.perf_counter()
        reading, usage = self._client.summarize(*self._request(article), article_id=article.id,
                                                prompt_id=self.prompt.id, content=article.content_hash)
        return self._result(article, reading, usage, started)

    async def arun(self, source: Source | None = None, *, path: str | os.PathLike[str] | None = None) -> SummaryResult:
        """Async :meth:`run`."""
        article = as_article(source, path=path)
        started = time.perf_counter()
        reading, usage = await self._client.asummarize(*self._request(article), article_id=article.id,
                                                       prompt_id=self.prompt.id, content=article.content_hash)
        return self._result(article, reading, usage, started)

    def close(self) -> None:
        """Release HTTP connections (and stop the local engine, if any)."""
        self._client.close()
        self._stop_engine()

    async def aclose(self) -> None:
        """Release HTTP connections, async ones included (and stop the local engine, if any)."""
        await self._client.aclose()
        self._stop_engine()

    def _stop_engine(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, article: Article) -> tuple[list[dict[str, str]], GroundingContext]:
        return self.prompt.messages(article), GroundingContext(text=article.text, published=article.published)

    def _result(self, article: Article, reading: Reading, usage: Usage, started: float) -> SummaryResult:
        return SummaryResult(article=article, summary=reading.summary, usage=usage, model=self.settings.model,
                             prompt=self.prompt.id, seconds=time.perf_counter() - started,
                             repairs=list(reading.repairs), dropped=list(reading.dropped),
                             accepted_attempt=reading.attempt if 0 < reading.attempt < usage.attempts else None)


def as_article(source: Source | None = None, *, path: str | os.PathLike[str] | None = None) -> Article:
    """The Article a caller means (see "source" in the module docstring): ``path=`` or a
    :class:`os.PathLike` is a file to load, an :class:`Article` is itself, and a ``str`` is the article's text.

    A ``str`` that names an existing file is still loaded from it, with a :class:`DeprecationWarning`
    (for one release: earlier versions guessed whether a string was a path or text).
    """
    if path is not None:
        if source is not None:
            raise ConfigurationError("Pass the article or path=, not both.")
        return load_article(Path(path))
    if isinstance(source, Article):
        return source
    if isinstance(source, os.PathLike):
        return load_article(Path(source))
    if not isinstance(source, str):
        raise ArticleError(f"Cannot summarize a {type(source).__name__}; pass an Article, a pathlib.Path, path=..., "
                           "or the article's text as a str.")
    if _names_a_file(source):
        warnings.warn(
            f"{source!r} is read as the path of an article file. A str is the article's text from the next "
            "release on: pass pathlib.Path(...) or path=... for a file.", DeprecationWarning, stacklevel=_outside())
        return load_article(source)
    return article_from_text(source)


def _outside() -> int:
    """The ``stacklevel`` that points a warning raised by our caller at the first frame outside this package."""
    package, level = os.path.dirname(__file__), 2
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _names_a_file(text: str) -> bool:
    """Whether ``text`` is, as it stands, the name of an existing file (what older versions took as a path)."""
    if "\n" in text or "\x00" in text or len(text) >= 1024:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False
