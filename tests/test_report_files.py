"""The report removes only files it wrote itself: its manifest, and what `summarize report` says it removed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from summarize.cli import main
from summarize.views.report import write_report
from summarize.views.report_files import MANIFEST_NAME

from .report_support import summarize_seeds, unmerged_timeline


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("seed-out")
    return out, summarize_seeds(out)


def without(out: Path, article_id: str, into: Path) -> Path:
    """A copy of the summaries folder ``out`` from which one article has left."""
    shutil.copytree(out, into)
    (into / f"{article_id}.json").unlink()
    return into


def test_the_users_own_pages_survive_and_only_the_reports_stale_page_is_removed_and_named(
        seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, docs = seed_out
    site = tmp_path / "site"
    own = {site / "notes.html": "<h1>my index of notes</h1>", site / "articles" / "mine.html": "<p>mine</p>",
           site / "timeline-notes.html": "<p>my own timeline notes</p>"}
    for path, text in own.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    assert main(["report", str(out), "--html", str(site)]) == 0
    first = capsys.readouterr().out
    assert f"Report written: {site / 'index.html'}" in first and "Removed" not in first
    gone = docs[0]["article"]["id"]
    assert (site / "articles" / f"{gone}.html").exists()

    fewer = without(out, gone, tmp_path / "fewer")
    assert main(["report", str(fewer), "--html", str(site)]) == 0
    for path, text in own.items():  # the user's files are untouched by both runs
        assert path.exists() and path.read_text(encoding="utf-8") == text, path
    second = capsys.readouterr().out
    assert f"Removed 1 file(s) an earlier report wrote and this one no longer does: articles/{gone}.html" in second
    assert not (site / "articles" / f"{gone}.html").exists()
    assert {p.name for p in (site / "articles").iterdir()} == {"mine.html"} | {f"{d['article']['id']}.html"
                                                                              for d in docs[1:]}


def test_write_report_says_what_it_removed_and_keeps_a_stale_page_the_user_changed(
        seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out, docs = seed_out
    site = tmp_path / "site"
    timeline = unmerged_timeline(docs)
    first = write_report(out, site, timeline=timeline)
    assert first.removed == () and first.kept == ()
    manifest = json.loads((site / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == sorted(p.relative_to(site).as_posix() for p in first.written)

    edited, gone = docs[0]["article"]["id"], docs[1]["article"]["id"]
    (site / "articles" / f"{edited}.html").write_text("my annotations", encoding="utf-8")
    fewer = tmp_path / "fewer"
    shutil.copytree(out, fewer)
    for article_id in (edited, gone):
        (fewer / f"{article_id}.json").unlink()
    second = write_report(fewer, site, timeline=unmerged_timeline(docs[2:]))
    assert second.removed == (site / "articles" / f"{gone}.html",)
    assert second.kept == (site / "articles" / f"{edited}.html",)  # changed since the report wrote it: kept
    assert (site / "articles" / f"{edited}.html").read_text(encoding="utf-8") == "my annotations"
    assert f"articles/{edited}.html" not in json.loads((site / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]


def test_a_manifest_cannot_make_the_report_remove_anything_outside_its_folder(
        seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out, docs = seed_out
    site, outside = tmp_path / "site", tmp_path / "outside.html"
    outside.write_text("not the report's", encoding="utf-8")
    write_report(out, site, timeline=unmerged_timeline(docs))
    manifest = json.loads((site / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["files"].update({"../outside.html": None, str(outside): None, "articles/../../outside.html": None})
    (site / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    again = write_report(out, site, timeline=unmerged_timeline(docs))
    assert again.removed == () and outside.read_text(encoding="utf-8") == "not the report's"


def test_pages_of_a_report_cut_short_are_still_known_and_removed_later(
        seed_out: tuple[Path, list[dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, docs = seed_out
    site = tmp_path / "site"

    def interrupted(*args: Any, **kwargs: Any) -> str:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # the index is written last: every article page is on disk by then
        patch.setattr("summarize.views.report_pages.index_page", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write_report(out, site, timeline=unmerged_timeline(docs))
    gone = docs[0]["article"]["id"]
    assert (site / "articles" / f"{gone}.html").exists() and not (site / "index.html").exists()
    later = write_report(without(out, gone, tmp_path / "fewer"), site, timeline=unmerged_timeline(docs[1:]))
    assert later.removed == (site / "articles" / f"{gone}.html",)
