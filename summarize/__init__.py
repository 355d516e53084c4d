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

from ._compat import install as _install_moved_paths
from ._version import __version__

_install_moved_paths()  # old flat module paths (summarize.grounding...) warn and work until 0.2

TYPE_CHECKING = False  # typing is not imported at start-up: the command line's --help stays fast


_EXPORTS = {
    "Article": "core.articles",
    "ArticleError": "errors",
    "ArticleTooLongError": "errors",
    "ArticleSummary": "core.schema",
    "ArticleWarning": "core.articles",
    "AuthenticationError": "errors",
    "ConfigurationError": "errors",
    "DocumentError": "errors",
    "Dropped": "core.salvage",
    "Entity": "core.schema",
    "EntityType": "core.schema",
    "EvalReport": "evaluation.evalreport",
    "Event": "core.schema",
    "EventStatus": "core.schema",
    "EventType": "core.schema",
    "FixtureStore": "replay.fixtures",
    "FixtureTransport": "replay.fixtures",
    "FixtureWriteError": "errors",
    "GoldArticle": "evaluation.gold",
    "GoldFormatError": "errors",
    "InvalidOutputError": "errors",
    "MatchKind": "core.schema",
    "Mode": "replay.fixtures",
    "OutputDocument": "core.document",
    "OutputError": "errors",
    "OutputModeError": "errors",
    "OutputModeWarning": "core.negotiate",
    "PartialDate": "text.dates",
    "Precision": "core.schema",
    "ProviderError": "errors",
    "QuotaExceededError": "errors",
    "Quote": "core.schema",
    "QuoteKind": "core.schema",
    "RateLimitedError": "errors",
    "RefusalError": "errors",
    "RepetitiveOutputError": "errors",
    "Repair": "core.repair",
    "ReplayMissError": "errors",
    "RunLockedError": "errors",
    "Span": "core.schema",
    "SummarizeError": "errors",
    "Summarizer": "summarizer",
    "SummaryResult": "summarizer",
    "TimeRef": "core.schema",
    "TruncatedOutputError": "errors",
    "Usage": "core.usage",
    "WrittenSite": "views.report_files",
    "article_from_text": "core.articles",
    "build_timeline": "views.timeline",
    "id_path": "text.idpath",
    "load_article": "core.articles",
    "load_gold": "evaluation.gold",
    "load_documents": "views.timeline",
    "load_prompt": "core.prompting",
    "locate": "text.grounding",
    "model_schema": "core.schema",
    "normalize": "text.grounding",
    "read_document": "core.document",
    "timeline_markdown": "views.timeline",
    "write_report": "views.report",
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
    "Dropped",
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
    "OutputModeError",
    "OutputModeWarning",
    "PartialDate",
    "Precision",
    "ProviderError",
    "QuotaExceededError",
    "Quote",
    "QuoteKind",
    "RateLimitedError",
    "RefusalError",
    "Repair",
    "RepetitiveOutputError",
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
    from .core.articles import Article, ArticleWarning, article_from_text, load_article
    from .core.document import OutputDocument, read_document
    from .core.negotiate import OutputModeWarning
    from .core.prompting import load_prompt
    from .core.repair import Repair
    from .core.salvage import Dropped
    from .core.schema import (
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
    from .core.usage import Usage
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
        OutputModeError,
        ProviderError,
        QuotaExceededError,
        RateLimitedError,
        RefusalError,
        RepetitiveOutputError,
        ReplayMissError,
        RunLockedError,
        SummarizeError,
        TruncatedOutputError,
    )
    from .evaluation.evalreport import EvalReport
    from .evaluation.gold import GoldArticle, load_gold
    from .replay.fixtures import FixtureStore, FixtureTransport, Mode
    from .summarizer import Summarizer, SummaryResult
    from .text.dates import PartialDate
    from .text.grounding import locate, normalize
    from .text.idpath import id_path
    from .views.report import write_report
    from .views.report_files import WrittenSite
    from .views.timeline import build_timeline, load_documents, timeline_markdown
