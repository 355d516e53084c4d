"""Bench: one process against two worker processes, on the issue-11 realistic workload and on bench 1's.

Workloads (articles, server latency, requests in flight):

- **realistic**: 1,024 articles, 1 s, 128 in flight (ideal ``ceil(1024 / 128) × 1 s = 8 s``);
- **small**: 256 articles, 200 ms, 32 in flight (bench 1's, ideal 1.6 s).

Each configuration runs ``REPEATS`` times, one process and two workers alternating so that a burst of load
on this shared machine falls on both, against one server process. Printed side by side: wall ÷ ideal for
each (the range over the repeats), and CPU seconds per article of the run (this process plus its worker
processes, which are joined before the run returns; the server's CPU is not counted).
"""

from __future__ import annotations

import math
import resource
import tempfile
import time
from pathlib import Path

from summarize import Summarizer
from summarize.loopback import write_synthetic_articles

from .common import FAKE_KEY, Figure
from .server import ServerProcess

WORKLOADS = {"realistic": (1024, 1.0, 128), "small": (256, 0.2, 32)}
REPEATS = 3


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _one_run(s: Summarizer, src: Path, out: Path, concurrency: int, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one folder run from scratch."""
    cpu, start = _cpu(), time.perf_counter()
    report = s.summarize_folder(src, out, concurrency=concurrency, workers=workers, resume=False)
    wall = time.perf_counter() - start
    if report.done != report.total:
        raise RuntimeError(f"{report.failed} of {report.total} articles failed: {report.failures[:1]}")
    return wall, _cpu() - cpu


def _range(values: list[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}"


def compare(name: str, n: int, latency: float, concurrency: int, repeats: int) -> list[Figure]:
    ideal = math.ceil(n / concurrency) * latency
    walls: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency=latency) as server:
        root = Path(tmp)
        write_synthetic_articles(root / "in", n)
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", fixtures=root / "fx")
        s.summarize_folder(root / "in", root / "warm", concurrency=concurrency)  # imports, clients, first answers
        for i in range(repeats):
            for workers in (1, 2):
                wall, cpu = _one_run(s, root / "in", root / f"out-{workers}-{i}", concurrency, workers)
                walls[workers].append(wall / ideal)
                cpus[workers].append(cpu / n)
                print(f"  {name} run {i + 1}: workers={workers} wall/ideal {wall / ideal:.3f}, "
                      f"CPU {cpu / n * 1000:.2f} ms/article", flush=True)
        peak = server.stats()["max_in_flight"]
    label = f"{n} x {latency:g} s, c={concurrency}"
    one, two = walls[1], walls[2]
    return [
        Figure(f"{name}: one process wall / ideal ({label})", max(one), "<= 99",
               f"range {_range(one)} over {repeats}; two workers {_range(two)}; ideal {ideal:.1f} s, peak in flight {peak}"),
        Figure(f"{name}: one process ÷ two workers (median)", sorted(one)[len(one) // 2] / sorted(two)[len(two) // 2],
               "<= 99", "above 1: two workers faster"),
        Figure(f"{name}: CPU ms/article, one process", sorted(cpus[1])[len(cpus[1]) // 2] * 1000, "<= 99",
               f"range {_range([c * 1000 for c in cpus[1]])}; two workers {_range([c * 1000 for c in cpus[2]])} "
               "(parent + workers)"),
    ]


def main(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for name, (n, latency, concurrency) in WORKLOADS.items():
        figures += compare(name, n // 4 if quick else n, latency, concurrency, 1 if quick else REPEATS)
    return figures
