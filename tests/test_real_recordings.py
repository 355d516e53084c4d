"""The seeds as a real small model answered them: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) on the embedded
llama.cpp engine, recorded into fixtures/ beside the authored references. Replaying them sends real answers,
with their real faults (loops, ungrounded passages, paraphrased quotes), through parsing, repair, reasks and
salvage on every run of the suite, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT, SEEDS

MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"  # tools/get_model.py's record


def _recorded() -> dict[str, list[dict[str, Any]]]:
    """The fixtures of MODEL by article id, read from the index and then from their files."""
    by_article: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in (FIXTURES / "index.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        path = FIXTURES / entry["key"][:2] / f"{entry['key']}.json"
        if entry.get("model") == MODEL and path.exists():
            by_article[entry["article"]].append(json.loads(path.read_text(encoding="utf-8")))
    return by_article


def test_every_seed_has_real_recordings_labelled_with_what_served_them() -> None:
    recorded = _recorded()
    assert sorted(recorded) == sorted(p.stem for p in SEEDS)
    for fixtures in recorded.values():
        for fixture in fixtures:
            provenance = fixture["provenance"]
            assert provenance["source"] == "recorded" and provenance["recorded_at"]
            served = provenance["served_by"]
            assert served["engine"].startswith("llama.cpp") and served["engine_version"]
            assert served["model_file"] == MODEL and served["model_sha256"] == MODEL_SHA256


@pytest.mark.parametrize("extra", [[], ["--strict"]], ids=["default", "strict"])
def test_the_real_recordings_replay_offline_through_repair_reasks_and_salvage(tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "summarize", "run", str(ROOT / "seeds"), "--model", MODEL,
                           "--mode", "replay", "--fixtures", str(FIXTURES), "--out", str(out), "--quiet", *extra],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    ledger = [json.loads(line) for line in (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(ledger) == len(SEEDS)
    recorded = _recorded()
    for entry in ledger:
        assert entry.get("error") != "replay_miss", entry  # every request the run made was recorded
        assert entry["live_prompt_tokens"] == 0 and entry["replayed"] == entry["attempts"] >= 1
        assert entry["attempts"] <= len(recorded[entry["article"]])
        if entry["status"] in ("done", "partial"):
            document = json.loads((out / f"{entry['article']}.json").read_text(encoding="utf-8"))
            assert document["run"]["model"] == MODEL
            assert all(a["source"] == "recorded" for a in document["run"]["answers"])
    if extra:  # all or nothing: no partial document
        assert all(entry["status"] != "partial" for entry in ledger)
