"""The product leaves other libraries as it found them: no patch of openai, instructor, httpx or pydantic.

Two checks: a static scan of ``summarize/`` for assignments to (or ``setattr`` on) anything reached through
another package's import, and a run of the seeds in replay, sync and async, after which every attribute of
every loaded module of those packages is the same object as before it.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from types import ModuleType
from typing import Any

import pytest

from summarize import Summarizer
from summarize.core.adapter import answer_text

from .conftest import FIXTURES, ROOT, SEEDS

FOREIGN = ("openai", "instructor", "httpx", "pydantic", "pydantic_core")


def _third_party(module: str) -> bool:
    """Whether ``module`` belongs to another installed package (not ours, not the standard library, whose
    hooks such as ``warnings.showwarning`` are documented to be replaced by an application)."""
    top = module.split(".")[0]
    return top != "summarize" and top not in sys.stdlib_module_names


def _foreign_names(tree: ast.Module) -> set[str]:
    """The local names a module binds to another third-party package (or to something imported from one)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _third_party(alias.name):
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _third_party(node.module):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def patches_in(source: str) -> list[str]:
    """``line: code`` of each statement in ``source`` that assigns to an attribute of an imported package."""
    tree = ast.parse(source)
    foreign = _foreign_names(tree)
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args):
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for target in targets:
            if isinstance(target, ast.Attribute) and _root(target) in foreign:
                found.append(f"{node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return found


def test_the_scan_finds_a_patch() -> None:
    """The scan itself: it sees the shapes a monkeypatch takes, and not a local object's attribute."""
    source = ("import instructor.v2.core.patch as patch_module\nfrom openai import resources\nimport httpx\n"
              "patch_module.reject = None\nresources.chat.x += 1\nsetattr(httpx, 'Client', object)\n"
              "def f(error):\n    error.args = ()\nimport warnings\nwarnings.showwarning = print\n")
    assert [line.split(":")[0] for line in patches_in(source)] == ["4", "5", "6"]


def test_no_module_of_ours_patches_another_package() -> None:
    found = {path.name: hits for path in sorted((ROOT / "summarize").rglob("*.py"))
             if (hits := patches_in(path.read_text(encoding="utf-8")))}
    assert found == {}


def _snapshot() -> dict[str, dict[str, Any]]:
    loaded: list[tuple[str, ModuleType]] = [(n, m) for n, m in list(sys.modules.items())
                                            if n.split(".")[0] in FOREIGN and isinstance(m, ModuleType)]
    return {name: dict(vars(module)) for name, module in loaded}


def test_replaying_the_seeds_leaves_every_foreign_module_attribute_as_it_was() -> None:
    # Import what the product might reach for, so that a patch made during the run is seen.
    pytest.importorskip("instructor")
    import instructor.v2.core.patch  # noqa: F401
    import instructor.v2.validation.async_validators  # noqa: F401
    import openai  # noqa: F401

    before = _snapshot()
    s = Summarizer(fixtures=FIXTURES)
    assert all(s.run(path).summary.quotes for path in SEEDS)

    async def all_seeds() -> None:
        async with s:
            await asyncio.gather(*(s.arun(p) for p in SEEDS))

    asyncio.run(all_seeds())
    after = _snapshot()
    changed = sorted(f"{name}.{key}" for name, attrs in before.items() for key, value in attrs.items()
                     if key in after[name] and after[name][key] is not value
                     and not isinstance(after[name][key], ModuleType))  # a submodule imported lazily, by the import system
    assert changed == []


class _Message:
    def __init__(self, content: str | None = None, tool_calls: list[Any] | None = None) -> None:
        self.content, self.tool_calls = content, tool_calls


class _Completion:
    def __init__(self, message: _Message) -> None:
        self.choices = [type("Choice", (), {"message": message})()]


@pytest.mark.parametrize(("content", "expected"), [
    ('```json\n{"a": 1}\n```', '{"a": 1}'),
    ('Quoting the prompt: ```json\n{"x": 0}\n``` and my answer:\n```json\n{"a": 1}\n```', '{"a": 1}'),
    ('```\n{"a": 1}\n```', '{"a": 1}'),
    ('Here it is: {"a": {"b": 2}} done.', '{"a": {"b": 2}}'),
    ("no JSON at all", "no JSON at all"),
])
def test_the_md_json_answer_is_the_last_fenced_block(content: str, expected: str) -> None:
    assert answer_text(_Completion(_Message(content)), "md_json") == expected


def test_a_tools_answer_without_a_tool_call_reads_as_empty() -> None:
    """Read as unreadable JSON, hence reasked like any other invalid answer, never a crash."""
    assert answer_text(_Completion(_Message("I would rather talk.")), "tools") == ""
    call = type("Call", (), {"function": type("Function", (), {"arguments": '{"a": 1}'})()})()
    assert answer_text(_Completion(_Message(None, [call])), "tools") == '{"a": 1}'


def test_instructor_is_not_imported_by_the_product() -> None:
    """instructor was the source of the patch; the adapter reads answers itself (see summarize.core.adapter)."""
    import subprocess

    code = ("import sys; from summarize import Summarizer; from pathlib import Path; "
            f"s = Summarizer(fixtures=Path({str(FIXTURES)!r})); s.run(Path({str(SEEDS[0])!r})); "
            "print('instructor' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
