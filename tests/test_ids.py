"""The id → path rule (summarize.idpath): ids never write outside OUT, bad ids fail alone and early, any Unicode travels."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from hypothesis import given
from hypothesis import strategies as st

from summarize.idpath import MAX_COMPONENT_BYTES, IdPathError, id_filename, id_path

# -- the rule itself: a property test ------------------------------------------------------------------

_ids = st.text(st.one_of(st.sampled_from(list("/.~ _-aAé\u0301\u200b:?*\\CONul\x00\x1b")), st.characters()), max_size=40) | \
    st.text(st.sampled_from(list("ab/é")), min_size=150, max_size=400)


def _inside(rel: str, root: Path) -> bool:
    return (root / rel).resolve().is_relative_to(root.resolve())


@given(st.lists(_ids, unique=True, max_size=8))
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
