"""What ``Summarizer.summarize`` takes: an Article, a Path, ``path=``, or a str that is always text."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from summarize import Article, ArticleError, ConfigurationError, Summarizer, load_article
from summarize.testing.loopback import LoopbackServer, minimal_answer

from .conftest import FAKE_KEY, SEEDS

TEXT = "Iran and the U.S. traded 50/50 blame on Monday."


def _live(server: LoopbackServer) -> Summarizer:
    return Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="live", retries=0)


def _sent(server: LoopbackServer) -> str:
    return str(server.seen[-1].body["messages"][-1]["content"])


def test_a_str_is_the_articles_text_even_when_it_looks_like_a_path() -> None:
    """The issue's example: a one-line text with a slash was taken for a path that "does not exist"."""
    with LoopbackServer(responder=minimal_answer) as server:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = _live(server).run(TEXT)
        assert result.article.text == TEXT and TEXT in _sent(server)
        for text in ("see reports/2020.txt", "50/50.md"):  # a path's shape, but no such file: text
            assert _live(server).run(text).article.text == text


def test_paths_are_said_explicitly(tmp_path: Path) -> None:
    with Summarizer() as s:
        by_path = s.run(SEEDS[0])
        by_keyword = s.run(path=str(SEEDS[0]))
        by_article = s.run(load_article(SEEDS[0]))
        by_constructor = s.run(Article.from_path(SEEDS[0]))
    assert by_path.article == by_keyword.article == by_article.article == by_constructor.article
    assert by_path.summary == by_keyword.summary
    with pytest.raises(ConfigurationError, match="not both"):
        Summarizer().run(SEEDS[0], path=SEEDS[0])
    with pytest.raises(ArticleError, match="does not exist"):
        Summarizer(fixtures=tmp_path).run(path="no/such/article.txt")
    with pytest.raises(ArticleError, match=r"pathlib\.Path"):
        Summarizer().run(b"bytes")  # type: ignore[arg-type]


def test_from_text_is_the_explicit_constructor() -> None:
    article = Article.from_text("Headline\nBody text here.", id="x")
    assert (article.id, article.title, article.text) == ("x", "Headline", "Headline\nBody text here.")
    assert article == Article.from_text("Headline\nBody text here.", id="x") and article.content_hash


def test_an_old_style_path_str_still_works_and_warns_at_the_callers_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SEEDS[0].parent.parent)
    old_style = f"seeds/{SEEDS[0].name}"
    with Summarizer() as s, pytest.warns(DeprecationWarning, match=r"pathlib\.Path") as caught:
        summary = s.summarize(old_style)
    assert caught[0].filename == __file__  # pointed at the caller, not at the library
    assert summary == Summarizer().summarize(SEEDS[0])
