"""The package's wings: old flat module paths keep working for a release (with a warning), the public API
imports without any, and the testing aids do not drag in the pipeline. The one-way dependencies and the
absence of cycles are checked by ``lint-imports`` in CI (contracts in pyproject.toml)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import summarize
from summarize._compat import MOVED

# The modules of the flat layout (0.1.0 before the wings), as users may have imported them.
FLAT = ("_normal _quotation adapter articles authoring batch boilerplate bounds brat client config dates defaults "
        "document evalreport evaluate explain faults files fixtures gold grounding htmltext idpath ledger limits "
        "linking loopback markdown names network outfolder pipeline progress prompting proxies reask redaction "
        "report report_article report_files report_html report_pages schema speakers timeline tokens translate "
        "transport usage").split()


def test_every_module_of_the_flat_layout_has_a_new_home() -> None:
    assert sorted(MOVED) == sorted(FLAT)
    for new in MOVED.values():
        importlib.import_module(f"summarize.{new}")


@pytest.mark.parametrize("old", FLAT)
def test_an_old_path_imports_warns_and_hands_on_the_same_objects(old: str) -> None:
    sys.modules.pop(f"summarize.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"summarize.{old}")
    new = importlib.import_module(f"summarize.{MOVED[old]}")
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert messages == [(f"summarize.{old} has moved to summarize.{MOVED[old]}; import it from there "
                        "(the old path goes away in 0.2)")]
    public = [n for n in dir(new) if not n.startswith("__")]
    assert public and all(getattr(module, n) is getattr(new, n) for n in public)


def test_the_warning_points_at_the_users_import_line(tmp_path) -> None:
    script = tmp_path / "user_code.py"
    script.write_text("import warnings\nwarnings.simplefilter('always')\nfrom summarize.grounding import locate\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert f"{script}:3: DeprecationWarning: summarize.grounding has moved to summarize.text.grounding" in done.stderr


def test_from_summarize_import_is_unchanged_and_silent() -> None:
    names = ", ".join(sorted(summarize.__all__))
    code = f"from summarize import {names}\nimport summarize.cli\n"
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True)


def test_the_public_summarizer_adds_folder_runs_to_the_per_article_pipeline() -> None:
    from summarize.core.pipeline import ArticleSummarizer

    assert issubclass(summarize.Summarizer, ArticleSummarizer)
    assert hasattr(summarize.Summarizer, "summarize_folder") and not hasattr(ArticleSummarizer, "summarize_folder")


def test_the_testing_aids_do_not_import_the_pipeline() -> None:
    code = """
import json, sys, urllib.request
import summarize.testing.faults
from summarize.testing.loopback import LoopbackServer, minimal_answer
with LoopbackServer(responder=minimal_answer) as server:
    request = urllib.request.Request(server.url + "/chat/completions", method="POST",
                                     data=json.dumps({"model": "m", "messages": []}).encode(),
                                     headers={"content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
assert answer["choices"][0]["message"]["content"], answer
print(sorted(m for m in sys.modules if m.startswith(("summarize.core.pipeline", "summarize.core.client",
                                                     "summarize.runs", "summarize.summarizer", "openai"))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
