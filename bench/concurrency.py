"""Bench 1: a folder run with many requests in flight, against a server that takes 200 ms per answer.

Figures, measured side by side against one server process:

- wall time of ``summarize_folder`` ÷ the ideal ``ceil(256 / 32) × 0.2 s`` (target ≤ 1.15);
- the same for what users write today, ``asyncio.gather`` over instructor calls behind a semaphore;
- the speed-up over a plain sequential instructor loop (timed on a sample, per article).

Both runs are warmed first (imports, clients), so the figures are about steady-state concurrency.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from pathlib import Path

from summarize import Summarizer, load_article
from summarize.testing.loopback import write_synthetic_articles

from .common import FAKE_KEY, Figure, timed
from .server import ServerProcess

ARTICLES, CONCURRENCY, LATENCY, SEQUENTIAL_SAMPLE = 256, 32, 0.2, 12


def _instructor_client(base_url: str, is_async: bool):
    import instructor
    import openai

    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return instructor.from_openai(cls(base_url=base_url, api_key=FAKE_KEY, max_retries=0), mode=instructor.Mode.JSON_SCHEMA)


def _gather(base_url: str, paths: list[Path], messages) -> float:
    """asyncio.gather over instructor calls, at most CONCURRENCY at once."""
    from summarize.core.schema import ArticleSummary

    async def run() -> None:
        client = _instructor_client(base_url, True)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(p: Path) -> object:
            async with gate:
                return await client.chat.completions.create(model="gpt-4o-mini", response_model=ArticleSummary,
                                                            messages=messages(p), max_retries=0)

        await asyncio.gather(*(one(p) for p in paths))
        await client.client.close()

    asyncio.run(run())  # warm
    return timed(lambda: asyncio.run(run()))


def _sequential(base_url: str, paths: list[Path], messages) -> float:
    from summarize.core.schema import ArticleSummary

    client = _instructor_client(base_url, False)

    def loop() -> None:
        for p in paths:
            client.chat.completions.create(model="gpt-4o-mini", response_model=ArticleSummary, messages=messages(p), max_retries=0)

    return timed(loop) / len(paths)


def _ramp(arrivals: list[float], started: float) -> str:
    """Where the time beyond the ideal goes: the start, and the cycle of a place at the gate."""
    arrivals = sorted(arrivals)
    first, full = arrivals[0] - started, arrivals[CONCURRENCY - 1] - started
    rounds = len(arrivals) // CONCURRENCY
    cycle = (arrivals[(rounds - 1) * CONCURRENCY] - arrivals[0]) / max(1, rounds - 1)
    return f"first request at {first * 1000:.0f} ms, all {CONCURRENCY} out at {full * 1000:.0f} ms, cycle {cycle * 1000:.0f} ms"


def main(quick: bool = False) -> list[Figure]:
    n = 64 if quick else ARTICLES
    ideal = math.ceil(n / CONCURRENCY) * LATENCY
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency=LATENCY) as server:
        root = Path(tmp)
        paths = write_synthetic_articles(root / "in", n)
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=root / "fx")
        s.summarize_folder(paths[:CONCURRENCY], root / "warm", concurrency=CONCURRENCY)
        before = server.stats()["requests"]
        started = time.monotonic()  # the server's clock too: arrival times are comparable
        wall = timed(lambda: s.summarize_folder(root / "in", root / "out", concurrency=CONCURRENCY))
        ramp = _ramp(server.stats()["arrivals"][before:], started)
        assert server.stats()["requests"] - before == n
        peak = server.stats()["max_in_flight"]

        def messages(p: Path) -> list[dict[str, str]]:
            return s.prompt.messages(load_article(p))

        gather = _gather(server.url, paths, messages)
        per_article = _sequential(server.url, paths[:SEQUENTIAL_SAMPLE], messages)
    return [
        Figure(f"concurrency: wall / ideal ({n} x 0.2 s, c={CONCURRENCY})", wall / ideal, "<= 1.15",
               f"wall {wall:.2f} s, ideal {ideal:.2f} s, peak in flight {peak}; {ramp}"),
        Figure("concurrency: instructor+gather wall / ideal", gather / ideal, "<= 99",
               f"wall {gather:.2f} s: what users write today, same server, same run (reference)"),
        Figure("concurrency: speed-up over sequential loop", per_article * n / wall, ">= 10",
               f"sequential {per_article * 1000:.0f} ms/article (sample of {SEQUENTIAL_SAMPLE}) x {n} vs {wall:.2f} s"),
    ]
