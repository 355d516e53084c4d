"""The public :class:`Summarizer`: the per-article pipeline of :mod:`summarize.core.pipeline` with folder runs.

Folder runs (:mod:`summarize.runs.folder`) drive the per-article pipeline, so they sit in a wing above
:mod:`summarize.core`; the two are joined here, at the top level, where the public API may import every
wing. ``summarize.pipeline``, the old path, names this module for one release.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from summarize.core.pipeline import DOCUMENT_FORMAT, ArticleSummarizer, Source, SummaryResult, as_article
from summarize.runs.folder import DEFAULT_CONCURRENCY, FolderReport, arun_folder

__all__ = ["DOCUMENT_FORMAT", "ArticleSummarizer", "Source", "Summarizer", "SummaryResult", "as_article"]


class Summarizer(ArticleSummarizer):
    __doc__ = (ArticleSummarizer.__doc__ or "").split("\n\n    Users construct")[0] + """

    ``summarize``/``run`` (and their async forms) take one article; ``summarize_folder`` a folder of them.
    """

    def summarize_folder(self, sources: str | os.PathLike[str] | list[Any], out: str | Path,
                         **options: Any) -> FolderReport:
        """Summarize every article under ``sources`` (files or folders) into ``out``.

        Runs ``concurrency`` articles at a time (default 8; with a local engine, the requests it serves at once), writes each summary atomically as soon as it
        is done, records every outcome in ``out/ledger.jsonl``, skips what an earlier run already did
        (``resume=True``) and never stops for one article's failure. Options: ``glob``, ``concurrency``,
        ``resume``, ``prices``, ``progress``, ``wait`` (for another run
        holding ``out``, instead of raising :class:`~summarize.errors.RunLockedError`). Raises
        :class:`~summarize.errors.OutputError` when ``out`` cannot be written. See :mod:`summarize.runs.folder`.
        """
        return asyncio.run(self.asummarize_folder(sources, out, **options))

    async def asummarize_folder(self, sources: str | os.PathLike[str] | list[Any], out: str | Path,
                                **options: Any) -> FolderReport:
        """Async :meth:`summarize_folder`."""
        listed = sources if isinstance(sources, list) else [sources]
        if options.get("concurrency") is None:  # a local engine serves its slots; more would queue and time out
            options["concurrency"] = self.engine.parallel if self.engine is not None else DEFAULT_CONCURRENCY
        try:
            return await arun_folder(self, listed, out, **options)
        finally:
            await self.aclose()
