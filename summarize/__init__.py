"""summarize: typed, validated, source-grounded structured summaries of news articles.

Quick start::

    from summarize import Summarizer
    summary = Summarizer().summarize(path="seeds/000_1be79f4858f8214c.txt")
    for quote in summary.quotes:
        print(quote.speaker, quote.text, quote.span)

Names are imported lazily, so ``import summarize`` (and the command line's start-up) stays fast until
a name is used. The modules: ``schema`` (the result's models), ``articles`` (reading files),
``prompting`` (templates), ``grounding`` (``locate``), ``fixtures`` (record/replay transport),
``client`` (openai, answers read by ``adapter``), ``pipeline`` (``Summarizer``), ``timeline`` (one timeline and who
said what across summaries), ``errors``, ``cli``.
``client`` (openai, answers read by ``adapter``), ``pipeline`` (``Summarizer``), ``report`` (``write_report``: the HTML
report), ``errors``, ``cli``.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing is not imported at start-up: the command line's --help stays fast

__version__ = "0.1.0"

_EXPORTS = {
    "Article": "articles",
    "ArticleError": "errors",
    "ArticleTooLongError": "errors",
    "ArticleSummary": "schema",
    "ArticleWarning": "articles",
    "AuthenticationError": "errors",
    "ConfigurationError": "errors",
    "DocumentError": "errors",
    "Entity": "schema",
    "EntityType": "schema",
    "EvalReport": "evalreport",
    "Event": "schema",
    "EventStatus": "schema",
    "EventType": "schema",
    "FixtureStore": "fixtures",
    "FixtureTransport": "fixtures",
    "FixtureWriteError": "errors",
    "GoldArticle": "gold",
    "GoldFormatError": "errors",
    "InvalidOutputError": "errors",
    "MatchKind": "schema",
    "Mode": "fixtures",
    "OutputDocument": "document",
    "OutputError": "errors",
    "PartialDate": "dates",
    "Precision": "schema",
    "ProviderError": "errors",
    "QuotaExceededError": "errors",
    "Quote": "schema",
    "QuoteKind": "schema",
    "RateLimitedError": "errors",
    "RefusalError": "errors",
    "ReplayMissError": "errors",
    "RunLockedError": "errors",
    "Span": "schema",
    "SummarizeError": "errors",
    "Summarizer": "pipeline",
    "SummaryResult": "pipeline",
    "TimeRef": "schema",
    "TruncatedOutputError": "errors",
    "Usage": "usage",
    "WrittenSite": "report_files",
    "article_from_text": "articles",
    "build_timeline": "timeline",
    "id_path": "idpath",
    "load_article": "articles",
    "load_gold": "gold",
    "load_documents": "timeline",
    "load_prompt": "prompting",
    "locate": "grounding",
    "model_schema": "schema",
    "normalize": "grounding",
    "read_document": "document",
    "timeline_markdown": "timeline",
    "write_report": "report",
}

__all__ = [
    "Article",
    "ArticleError",
    "ArticleSummary",
    "ArticleTooLongError",
    "ArticleWarning",
    "AuthenticationError",
    "ConfigurationError",
    "DocumentError",
    "Entity",
    "EntityType",
    "EvalReport",
    "Event",
    "EventStatus",
    "EventType",
    "FixtureStore",
    "FixtureTransport",
    "FixtureWriteError",
    "GoldArticle",
    "GoldFormatError",
    "InvalidOutputError",
    "MatchKind",
    "Mode",
    "OutputDocument",
    "OutputError",
    "PartialDate",
    "Precision",
    "ProviderError",
    "QuotaExceededError",
    "Quote",
    "QuoteKind",
    "RateLimitedError",
    "RefusalError",
    "ReplayMissError",
    "RunLockedError",
    "Span",
    "SummarizeError",
    "Summarizer",
    "SummaryResult",
    "TimeRef",
    "TruncatedOutputError",
    "Usage",
    "WrittenSite",
    "__version__",
    "article_from_text",
    "build_timeline",
    "id_path",
    "load_article",
    "load_documents",
    "load_gold",
    "load_prompt",
    "locate",
    "model_schema",
    "normalize",
    "read_document",
    "timeline_markdown",
    "write_report",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .articles import Article, ArticleWarning, article_from_text, load_article
    from .dates import PartialDate
    from .document import OutputDocument, read_document
    from .errors import (
        ArticleError,
        ArticleTooLongError,
        AuthenticationError,
        ConfigurationError,
        DocumentError,
        FixtureWriteError,
        GoldFormatError,
        InvalidOutputError,
        OutputError,
        ProviderError,
        QuotaExceededError,
        RateLimitedError,
        RefusalError,
        ReplayMissError,
        RunLockedError,
        SummarizeError,
        TruncatedOutputError,
    )
    from .evalreport import EvalReport
    from .fixtures import FixtureStore, FixtureTransport, Mode
    from .gold import GoldArticle, load_gold
    from .grounding import locate, normalize
    from .idpath import id_path
    from .pipeline import Summarizer, SummaryResult
    from .prompting import load_prompt
    from .report import write_report
    from .report_files import WrittenSite
    from .schema import (
        ArticleSummary,
        Entity,
        EntityType,
        Event,
        EventStatus,
        EventType,
        MatchKind,
        Precision,
        Quote,
        QuoteKind,
        Span,
        TimeRef,
        model_schema,
    )
    from .timeline import build_timeline, load_documents, timeline_markdown
    from .usage import Usage
