"""Trimming a looping or cut-off answer down to what it did answer, before it is salvaged. Pure apart from pydantic-core.

A real small model loops: SmolLM2-135M, asked for seed 000, repeated one key point's evidence passage 228
times until the output budget cut it off, in each of its three attempts. Each answer began with items that
could stand; read whole, each was thrown away. This module keeps what such an answer said once.

Terms:

- **cut-off answer**: an answer whose JSON ends before it is complete (the output budget ran out). It is
  read with pydantic-core's partial JSON parser (``allow_partial``, as :mod:`summarize.core.repetition`
  reads it), which keeps every complete string and number and leaves out a string cut in its middle, so no
  half-written quote survives. :func:`parse_object` reads an answer so.
- **open item**: the item of a top-level list (``key_points``, ``events``, ``quotes``, ``entities``) the
  answer was writing when it was cut off; found by following the answer's last values while a scan of the
  text says their brackets are still open. It is kept if it validates as it stands (its fields are complete),
  dropped with the reason "cut off" otherwise (:mod:`summarize.core.salvage`).
- **unwritten list**: a top-level item list the answer never reached: empty, and listed as dropped.
- **run of copies**: an item with its copies in one list, as the repetition detector finds them
  (:func:`summarize.core.repetition.runs`: the same text, or near-identical), :data:`~summarize.core.repetition.COPIES`
  or more of them: a loop. The first is kept, the copies are dropped, listed once per run with how many
  there were. Two equal items are not a run here either: they are a duplicate, for repair to merge.

Every trim is a :class:`Trim` (path as the model gave it, reason, item), turned into the document's dropped
items by :func:`summarize.core.salvage.read_answer`, which alone calls this module, and only when salvaging.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pydantic_core

from summarize.core.repair import ITEM_LISTS
from summarize.core.repetition import COPIES, runs

__all__ = ["CUT", "Trim", "open_item", "parse_object", "trim_answer"]

#: The reason given for what the output budget cut off.
CUT = "cut off by the output budget"


@dataclass(frozen=True)
class Trim:
    """Something trimmed from an answer: where it stood in the answer as the model gave it, why, and what it was."""

    path: str
    reason: str
    item: Any = None


def parse_object(text: str) -> tuple[dict[str, Any] | None, bool]:
    """The JSON object ``text`` holds and whether it is cut off (read partially); ``(None, False)`` when it is
    not a JSON object, or not the beginning of one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    else:
        return (data, False) if isinstance(data, dict) else (None, False)
    if not text.lstrip().startswith("{"):
        return None, False
    try:
        partial = pydantic_core.from_json(text, allow_partial=True)
    except ValueError:  # broken in its middle (or trailing text): not a cut-off answer
        return None, False
    return (partial, True) if isinstance(partial, dict) else (None, False)


def open_item(data: dict[str, Any], text: str) -> tuple[str, int] | None:
    """The open item (see the module docstring) of the cut-off answer ``text``, parsed as ``data``, or None."""
    if _open_brackets(text) < 3 or not data:
        return None
    name = list(data)[-1]
    items = data[name]
    if name not in ITEM_LISTS or not isinstance(items, list) or not items:
        return None
    return name, len(items) - 1


def trim_answer(data: dict[str, Any], keep: dict[str, list[int]], *, cut: bool,
                end: tuple[str, int] | None = None) -> list[Trim]:
    """Trim ``data`` (an answer parsed; changed in place) and ``keep`` (each top-level list's item indices
    kept): take out the copies of every run, in the lists and in the lists of the kept items, and, when ``cut``
    (``end``: its open item, :func:`open_item`), make each unwritten list empty. Returns what was trimmed."""
    trims: list[Trim] = []
    if cut:
        trims.append(Trim(path=f"{end[0]}.{end[1]}" if end else _last_path(data),
                          reason=f"{CUT}: the answer ends here, and whatever the model would have written after it "
                                 "is missing"))
        for name in ITEM_LISTS:
            if name not in data:
                data[name] = []
                keep[name] = []
                trims.append(Trim(path=name, reason=f"{CUT} before the model began this list"))
    for name, indices in keep.items():
        trims += _trim_runs(data[name], indices, name)
        for i in indices:
            item = data[name][i]
            if not isinstance(item, dict):
                continue
            for key, value in item.items():
                if isinstance(value, list):
                    kept = list(range(len(value)))
                    found = _trim_runs(value, kept, f"{name}.{i}.{key}")
                    if found:
                        data[name][i] = item = {**item, key: [value[j] for j in kept]}
                        trims += found
    return trims


def _trim_runs(items: list[Any], indices: list[int], path: str) -> list[Trim]:
    """Take the copies of each run among ``items[indices]`` out of ``indices``; one trim per run."""
    trims = []
    order = list(indices)  # the runs' positions are in it, as it was before any copy was taken out
    for run in runs([items[i] for i in order]):
        if len(run) < COPIES:
            continue
        first, copies = order[run[0]], [order[j] for j in run[1:]]
        trims.append(Trim(path=f"{path}.{copies[0]}", item=items[copies[0]], reason=(
            f"repeated {len(run)} times, identical or nearly (a loop): {path}.{first} is kept, its {len(copies)} "
            f"cop{'y' if len(copies) == 1 else 'ies'} ({path}.{_span(copies)}) dropped")))
        for j in copies:
            indices.remove(j)
    return trims


def _span(indices: list[int]) -> str:
    """``3-9`` for consecutive indices, else the first few: ``3, 5, 8, ...``."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return f"{indices[0]}-{indices[-1]}" if len(indices) > 1 else str(indices[0])
    return ", ".join(map(str, indices[:5])) + (", ..." if len(indices) > 5 else "")


def _last_path(data: dict[str, Any]) -> str:
    """The path of the last value of ``data``, following the last key and item down (where a cut answer ends)."""
    parts: list[str] = []
    node: Any = data
    while isinstance(node, (dict, list)) and node:
        key: Any = list(node)[-1] if isinstance(node, dict) else len(node) - 1
        parts.append(str(key))
        node = node[key]
    return ".".join(parts) or "(the answer)"


def _open_brackets(text: str) -> int:
    """How many brackets (``{`` or ``[``) are still open at the end of ``text``, strings skipped."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth
