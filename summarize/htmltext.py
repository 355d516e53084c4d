"""Plain text from an HTML page, for articles saved as web pages.

Terms:

- **HTML page**: a file whose name ends in ``.html``/``.htm``, or whose text starts (after white space
  and comments) with ``<!doctype html`` or ``<html``.
- **content**: the text of ``<article>`` when the page has one, else of ``<main>``, else of ``<body>``;
  never scripts, styles, templates, navigation, headers, footers, asides, forms or hidden elements.
  Block elements (paragraphs, headings, list items, line breaks...) become line breaks; runs of white
  space inside a block become one space. The page's ``<h1>`` (else its ``<title>``) is the headline.

Only the standard library's tolerant parser is used: broken markup gives text, not an error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text", "looks_like_html"]

_START = re.compile(r"\A\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)
_SKIP = frozenset({"script", "style", "template", "noscript", "nav", "header", "footer", "aside", "form", "svg",
                   "button", "iframe", "head"})
_BLOCK = frozenset({"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "section",
                    "article", "main", "figure", "figcaption", "tr", "table", "hr", "pre", "dd", "dt", "title"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"})


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML page rather than an article's plain text."""
    return bool(_START.match(text[:4096]))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {"article": [], "main": [], "body": [], "title": [], "h1": []}
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag in ("br", "hr"):
                self._text("\n")
            return
        hidden = any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        self.open.append(tag)
        if (tag in _SKIP and tag != "head") or hidden:
            self.skipping += 1
        elif tag in _BLOCK:
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            return  # a stray end tag
        while self.open:
            top = self.open.pop()
            if top in _SKIP and top != "head":
                self.skipping -= 1
            if top == tag:
                break
        if tag in _BLOCK:
            self._text("\n")

    def handle_data(self, data: str) -> None:
        if "title" in self.open:
            self.parts["title"].append(data)
        if self.skipping:
            return
        self._text(data)

    def _text(self, data: str) -> None:
        if self.skipping:
            return
        for name in ("article", "main", "body", "h1"):
            if name in self.open:
                self.parts[name].append(data)


def _clean(parts: list[str]) -> str:
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line for line in lines)).strip()


def html_to_text(page: str) -> tuple[str | None, str]:
    """``(headline, text)`` of an HTML page (see the module docstring); text is "" when it has none."""
    collector = _Collector()
    collector.feed(page)
    collector.close()
    parts = collector.parts
    text = next((t for t in (_clean(parts[n]) for n in ("article", "main", "body")) if t), "")
    headline = _clean(parts["h1"]).split("\n")[0] or _clean(parts["title"]).split("\n")[0] or None
    return headline, text
