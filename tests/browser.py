"""Drive headless Chromium for the report's tests, and read the DOM it renders.

The DOM is read after the page's scripts ran (what ``chromium --dump-dom`` prints), so what the tests
read is what a reader sees. Tests that need the browser use the ``chromium`` fixture, which skips with
the reason when no Chromium is installed (CI installs the Debian package ``chromium`` when it can).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Flags that work as root in containers; the time budget lets scripts settle before the DOM is dumped.
_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
          "--no-first-run", "--disable-extensions", "--mute-audio"]


_TRAMPOLINE = ("import os, sys; r, w = int(sys.argv[1]), int(sys.argv[2]); os.dup2(r, 3); os.dup2(w, 4); "
               "os.close(r); os.close(w); os.execv(sys.argv[3], sys.argv[3:])")


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM`` first), or ``None``."""
    env = os.environ.get("CHROMIUM")
    if env and shutil.which(env):
        return shutil.which(env)
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


class Chromium:
    """One headless Chromium, driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

    Starting a browser takes about a second; each page after that takes tens of milliseconds. Every
    :meth:`dump_dom` or :meth:`screenshot` opens the page in a fresh tab and waits for its load event, by
    which time the page's scripts (loaded synchronously) have run.
    """

    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser_r, self._to_browser = map(_above_4, os.pipe())
        self._from_browser, from_browser_w = map(_above_4, os.pipe())
        # Chromium reads commands on fd 3 and answers on fd 4: a tiny trampoline moves the pipes there and
        # runs it (thread-safe, unlike preexec_fn; a POSIX shell cannot name descriptors above 9).
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser_r), str(from_browser_w), executable, *_FLAGS,
             f"--user-data-dir={self._profile.name}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def close(self) -> None:
        """Stop the browser this object started and remove its profile."""
        try:
            self._send("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it start?)")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def _wait_event(self, method: str, session: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == session:
                    del self._events[i]
                    return
            self._events.append(self._read_message(deadline))

    def _open(self, url: str, width: int, height: int) -> tuple[str, str]:
        target = self._send("Target.createTarget", url="about:blank")["targetId"]
        session = self._send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self._send("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                   mobile=False)
        self._send("Page.enable", session)
        self._send("Page.navigate", session, url=url)
        self._wait_event("Page.loadEventFired", session)
        self._events = [e for e in self._events if e.get("sessionId") != session]
        return target, session

    def dump_dom(self, url: str, width: int = 1280, height: int = 900) -> str:
        """The page's DOM as HTML, after its scripts ran (like ``chromium --dump-dom``)."""
        return str(self.evaluate(url, "document.documentElement.outerHTML", width, height))

    def evaluate(self, url: str, expression: str, width: int = 1280, height: int = 900) -> Any:
        """The value of a JavaScript expression (a promise is awaited) evaluated in the loaded page."""
        target, session = self._open(url, width, height)
        try:
            found = self._send("Runtime.evaluate", session, expression=expression, returnByValue=True,
                               awaitPromise=True)
        finally:
            self._send("Target.closeTarget", targetId=target)
        if "exceptionDetails" in found:
            raise RuntimeError(f"script failed: {found['exceptionDetails']}")
        return found["result"].get("value")

    def screenshot(self, url: str, path: Path, width: int = 1280, height: int = 1400) -> Path:
        """A PNG of the page's first ``width`` x ``height`` pixels."""
        target, session = self._open(url, width, height)
        try:
            data = self._send("Page.captureScreenshot", session, format="png")["data"]
        finally:
            self._send("Target.closeTarget", targetId=target)
        path.write_bytes(base64.b64decode(data))
        return path


def _above_4(fd: int) -> int:
    """The same pipe end on a descriptor above 4, so moving the pipes to fds 3 and 4 cannot clobber one."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


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
