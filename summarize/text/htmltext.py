"""Plain text from an HTML page, for articles saved as web pages.

Terms:

- **HTML page**: a file whose name ends in ``.html``/``.htm``, or whose text starts (after white space
  and comments) with ``<!doctype html`` or ``<html``.
- **content**: the article's main text as `trafilatura <https://trafilatura.readthedocs.io>`_ finds it,
  in its precision mode: scripts, styles, navigation, headers and footers of the page, asides, forms,
  advertising and link lists are left out, and so are hidden elements (``hidden``,
  ``aria-hidden="true"``) wherever they are. Paragraphs, headings and list items are separated by a
  blank line, as in a ``.txt`` article. The
  spans of a summary index into this text (it becomes :attr:`summarize.Article.text`).
- **metadata**: what trafilatura reads from the page's ``<title>``, ``<h1>``, ``<meta>`` tags and
  JSON-LD: the headline, the publication date (only a date the page states; never one guessed from a
  copyright line), the byline, the site's name and the page's canonical URL; and the page's language,
  from the ``lang`` attribute of its ``<html>`` element (trafilatura reads it only to filter pages).

trafilatura replaced a hand-written extractor (``html.parser``) that dropped everything after the first
hidden element; it is imported on first use, so commands that read no HTML do not pay its start-up.
Broken markup gives text, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["HtmlPage", "html_to_text", "looks_like_html"]

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.IGNORECASE)
_START = re.compile(r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)
# Never article text, wherever trafilatura's own heuristics would place them. A <header> inside the
# article or <main> is kept: it often holds the headline.
_PRUNE = ["//*[@hidden]", "//*[@aria-hidden='true']", "//nav", "//aside", "//footer",
          "//header[not(ancestor::article or ancestor::main)]"]

#: HtmlPage's metadata fields, by the name trafilatura gives them.
_METADATA = {"title": "title", "published": "date", "author": "author", "sitename": "sitename", "url": "url"}


@dataclass(frozen=True)
class HtmlPage:
    """An HTML page reduced to its article (see the module docstring); absent metadata is ``None``."""

    text: str
    """The article's text, paragraphs separated by a blank line; "" when the page has none."""
    title: str | None = None
    """The headline (the ``<h1>``, the ``og:title`` or the ``<title>``)."""
    published: str | None = None
    """The publication date the page states, ``YYYY-MM-DD``."""
    author: str | None = None
    """The byline."""
    sitename: str | None = None
    """The outlet's name (``og:site_name`` and the like)."""
    url: str | None = None
    """The page's canonical URL."""
    language: str | None = None
    """The page's language tag (``<html lang="en-GB">``), as the page writes it."""


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML page rather than an article's plain text."""
    return bool(_START.match(text[:4096]))


def html_to_text(page: str) -> HtmlPage:
    """The article in an HTML page and what the page says about it (see the module docstring)."""
    import trafilatura  # ~0.14 s to import: paid only when a page is read
    from trafilatura.settings import set_date_params

    doc = trafilatura.bare_extraction(
        page,
        favor_precision=True,  # recall mode keeps menus and related-story lists on small pages
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
        prune_xpath=_PRUNE,
        # Only a date the page states: the extensive search reads "© 2024" as 2024-01-01.
        # (set_date_params: every key the installed trafilatura reads, max_date included, which 2.0 requires.)
        date_extraction_params=set_date_params(extensive=False),
    )
    lang = _LANG.search(page[:65536])
    language = lang.group(1).replace("_", "-") if lang else None
    if doc is None:
        return HtmlPage(text="", language=language)
    found: dict[str, Any] = doc if isinstance(doc, dict) else doc.as_dict()
    # trafilatura puts each block on one line; a blank line between them marks paragraphs as in a .txt article.
    text = "\n\n".join(line.strip() for line in (found.get("text") or "").split("\n") if line.strip())
    return HtmlPage(text=text, language=language, **{key: _clean(found.get(field)) for key, field in _METADATA.items()})


def _clean(value: Any) -> str | None:
    return " ".join(str(value).split()) or None if value else None
