"""The files of an HTML report, and the manifest that says which files in its folder the report wrote.

Terms:

- **site folder** ``DIR``: the folder given to ``summarize report OUT --html DIR``. It may hold the user's own
  files too (notes, an earlier page of their own); the report never removes a file it did not write.
- **manifest**: ``DIR/.summarize-report.json`` (format :data:`MANIFEST_FORMAT`): every file the report wrote,
  as a path relative to ``DIR`` with the SHA-256 of the bytes written. It is written atomically, twice per
  report: before the first page, listing the files of the earlier report *and* the files about to be written
  (so a report cut short by a crash or Ctrl-C still knows every file it may have left behind), and once
  every page is written, listing this report's files only.
- **stale file**: one the previous manifest lists and this report no longer writes (the page of an article
  that left ``OUT``, a timeline year page once the timeline fits on one page). It is removed when its bytes
  are still those the report wrote; one changed since (the user edited it) is **kept** and reported.

A manifest that is missing or cannot be read means no file of the folder is known to be the report's:
nothing is removed. Entries that would leave the folder (absolute paths, ``..``) are ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from summarize.text.files import write_json_atomic, write_text_atomic

__all__ = ["MANIFEST_FORMAT", "MANIFEST_NAME", "SiteFiles", "WrittenSite", "read_manifest", "write_page"]

MANIFEST_NAME = ".summarize-report.json"
MANIFEST_FORMAT = "summarize-report-manifest/1"


@dataclass(frozen=True)
class WrittenSite:
    """What writing a report did: its index page, the files written, and the earlier files removed or kept."""

    index: Path
    written: tuple[Path, ...] = ()
    #: Files an earlier report wrote that this one no longer produces, now removed.
    removed: tuple[Path, ...] = ()
    #: Files an earlier report wrote that this one no longer produces, kept because they changed since.
    kept: tuple[Path, ...] = field(default=())


class SiteFiles:
    """Writes the files of one report into ``root`` and keeps the manifest (see the module docstring).

    Use: :meth:`plan` every file name first, then :meth:`write` each, then :meth:`finish`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.previous = read_manifest(root)
        self._planned: set[str] = set()
        self._written: dict[str, str] = {}

    def plan(self, names: set[str]) -> None:
        """Record, before anything is written, every file (relative POSIX path) this report will write."""
        self._planned = set(names)
        self._save({**{name: None for name in self._planned}, **self.previous})

    def write(self, name: str, text: str) -> None:
        """Write one planned file (see :func:`write_page`) and remember what it holds."""
        if name not in self._planned:
            raise ValueError(f"{name} was not planned; plan() every file before writing it")
        write_page(self.root / name, text)
        self._written[name] = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()

    def finish(self, index: str) -> WrittenSite:
        """Remove the stale files of the previous report, write the final manifest; say what was done."""
        removed, kept = [], []
        for name in sorted(set(self.previous) - set(self._written)):
            path = self.root / name
            recorded = self.previous[name]
            if not path.is_file() or path.is_symlink():
                continue
            if recorded is None or _digest(path) == recorded:  # None: planned by a report that was cut short
                path.unlink(missing_ok=True)
                removed.append(path)
            else:
                kept.append(path)
        self._save(self._written)
        return WrittenSite(index=self.root / index, written=tuple(self.root / n for n in sorted(self._written)),
                           removed=tuple(removed), kept=tuple(kept))

    def _save(self, files: Mapping[str, str | None]) -> None:
        write_json_atomic(self.root / MANIFEST_NAME,
                          {"format": MANIFEST_FORMAT, "files": {name: files[name] for name in sorted(files)}})


def write_page(path: Path, text: str) -> None:
    """Write one file of a site atomically."""
    # a site is meant to be read: mkstemp's 0600 would hide it from a web server
    write_text_atomic(path, text, mode=0o644)


def read_manifest(root: Path) -> dict[str, str | None]:
    """The files the manifest in ``root`` lists, with their SHA-256; empty when there is none to trust."""
    try:
        data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None
    if not isinstance(files, dict):
        return {}
    return {name: digest if isinstance(digest, str) else None
            for name, digest in files.items() if isinstance(name, str) and _inside(root, name)}


def _inside(root: Path, name: str) -> bool:
    """Whether ``name`` is a plain relative path that stays in ``root`` (a hand-edited manifest cannot
    make the report remove anything outside its folder)."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or not pure.parts or any(part in ("", ".", "..") for part in pure.parts) or "\\" in name:
        return False
    if name == MANIFEST_NAME:
        return False
    try:
        return (root / pure).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
