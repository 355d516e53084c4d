"""The Summarizer: load, prompt, call, validate, ground.

Terms:

- **source**: what a caller hands in: an :class:`~summarize.articles.Article`, a path to an article
  file, or the raw text of an article.
- **result**: a :class:`SummaryResult`: the summary with the article it belongs to and what making it
  cost (attempts, tokens, seconds). :meth:`Summarizer.summarize` returns just the summary.
- **output document**: the JSON written for one article (:meth:`SummaryResult.to_document`): the
  article (with its text, so spans can be checked and shown without the source file; its ``notes``, such
  as an unreadable date; and the boilerplate lines ``removed`` from its end, each ``{"text", "reason"}``),
  the summary and how it was made. Versioned by ``"format"``; fields added since are optional to readers.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import httpx

from .articles import Article, article_from_text, load_article
from .client import ModelClient, Usage
from .config import Settings
from .errors import ArticleError
from .files import write_json_atomic
from .fixtures import Mode
from .idpath import id_path
from .network import RateLimiter
from .prompting import PromptTemplate, load_prompt
from .schema import ArticleSummary, GroundingContext

if TYPE_CHECKING:
    from .batch import FolderReport

__all__ = ["DOCUMENT_FORMAT", "Source", "Summarizer", "SummaryResult"]

#: Version of the output document written per article.
DOCUMENT_FORMAT = 1
_PATH_SUFFIXES = (".txt", ".md", ".text", ".json", ".jsonl", ".html", ".htm")

Source = Article | str | os.PathLike[str]


@dataclass(frozen=True)
class SummaryResult:
    """A summary with its article and its cost."""

    article: Article
    summary: ArticleSummary
    usage: Usage
    model: str
    prompt: str
    seconds: float

    def to_document(self) -> dict[str, Any]:
        """The output document for this article (see the module docstring)."""
        a = self.article
        return {
            "format": DOCUMENT_FORMAT,
            "article": {
                "id": a.id,
                "title": a.title,
                "published": a.published.isoformat() if a.published else None,
                "source_path": a.source_path,
                "encoding": a.encoding,
                "content_hash": a.content_hash,
                "text": a.text,
                # Added in place (format 1 still): readers treat a missing list as empty.
                "notes": list(a.notes),
                "removed": [r.to_dict() for r in a.removed],
            },
            "summary": self.summary.model_dump(mode="json"),
            "run": {
                "model": self.model,
                "prompt": self.prompt,
                "attempts": self.usage.attempts,
                "replayed": self.usage.replayed,
                "retries": self.usage.retries,
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "seconds": round(self.seconds, 4),
            },
        }

    def write(self, folder: str | Path) -> Path:
        """Write the output document to ``folder/<article id>.json`` atomically (the id made a path by
        :func:`summarize.idpath.id_path`, so it never leaves ``folder``); returns the path."""
        path = Path(folder) / id_path(self.article.id, ".json")
        write_json_atomic(path, self.to_document())
        return path


class Summarizer:
    """Turns news articles into grounded :class:`~summarize.schema.ArticleSummary` objects.

    Every argument is optional. ``model``, ``base_url`` and ``api_key`` default to ``SUMMARIZE_MODEL``,
    ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; ``fixtures`` to ``SUMMARIZE_FIXTURES`` or ``./fixtures``;
    ``mode`` to ``auto`` when a key or base URL is configured, else ``replay`` (offline). ``output_mode``
    picks how structure is requested (``json_schema``, ``tools``, ``json``, ``md_json``); ``max_reasks``
    bounds how often an invalid or ungrounded answer is sent back. ``transport`` replaces the real HTTP
    transport under the fixture layer (tests pass a loopback or mock transport here).
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
        temperature: float | None = 0.0,
        max_tokens: int | None = None,
        max_reasks: int = 2,
        timeout: float = 120.0,
        retries: int = 5,
        retry_budget: float = 300.0,
        retry_backoff: float = 0.5,
        rpm: float | None = None,
        tpm: float | None = None,
        context_window: int | None = None,
        prompt: PromptTemplate | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = Settings.resolve(
            model=model, base_url=base_url, api_key=api_key, fixtures=fixtures, mode=mode, output_mode=output_mode,
            temperature=temperature, max_tokens=max_tokens, max_reasks=max_reasks, timeout=timeout,
            retries=retries, retry_budget=retry_budget, retry_backoff=retry_backoff, rpm=rpm, tpm=tpm,
            context_window=context_window,
        )
        self.prompt = prompt or load_prompt()
        self._client = ModelClient(self.settings, transport)

    @classmethod
    def from_settings(cls, settings: Settings, prompt: PromptTemplate | None = None,
                      transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None) -> Summarizer:
        """A Summarizer with already resolved :class:`~summarize.config.Settings` (used by worker processes)."""
        self = cls.__new__(cls)
        self.settings = settings
        self.prompt = prompt or load_prompt()
        self._client = ModelClient(settings, transport)
        return self

    def __repr__(self) -> str:
        s = self.settings
        return f"Summarizer(model={s.model!r}, mode={s.mode.value!r}, fixtures={str(s.fixtures)!r}, prompt={self.prompt.id!r})"

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter every request of this Summarizer shares (budgets, and pauses after 429s)."""
        return self._client.limiter

    def summarize(self, source: Source) -> ArticleSummary:
        """Summarize one article (an Article, a file path or raw text)."""
        return self.run(source).summary

    async def asummarize(self, source: Source) -> ArticleSummary:
        """Async :meth:`summarize`."""
        return (await self.arun(source)).summary

    def run(self, source: Source) -> SummaryResult:
        """Summarize one article and return the summary with its article and cost."""
        article = as_article(source)
        started = time.perf_counter()
        summary, usage = self._client.summarize(*self._request(article), article_id=article.id, prompt_id=self.prompt.id)
        return self._result(article, summary, usage, started)

    async def arun(self, source: Source) -> SummaryResult:
        """Async :meth:`run`."""
        article = as_article(source)
        started = time.perf_counter()
        summary, usage = await self._client.asummarize(*self._request(article), article_id=article.id, prompt_id=self.prompt.id)
        return self._result(article, summary, usage, started)

    def summarize_folder(self, sources: str | os.PathLike[str] | list[Any], out: str | Path,
                         **options: Any) -> FolderReport:
        """Summarize every article under ``sources`` (files or folders) into ``out``.

        Runs ``concurrency`` articles at a time (default 8), writes each summary atomically as soon as it
        is done, records every outcome in ``out/ledger.jsonl``, skips what an earlier run already did
        (``resume=True``) and never stops for one article's failure. Options: ``glob``, ``concurrency``,
        ``resume``, ``prices``, ``progress``, ``workers`` (processes, default 1), ``wait`` (for another run
        holding ``out``, instead of raising :class:`~summarize.errors.RunLockedError`). Raises
        :class:`~summarize.errors.OutputError` when ``out`` cannot be written. See :mod:`summarize.batch`.
        """
        return asyncio.run(self.asummarize_folder(sources, out, **options))

    async def asummarize_folder(self, sources: str | os.PathLike[str] | list[Any], out: str | Path,
                                **options: Any) -> FolderReport:
        """Async :meth:`summarize_folder`."""
        from .batch import arun_folder

        listed = sources if isinstance(sources, list) else [sources]
        try:
            return await arun_folder(self, listed, out, **options)
        finally:
            await self.aclose()

    def close(self) -> None:
        """Release HTTP connections."""
        self._client.close()

    async def aclose(self) -> None:
        """Release HTTP connections, async ones included."""
        await self._client.aclose()

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

    def _result(self, article: Article, summary: ArticleSummary, usage: Usage, started: float) -> SummaryResult:
        return SummaryResult(article=article, summary=summary, usage=usage, model=self.settings.model,
                             prompt=self.prompt.id, seconds=time.perf_counter() - started)


def as_article(source: Source) -> Article:
    """An Article from any :data:`Source`. A string that looks like a file path must name an existing file."""
    if isinstance(source, Article):
        return source
    if isinstance(source, os.PathLike):
        return load_article(source)
    if not isinstance(source, str):
        raise ArticleError(f"Cannot summarize a {type(source).__name__}; pass an Article, a path or the article's text.")
    looks_like_path = "\n" not in source and len(source) < 1024 and (
        source.lower().endswith(_PATH_SUFFIXES) or os.sep in source
    )
    if looks_like_path or ("\n" not in source and len(source) < 1024 and Path(source).is_file()):
        return load_article(source)
    return article_from_text(source)
