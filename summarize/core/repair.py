"""Repair: fixing, without a model, what is wrong with an answer in ways only one fix can mean. Pure.

An answer is the JSON object a model gave (parsed, not yet validated). Repairs change it before it is
validated, so that a reask (a whole paid request) is sent only for what needs the model, and the summary
keeps the article's own words. Each change is a :class:`Repair`: its ``kind``, the ``path`` of what it
changed in the answer as the model gave it (``quotes.3.text``, ``events.0.actors.1``, ``quotes.5``), and
the value ``before`` and ``after``. The kinds:

- ``exact_text``: a quote's text, an event's evidence or a key point's evidence passage that stands in the
  article only once spelling is folded (curly quotes, dashes, white space, edge punctuation: the
  ``normalized`` match of :func:`summarize.text.grounding.locate`) takes the article's exact text. A
  ``fuzzy`` match is never repaired: it does not prove the words are there.
- ``entity_name``: a quote's speaker or an event's actor or target that names no listed entity, as the
  reference check reads it (:func:`summarize.core.schema.unknown_references`), takes the name of the one
  entity it names by another form (titles dropped, a surname: :func:`summarize.text.names.entity_for`).
  Ambiguous ones (two Trumps) are left for the model.
- ``precision``: an event date's ``precision`` that disagrees with its date (``2024-07`` is ``month``)
  takes the date's own; it is null when the date is.
- ``duplicate``: an item (key point, event, quote, entity), or a key point's evidence passage, identical to
  an earlier one is merged into it (``before``: the item's text or name, ``after``: the path of the one
  kept). Run last, by :func:`merge_duplicates`, on the items kept, so that every path above names the
  answer as the model gave it, and the problems a reask lists name the model's own item numbers.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from summarize.core.schema import GroundingContext, MatchKind, unknown_references
from summarize.text.dates import iso_date
from summarize.text.grounding import locate
from summarize.text.names import entity_for

__all__ = ["ITEM_LISTS", "Repair", "merge_duplicates", "repair_answer"]

#: The lists of items an answer holds, in the order the schema lists them.
ITEM_LISTS = ("key_points", "events", "quotes", "entities")
_LABEL = {"key_points": "text", "events": "description", "quotes": "text", "entities": "name"}


class Repair(BaseModel):
    """One change made to an answer without the model (see the module docstring)."""

    model_config = ConfigDict(extra="allow")  # a newer writer's fields survive a read

    kind: str
    path: str
    before: str | None = None
    after: str | None = None


def _dicts(data: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(name)
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)] if isinstance(items, list) else []


def _strings(value: Any) -> list[str]:
    """A list of strings as given; anything else in it is an empty string (so positions are kept)."""
    return [v if isinstance(v, str) else "" for v in value] if isinstance(value, list) else []


def repair_answer(data: dict[str, Any], context: GroundingContext | None) -> list[Repair]:
    """Repair ``data`` (a parsed answer) in place, except duplicates (:func:`merge_duplicates`); returns the
    repairs made. Without a grounding context only what needs no article (``precision``) is repaired."""
    repairs = _precision(data)
    if context is not None:
        repairs += _exact_text(data, context)
    return repairs + _entity_names(data)


def _exact_text(data: dict[str, Any], context: GroundingContext) -> list[Repair]:
    repairs: list[Repair] = []

    def fix(holder: dict[str, Any] | list[Any], key: Any, path: str) -> None:
        fragment = holder[key]
        # Words that stand in the text as given need no repair (the common case, and a cheap test).
        if not isinstance(fragment, str) or fragment in context.text:
            return
        span = locate(context.text, fragment)
        if span is not None and span.match is MatchKind.NORMALIZED:
            exact = context.text[span.start:span.end]
            if exact != fragment:
                holder[key] = exact
                repairs.append(Repair(kind="exact_text", path=path, before=fragment, after=exact))

    for i, point in _dicts(data, "key_points"):
        evidence = point.get("evidence")
        if isinstance(evidence, list):
            for j in range(len(evidence)):
                fix(evidence, j, f"key_points.{i}.evidence.{j}")
    for i, event in _dicts(data, "events"):
        if "evidence" in event:
            fix(event, "evidence", f"events.{i}.evidence")
    for i, quote in _dicts(data, "quotes"):
        if "text" in quote:
            fix(quote, "text", f"quotes.{i}.text")
    return repairs


def _precision(data: dict[str, Any]) -> list[Repair]:
    repairs: list[Repair] = []
    for i, event in _dicts(data, "events"):
        when = event.get("when")
        if not isinstance(when, dict) or "precision" not in when:
            continue
        date, before = when.get("date"), when.get("precision")
        if date is None:
            after = None
        elif isinstance(date, str) and (parsed := iso_date(date)) is not None:
            after = parsed.precision
        else:
            continue  # not a date: the model must say what it meant
        if before != after:
            when["precision"] = after
            repairs.append(Repair(kind="precision", path=f"events.{i}.when.precision",
                                  before=before if isinstance(before, str) else json.dumps(before), after=after))
    return repairs


def _entity_names(data: dict[str, Any]) -> list[Repair]:
    entities = data.get("entities")
    listed = [(e if isinstance(e, dict) else {}) for e in entities] if isinstance(entities, list) else []
    names = [[n for n in (e.get("name"), *_strings(e.get("aliases"))) if isinstance(n, str)] for e in listed]
    events: list[Any] = data["events"] if isinstance(data.get("events"), list) else []
    quotes: list[Any] = data["quotes"] if isinstance(data.get("quotes"), list) else []
    refs = unknown_references(
        names, [(_strings(e.get("actors")), _strings(e.get("targets"))) if isinstance(e, dict) else ([], [])
                for e in events],
        [q["speaker"] if isinstance(q, dict) and isinstance(q.get("speaker"), str) else "" for q in quotes])
    people = [(n, e.get("type") == "person") for n, e in zip(names, listed, strict=True)]
    repairs: list[Repair] = []
    for ref in refs:
        found = entity_for(ref.name, people)
        if found is None or not isinstance(name := listed[found].get("name"), str):
            continue
        item = (events if ref.items == "events" else quotes)[ref.index]
        if ref.position is None:
            item[ref.field] = name
        else:
            item[ref.field][ref.position] = name
        repairs.append(Repair(kind="entity_name", path=ref.path, before=ref.name, after=name))
    return repairs


def merge_duplicates(data: dict[str, Any], keep: dict[str, list[int]]) -> list[Repair]:
    """Merge exact duplicates among the items ``keep`` lists (each list's item indices, in order): a later
    copy leaves ``keep``, a key point's repeated passage leaves its evidence (``data`` is changed). Returns
    the repairs (see the module docstring)."""
    repairs: list[Repair] = []
    for name, indices in keep.items():
        items = data[name]
        by_label: dict[str, list[int]] = {}  # kept items by their text or name: only those are compared whole
        kept = []
        for i in indices:
            label = items[i].get(_LABEL[name]) if isinstance(items[i], dict) else None
            key = label if isinstance(label, str) else repr(type(items[i]))
            same = next((j for j in by_label.get(key, ()) if items[j] == items[i]), None)
            if same is not None:
                repairs.append(Repair(kind="duplicate", path=f"{name}.{i}", before=label if isinstance(label, str) else None,
                                      after=f"{name}.{same}"))
            else:
                by_label.setdefault(key, []).append(i)
                kept.append(i)
        indices[:] = kept
    for i in keep.get("key_points", []):
        evidence = data["key_points"][i].get("evidence") if isinstance(data["key_points"][i], dict) else None
        if not isinstance(evidence, list):
            continue
        seen: dict[str, int] = {}
        unique = []
        for j, passage in enumerate(evidence):
            if isinstance(passage, str) and passage in seen:
                repairs.append(Repair(kind="duplicate", path=f"key_points.{i}.evidence.{j}", before=passage,
                                      after=f"key_points.{i}.evidence.{seen[passage]}"))
                continue
            if isinstance(passage, str):
                seen[passage] = j
            unique.append(passage)
        data["key_points"][i]["evidence"] = unique
    return repairs
