"""Bench 2: a server that allows R requests per second (any sliding second) and answers 429 above it.

Figure: achieved throughput (articles per second over the whole run) ÷ R; target ≥ 0.9 with no failed
article. The run is told nothing about R: it learns from 429s and their ``retry-after-ms``. A 429 uses
up no retries (``retries`` stays at its default of 5): the detail shows the most retries one article
needed, often more than that.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from summarize import Summarizer
from summarize.core.ledger import Ledger
from summarize.testing.loopback import write_synthetic_articles

from .common import FAKE_KEY, Figure, timed
from .server import ServerProcess

RATE, ARTICLES, CONCURRENCY = 40, 240, 16


def main(quick: bool = False) -> list[Figure]:
    n = 80 if quick else ARTICLES
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency=0.05, rate_limit=RATE) as server:
        root = Path(tmp)
        write_synthetic_articles(root / "in", n)
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=root / "fx")
        s.summarize_folder(write_synthetic_articles(root / "warm-in", 4, start=n), root / "warm")
        reports = []
        wall = timed(lambda: reports.append(s.summarize_folder(root / "in", root / "out", concurrency=CONCURRENCY)))
        report, stats = reports[0], server.stats()
        most = max((e.get("retries", 0) for e in Ledger(root / "out").last_entries().values()), default=0)
    throughput = n / wall
    return [
        Figure(f"rate limit: throughput / allowed ({RATE}/s, {n} art.)", throughput / RATE, ">= 0.9",
               f"{throughput:.1f} articles/s; failed {report.failed}; server answered {stats['statuses']}; "
               f"{s.limiter.pauses} pauses; at most {most} retries for one article"),
        Figure("rate limit: failed articles", float(report.failed), "<= 0", f"of {n}"),
    ]
