"""The id → path rule (summarize.text.idpath): ids never write outside OUT, bad ids fail alone and early, any Unicode travels."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from summarize import Article, ArticleError, FixtureStore, ReplayMissError, Summarizer, article_from_text
from summarize.core.articles import iter_articles
from summarize.core.ledger import LEDGER_NAME
from summarize.replay.fixtures import INDEX_NAME
from summarize.runs.authoring import rekey_fixtures
from summarize.runs.outfolder import LOCK_NAME
from summarize.testing.loopback import LoopbackServer, minimal_answer
from summarize.text.idpath import MAX_COMPONENT_BYTES, IdPathError, id_filename, id_path

from .conftest import FAKE_KEY

_ITEM = re.compile(r"Minister acts on item (\d+)")


def _text(i: int) -> str:
    return (f"Minister acts on item {i}\nThe minister said \u201cwe will act on item {i} now\u201d on Monday.\n"
            f"Officials confirmed the plan for item {i}.\n")


def _items_sent(server: LoopbackServer) -> set[int]:
    """The articles (by item number) that reached the server."""
    return {int(m.group(1)) for seen in server.seen for m in _ITEM.finditer(json.dumps(seen.body, ensure_ascii=False))}


def _ledger(out: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in (out / LEDGER_NAME).read_text(encoding="utf-8").splitlines() if line.strip()]
    return {e["article"]: e for e in lines}


def _snapshot(root: Path, *, skip: tuple[Path, ...]) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) with its bytes, except under the folders ``skip``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(p.is_relative_to(s) for s in skip)}


# -- the rule itself: a property test ------------------------------------------------------------------

_ids = st.text(st.one_of(st.sampled_from(list("/.~ _-aAé\u0301\u200b:?*\\CONul\x00\x1b")), st.characters()), max_size=40) | \
    st.text(st.sampled_from(list("ab/é")), min_size=150, max_size=400)


def _inside(rel: str, root: Path) -> bool:
    return (root / rel).resolve().is_relative_to(root.resolve())


@given(st.lists(_ids, unique=True, max_size=8))
@example(["café", "cafe\u0301", "a/b", "a_b", "a~b", "a_b~" + id_path("a~b")[-16:], ".a", "_a", "CON", "con.txt"])
def test_any_id_is_rejected_or_a_relative_path_inside_its_root_and_distinct_ids_get_distinct_paths(ids: list[str]) -> None:
    root = Path("/srv/out")
    paths: dict[str, str] = {}
    for article_id in ids:
        try:
            rel = id_path(article_id, ".json")
        except IdPathError as exc:
            assert str(exc)  # a rejection is typed and says why
            continue
        posix = PurePosixPath(rel)
        assert not posix.is_absolute() and not PureWindowsPath(rel).anchor
        assert _inside(rel, root)
        for part in posix.parts:
            assert part not in ("", ".", "..") and not part.startswith(".")
            assert len(part.encode("utf-8")) <= MAX_COMPONENT_BYTES + len(".json")
            assert not re.search(r'[\x00-\x1f\x7f<>:"\\|?*]', part)
            assert unicodedata.is_normalized("NFC", part)
        paths[article_id] = rel
        flat = id_filename(article_id, ".html")
        assert "/" not in flat and not flat.startswith(".") and len(flat.encode("utf-8")) <= MAX_COMPONENT_BYTES + 5
    assert len(set(paths.values())) == len(paths), paths
    assert len({id_filename(i) for i in paths}) == len(paths)


def test_readable_ids_are_kept_and_the_rest_is_escaped_or_rejected_as_documented() -> None:
    for readable in ("a00000", "world/2024/iran", "café", "北京/新闻", "Straße 12", "x.y-z"):
        assert id_path(readable) == readable
    assert re.fullmatch(r"_env~[0-9a-f]{16}\.json", id_path(".env", ".json"))  # hidden: escaped
    assert re.fullmatch(r"_CON~[0-9a-f]{16}", id_path("CON"))  # a Windows device name
    assert re.fullmatch(r"a b_c~[0-9a-f]{16}", id_path("a b?c"))
    assert id_path("cafe\u0301") != id_path("café")  # not NFC: escaped, never the same file as the NFC id
    for bad in ("", "../x", "/abs/path", "a/../../b", ".", "a//b", "a/", "a\x00b", "a\x1b[31mb", "\ud800"):
        try:
            id_path(bad)
        except IdPathError:
            continue
        raise AssertionError(f"{bad!r} was not rejected")


def test_an_article_refuses_a_rejected_id_when_it_is_made_and_keeps_its_id_in_nfc() -> None:
    with pytest.raises(ArticleError, match="made only of dots") as caught:
        article_from_text("Minister acts.\nThe minister said so.", id="../x")
    assert caught.value.article_id == "../x" and caught.value.kind == "article"
    assert article_from_text("Minister acts.\nThe minister said so.", id="cafe\u0301").id == "café"


# -- folder runs --------------------------------------------------------------------------------------

def _run(tmp_path: Path, records: dict[int, str]) -> tuple[Path, dict[str, dict[str, Any]], set[int], Any]:
    """A live folder run over ``records`` (item number → id, in one .jsonl) and a file ``café.txt`` (item 0),
    against a loopback server. Checks that nothing outside OUT was written or overwritten."""
    src, out, fx = tmp_path / "in", tmp_path / "out", tmp_path / "fx"
    src.mkdir()
    with (src / "feed.jsonl").open("w", encoding="utf-8") as f:
        for i, article_id in records.items():
            f.write(json.dumps({"id": article_id, "text": _text(i)}) + "\n")
    (src / "café.txt").write_text(_text(0), encoding="utf-8")
    before = _snapshot(tmp_path, skip=(out, fx))
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=fx, mode="live")
        report = s.summarize_folder(src, out, concurrency=2)
    assert _snapshot(tmp_path, skip=(out, fx)) == before  # nothing outside OUT written, nothing overwritten
    ledger = _ledger(out)
    assert set(ledger) == {*records.values(), "café"}  # a line per article
    return out, ledger, _items_sent(server), report


def test_ids_that_would_leave_out_fail_alone_before_any_request_and_odd_ones_get_safe_names(tmp_path: Path) -> None:
    # Files a hostile id overwrites on the old code: all outside OUT.
    for victim in ("x.json", "b.json", "abs.json"):
        (tmp_path / victim).write_text('{"precious": true}\n', encoding="utf-8")
    long_id = "long-" + "y" * 295
    records = {1: "../x", 2: str(tmp_path / "abs"), 3: "a/../../b", 4: ".",
               5: "crème brûlée", 6: long_id, 7: "world/iran", 8: "Iran-case", 9: "iran-CASE", 10: ".hidden"}
    out, ledger, sent, report = _run(tmp_path, records)

    rejected = {1, 2, 3, 4}
    for i in rejected:
        assert (ledger[records[i]]["status"], ledger[records[i]]["error"]) == ("failed", "article"), records[i]
    assert "absolute" in ledger[str(tmp_path / "abs")]["message"]
    for article_id in ("café", "crème brûlée", long_id, "world/iran", "Iran-case", ".hidden"):
        assert ledger[article_id]["status"] == "done", ledger[article_id]
    # Ids that differ only in case would share a file on macOS and Windows: the second fails, nothing is overwritten.
    assert ledger["iran-CASE"]["status"] == "failed" and "case" in ledger["iran-CASE"]["message"]
    assert sent == {0, 5, 6, 7, 8, 10}  # rejected ids never reached the server
    assert report.failed == len(rejected) + 1

    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {LOCK_NAME}
    assert written == {LEDGER_NAME, "café.json", "crème brûlée.json", "world/iran.json", "Iran-case.json",
                       id_path(long_id, ".json"), id_path(".hidden", ".json")}
    assert not any(part.startswith(".") for p in written for part in PurePosixPath(p).parts)
    assert all(len(part.encode("utf-8")) <= 255 for p in written for part in PurePosixPath(p).parts)
    assert json.loads((out / "café.json").read_text(encoding="utf-8"))["article"]["id"] == "café"


def test_a_nul_or_control_character_in_an_id_fails_that_article_only(tmp_path: Path) -> None:
    records = {1: "nul\x00byte", 2: "esc\x1b[2Jape", 3: "del\x7f", 4: "after"}
    _, ledger, sent, report = _run(tmp_path, records)
    for i in (1, 2, 3):
        entry = ledger[records[i]]
        assert (entry["status"], entry["error"]) == ("failed", "article")
        assert "control character" in entry["message"] and not re.search(r"[\x00-\x1f\x7f]", entry["message"])
    assert ledger["after"]["status"] == "done" and ledger["café"]["status"] == "done"
    assert sent == {0, 4} and report.failed == 3


def test_a_non_ascii_id_records_in_auto_mode_and_replays_offline_with_a_readable_fixture(tmp_path: Path) -> None:
    src, fx = tmp_path / "in", tmp_path / "fx"
    src.mkdir()
    (src / "café.txt").write_text(_text(1), encoding="utf-8")
    (src / "Ünïcødé ✓ 北京.txt").write_text(_text(2), encoding="utf-8")
    decomposed = unicodedata.normalize("NFD", "São Tomé")  # as macOS spells file names: read as the NFC id
    (src / f"{decomposed}.txt").write_text(_text(3), encoding="utf-8")
    ids = {"café", "Ünïcødé ✓ 北京", "São Tomé"}

    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=fx, mode="auto")
        live = s.summarize_folder(src, tmp_path / "live")
        assert _items_sent(server) == {1, 2, 3}
    assert live.ok and live.done == 3, _ledger(tmp_path / "live")
    store = FixtureStore(fx)
    # stored readable, not percent-encoded
    assert [data["article"] for _, data in store.for_article("café")] == ["café"]
    assert {e["article"] for e in store.index()} == ids

    replay = Summarizer(fixtures=fx, mode="replay").summarize_folder(src, tmp_path / "replayed")
    assert replay.ok and replay.replayed == 3, _ledger(tmp_path / "replayed")
    assert {p.stem for p in (tmp_path / "replayed").glob("*.json")} == ids


def _as_format_1(fx: Path, folder: str) -> None:
    """Move the fixtures recorded in ``fx`` to where key format 1 kept them, ``fx/<folder>/<key prefix>.json``,
    and drop the index, which format 1 did not have."""
    for path in list(fx.glob("??/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["format"] = 1
        (fx / folder).mkdir(parents=True, exist_ok=True)
        (fx / folder / f"{data['key'][:16]}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        path.unlink()
        path.parent.rmdir()
    (fx / INDEX_NAME).unlink()


def test_format_1_fixtures_in_id_folders_are_explained_and_carried_over_by_rekey_each_to_its_own_article(
        tmp_path: Path) -> None:
    src, fx = tmp_path / "in", tmp_path / "fx"
    (src / "world").mkdir(parents=True)
    (src / "world" / "iran.txt").write_text(_text(1), encoding="utf-8")
    (src / "world_iran.txt").write_text(_text(2), encoding="utf-8")
    articles = [a for a in iter_articles([src]) if isinstance(a, Article)]
    with LoopbackServer(responder=minimal_answer) as server:
        s = Summarizer(base_url=server.url, api_key=FAKE_KEY, fixtures=fx, mode="record")
        s.run(articles[0])
        _as_format_1(fx, "world_iran")  # where the flattening rule before the id -> path rule put world/iran
        s.run(articles[1])
        _as_format_1(fx, "world_iran")  # and world_iran's own: two articles' fixtures in one folder
    assert sorted(p.relative_to(fx).as_posix() for p in fx.rglob("*") if p.is_file())[0].startswith("world_iran/")

    with pytest.raises(ReplayMissError, match=r"key format \(recorded 1, now 2: `summarize fixtures rekey PATH`"):
        Summarizer(fixtures=fx, mode="replay").run(articles[0])
    store = FixtureStore(fx)
    assert [data["article"] for _, data in store.for_article("world/iran")] == ["world/iran"]
    assert [data["article"] for _, data in store.for_article("world_iran")] == ["world_iran"]
    # A rekey reads an article's fixtures and deletes the old ones: never another article's.
    assert rekey_fixtures(articles, fixtures=fx) == {"world/iran": "rekeyed 1 exchange(s)",
                                                     "world_iran": "rekeyed 1 exchange(s)"}
    assert not (fx / "world_iran").exists() and {e["article"] for e in store.index()} == {"world/iran", "world_iran"}
    replay = Summarizer(fixtures=fx, mode="replay").summarize_folder(src, tmp_path / "c")
    assert replay.ok and replay.replayed == 2

def test_eval_finds_the_document_of_an_escaped_id_where_the_run_wrote_it(tmp_path: Path) -> None:
    from summarize.evaluation.evaluate import evaluate

    from .test_evaluate import write_gold, write_pred

    article_id = "what? a/b:c"
    written = write_pred(tmp_path / "scratch", article_id="doc")
    document = tmp_path / "out" / id_path(article_id, ".json")  # where `summarize run` writes it
    document.parent.mkdir(parents=True)
    written.replace(document)
    write_gold(tmp_path / "gold" / "what? a", article_id="b:c")  # gold id: its path, "what? a/b:c"
    report = evaluate(tmp_path / "out", tmp_path / "gold")
    assert [(a.article, a.predicted) for a in report.articles] == [(article_id, True)]
    assert not report.missing_predictions and not report.predictions_without_gold


def test_the_command_line_reports_control_characters_in_ids_escaped_and_without_a_traceback(tmp_path: Path) -> None:
    from .test_cli_and_api import run_cli

    (tmp_path / "in").mkdir()
    with (tmp_path / "in" / "feed.jsonl").open("w", encoding="utf-8") as f:
        for i, article_id in enumerate(("nul\x00byte", "esc\x1b]0;pwned\x07", "fine/../../up", "half\ud800")):
            f.write(json.dumps({"id": article_id, "text": _text(i)}) + "\n")
    (tmp_path / "in" / os.fsdecode(b"caf\xe9.txt")).write_text(_text(4), encoding="utf-8")  # a Latin-1 file name
    proc = run_cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--fixtures", str(tmp_path / "fx"),
                   "--mode", "replay", "--quiet")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", proc.stdout + proc.stderr)  # nothing for the terminal to obey
    assert "nul\\x00byte: article:" in proc.stderr and "esc\\x1b]0;pwned\\x07: article:" in proc.stderr
    ledger = _ledger(tmp_path / "out")  # one line per article: a lone surrogate no longer breaks the ledger write
    assert len(ledger) == 5 and all(e["error"] == "article" for e in ledger.values())
    assert "not valid Unicode" in ledger[os.fsdecode(b"caf\xe9")]["message"]
    assert not (tmp_path / "up.json").exists()
