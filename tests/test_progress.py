"""A folder run against a slow server shows each article in progress with the seconds it has run."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from summarize import Summarizer
from summarize.core.adapter import completion_body
from summarize.runs.progress import RichProgress, in_progress_text
from summarize.testing.loopback import LoopbackServer, Reply, minimal_answer, write_synthetic_articles

from .conftest import FAKE_KEY


def test_a_folder_run_shows_each_article_in_progress_with_its_seconds(tmp_path: Path) -> None:
    write_synthetic_articles(tmp_path / "in", 2)
    release, arrived = threading.Event(), threading.Event()

    def hold(body: dict[str, Any]) -> Reply:
        reply = Reply(200, completion_body(minimal_answer(body), body))
        if "item 1" in json.dumps(body["messages"]):
            arrived.set()
            reply.hold = release
        return reply

    progress = RichProgress(enabled=False)
    with LoopbackServer(responder=hold) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live")
        run = threading.Thread(target=s.summarize_folder, args=(tmp_path / "in", tmp_path / "out"),
                               kwargs={"progress": progress})
        run.start()
        try:
            assert arrived.wait(120)
            assert progress.report is not None and "a00001" in progress.report.in_progress
            assert re.search(r"^[12] running: .*\ba00001 \d+s\b", progress.running()), progress.running()
        finally:
            release.set()
            run.join(120)
    assert progress.report.done == 2 and progress.running() == "" and in_progress_text(progress.report) == ""
