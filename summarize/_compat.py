"""Old module paths, kept working for one release (until 0.2) with a ``DeprecationWarning``.

Before 0.1's wings every module sat flat in ``summarize/`` (``summarize.grounding``, ``summarize.batch``...).
Importing such a path still works: a finder on ``sys.meta_path`` answers for exactly the names in
:data:`MOVED` and gives a small module that warns once, at import, and hands every attribute on to the
module's new home (classes and functions are the same objects, so ``isinstance`` and identity hold).
Type checkers see only the new paths, which is the point of the warning: move imports to the new ones.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence

REMOVED_IN = "0.2"

MOVED: dict[str, str] = {
    "_normal": "text._normal",
    "_quotation": "text._quotation",
    "adapter": "core.adapter",
    "articles": "core.articles",
    "authoring": "runs.authoring",
    "batch": "runs.folder",
    "boilerplate": "text.boilerplate",
    "bounds": "core.bounds",
    "brat": "evaluation.brat",
    "client": "core.client",
    "config": "core.config",
    "dates": "text.dates",
    "defaults": "core.defaults",
    "document": "core.document",
    "evalreport": "evaluation.evalreport",
    "evaluate": "evaluation.evaluate",
    "explain": "replay.explain",
    "faults": "testing.faults",
    "files": "text.files",
    "fixtures": "replay.fixtures",
    "gold": "evaluation.gold",
    "grounding": "text.grounding",
    "htmltext": "text.htmltext",
    "idpath": "text.idpath",
    "ledger": "core.ledger",
    "limits": "core.limits",
    "linking": "views.linking",
    "loopback": "testing.loopback",
    "markdown": "views.markdown",
    "names": "text.names",
    "network": "http.network",
    "outfolder": "runs.outfolder",
    "pipeline": "summarizer",
    "progress": "runs.progress",
    "prompting": "core.prompting",
    "proxies": "http.proxies",
    "reask": "core.reask",
    "redaction": "http.redaction",
    "report": "views.report",
    "report_article": "views.report_article",
    "report_files": "views.report_files",
    "report_html": "views.report_html",
    "report_pages": "views.report_pages",
    "schema": "core.schema",
    "speakers": "views.speakers",
    "timeline": "views.timeline",
    "tokens": "text.tokens",
    "translate": "core.translate",
    "transport": "http.transport",
    "usage": "core.usage",
}
"""Old module name (under ``summarize.``) → new one (under ``summarize.``)."""


class _Moved(types.ModuleType):
    """The old path of a moved module: every attribute comes from the new one."""

    def __init__(self, name: str, target: types.ModuleType) -> None:
        super().__init__(name, target.__doc__)
        self.__target = target

    def __getattr__(self, name: str) -> object:
        return getattr(self.__target, name)

    def __dir__(self) -> list[str]:
        return dir(self.__target)


class _Finder:
    """Finder and loader of the old paths (the protocols of ``sys.meta_path``; ``importlib.abc`` would cost
    the command line's start-up ~18 ms)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != __package__ or name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)  # type: ignore[arg-type]  # a Loader by protocol

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = f"{__package__}.{MOVED[spec.name.rpartition('.')[2]]}"
        warnings.warn(f"{spec.name} has moved to {new}; import it from there (the old path goes away in "
                      f"{REMOVED_IN})", DeprecationWarning, stacklevel=2)  # warnings skips importlib's frames
        return _Moved(spec.name, importlib.import_module(new))

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
