"""Bench 7: a folder run against a server injecting every fault class at 30% of requests (seeded).

Figures, side by side against the same fault plan (same seed, so the same faults per article request):

- articles lost: neither summarized nor recorded in the ledger with a typed error (target 0);
- faults survived: injected faults after which the article was still summarized, ÷ the faults that
  can be survived (all but refusals, content-filter stops and empty choice lists, which are final);
- requests per article, for summarize and for what users write today: ``asyncio.gather`` over
  instructor calls with the openai SDK's default retries (2) and instructor's reasks (2), where any
  exception loses the article and nothing records why.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from summarize import Summarizer, load_article
from summarize.core.ledger import Ledger
from summarize.testing.faults import EXPECTED, FaultPlan, article_of
from summarize.testing.loopback import LoopbackServer, write_synthetic_articles

from .common import FAKE_KEY, Figure

ARTICLES, RATE, SEED, CONCURRENCY = 300, 0.3, 2026, 16
_FINAL = {"refusal", "content_filter", "empty_choices"}


def _plan() -> FaultPlan:
    return FaultPlan(rate=RATE, seed=SEED, stall=1.0)


def _plain_instructor(paths: list[Path], s: Summarizer) -> tuple[int, int]:
    """(articles summarized, requests) for the usual gather loop; returns what survived."""
    import instructor
    import openai

    from summarize.core.schema import ArticleSummary

    with LoopbackServer(responder=_plan()) as server:
        async def run() -> list[object]:
            client = instructor.from_openai(openai.AsyncOpenAI(base_url=server.url, api_key=FAKE_KEY, timeout=0.4),
                                            mode=instructor.Mode.JSON_SCHEMA)
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(p: Path) -> object:
                async with gate:
                    return await client.chat.completions.create(
                        model="gpt-4o-mini", response_model=ArticleSummary, messages=s.prompt.messages(load_article(p)),
                        max_retries=2)

            return await asyncio.gather(*(one(p) for p in paths), return_exceptions=True)

        results = asyncio.run(run())
        return sum(not isinstance(r, BaseException) for r in results), len(server.seen)


def main(quick: bool = False) -> list[Figure]:
    n = 60 if quick else ARTICLES
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_synthetic_articles(root / "in", n)
        with LoopbackServer(responder=_plan()) as server:
            s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=root / "fx", mode="live", timeout=0.4,
                           retry_backoff=0.01, max_reasks=2, retries=3, max_tokens=2000)
            report = s.summarize_folder(root / "in", root / "out", concurrency=CONCURRENCY)
            seen = list(server.seen)
        written = {p.stem for p in (root / "out").glob("*.json")}
        # The report keeps only the first failures; the ledger has every outcome.
        failed = {a for a, e in Ledger(root / "out").last_entries().items() if e["status"] == "failed"}
        lost = n - len(written | failed)
        faults = [x.fault for x in seen if x.fault and EXPECTED[x.fault] != "benign"]
        survivable = [f for f in faults if f not in _FINAL]
        # A survivable fault is survived unless it was the last request of an article that failed.
        last = {}
        for x in seen:
            last[article_of(x.body)] = x
        fatal = [x for a, x in last.items() if a in failed and x.fault and x.fault not in _FINAL]
        survived = len(survivable) - len(fatal)
        plain_done, plain_requests = _plain_instructor(paths, s)
    kinds = report.failure_kinds
    return [
        Figure("faults: articles lost", float(lost), "<= 0",
               f"{n} articles, {len(faults)} faults injected in {len(seen)} requests; done {report.done}, "
               f"failed with a typed error {report.failed} {dict(kinds)}"),
        Figure("faults: survivable faults survived", survived / max(1, len(survivable)), ">= 0.95",
               f"{survived} of {len(survivable)}; final faults (refusal, filter, no choices): {len(faults) - len(survivable)}"),
        Figure("faults: requests per article", len(seen) / n, "<= 1.6",
               f"summarize {len(seen)} requests; instructor+gather {plain_requests} requests "
               f"({plain_requests / n:.2f}/article) summarized {plain_done} and lost {n - plain_done} with no record"),
    ]
