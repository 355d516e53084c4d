"""Bench 5: peak memory of a replayed folder run over 10,000 articles ÷ over 1,000 (target ≤ 1.2), and of
a run over 50,000 failing records ÷ over 5,000 (target ≤ 1.2: failures are counted and sampled, not kept).

Each run is a separate ``summarize run`` process whose peak RSS is read with ``wait4``. The fixtures
are built from one real recording: the first article is recorded through the pipeline against the
loopback server, and every other article's exchange is the same request with its own article message
(so its own key) and the answer the server would give. A replay miss would fail the run, so the
replay proves the fixtures match what the pipeline sends.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

from summarize import Summarizer, load_article
from summarize.core.adapter import completion_body
from summarize.replay.store import FixtureStore, readable, request_key
from summarize.testing.loopback import minimal_answer, write_synthetic_articles
from summarize.text.files import write_json_atomic

from .common import FAKE_KEY, PYTHON, Figure, run_child
from .server import ServerProcess

SMALL, LARGE = 1_000, 10_000


def _fixtures(root: Path, paths: list[Path]) -> Path:
    fx = root / "fx"
    with ServerProcess() as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="record", fixtures=fx)
        s.run(paths[0])
    [(_, template)] = FixtureStore(fx).for_article(paths[0].stem)
    from summarize.replay.store import restored

    body = restored(template["request"]["body"])
    prompt = s.prompt
    for path in paths[1:]:
        article = load_article(path)
        request = copy.copy(body)
        request["messages"] = [body["messages"][0], prompt.messages(article)[1]]
        key = request_key(request)
        data = {**template, "key": key, "article": article.id,
                "request": {**template["request"], "body": readable(request)},
                "response": {"status": 200, "body": readable(completion_body(minimal_answer(request), request))}}
        write_json_atomic(FixtureStore(fx).path_for(key), data)
    return fx


def _failing(root: Path, small: int, large: int) -> Figure:
    """Peak RSS of runs over ``large`` and ``small`` records that all fail (empty text: no model is called)."""
    rss = {}
    for n in (small, large):
        feed = root / f"failing-{n}" / "feed.jsonl"
        feed.parent.mkdir()
        feed.write_text("".join(json.dumps({"id": f"r{i}", "text": ""}) + "\n" for i in range(n)))
        _, rss[n] = run_child([PYTHON, "-m", "summarize", "run", str(feed), "--out", str(root / f"out-failing-{n}"),
                                     "--fixtures", str(root / "fx-none"), "--quiet"], expect=1)
    return Figure(f"memory: peak RSS {large:,} / {small:,} failing records", rss[large] / rss[small], "<= 1.2",
                  f"{rss[small] / 1024:.0f} MiB vs {rss[large] / 1024:.0f} MiB")


def main(quick: bool = False) -> list[Figure]:
    small, large = (200, 2_000) if quick else (SMALL, LARGE)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_synthetic_articles(root / "large", large)
        (root / "small").mkdir()
        for p in paths[:small]:
            (root / "small" / p.name).symlink_to(p)
        fx = _fixtures(root, paths)
        figures = {}
        for name in ("small", "large"):
            seconds, rss = run_child([PYTHON, "-m", "summarize", "run", str(root / name), "--out", str(root / f"out-{name}"),
                                         "--fixtures", str(fx), "--quiet"])
            written = sum(1 for _ in (root / f"out-{name}").glob("*.json"))
            assert written == (small if name == "small" else large), f"{name}: {written} outputs"
            figures[name] = (seconds, rss)
        ledger = (root / "out-large" / "ledger.jsonl").read_text().splitlines()
        assert all(json.loads(line)["status"] == "done" for line in ledger)
        failing = _failing(root, *((500, 5_000) if quick else (5_000, 50_000)))
    (s_sec, s_rss), (l_sec, l_rss) = figures["small"], figures["large"]
    return [failing, Figure(f"memory: peak RSS {large:,} / {small:,} articles", l_rss / s_rss, "<= 1.2",
                   f"{s_rss / 1024:.0f} MiB vs {l_rss / 1024:.0f} MiB; {s_sec:.1f} s vs {l_sec:.1f} s "
                   f"({large / l_sec:.0f} articles/s replayed)")]
