"""Reading an answer: repair, validate, and, when the reasks are spent, salvage. Pure apart from pydantic.

Terms:

- **reading**: a :class:`Reading`: the validated summary an answer gave, the repairs made to it
  (:mod:`summarize.core.repair`), and the items dropped from it. It is **partial** when anything was dropped.
- **salvage**: after the last reask (``max_reasks`` spent), an answer that is a JSON object with valid
  top-level fields (``title``, ``published``, ``summary`` and the four lists) keeps every item (key point,
  event, quote, entity) that validates and is grounded on its own, and every event and quote whose
  actors, targets and speaker name a kept entity (or describe rather than name); each other item is
  **dropped**, as a :class:`Dropped`: its path in the answer as the model gave it (``quotes.3``), the
  reason (the problems a reask would have listed) and the item itself, so that nothing the model was paid
  for is lost from the record. Where the rest of an item may stand, only the part at fault is dropped: a
  key point keeps those of its evidence passages that are grounded (each passage dropped is listed,
  ``key_points.1.evidence.2``); an event or quote with an invalid optional field (an event's ``when`` or
  ``where``, a quote's ``speaker_role`` or ``cue``; a past event dated after the article) keeps the rest,
  that field null (``events.3.when``); an invalid ``published`` is null (the article's own date, when
  known, fills it as it always does). An answer that is not JSON, not an object, or
  whose top-level fields are invalid leaves nothing usable: it fails as before (the caller raises its
  validation error, translated to :class:`~summarize.errors.InvalidOutputError`); so does one whose key
  points, events and quotes (what is grounded in the article) would all be dropped.
- **trimmed answer**: an answer that loops (a run of copies of one item) or was cut off by the output budget
  is first trimmed to what it said once (:mod:`summarize.core.trimming`): the first of each run kept, the
  copies dropped ("repeated 228 times"), the lists the answer never reached empty and dropped ("cut off by
  the output budget"), then salvaged as above. So an article whose every attempt looped still ends
  ``partial`` with the grounded items its answers began with.
- **best salvage**: of the answers an article was given (the first and each reask), the salvage that keeps
  the most items; the latest of equals (:func:`salvage_best`).

In strict mode (``strict=True``, ``--strict``) nothing is salvaged: an answer is valid whole or the article
fails, as before this module existed; repairs still apply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from summarize.core.reask import validation_problems
from summarize.core.repair import ITEM_LISTS, Repair, merge_duplicates, repair_answer
from summarize.core.schema import ArticleSummary, Entity, Event, GroundingContext, KeyPoint, Quote, unknown_references
from summarize.core.trimming import CUT, open_item, parse_object, trim_answer

__all__ = ["Dropped", "Reading", "read_answer", "salvage_best"]

_MODELS: dict[str, type[BaseModel]] = {"key_points": KeyPoint, "events": Event, "quotes": Quote, "entities": Entity}
#: The items grounded in the article: a salvage that keeps none of them has nothing usable.
_GROUNDED = ("key_points", "events", "quotes")
_PUBLISHED: TypeAdapter[dt.date | None] = TypeAdapter(dt.date | None)  # ArticleSummary.published


class Dropped(BaseModel):
    """An item salvage left out of a summary: where it stood in the answer, why, and the item as given."""

    model_config = ConfigDict(extra="allow")  # a newer writer's fields survive a read

    path: str
    reason: str
    item: Any = None


@dataclass(frozen=True)
class Reading:
    """What one answer gave (see the module docstring); ``attempt`` numbers the answer among the article's
    attempts (0 when unknown)."""

    summary: ArticleSummary
    repairs: list[Repair] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    attempt: int = 0

    @property
    def partial(self) -> bool:
        """Whether items were dropped."""
        return bool(self.dropped)

    @property
    def kept(self) -> int:
        """Items in the summary."""
        s = self.summary
        return len(s.key_points) + len(s.events) + len(s.quotes) + len(s.entities)


def read_answer(text: str, context: GroundingContext | None, *, salvage: bool = False, attempt: int = 0) -> Reading:
    """The reading of the answer ``text`` (the JSON the model answered with).

    Repairs it, validates it against ``context``, then merges duplicates. Without ``salvage`` an answer with
    an invalid item raises pydantic's ``ValidationError``, whose problems the reask names; with it, such
    items are dropped, and a looping or cut-off answer is first trimmed to what it said once
    (:mod:`summarize.core.trimming`). An answer that is not a JSON object (nor, when salvaging, the beginning
    of one) raises as pydantic reads it (a reask names that too).
    """
    data, cut = parse_object(text)
    if data is None or (cut and not salvage):  # pydantic's reading says what is wrong, in the reask's words
        return Reading(_validate(text, context), attempt=attempt)  # raises, as the answer is read without repair
    keep = {name: list(range(len(data[name]))) for name in ITEM_LISTS if isinstance(data.get(name), list)}
    end = open_item(data, text) if cut else None  # before the trim, which adds the lists never begun
    trims = trim_answer(data, keep, cut=cut, end=end) if salvage else []
    dropped = [Dropped(path=t.path, reason=t.reason, item=t.item) for t in trims]
    repairs = repair_answer(data, context)
    summary: ArticleSummary | None = None
    failure: ValidationError | None = None
    try:
        summary = _validate(_dump(_kept(data, keep)) if repairs or trims else text, context)
    except ValidationError as exc:
        if not salvage:
            raise
        failure = exc
        dropped += _drop_invalid(data, keep, context, cut=end)
        if not any(keep.get(name) for name in _GROUNDED):  # nothing grounded is left: nothing usable either
            raise
    merged = merge_duplicates(data, keep)
    if summary is None or merged:
        try:
            summary = _validate(_dump(_kept(data, keep)), context)
        except ValidationError:
            if failure is not None:  # what is left does not stand: the top level is at fault, as the answer's
                raise failure from None  # own error says (the one a reask would have named)
            raise
    return Reading(summary, repairs + merged, dropped, attempt)


def salvage_best(answers: list[tuple[int, str]], context: GroundingContext | None) -> Reading | None:
    """The best salvage (see the module docstring) of ``answers`` (each its attempt number and text), or
    ``None`` when none leaves anything usable."""
    best: Reading | None = None
    for attempt, text in answers:
        try:
            reading = read_answer(text, context, salvage=True, attempt=attempt)
        except (ValidationError, ValueError):
            continue
        if best is None or reading.kept >= best.kept:
            best = reading
    return best


def _validate(text: str, context: GroundingContext | None) -> ArticleSummary:
    return ArticleSummary.model_validate_json(text, context={"article": context} if context is not None else None)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _kept(data: dict[str, Any], keep: dict[str, list[int]]) -> dict[str, Any]:
    return {**data, **{name: [data[name][i] for i in indices] for name, indices in keep.items()}}


def _drop_invalid(data: dict[str, Any], keep: dict[str, list[int]], context: GroundingContext | None, *,
                  cut: tuple[str, int] | None = None) -> list[Dropped]:
    """Take out of ``keep`` every item that does not validate on its own (or keep it without what makes it
    fail, when that is optional: see :func:`_without_part`), then every event or quote naming no kept
    entity; an invalid ``published`` becomes null. ``cut`` is the open item of a cut-off answer, whose reason
    says so. Returns what was dropped."""
    ctx = {"article": context} if context is not None else None
    dropped = _drop_published(data)
    for name, indices in keep.items():
        for i in list(indices):
            item = data[name][i]
            try:
                _MODELS[name].model_validate_json(_dump(item), context=ctx)
                continue
            except ValidationError as exc:
                problems, error = validation_problems(exc, (name, i)), exc
            part = _without_part(name, i, item, error, context)
            if part is not None:
                try:
                    _MODELS[name].model_validate_json(_dump(part[0]), context=ctx)
                except ValidationError:
                    pass
                else:
                    data[name][i] = part[0]
                    dropped += part[1]
                    continue
            indices.remove(i)
            if (name, i) == cut:
                problems = [f"{CUT} before the item was complete", *problems]
            dropped.append(Dropped(path=f"{name}.{i}", reason="; ".join(problems), item=item))
    return dropped + _drop_unnamed(data, keep)


#: Fields an item can do without (nullable in the schema): an error in one of them drops the field, not the item.
_OPTIONAL = {"events": ("when", "where"), "quotes": ("speaker_role", "cue")}


def _without_part(name: str, i: int, item: Any, error: ValidationError,
                  context: GroundingContext | None) -> tuple[dict[str, Any], list[Dropped]] | None:
    """The item without what made it fail, when the rest may stand: a key point without its ungrounded
    evidence passages; an event or quote without an invalid optional field (an event's date that is in the
    future of the article for a past event, too); and what was dropped. None when nothing can be taken out."""
    if not isinstance(item, dict):
        return None
    if name == "key_points":
        return _grounded_part(item, i, context)
    optional = _OPTIONAL.get(name, ())
    fields = {str(e["loc"][0]) for e in error.errors() if e["loc"] and e["loc"][0] in optional}
    if name == "events" and item.get("when") is not None and any(not e["loc"] for e in error.errors()):
        fields.add("when")  # the event's own check: a past event dated after the article
    if not fields:
        return None
    reasons = {f: [p for p, e in zip(validation_problems(error, (name, i)), error.errors(), strict=True)
                   if not e["loc"] or e["loc"][0] == f] for f in fields}
    return ({**item, **dict.fromkeys(fields)},
            [Dropped(path=f"{name}.{i}.{f}", reason="; ".join(reasons[f]), item=item.get(f)) for f in sorted(fields)])


def _drop_published(data: dict[str, Any]) -> list[Dropped]:
    """An invalid ``published`` (the article's own date wins over it anyway) made null."""
    value = data.get("published")
    if value is None:
        return []
    try:
        _PUBLISHED.validate_json(_dump(value))
        return []
    except ValidationError as exc:
        data["published"] = None
        return [Dropped(path="published", reason="; ".join(validation_problems(exc, ("published",))), item=value)]


def _grounded_part(item: dict[str, Any], i: int, context: GroundingContext | None) -> tuple[dict[str, Any], list[Dropped]] | None:
    """A key point with only its grounded evidence passages, and the passages dropped; None when no passage
    is grounded (or none is not)."""
    evidence = item.get("evidence")
    if context is None or not isinstance(evidence, list):
        return None
    good, lost = [], []
    for j, passage in enumerate(evidence):
        try:
            if not isinstance(passage, str):
                raise ValueError("The key point's evidence must be a string copied from the article.")
            context.ground(passage, "The key point's evidence")
            good.append(passage)
        except ValueError as exc:
            lost.append(Dropped(path=f"key_points.{i}.evidence.{j}", reason=f"key_points.{i}: {exc}", item=passage))
    if not good or not lost:
        return None
    return {**item, "evidence": good}, lost


def _drop_unnamed(data: dict[str, Any], keep: dict[str, list[int]]) -> list[Dropped]:
    """Take out the kept events and quotes with a reference naming no kept entity (the reference check)."""
    if not all(name in keep for name in ("entities", "events", "quotes")):
        return []
    entities = [data["entities"][i] for i in keep["entities"]]
    events = [data["events"][i] for i in keep["events"]]
    quotes = [data["quotes"][i] for i in keep["quotes"]]
    refs = unknown_references([[e["name"], *e["aliases"]] for e in entities],
                              [(e["actors"], e["targets"]) for e in events], [q["speaker"] for q in quotes])
    reasons: dict[tuple[str, int], list[str]] = {}
    for ref in refs:
        original = keep[ref.items][ref.index]
        reasons.setdefault((ref.items, original), []).append(ref.problem.replace(
            f"{ref.items}.{ref.index}.", f"{ref.items}.{original}.", 1))
    dropped = []
    for (name, i), problems in sorted(reasons.items()):
        keep[name].remove(i)
        dropped.append(Dropped(path=f"{name}.{i}", reason="; ".join(problems)
                               + ". It names no entity of the answer (nor describes one).", item=data[name][i]))
    return dropped
