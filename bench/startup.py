"""Bench 4: ``summarize --help`` ÷ ``python -c pass``, best of several runs each, interleaved.

Heavy imports (openai, instructor, pydantic, rich) stay out of the command line's start-up.
"""

from __future__ import annotations

from .common import PYTHON, Figure, run_child

RUNS = 15


def main(quick: bool = False) -> list[Figure]:
    runs = 5 if quick else RUNS
    bare, ours = [], []
    for _ in range(runs):
        bare.append(run_child([PYTHON, "-c", "pass"])[0])
        ours.append(run_child([PYTHON, "-m", "summarize", "--help"])[0])
    b, o = min(bare), min(ours)
    return [Figure("start-up: summarize --help / python -c pass", o / b, "<= 3",
                   f"{o * 1000:.0f} ms vs {b * 1000:.0f} ms (best of {runs})")]
