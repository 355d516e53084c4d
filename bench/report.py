"""Bench 8: the HTML report of a large summaries folder: memory as the folder grows, and page sizes.

The folders are the five seed documents (replayed from ``fixtures/``) copied under new ids: 500 and
2,000 documents, each story then told by up to 400 articles. That is the worst case for the timeline,
whose entries compare every pair of their sources (no chaining). Each ``summarize report`` runs as its own
process, its peak RSS read with ``wait4``.

Figures: peak RSS at 2,000 documents ÷ at 500 (target ≤ 4: memory grows no faster than the folder), and
the largest page of the 2,000-document site in MB (target ≤ 2: timeline and who-said-what are split).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from summarize import Summarizer

from .common import PYTHON, ROOT, Figure, run_child

SMALL, LARGE = 500, 2_000


def _copies(seeds: list[dict], folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        doc = json.loads(json.dumps(seeds[i % len(seeds)]))
        doc["article"]["id"] = f"a{i:05d}"
        (folder / f"a{i:05d}.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def main(quick: bool = False) -> list[Figure]:
    small, large = (100, 400) if quick else (SMALL, LARGE)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        Summarizer(mode="replay", fixtures=ROOT / "fixtures").summarize_folder(ROOT / "seeds", root / "seeds", concurrency=5)
        seeds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "seeds").glob("*.json"))]
        measured = {}
        for n in (small, large):
            out = _copies(seeds, root / f"out{n}", n)
            seconds, rss = run_child([PYTHON, "-m", "summarize", "report", str(out), "--html", str(root / f"site{n}")])
            measured[n] = (seconds, rss)
        pages = sorted((p.stat().st_size, p.name) for p in (root / f"site{large}").glob("*.html"))
    (s_small, r_small), (s_large, r_large) = measured[small], measured[large]
    biggest, name = pages[-1]
    return [
        Figure(f"report: peak RSS {large:,} / {small:,} documents", r_large / r_small, "<= 4",
               f"{r_large / 1024:.0f} MiB vs {r_small / 1024:.0f} MiB; {s_large:.1f} s vs {s_small:.1f} s"),
        Figure(f"report: largest page at {large:,} documents (MB)", biggest / 1e6, "<= 2",
               f"{name}, of {len(pages)} pages outside articles/"),
    ]
