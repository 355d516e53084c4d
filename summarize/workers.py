"""Folder runs over several processes, for runs bound by the CPU of one process.

Terms:

- **parent**: the process that walks the sources, decides what needs a model (bad input, duplicates
  and resumed work are settled there), hands out articles, writes the ledger and shows progress.
- **worker**: a child process (forked, so it starts with everything already imported) running its own
  event loop. It summarizes the articles the parent sends, writes their documents itself (atomically)
  and sends back their ledger entries. It holds twice as many articles as it has places, as a
  single-process run does (:func:`summarize.batch.in_progress`): the next requests are ready to go.
- **places**: the run's ``concurrency``, the requests allowed in flight at once. Each worker starts
  with its share and uses them as a single-process run uses its in-flight gate. A place a worker frees
  while none of its requests is waiting goes back to the parent, which hands it to a worker that said
  it has requests waiting (**hungry**). While every worker has requests waiting, places stay where they
  are and nothing is sent about them. So the run's places are used as in one process: when one worker
  runs out of articles near the end of a run, its places go to the others instead of sitting idle while
  another works through what it holds (with a fixed share per worker that cost a whole extra round of
  latency for one or two articles).
- **pipes**: each worker has a pipe of messages from the parent (articles, places, stop) and a pipe to
  it (ledger entries, places freed, hunger), each message a length-prefixed pickle, read by the event
  loops without threads. A worker that dies closes its pipe: its unfinished articles are recorded as
  failed, the places it held are given to the others, and the run goes on.
- **budgets**: ``rpm`` and ``tpm`` are divided evenly between the workers. A 429 pauses the workers of
  the process that received it; the others learn of the limit from their own 429s.

Ctrl-C reaches the parent (and, from a terminal, the workers): the parent asks the workers to stop with
SIGINT, waits for them, and only then returns.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import multiprocessing as mp
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .articles import Article
from .errors import ArticleError

if TYPE_CHECKING:
    from .batch import _Run
    from .config import Settings
    from .prompting import PromptTemplate

__all__ = ["run_in_processes"]

_EOF = object()  # a pipe's writer has gone: the worker exited (or died), or the parent did
_Job = tuple[Article, dict[str, Any]]


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(4, "big") + data


class _Frames(asyncio.Protocol):
    """Reads length-prefixed pickles from a pipe and hands each to ``deliver``; ``_EOF`` at the end."""

    def __init__(self, deliver: Callable[[Any], None]) -> None:
        self.deliver = deliver
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if len(self.buffer) < 4 + size:
                break
            message = pickle.loads(self.buffer[4:4 + size])
            del self.buffer[:4 + size]
            self.deliver(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.deliver(_EOF)


async def _read_pipe(fd: int, deliver: Callable[[Any], None]) -> None:
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: _Frames(deliver), os.fdopen(fd, "rb", buffering=0))


# -- the worker -------------------------------------------------------------------------------------
class _Places:
    """A worker's side of the run's places: an in-flight gate whose places can move to other workers.

    Used as ``async with places:`` by :class:`summarize.network.RetryTransport` (see the module docstring).
    """

    def __init__(self, free: int, send: Callable[[Any], None]) -> None:
        self.free = free
        self.send = send
        self.waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self.hungry = False  # told the parent that requests wait here, and no place came since

    async def __aenter__(self) -> None:
        if self.free and not self.waiting:
            self.free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self._ask()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._pass_on()  # the place came as the request was cancelled
            else:
                self.waiting.remove(future)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._pass_on()

    def granted(self) -> None:
        """The parent sent a place."""
        self.hungry = False
        self._pass_on()
        self._ask()

    def _pass_on(self) -> None:
        """A place is free here: to the first request waiting here, else back to the parent."""
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)
                return
        self.send(("free",))

    def _ask(self) -> None:
        if self.waiting and not self.hungry:
            self.hungry = True
            self.send(("hungry",))


def _child(settings: Settings, prompt: PromptTemplate, out: Path, prices: dict[str, tuple[float, float]] | None,
           places: int, inbox_fd: int, outbox_fd: int, others: tuple[int, ...]) -> None:
    from .pipeline import Summarizer

    for fd in others:  # the parent's ends and the other workers' pipes: only their owners may hold them
        os.close(fd)
    # A forked child inherits the parent event loop's SIGINT handler and wake-up fd; with them in place
    # its own asyncio.run would not install a handler, and Ctrl-C would do nothing here.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    summarizer = Summarizer.from_settings(settings, prompt)
    try:
        asyncio.run(_child_loop(summarizer, out, prices, places, inbox_fd, outbox_fd))
    except KeyboardInterrupt:
        pass  # in-flight articles were cancelled before their files were renamed into place
    except BrokenPipeError:
        pass  # the parent is gone: nobody is left to tell
    finally:
        os.close(outbox_fd)


async def _child_loop(summarizer: Any, out: Path, prices: dict[str, tuple[float, float]] | None, places: int,
                      inbox_fd: int, outbox_fd: int) -> None:
    from .batch import summarize_one
    from .network import IN_FLIGHT

    def send(message: Any) -> None:
        # Small messages, read at once by the parent: a plain blocking write, never half a message.
        view = memoryview(_frame(message))
        while view:
            view = view[os.write(outbox_fd, view):]

    gate = _Places(places, send)
    jobs: asyncio.Queue[Any] = asyncio.Queue()

    def deliver(message: Any) -> None:
        if message is _EOF or message[0] == "stop":  # no more articles, or the parent is gone
            jobs.put_nowait(None)
        elif message[0] == "place":
            gate.granted()
        else:
            jobs.put_nowait(message[1])

    async def one(job: _Job) -> None:
        send(("done", await summarize_one(summarizer, job[0], out, job[1], prices)))

    await _read_pipe(inbox_fd, deliver)
    IN_FLIGHT.set(gate)  # copied into every task created below
    tasks: set[asyncio.Task[None]] = set()
    try:
        while (job := await jobs.get()) is not None:
            task = asyncio.create_task(one(job))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            # Let this article run up to its request before the next one starts preparing: when a batch
            # of articles arrives at once, the first requests leave in turn instead of all after the last
            # is prepared (the first request of a run left about 20 ms sooner).
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        await summarizer.aclose()


# -- the parent -------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Worker:
    process: Any
    places: int  # held now: its share at the start, then plus places received, minus places returned
    hold: int  # articles it is given at once
    pipe: asyncio.WriteTransport | None = None
    holding: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # article id -> ledger base
    alive: bool = True

    def send(self, message: Any) -> None:
        if self.pipe is not None and not self.pipe.is_closing():
            self.pipe.write(_frame(message))


def _share(limit: float | None, workers: int) -> float | None:
    return limit / workers if limit else None


def _jobs(run: _Run, items: Iterable[Article | ArticleError]) -> Iterator[_Job]:
    for item in items:
        job = run.triage(item)
        if job is not None:
            yield job


async def run_in_processes(run: _Run, items: Iterable[Article | ArticleError], *, workers: int, concurrency: int) -> None:
    """Summarize ``items`` for ``run`` over ``workers`` forked processes (see the module docstring)."""
    from .batch import in_progress

    ctx = mp.get_context("fork")
    workers = min(workers, concurrency)  # every worker needs at least one place
    shares = [concurrency // workers + (i < concurrency % workers) for i in range(workers)]  # sums to concurrency
    s = run.s
    settings = dataclasses.replace(s.settings, rpm=_share(s.settings.rpm, workers), tpm=_share(s.settings.tpm, workers))
    pipes = [(*os.pipe(), *os.pipe()) for _ in shares]  # (to worker: read, write; from worker: read, write)
    every = tuple(fd for p in pipes for fd in p)
    pool: list[_Worker] = []
    try:
        for share, (inbox_r, _, _, outbox_w) in zip(shares, pipes, strict=True):
            others = tuple(fd for fd in every if fd not in (inbox_r, outbox_w))
            args = (settings, s.prompt, run.out, run.prices, share, inbox_r, outbox_w, others)
            process = ctx.Process(target=_child, args=args, name=f"summarize-worker-{len(pool)}", daemon=True)
            process.start()
            pool.append(_Worker(process, share, in_progress(share)))
    finally:
        for inbox_r, _, _, outbox_w in pipes:
            os.close(inbox_r)
            os.close(outbox_w)
        for _, inbox_w, outbox_r, _ in pipes[len(pool):]:  # workers that never started
            os.close(inbox_w)
            os.close(outbox_r)
    finished = False
    try:
        await _Dispatch(run, _jobs(run, items), pool).serve([(p[1], p[2]) for p in pipes])
        finished = True
    finally:
        _stop([w.process for w in pool], finished)


class _Dispatch:
    """The parent's side: hands out articles, moves places to hungry workers, records what comes back."""

    def __init__(self, run: _Run, jobs: Iterator[_Job], pool: list[_Worker]) -> None:
        self.run, self.jobs, self.pool = run, jobs, pool
        self.spare = 0  # places given back and not yet handed on
        self.hungry: collections.deque[_Worker] = collections.deque()
        self.exhausted = False

    async def serve(self, ends: list[tuple[int, int]]) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[_Worker, Any]] = asyncio.Queue()
        for worker, (to_worker, from_worker) in zip(self.pool, ends, strict=True):
            worker.pipe, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(to_worker, "wb", buffering=0))
            await _read_pipe(from_worker, functools.partial(lambda w, message: inbox.put_nowait((w, message)), worker))
        for worker in self.pool:
            while not self.exhausted and len(worker.holding) < worker.hold:
                self._hand_out(worker)
        while any(w.alive for w in self.pool):
            worker, message = await inbox.get()
            if message is _EOF:
                self._lost(worker)
            elif message[0] == "done":
                worker.holding.pop(message[1]["article"], None)
                self.run.finish(message[1])
                self._hand_out(worker)
            elif message[0] == "free":
                worker.places -= 1
                self.spare += 1
                self._place()
            elif message[0] == "hungry":
                self.hungry.append(worker)
                self._place()

    def _hand_out(self, worker: _Worker) -> None:
        if self.exhausted or not worker.alive:
            return
        job = next(self.jobs, None)
        if job is not None:
            worker.holding[job[0].id] = job[1]
            worker.send(("article", job))
            return
        self.exhausted = True
        for w in self.pool:
            w.send(("stop",))  # no more articles: each worker finishes what it holds and exits

    def _place(self) -> None:
        while self.spare and self.hungry:
            worker = self.hungry.popleft()
            if worker.alive:
                self.spare -= 1
                worker.places += 1
                worker.send(("place",))

    def _lost(self, worker: _Worker) -> None:
        """A worker's pipe closed: it exited (having finished), or it died."""
        worker.alive = False
        for base in worker.holding.values():
            self.run.finish({**base, "status": "failed", "error": "worker",
                              "message": "The worker process summarizing this article exited; run again to retry it."})
        worker.holding.clear()
        self.spare += worker.places  # its requests died with it (the server may still be finishing them)
        worker.places = 0
        self._place()
        if not self.exhausted and not any(w.alive for w in self.pool):
            raise RuntimeError("every worker process exited before the run was done")


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
