"""Folder runs over several processes, for runs bound by the CPU of one process.

Terms:

- **parent**: the process that walks the sources, decides what needs a model (bad input, duplicates
  and resumed work are settled there), writes the ledger and shows progress.
- **worker**: a child process (forked, so it starts with everything already imported) running its own
  event loop with its share of the concurrency. It summarizes the articles the parent sends, writes
  their documents itself (atomically) and sends back their ledger entries.
- **budgets**: ``rpm`` and ``tpm`` are divided evenly between the workers. A 429 pauses the workers of
  the process that received it; the others learn of the limit from their own 429s.

Ctrl-C reaches the parent (and, from a terminal, the workers): the parent asks the workers to stop with
SIGINT, waits for them, and only then returns. A worker that dies has its unfinished articles recorded as
failed, and the run goes on with the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing as mp
import os
import queue as queue_module
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .articles import Article
from .errors import ArticleError

if TYPE_CHECKING:
    from .batch import _Run
    from .config import Settings
    from .prompting import PromptTemplate

__all__ = ["run_in_processes"]

_POLL = 0.2  # seconds a blocking queue call waits before checking again (so threads never hang)
_NOTHING = object()


def _take(q: Any) -> Any:
    try:
        return q.get(timeout=_POLL)
    except queue_module.Empty:
        return _NOTHING


def _give(q: Any, item: Any) -> bool:
    try:
        q.put(item, timeout=_POLL)
        return True
    except queue_module.Full:
        return False


def _child(settings: Settings, prompt: PromptTemplate, out: Path, prices: dict[str, tuple[float, float]] | None,
           concurrency: int, inbox: Any, outbox: Any) -> None:
    from .pipeline import Summarizer

    # A forked child inherits the parent event loop's SIGINT handler and wake-up fd; with them in place
    # its own asyncio.run would not install a handler, and Ctrl-C would do nothing here.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    summarizer = Summarizer.from_settings(settings, prompt)
    try:
        asyncio.run(_child_loop(summarizer, out, prices, concurrency, inbox, outbox))
    except KeyboardInterrupt:
        # In-flight articles were cancelled before their files were renamed into place. Entries the
        # parent has stopped reading are dropped rather than waited on: a resume redoes those articles.
        outbox.cancel_join_thread()


async def _child_loop(summarizer: Any, out: Path, prices: dict[str, tuple[float, float]] | None, concurrency: int,
                      inbox: Any, outbox: Any) -> None:
    from .batch import in_progress, summarize_one
    from .network import IN_FLIGHT

    loop = asyncio.get_running_loop()
    tasks = in_progress(concurrency)
    local: asyncio.Queue[tuple[Article, dict[str, Any]] | None] = asyncio.Queue(maxsize=tasks)

    async def feed() -> None:
        while (job := await loop.run_in_executor(None, _take, inbox)) is not None:
            if job is not _NOTHING:
                await local.put(job)
        for _ in range(tasks):
            await local.put(None)

    async def work() -> None:
        while (job := await local.get()) is not None:
            article, base = job
            outbox.put(await summarize_one(summarizer, article, out, base, prices))

    IN_FLIGHT.set(asyncio.Semaphore(concurrency))
    try:
        await asyncio.gather(feed(), *(work() for _ in range(tasks)))
    finally:
        await summarizer.aclose()


def _share(limit: float | None, workers: int) -> float | None:
    return limit / workers if limit else None


async def run_in_processes(run: _Run, items: Iterable[Article | ArticleError], *, workers: int, concurrency: int) -> None:
    """Summarize ``items`` for ``run`` over ``workers`` forked processes (see the module docstring)."""
    ctx = mp.get_context("fork")
    workers = min(workers, concurrency)  # every worker needs at least one place
    shares = [concurrency // workers + (i < concurrency % workers) for i in range(workers)]  # sums to concurrency
    inbox, outbox = ctx.Queue(maxsize=concurrency * 4), ctx.Queue()
    s = run.s
    settings = dataclasses.replace(s.settings, rpm=_share(s.settings.rpm, workers), tpm=_share(s.settings.tpm, workers))
    procs = [ctx.Process(target=_child, args=(settings, s.prompt, run.out, run.prices, share, inbox, outbox),
                         name=f"summarize-worker-{i}", daemon=True) for i, share in enumerate(shares)]
    for p in procs:
        p.start()
    loop = asyncio.get_running_loop()
    pending: dict[str, dict[str, Any]] = {}
    produced = asyncio.Event()

    async def send(job: Any) -> None:
        while not await loop.run_in_executor(None, _give, inbox, job):
            if not any(p.is_alive() for p in procs):
                raise RuntimeError("every worker process exited before the run was done")

    async def produce() -> None:
        for item in items:
            job = run.triage(item)
            if job is not None:
                pending[job[0].id] = job[1]
                await send(job)
        for _ in procs:
            await send(None)
        produced.set()

    async def collect() -> None:
        while not (produced.is_set() and not pending):
            entry = await loop.run_in_executor(None, _take, outbox)
            if entry is not _NOTHING:
                pending.pop(entry["article"], None)
                run.finish(entry)
            elif not any(p.is_alive() for p in procs):
                for article_id, base in list(pending.items()):
                    run.finish({**base, "status": "failed", "error": "worker",
                                "message": "The worker process summarizing this article exited; run again to retry it."})
                    pending.pop(article_id)
                if not produced.is_set():
                    raise RuntimeError("every worker process exited before the run was done")

    finished = False
    try:
        await asyncio.gather(produce(), collect())
        finished = True
    finally:
        _stop(procs, finished)


def _stop(procs: list[Any], finished: bool) -> None:
    """Let finished workers exit on their own; interrupt the others (SIGINT), then insist."""
    if finished:
        for p in procs:
            p.join(10)
    for p in procs:
        if p.is_alive() and p.pid:
            try:
                os.kill(p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.terminate()
            p.join(5)
