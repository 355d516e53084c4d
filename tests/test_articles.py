"""The loader on every seed, and on the inputs that go wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from summarize import ArticleError, PartialDate, article_from_text, load_article

EXPECTED = {
    "000_1be79f4858f8214c": (PartialDate(2024, 7, 17), "Trump security boosted weeks ago due to 'Iran plot'"),
    "001_7711f6691b26a254": (None, None),
    "002_7ce57991391b9df3": (PartialDate(2024, 7, 18), None),
    "003_84b2f991367e7357": (None, "Iranian assassination plots are escalating"),
    "004_ae59d914d090ed4d": (None, "Trump Rejects Israeli Proposal to Assassinate Iran's Khamenei"),
}


def test_every_seed_loads_with_its_date_title_and_no_boilerplate(seed_paths: list[Path]) -> None:
    for path in seed_paths:
        a = load_article(path)
        published, title = EXPECTED[a.id]
        assert (a.published, a.title) == (published, title), a.id
        assert not a.text.startswith((" ", "date ")), a.id
        assert a.text == a.text.strip()
        for junk in ("Advertisement", "Tags", "Source: Msn", "delivered directly to your inbox", "has worked as a politics writer"):
            assert junk not in a.text, (a.id, junk)
        assert a.content_hash.startswith("sha256:") and a.source_path == str(path)


def test_a_repeated_headline_is_kept_once() -> None:
    a = load_article(Path(__file__).parent.parent / "seeds" / "003_84b2f991367e7357.txt")
    assert a.text.count("Iranian assassination plots are escalating") == 1


def test_date_line_with_first_sentence_on_the_same_line() -> None:
    a = article_from_text(" date 2024-07-18 Officials say Iran is intent on revenge.\n\nMore text here.")
    assert a.published == PartialDate(2024, 7, 18) and a.published.as_date() == dt.date(2024, 7, 18)
    assert a.text.startswith("Officials say Iran") and a.title is None


def test_content_hash_changes_with_text_and_date_but_not_source() -> None:
    a = article_from_text("Headline\nBody one.", id="x")
    assert article_from_text("Headline\nBody one.", id="y", source_path="p").content_hash == a.content_hash
    assert article_from_text("Headline\nBody two.", id="x").content_hash != a.content_hash
    assert article_from_text("Headline\nBody one.", id="x", published=dt.date(2020, 1, 1)).content_hash != a.content_hash


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Caf\u00e9 \u201cquoted\u201d \u2014 text\nline two".encode("cp1252"), "cp1252"),
        ("Caf\u00e9 \u201cquoted\u201d \u2014 text\nline two".encode("utf-16"), "utf-16"),
        (b"\xef\xbb\xbf" + "Caf\u00e9 \u201cquoted\u201d \u2014 text\nline two".encode(), "utf-8-sig"),
        ("Caf\u00e9 \u201cquoted\u201d \u2014 text\r\nline two".encode(), "utf-8"),
    ],
)
def test_legacy_encodings_decode_and_are_recorded(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    a = load_article(path)
    assert a.encoding == encoding
    assert "Caf\u00e9 \u201cquoted\u201d \u2014 text" in a.text and "\r" not in a.text


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "no text"), (b"   \n\t\n", "no text"), (b"Advertisement\nTags\n", "no text"), (b"\x00\x01\x02PNG", "binary")],
)
def test_bad_files_raise_article_error_that_says_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=message):
        load_article(path)


def test_missing_file_and_directory_are_article_errors(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="does not exist"):
        load_article(tmp_path / "nope.txt")
    with pytest.raises(ArticleError, match="directory"):
        load_article(tmp_path)
