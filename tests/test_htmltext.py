"""Articles saved as web pages: the article's text and what the page says about it, nothing else."""

from __future__ import annotations

from pathlib import Path

from summarize import PartialDate, article_from_text, load_article
from summarize.text.grounding import locate
from summarize.text.htmltext import html_to_text

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Port strike ends after three weeks | The Harbour Gazette</title>
<meta property="og:title" content="Port strike ends after three weeks">
<meta property="og:site_name" content="The Harbour Gazette">
<meta name="author" content="Maria Lindqvist">
<meta property="article:published_time" content="2024-03-14T09:30:00Z">
<link rel="canonical" href="https://gazette.example/news/2024/03/port-strike-ends">
<script>window.dataLayer = [{"page": "article"}]; function track() { return "tracking pixel"; }</script>
<style>.ad { display: block; } body { font-family: serif; }</style>
</head>
<body>
<header class="site-header">
  <a href="/">The Harbour Gazette</a>
  <nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
  <li><a href="/subscribe">Subscribe now</a></li></ul></nav>
</header>
<div class="ad-banner ad" id="top-ad">Advertisement: Buy the new Seaview apartments today, only a few left!</div>
<main>
<article>
<h1>Port strike ends after three weeks</h1>
<p class="byline">By Maria Lindqvist &middot; <time datetime="2024-03-14">14 March 2024</time></p>
<p>Dock workers at the city's container port voted on Wednesday to accept a new pay offer, ending a strike that
had halted shipping for three weeks.</p>
<p>The union said 78 percent of its members backed the deal, which raises wages by 9 percent over two years and
limits night shifts.</p>
<div class="newsletter-signup">Sign up for our morning newsletter and never miss a story.</div>
<p>&ldquo;This is a fair agreement and our members have spoken,&rdquo; said union leader Tomas Berg. The port
authority said the first ships would be unloaded on Thursday morning.</p>
<div aria-hidden="true">Share on social media</div>
<p>Retailers had warned of empty shelves as hundreds of containers waited offshore. The chamber of commerce
estimated the cost of the strike at 40 million euros a week.</p>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/a">Ferry fares to rise in April</a></li>
<li><a href="/b">New crane arrives at the port</a></li></ul></aside>
<p>Talks on a separate dispute over pensions will resume next month, the port authority said.</p>
</article>
</main>
<div class="ad" id="sidebar-ad"><p>Advertisement</p><p>Holiday deals to the sun from 99 euros.</p></div>
<footer class="site-footer"><p>&copy; 2024 The Harbour Gazette. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a></p></footer>
<script>track(); document.write("injected text from script");</script>
</body>
</html>
"""

PARAGRAPHS = [
    "Dock workers at the city's container port voted on Wednesday to accept a new pay offer, ending a strike",
    "The union said 78 percent of its members backed the deal",
    "\u201cThis is a fair agreement and our members have spoken,\u201d said union leader Tomas Berg.",
    "The chamber of commerce estimated the cost of the strike at 40 million euros a week.",
    "Talks on a separate dispute over pensions will resume next month, the port authority said.",
]
BOILERPLATE = ["News", "Sport", "Subscribe", "Advertisement", "Seaview", "newsletter", "Share on social media",
               "Related stories", "Ferry fares", "Holiday deals", "All rights reserved", "Privacy", "Cookie",
               "tracking", "injected", "dataLayer", "font-family"]


def test_text_after_a_hidden_element_is_kept() -> None:
    # The hand-written extractor stopped at the first hidden element and gave only "First.".
    page = "<!doctype html><html><body><p>First.</p><div hidden>x</div><p>Second.</p></body></html>"
    article = article_from_text(page)
    assert article.text == "First.\n\nSecond."


def test_a_news_page_keeps_the_article_and_drops_the_boilerplate(tmp_path: Path) -> None:
    path = tmp_path / "port-strike.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    article = load_article(path)
    assert article.title == "Port strike ends after three weeks"
    assert article.published == PartialDate(2024, 3, 14)
    for passage in PARAGRAPHS:
        assert passage in article.text, passage
    for junk in BOILERPLATE:
        assert junk not in article.text, junk
    # The text spans index into is the extracted text: a quote located there reads back verbatim.
    quote = "This is a fair agreement and our members have spoken"
    span = locate(article.text, quote)
    assert span is not None and article.text[span.start : span.end] == quote


def test_the_page_metadata_is_read_from_its_meta_tags() -> None:
    page = html_to_text(NEWS_PAGE)
    assert (page.title, page.published, page.author, page.sitename, page.url) == (
        "Port strike ends after three weeks", "2024-03-14", "Maria Lindqvist", "The Harbour Gazette",
        "https://gazette.example/news/2024/03/port-strike-ends")


def test_a_copyright_year_is_not_a_publication_date_and_a_given_date_wins() -> None:
    page = ("<!doctype html><html><body><article><h1>Storm hits coast</h1><p>Winds of 100 km/h were recorded on "
            "the coast overnight, the weather service said.</p></article><footer>&copy; 2021 Site</footer>"
            "</body></html>")
    assert article_from_text(page).published is None
    assert article_from_text(NEWS_PAGE, published="2024-03-15").published == PartialDate(2024, 3, 15)
