"""Drive headless Chromium for the report's tests with Playwright, and read the DOM it renders.

Playwright drives the system's Chromium (the Debian package ``chromium``, or ``$CHROMIUM``) through
``chromium.launch(executable_path=...)``: no browser is downloaded (never run ``playwright install``).
The DOM is read after the page's load event, when its scripts have run, so what the tests read is what
a reader sees. Tests that need the browser use the ``chromium`` fixture, which skips with the reason
when Playwright or Chromium is missing (CI installs the Debian package ``chromium``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from playwright.async_api import Page

T = TypeVar("T")

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# /dev/shm is small in containers; Playwright already runs Chromium headless and without its sandbox.
_ARGS = ["--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
#: How long Playwright waits for a page or a condition before failing (generous: the machine may be busy).
TIMEOUT_MS = 60_000


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM`` first), or ``None``."""
    env = os.environ.get("CHROMIUM")
    if env and shutil.which(env):
        return shutil.which(env)
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "no Playwright: pip install -e '.[test]' to run the browser tests"
    if find_chromium() is None:
        return "no Chromium: install the Debian package `chromium` (or set $CHROMIUM) to run the browser tests"
    return None


class Chromium:
    """One headless Chromium started by Playwright; each page opens in a fresh tab, closed after use.

    Playwright runs on an event loop in a thread of its own, so the code under test may run its own loops
    (``asyncio.run``) in the test's thread, before, between and after pages. Actions on a page are
    coroutines (Playwright's async API) handed to :meth:`on_page`.
    """

    def __init__(self, executable: str) -> None:
        from playwright.async_api import async_playwright

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="playwright", daemon=True)
        self._thread.start()
        self._playwright = self._call(async_playwright().start())
        try:
            self._browser = self._call(self._playwright.chromium.launch(executable_path=executable, args=_ARGS))
        except BaseException:
            self._stop(browser=False)
            raise

    def close(self) -> None:
        """Stop the browser this object started, and its thread."""
        self._stop(browser=True)

    def _stop(self, *, browser: bool) -> None:
        try:
            if browser:
                self._call(self._browser.close())
            self._call(self._playwright.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def on_page(self, url: str, action: Callable[[Page], Awaitable[T]], width: int = 1280, height: int = 900) -> T:
        """What ``action`` returns, run on the page at ``url`` once loaded (its load event fired), in a tab of
        ``width`` x ``height`` pixels."""

        async def run() -> T:
            tab = await self._browser.new_page(viewport={"width": width, "height": height})
            tab.set_default_timeout(TIMEOUT_MS)
            try:
                await tab.goto(url, wait_until="load")
                return await action(tab)
            finally:
                await tab.close()

        return self._call(run())

    def dump_dom(self, url: str, width: int = 1280, height: int = 900) -> str:
        """The page's DOM as HTML, after its scripts ran (like ``chromium --dump-dom``)."""
        return self.on_page(url, lambda tab: tab.content(), width, height)

    def screenshot(self, url: str, path: Path, width: int = 1280, height: int = 1400) -> Path:
        """A PNG of the page's first ``width`` x ``height`` pixels."""
        self.on_page(url, lambda tab: tab.screenshot(path=str(path)), width, height)
        return path


def url(path: Path, fragment: str = "") -> str:
    return path.resolve().as_uri() + (f"#{fragment}" if fragment else "")


@dataclass
class Node:
    """An element of a parsed page: its tag, attributes, children (nodes and strings) and parent."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, attr: str | None = None,
                 id: str | None = None) -> list[Node]:
        """Descendants (and self) with the tag, the class in their ``class`` list, the attribute and the id."""
        return [n for n in self.iter() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and (attr is None or attr in n.attrs) and (id is None or n.attrs.get("id") == id)]

    def find(self, tag: str | None = None, **kw: str) -> Node:
        """The first of :meth:`find_all`; fails the test when there is none."""
        found = self.find_all(tag, **kw)
        assert found, f"no {tag} {kw} in the page"
        return found[0]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self, skip: Callable[[Node], bool] = lambda n: False) -> str:
        """The text of the node, leaving out the subtrees for which ``skip`` is true."""
        return "".join(c if isinstance(c, str) else ("" if skip(c) else c.text(skip)) for c in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The page as a tree of :class:`Node` (Chromium's serialization closes every element it opens)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
