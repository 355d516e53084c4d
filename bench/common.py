"""Helpers shared by the benchmarks: figures, timing and the processes they measure."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAKE_KEY = "bench-key-NOT-A-REAL-KEY"


@dataclass(frozen=True)
class Figure:
    """One line of a benchmark's output: a ratio with its target, and the measurements behind it."""

    name: str
    value: float
    target: str
    detail: str

    @property
    def met(self) -> bool:
        op, bound = self.target.split()
        return self.value <= float(bound) if op == "<=" else self.value >= float(bound)

    def line(self) -> str:
        mark = "ok  " if self.met else "MISS"
        return f"{mark} {self.name:44} {self.value:8.3f}  target {self.target:7}  {self.detail}"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_child(args: list[str], cwd: Path = ROOT, *, expect: int = 0) -> tuple[float, int]:
    """Run a command that should exit with ``expect``; returns (seconds, peak RSS in KiB of that child),
    measured with wait4."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != expect:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    return seconds, usage.ru_maxrss


PYTHON = sys.executable
