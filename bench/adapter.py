"""Bench: per-article client CPU before and after the adapter replaced instructor (issue 11, section 4).

Figures, side by side in one run, on the same articles and fixtures:

- **replay CPU per article** (``time.process_time`` around ``Summarizer.run``, replaying N copies of the
  five seeds under other names, so every article goes through the content-keyed fixture lookup, the
  client, validation and grounding): the code of :data:`BEFORE` (instructor with its async-validator check
  patched to run once per class) ÷ this tree, medians (:mod:`summarize.core.adapter`). Each side runs in its own
  process from its own source tree (``git archive`` of :data:`BEFORE`), so neither sees the other's
  imports; target ≤ 1.0 (no slower);
- **parse CPU per answer**: the seeds' accepted answers read by instructor's public
  ``ResponseSchema.from_response`` (what parsing through instructor costs without the patch, its
  async-validator walk included) ÷ :func:`summarize.core.adapter.parse_answer`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import PYTHON, ROOT, Figure

#: The last commit whose client parsed through instructor (with the process-wide patch).
BEFORE = "ae19844"
ARTICLES = 400
ROUNDS = 4  # processes per side, alternated

# Runs in a child process whose PYTHONPATH is the tree measured; prints a JSON list of CPU seconds per article.
_CHILD = """
import json, shutil, sys, time
from pathlib import Path
from summarize import Summarizer, load_article
tree, folder, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
seeds = sorted((tree / "seeds").glob("*.txt"))
paths = []
for i in range(n):
    seed = seeds[i % len(seeds)]
    paths.append(folder / f"copy_{i:05d}_{seed.name}")
    shutil.copyfile(seed, paths[-1])
s = Summarizer(fixtures=tree / "fixtures")
for seed in seeds:
    s.run(load_article(seed))  # warm: imports, the client, the schema caches
articles = [load_article(p) for p in paths]
import gc
full = []  # CPU seconds of each full (generation 2) collection during the timed loop
def collected(phase, info, started=[0.0]):
    if info["generation"] == 2:
        if phase == "start":
            started[0] = time.process_time()
        else:
            full.append(time.process_time() - started[0])
gc.callbacks.append(collected)
cpu = []
for article in articles:
    start = time.process_time()
    s.run(article)
    cpu.append(time.process_time() - start)
import summarize
assert Path(summarize.__file__).resolve().is_relative_to(tree.resolve()), summarize.__file__
print(json.dumps({"cpu": cpu, "full": full}))
"""


def _per_article(tree: Path, n: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([PYTHON, "-c", _CHILD, str(tree), folder, str(n)], cwd=tree, env=_env(tree),
                             capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"the replay in {tree} failed: {out.stderr[-2000:]}")
    measured = json.loads(out.stdout.splitlines()[-1])
    return list(measured["cpu"]), list(measured["full"])


def _collections(seconds: list[float], total: float, articles: int) -> str:
    """`` (k full GCs, x ms each)``: a full collection's cost grows with the heap, and when one falls in the
    window depends on it (a smaller heap collects sooner), so the mean of a few hundred articles may hold
    one more or one fewer of them than a long run would; the median does not."""
    if not seconds:
        return " (no full GC)"
    return (f" ({len(seconds)} full GC, {statistics.fmean(seconds) * 1000:.0f} ms each, in {articles} articles; "
            f"mean without them {(total - sum(seconds)) / articles * 1000:.2f} ms)")


def _env(tree: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env["PYTHONPATH"] = str(tree)  # ahead of the editable install's path
    return env


def _parse_figures(rounds: int) -> tuple[float, float]:
    """CPU seconds per answer: instructor's process_response, then ours, on the seeds' accepted answers."""
    import instructor
    from openai.types.chat import ChatCompletion

    from summarize import load_article
    from summarize.core.adapter import parse_answer
    from summarize.core.schema import GROUNDING, ArticleSummary, GroundingContext
    from summarize.replay.store import restored

    index = [json.loads(line) for line in (ROOT / "fixtures" / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    last = {}
    for entry in sorted(index, key=lambda e: e["attempt"]):
        last[entry["article"]] = entry["key"]  # the accepted answer is each article's last attempt
    cases = []
    for article_id, key in sorted(last.items()):
        record = json.loads((ROOT / "fixtures" / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
        completion = ChatCompletion.model_validate(restored(record["response"]["body"]))
        article = load_article(ROOT / "seeds" / f"{article_id}.txt")
        cases.append((completion, GroundingContext(text=article.text, published=article.published)))

    wire = instructor.response_schema(ArticleSummary)  # built once, as the old client did

    def instructor_parse(completion: ChatCompletion) -> object:
        return wire.from_response(completion, mode=instructor.Mode.JSON_SCHEMA)

    def ours(completion: ChatCompletion) -> object:
        return parse_answer(completion, "json_schema")

    seconds = []
    for parse in (instructor_parse, ours):
        for completion, context in cases:  # warm
            token = GROUNDING.set(context)
            parse(completion)
            GROUNDING.reset(token)
        start = time.process_time()
        for _ in range(rounds):
            for completion, context in cases:
                token = GROUNDING.set(context)
                parse(completion)
                GROUNDING.reset(token)
        seconds.append((time.process_time() - start) / (rounds * len(cases)))
    return seconds[0], seconds[1]


def main(quick: bool = False) -> list[Figure]:
    n = 50 if quick else ARTICLES
    with tempfile.TemporaryDirectory() as tmp:
        before_tree = Path(tmp) / "before"
        before_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
        # Alternate the sides so that a change in the machine's load falls on both.
        before: list[float] = []
        after: list[float] = []
        full: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(ROUNDS):
            for side, tree, into in (("before", before_tree, before), ("after", ROOT, after)):
                cpu, collections = _per_article(tree, n // ROUNDS)
                into.extend(cpu)
                full[side] += collections
    b_mean, a_mean = statistics.fmean(before), statistics.fmean(after)
    b_med, a_med = statistics.median(before), statistics.median(after)
    i_parse, o_parse = _parse_figures(20 if quick else 100)
    return [
        # The median: a few articles meet a full GC or another process's burst (see _collections).
        Figure(f"adapter: replay CPU/article, before / after ({len(after)})", b_med / a_med, ">= 1.0",
               f"before ({BEFORE}, instructor + patch) median {b_med * 1000:.2f} ms, mean {b_mean * 1000:.2f} ms"
               f"{_collections(full['before'], sum(before), len(before))}; after (adapter) median {a_med * 1000:.2f} ms, "
               f"mean {a_mean * 1000:.2f} ms{_collections(full['after'], sum(after), len(after))}"),
        Figure("adapter: parse CPU/answer, instructor / ours", i_parse / o_parse, ">= 1.0",
               f"instructor from_response {i_parse * 1000:.3f} ms, adapter.parse_answer {o_parse * 1000:.3f} ms"),
    ]


if __name__ == "__main__":
    for figure in main(quick="--quick" in sys.argv):
        print(figure.line())
