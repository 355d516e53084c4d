"""Bench: folder runs on issue 11's realistic workload, and on bench 1's, repeated for a range.

Workloads (articles, server latency, requests in flight):

- **realistic**: 1,024 articles, 1 s, 128 in flight (ideal ``ceil(1024 / 128) × 1 s = 8 s``);
- **small**: 256 articles, 200 ms, 32 in flight (bench 1's, ideal 1.6 s).

Each runs ``REPEATS`` times against one server process (the machine is shared and noisy: the range is
the figure, not one run). Printed: wall ÷ ideal (median, and the range) and CPU seconds per article of
this process (the server's CPU is not counted). This module at commit b9ecef4 (``bench/processes.py``)
ran one process and two worker processes alternately on the same workloads; two workers were no faster
and spent more CPU, so the pool was removed (see bench/README.md).
"""

from __future__ import annotations

import math
import resource
import tempfile
import time
from pathlib import Path

from summarize import Summarizer
from summarize.testing.loopback import write_synthetic_articles

from .common import FAKE_KEY, Figure
from .server import ServerProcess

WORKLOADS = {"realistic": (1024, 1.0, 128), "small": (256, 0.2, 32)}
REPEATS = 3


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _one_run(s: Summarizer, src: Path, out: Path, concurrency: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one folder run from scratch."""
    cpu, start = _cpu(), time.perf_counter()
    report = s.summarize_folder(src, out, concurrency=concurrency, resume=False)
    wall = time.perf_counter() - start
    if report.done != report.total:
        raise RuntimeError(f"{report.failed} of {report.total} articles failed: {report.failures[:1]}")
    return wall, _cpu() - cpu


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def measure(name: str, n: int, latency: float, concurrency: int, repeats: int) -> list[Figure]:
    ideal = math.ceil(n / concurrency) * latency
    walls: list[float] = []
    cpus: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency=latency) as server:
        root = Path(tmp)
        write_synthetic_articles(root / "in", n)
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=root / "fx")
        s.summarize_folder(root / "in", root / "warm", concurrency=concurrency)  # imports, clients, first answers
        for i in range(repeats):
            wall, cpu = _one_run(s, root / "in", root / f"out-{i}", concurrency)
            walls.append(wall / ideal)
            cpus.append(cpu / n * 1000)
        peak = server.stats()["max_in_flight"]
    label = f"{n} x {latency:g} s, c={concurrency}"
    return [
        Figure(f"{name}: wall / ideal ({label})", _median(walls), "<= 1.5",
               f"median of {repeats}, range {min(walls):.3f}-{max(walls):.3f}; ideal {ideal:.1f} s, peak in flight {peak}"),
        Figure(f"{name}: CPU ms/article", _median(cpus), "<= 20", f"range {min(cpus):.2f}-{max(cpus):.2f}"),
    ]


def main(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for name, (n, latency, concurrency) in WORKLOADS.items():
        figures += measure(name, n // 4 if quick else n, latency, concurrency, 1 if quick else REPEATS)
    return figures
