"""Soak: a folder run of 300 articles against a server injecting every fault at 30% of requests."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from summarize import Summarizer
from summarize.core.ledger import LEDGER_NAME
from summarize.testing.faults import EXPECTED, FaultPlan, article_of
from summarize.testing.loopback import LoopbackServer

from .conftest import FAKE_KEY, files_containing, write_synthetic_articles

#: The error kind an article must fail with when its last request carried this fault.
_FINAL_KIND = {"reask": "invalid_output", "transient": "provider", "truncated": "truncated", "refusal": "refusal",
               "provider": "provider"}


def test_300_articles_with_30_percent_faults_lose_nothing_and_count_everything(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 300)
    # A stall is held until the client gives up, so it is never delivered however busy the machine is;
    # the timeout only ends stalls: a real answer that took longer would be paid for and not counted.
    plan = FaultPlan(rate=0.3, seed=2026)
    with LoopbackServer(responder=plan) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=tmp_path / "fx", mode="record", timeout=5,
                       retry_backoff=0.01, max_reasks=2, retries=3, max_tokens=2000)
        report = s.summarize_folder(tmp_path / "in", tmp_path / "out", concurrency=16)

    entries = [json.loads(line) for line in (tmp_path / "out" / LEDGER_NAME).read_text().splitlines()]
    by_article = {e["article"]: e for e in entries}
    assert len(entries) == 300 and len(by_article) == 300, "every article recorded exactly once"
    assert report.done + report.failed == 300 and report.done > 200

    requests: dict[str, list[Any]] = defaultdict(list)
    for seen in server.seen:
        requests[article_of(seen.body)].append(seen)
    injected = [seen.fault for seen in server.seen if seen.fault]
    assert len(set(injected)) == len(EXPECTED), f"every fault class was injected: {sorted(set(injected))}"

    for article, entry in by_article.items():
        seen = requests[article]
        # No stacking and nothing uncounted: the server saw exactly the attempts and retries the ledger reports.
        assert len(seen) == entry["attempts"] + entry["retries"], (article, [x.fault for x in seen], entry)
        last = seen[-1].fault
        if entry["status"] == "done":
            assert EXPECTED.get(last, "benign") == "benign", (article, last)
            assert (tmp_path / "out" / f"{article}.json").is_file()
        else:
            assert entry["error"] == _FINAL_KIND[EXPECTED[last]], (article, [x.fault for x in seen], entry)
            assert not (tmp_path / "out" / f"{article}.json").exists()

    delivered = [seen.usage for seen in server.seen if seen.delivered and seen.usage]
    assert report.prompt_tokens == sum(u["prompt_tokens"] for u in delivered)
    assert report.completion_tokens == sum(u["completion_tokens"] for u in delivered)
    assert report.requests == len(server.seen)
    assert not files_containing(tmp_path, FAKE_KEY), "the key must not land in any written file"
