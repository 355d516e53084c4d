"""Folder runs: many articles, bounded concurrency, a ledger, resume and progress.

Terms:

- **folder run**: summarizing every article under some sources (see :func:`summarize.core.articles.iter_articles`)
  into an output folder ``OUT``: one document per article at ``OUT/<article id>.json`` (the id made a
  path by :func:`summarize.text.idpath.id_path`), written
  atomically as soon as it is done, and a line in the ledger (:mod:`summarize.core.ledger`) per outcome.
- **workers**: coroutines taking articles from a small queue that a producer fills while it walks the
  sources, so memory stays flat however many articles there are. ``concurrency`` bounds the requests
  in flight (the in-flight gate of :mod:`summarize.http.network`); twice as many articles are in progress,
  so that the next requests are ready to go while answers are being validated. All in one process and
  one event loop: a run waits on the server, not on this process's CPU (bench/README.md: 1,024 articles,
  1 s latency, 128 in flight took 1.07-1.25 × the ideal in one process and 1.10-1.38 × over two
  processes, which also spent more CPU per article), so the multi-process pool of 0.1 was removed;
  the ``workers`` option is accepted and ignored, with a warning, until 0.2 (:data:`WORKERS_IGNORED`).
- **outcome**: ``done`` (summarized now; ``replayed`` when every attempt came from fixtures),
  ``partial`` (summarized now, with items of the answer dropped after the last reask: see
  :mod:`summarize.core.salvage`), ``skipped`` (done before with the same content and configuration: see
  resume), or ``failed`` with a typed error. An article's failure never stops the run; an outcome can also carry ``warnings`` (an
  answer that was used but could not be recorded as a fixture).
- **the output folder**: checked writable before the first request, and locked for the run, so that a
  second run on the same ``OUT`` says who holds it and stops, or waits (see :mod:`summarize.runs.outfolder`).
  A summary or ledger line that cannot be written (disk full, file size limit) stops the run with an
  :class:`~summarize.errors.OutputError`: every later article would be paid for and lost the same way.
- **failures in memory**: the report keeps counts per error kind and the first :data:`FAILURES_KEPT`
  failures; every failure is in the ledger, so memory does not grow with the number of failures.
- **resume**: running the same command again skips what is done and retries what failed. A partial
  document counts as done: its answer was paid for, and asking again would most likely pay for the same
  faults; a ``strict`` run (``--strict``) redoes it, since strict accepts only complete documents (and
  ``--no-resume`` redoes everything). An
  interrupted run (Ctrl-C, a crash, ``kill -9``) leaves only whole files: outputs are renamed into
  place, ledger lines written in one call. A temporary file that a ``kill -9`` left behind
  (``.<name>.json.<random>.tmp``) is removed when the next run starts.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from summarize.core import defaults
from summarize.core.articles import Article, count_articles, iter_articles
from summarize.core.bounds import COUNT
from summarize.core.document import DOCUMENT_FORMAT, read_document
from summarize.core.ledger import Ledger, estimate_cost, fingerprint
from summarize.errors import ArticleError, ConfigurationError, DocumentError, OutputError, SummarizeError
from summarize.http.network import IN_FLIGHT
from summarize.http.streaming import RECEIVING
from summarize.runs.outfolder import check_writable, locked
from summarize.text.idpath import id_path

if TYPE_CHECKING:
    from summarize.core.pipeline import ArticleSummarizer
    from summarize.core.usage import Usage

__all__ = ["DEFAULT_CONCURRENCY", "FAILURES_KEPT", "WORKERS_IGNORED", "FolderReport", "Progress", "arun_folder"]

#: Requests in flight by default (see :data:`summarize.core.defaults.CONCURRENCY`).
DEFAULT_CONCURRENCY = defaults.CONCURRENCY
_ROWS_KEPT = 200
#: Failures a :class:`FolderReport` keeps in memory (the first ones); the ledger has them all.
FAILURES_KEPT = 20
_OUTPUT_KIND = OutputError("").kind  # the ledger's "error" of a summary that could not be written
#: What a run says when given ``workers`` (the CLI's ``--workers``): accepted and ignored until 0.2, then removed.
WORKERS_IGNORED = ("workers is deprecated and ignored: a folder run is one process, which keeps as many requests in "
                   "flight as several processes did (see 'Folder runs' in the README); remove the option, it goes in 0.2")


class Progress(Protocol):
    """Receives a folder run's progress (the CLI shows it as a rich progress bar).

    ``update`` is called when an article starts (it then stands in the report's ``in_progress``) and when it
    ends. An object that also has a ``waiting(message)`` method is told, once, when the run waits for another
    run's lock on the output folder (``wait=True``).
    """

    def start(self, total: int) -> None: ...
    def update(self, report: FolderReport) -> None: ...
    def stop(self) -> None: ...


@dataclass
class FolderReport:
    """What a folder run did, in memory that does not grow with the number of articles or failures.

    ``rows`` keeps the first articles' outcomes for display; ``failures`` the first :data:`FAILURES_KEPT`
    failures, ``failed`` their number and ``failure_kinds`` the number per error kind (every failure is
    in the ledger). ``warnings`` counts, per kind, outcomes that carried a warning, and
    ``warning_examples`` the first message of each kind.
    """

    out: Path
    total: int = 0
    done: int = 0
    partial: int = 0
    partials: list[str] = field(default_factory=list)
    """The first :data:`FAILURES_KEPT` partial articles' ids (``partial`` counts them all)."""
    replayed: int = 0
    skipped: int = 0
    failed: int = 0
    failure_kinds: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    warning_examples: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    live_prompt_tokens: int = 0
    live_completion_tokens: int = 0
    requests: int = 0  # sent to a server: attempts not replayed, plus retries
    output_modes: dict[str, int] = field(default_factory=dict)  # articles per output mode they were asked in
    cost_usd: float | None = 0.0
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    interrupted: bool = False
    in_progress: dict[str, float] = field(default_factory=dict)
    """The articles being summarized now (at most twice the concurrency), each with when it started
    (``time.perf_counter()``): what a progress display shows while a slow server is answering."""
    receiving: dict[str, int] = field(default_factory=dict)
    """Of the articles in progress, those whose streamed answer is arriving, with its tokens so far
    (:data:`summarize.http.streaming.RECEIVING`)."""
    skipped_folders: list[tuple[Path, str]] = field(default_factory=list)
    """Folders met in the walk that hold no articles (this run's output or fixtures, an earlier run's output,
    a report site), each with why."""

    @property
    def finished(self) -> int:
        """Articles with an outcome so far."""
        return self.done + self.partial + self.skipped + self.failed

    @property
    def ok(self) -> bool:
        """Whether every article ended done, partial or skipped, with no warning (such as an unrecorded answer).

        A partial article is not a failure: its valid items are saved and its document lists what was dropped.
        """
        return not self.failed and not self.warnings and not self.interrupted

    def _record(self, entry: dict[str, Any]) -> None:
        status = entry["status"]
        if status == "failed":
            self.failed += 1
            kind = str(entry.get("error"))
            self.failure_kinds[kind] = self.failure_kinds.get(kind, 0) + 1
            if len(self.failures) < FAILURES_KEPT:
                self.failures.append(entry)
        elif status == "skipped":
            self.skipped += 1
        else:
            if status == "partial":
                self.partial += 1
                if len(self.partials) < FAILURES_KEPT:
                    self.partials.append(entry["article"])
            else:
                self.done += 1
            self.replayed += int(entry.get("replayed") == entry.get("attempts") and entry.get("attempts", 0) > 0)
        for name in ("prompt_tokens", "completion_tokens", "live_prompt_tokens", "live_completion_tokens"):
            setattr(self, name, getattr(self, name) + int(entry.get(name) or 0))
        self.requests += int(entry.get("attempts") or 0) - int(entry.get("replayed") or 0) + int(entry.get("retries") or 0)
        cost = entry.get("cost_usd")
        if cost is None and entry.get("live_prompt_tokens"):
            self.cost_usd = None  # a model without a price: no total either
        elif self.cost_usd is not None and cost:
            self.cost_usd += cost
        if mode := entry.get("output_mode"):
            self.output_modes[mode] = self.output_modes.get(mode, 0) + 1
        for warning in entry.get("warnings") or ():
            self.warnings[warning["kind"]] = self.warnings.get(warning["kind"], 0) + 1
            self.warning_examples.setdefault(warning["kind"], warning["message"])
        if len(self.rows) < _ROWS_KEPT:
            self.rows.append(entry)
        self.seconds = time.perf_counter() - self.started


class _Run:
    def __init__(self, summarizer: ArticleSummarizer, out: Path, *, resume: bool, prices: dict[str, tuple[float, float]] | None,
                 progress: Progress | None) -> None:
        self.s = summarizer
        self.out = out
        self.ledger = Ledger(out)
        # Only what a resume decision needs, as a small tuple per article: memory stays flat.
        self.previous = {a: (e.get("status"), e.get("content_hash"), e.get("config"))
                         for a, e in (self.ledger.last_entries() if resume else {}).items()}
        self.config = fingerprint(summarizer.settings, summarizer.prompt, DOCUMENT_FORMAT)
        self.prices = prices
        self.progress = progress
        self.report = FolderReport(out=out)
        self.seen: dict[str, str] = {}

    def finish(self, entry: dict[str, Any]) -> None:
        """Record an outcome; raises :class:`OutputError` (stopping the run) when OUT could not be written."""
        self.ledger.append(entry)
        self.report._record(entry)
        if self.progress is not None:
            self.progress.update(self.report)
        if entry.get("error") == _OUTPUT_KIND:
            raise OutputError(entry["message"], article_id=entry["article"])

    def _base(self, article_id: str, content_hash: str | None) -> dict[str, Any]:
        return {"article": article_id, "content_hash": content_hash, "config": self.config}

    def triage(self, item: Article | ArticleError) -> tuple[Article, dict[str, Any]] | None:
        """Settle what needs no model (bad input, duplicates, resumed work); else the article to summarize."""
        if isinstance(item, ArticleError):
            self.finish({**self._base(item.article_id or "?", None), "status": "failed", "error": item.kind,
                         "message": str(item)})
            return None
        article = item
        base = self._base(article.id, article.content_hash)
        if article.notes:  # what the loader could not take as given (an unreadable date) goes on every line
            base["notes"] = list(article.notes)
        where = article.source_path or article.id
        document = id_path(article.id, ".json")
        # Keyed by the document's path in lower case: ids differing only in case would share one file on
        # macOS and Windows, and the second would silently overwrite the first.
        if document.lower() in self.seen:
            self.finish({**base, "status": "failed", "error": "article",
                         "message": f"Duplicate article id {article.id!r} ({where}; also {self.seen[document.lower()]}): "
                                    "rename one (ids that differ only in case name the same file on macOS and Windows)."})
            return None
        self.seen[document.lower()] = where
        status, content_hash, config = self.previous.get(article.id, (None, None, None))
        if (status in ("done", "partial", "skipped") and content_hash == article.content_hash and config == self.config
                and _has_document(self.out / document, article, complete=self.s.settings.strict)):
            self.finish({**base, "status": "skipped"})
            return None
        return article, base

    def received(self, article_id: str, tokens: int) -> None:
        """The streamed answer of ``article_id`` has brought ``tokens`` tokens so far: shown, and the progress
        told on the first and every 16th (a redraw per token would cost more than it shows)."""
        self.report.receiving[article_id] = tokens
        if self.progress is not None and tokens % 16 == 1:
            self.progress.update(self.report)

    async def handle(self, item: Article | ArticleError) -> None:
        job = self.triage(item)
        if job is None:
            return
        article_id = job[0].id
        self.report.in_progress[article_id] = time.perf_counter()
        if self.progress is not None:
            self.progress.update(self.report)
        telling = RECEIVING.set(functools.partial(self.received, article_id))
        try:
            entry = await summarize_one(self.s, job[0], self.out, job[1], self.prices)
        finally:
            RECEIVING.reset(telling)
            self.report.in_progress.pop(article_id, None)
            self.report.receiving.pop(article_id, None)
        self.finish(entry)


def _has_document(path: Path, article: Article, *, complete: bool = False) -> bool:
    """Whether ``path`` holds ``article``'s output document (a complete one, if ``complete``), by the one
    document rule: a damaged or foreign file there is not a summary, and resume makes the article again."""
    try:
        doc = read_document(path)
    except DocumentError:
        return False
    return doc.article.content_hash == article.content_hash and not (complete and doc.partial)


async def summarize_one(s: ArticleSummarizer, article: Article, out: Path, base: dict[str, Any],
                        prices: dict[str, tuple[float, float]] | None) -> dict[str, Any]:
    """Summarize one article, write its document, and return its ledger entry (never raises for the article)."""
    started = time.perf_counter()
    try:
        result = await s.arun(article)
    except SummarizeError as exc:
        return {**base, "status": "failed", "error": exc.kind, "message": str(exc),
                **_spent(s, exc.usage, prices), "seconds": round(time.perf_counter() - started, 3)}
    try:
        await asyncio.to_thread(result.write, out)  # file creation can take a millisecond: not on the loop
    except OSError as exc:  # the output folder, not the article, failed: recorded, and the run stops
        return {**base, "status": "failed", "error": _OUTPUT_KIND, "message":
                f"Could not write the summary of {article.id} in {out}: {exc.strerror or exc}. The run stopped; free "
                "space (or fix the folder) and run the same command again to resume.",
                **_spent(s, result.usage, prices), "seconds": round(time.perf_counter() - started, 3)}
    return {**base, "status": "partial" if result.partial else "done", **_spent(s, result.usage, prices),
            "quotes": len(result.summary.quotes), "events": len(result.summary.events),
            "entities": len(result.summary.entities), "key_points": len(result.summary.key_points),
            "repairs": len(result.repairs), "dropped": len(result.dropped), "seconds": round(result.seconds, 3)}


def _spent(s: ArticleSummarizer, u: Usage | None, prices: dict[str, tuple[float, float]] | None) -> dict[str, Any]:
    """The ledger fields for what an article cost, failed or not (nothing when it never reached the client),
    and its warnings."""
    if u is None:
        return {}
    return {**u.record(),
            "cost_usd": estimate_cost(s.settings.model, u.live_prompt_tokens, u.live_completion_tokens, prices),
            **({"output_mode": u.output_mode} if u.output_mode else {}),
            **({"warnings": u.warnings} if u.warnings else {})}


def _remove_stale_temporaries(out: Path) -> None:
    if out.is_dir():
        for tmp in out.rglob(".*.json.*.tmp"):
            tmp.unlink(missing_ok=True)


async def arun_folder(summarizer: ArticleSummarizer, sources: Iterable[str | os.PathLike[str]], out: str | Path, *,
                      glob: str | None = None, concurrency: int = DEFAULT_CONCURRENCY, resume: bool = True,
                      prices: dict[str, tuple[float, float]] | None = None, progress: Progress | None = None,
                      workers: int | None = None, wait: bool = False) -> FolderReport:
    """Summarize every article in ``sources`` into ``out`` (see the module docstring).

    ``workers`` is deprecated and ignored (a :class:`FutureWarning` says so; see :data:`WORKERS_IGNORED`).
    ``wait`` waits for another run
    that holds ``out`` instead of raising :class:`~summarize.errors.RunLockedError`. Raises
    :class:`~summarize.errors.OutputError` when ``out`` cannot be written (before any request), or when
    a summary or ledger line cannot be (the run stops; a resume completes it).
    """
    for name, value in (("concurrency", concurrency), ("workers", 1 if workers is None else workers)):
        if problem := COUNT.check(name, value):
            raise ConfigurationError(problem)
    if workers is not None:
        # FutureWarning, shown by default: an option that silently stopped doing anything misleads whoever set it.
        warnings.warn(WORKERS_IGNORED, FutureWarning, stacklevel=2)
    paths = [Path(s) for s in sources]
    out = Path(out)
    check_writable(out)
    async with locked(out, wait=wait, on_wait=getattr(progress, "waiting", None)):
        _remove_stale_temporaries(out)  # only now: another run's temporaries are not stale
        return await _run_locked(summarizer, paths, out, glob=glob, concurrency=concurrency, resume=resume,
                                 prices=prices, progress=progress)


async def _run_locked(summarizer: ArticleSummarizer, sources: list[Path], out: Path, *, glob: str | None, concurrency: int,
                      resume: bool, prices: dict[str, tuple[float, float]] | None,
                      progress: Progress | None) -> FolderReport:
    run = _Run(summarizer, out, resume=resume, prices=prices, progress=progress)
    exclude = [out, summarizer.settings.fixtures]  # what this run writes is never read back as articles
    run.report.total = count_articles(sources, glob=glob, exclude=exclude)
    if run.report.total:
        run.ledger.open()  # a ledger that cannot be written fails the run before the first request
    if progress is not None:
        progress.start(run.report.total)
    own = out.resolve()

    def skipped(folder: Path, why: str) -> None:
        if folder.resolve() != own:  # the run made OUT itself (lock, ledger) before walking: not worth a word
            run.report.skipped_folders.append((folder, why))

    items = iter_articles(sources, glob=glob, exclude=exclude, on_skip=skipped)
    try:
        await _run_here(run, items, concurrency)
    except asyncio.CancelledError:
        run.report.interrupted = True
        raise
    finally:
        run.ledger.close()
        run.report.seconds = time.perf_counter() - run.report.started
        if progress is not None:
            progress.stop()
    return run.report


async def _run_here(run: _Run, items: Iterable[Article | ArticleError], concurrency: int) -> None:
    tasks = 2 * concurrency  # articles in progress (see the module docstring)
    queue: asyncio.Queue[Article | ArticleError | None] = asyncio.Queue(maxsize=tasks)

    async def produce() -> None:
        for item in items:
            await queue.put(item)
            # The worker just woken runs up to its request before the next article is queued: at the
            # start of a run the requests leave one after another, not all after the last is prepared.
            await asyncio.sleep(0)
        for _ in range(tasks):
            await queue.put(None)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            await run.handle(item)

    IN_FLIGHT.set(asyncio.Semaphore(concurrency))  # this task's context: copied into the workers below
    running = [asyncio.create_task(produce()), *(asyncio.create_task(work()) for _ in range(tasks))]
    try:
        await asyncio.gather(*running)
    finally:  # the run stopped (OUT cannot be written, or Ctrl-C): no article goes on to be paid for and lost
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
