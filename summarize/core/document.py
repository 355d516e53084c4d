"""The output document: what ``summarize run`` writes per article, and the one rule for reading it.

Terms:

- **output document** (format 1): one JSON object per article, at ``OUT/<article id>.json``
  (:class:`OutputDocument`):

  - ``format``: ``1``;
  - ``article`` (:class:`ArticleBlock`): ``id``, ``title``, ``published`` (a partial ISO date),
    ``source_path``, ``encoding``, ``content_hash``, ``text`` (so spans can be checked and shown without the
    source file), ``notes`` (what the loader could not take as given, such as an unreadable date),
    ``removed`` (the boilerplate lines cut from the end, each ``{"text", "reason"}``) and, when the source
    states them, ``outlet``, ``byline``, ``url`` and ``language`` (see :class:`summarize.Article`);
  - ``summary``: the :class:`~summarize.core.schema.ArticleSummary` as JSON; its ``quotes``, ``events``,
    ``entities`` and ``key_points`` are lists of objects. Key points are ``{"text", "evidence",
    "evidence_spans"}`` since schema version 2; a document written before holds them as strings, and the
    reader gives each as ``{"text": <the string>, "evidence": [], "evidence_spans": []}``;
  - ``run`` (:class:`RunBlock`): the model, the prompt, the schema version, the usage record
    (:mod:`summarize.core.usage`), the seconds it took and ``answers``: who wrote each answer, in attempt
    order (:class:`AnswerSource`: ``recorded``, ``authored`` or ``live``), ``output_mode``: the output mode the answer was asked in (under ``auto``, the one the server accepted),
    and ``accepted_attempt`` when the summary is not the last answer's (a salvage of an earlier answer;
    attempts are numbered from 1);
  - ``status``: ``complete``, or ``partial`` when items of the model's answer were dropped because they
    stayed invalid or ungrounded after the last reask (see :mod:`summarize.core.salvage`); a document
    without it is complete;
  - ``dropped``: each item left out of a partial summary, ``{"path", "reason", "item"}``: where it stood in
    the answer as the model gave it (``quotes.3``, ``key_points.1.evidence.2``), why (the problems a reask
    would name), and the item itself;
  - ``repairs``: each change made to the answer without the model, ``{"kind", "path", "before", "after"}``
    (kinds ``exact_text``, ``entity_name``, ``precision``, ``duplicate``: see :mod:`summarize.core.repair`).

  Fields added since format 1 began (``notes``, ``removed``, the ``live_*`` counters, the article's
  metadata, ``schema``, ``answers``, ``output_mode``, ``accepted_attempt``, ``status``, ``dropped``, ``repairs``) are
  optional to readers, so the format stays 1 (a reader of an older version sees a partial document as a
  summary with fewer items, which it is); unknown fields are kept, so a newer
  writer's additions do not make a document unreadable.
- **document rule**: a file is a document when it is a JSON object with ``"format": 1`` and an
  ``article`` object. Such a file is **damaged** (:attr:`DocumentError.corrupt`) when it cannot be read as
  JSON, or when it breaks the rest of the model above (no article id, no text, a summary that is not an
  object, a quotes list that is not a list of objects...). Every other JSON file (a timeline, a report
  manifest, a price table) is **not a document**. :func:`read_document` applies this rule for everything
  that reads OUT: the report, the timeline, the evaluation and resume. Each consumer passes over what is
  not a document, and reports a damaged document as its own kind of problem (the report: a failed row;
  the timeline: a skipped file; the evaluation: an unscorable article; resume: the article is run again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from summarize.core.repair import Repair
from summarize.core.salvage import Dropped
from summarize.core.usage import USAGE_FIELDS, Usage
from summarize.errors import DocumentError

__all__ = ["DOCUMENT_FORMAT", "AnswerSource", "ArticleBlock", "DocumentError", "Dropped", "OutputDocument", "RemovedLine",
           "Repair", "RunBlock", "iter_documents", "read_document"]

#: Version of the output document written per article.
DOCUMENT_FORMAT: Final = 1
_LISTS = ("quotes", "events", "entities")


class _Block(BaseModel):
    model_config = ConfigDict(extra="allow")  # a newer writer's fields survive a read


class RemovedLine(_Block):
    """A boilerplate line cut from the end of the article, and why."""

    text: str
    reason: str


class ArticleBlock(_Block):
    """The ``article`` block: the article as it was summarized."""

    id: str = Field(min_length=1)
    title: str | None = None
    published: str | None = None
    source_path: str | None = None
    encoding: str | None = "utf-8"
    content_hash: str | None = None
    text: str
    notes: list[str] = Field(default_factory=list)
    removed: list[RemovedLine] = Field(default_factory=list)
    outlet: str | None = None
    byline: str | None = None
    url: str | None = None
    language: str | None = None


class AnswerSource(_Block):
    """Who wrote one answer (see "answer source" in :mod:`summarize.core.usage`): ``recorded`` (a server's answer
    replayed: ``model``, ``server``, ``at``), ``authored`` (a person's: ``author``, ``note``, ``at``) or
    ``live`` (a server's, in this run: ``model``, ``server``, ``at``)."""

    source: Literal["recorded", "authored", "live"]
    model: str | None = None
    server: str | None = None
    at: str | None = None
    author: str | None = None
    note: str | None = None


class RunBlock(_Block):
    """The ``run`` block: who made the summary, and its usage record (:mod:`summarize.core.usage`)."""

    model: str | None = None
    prompt: str | None = None
    attempts: int = 0
    replayed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    live_prompt_tokens: int = 0
    live_completion_tokens: int = 0
    seconds: float | None = None
    schema_version: int | None = Field(default=None, alias="schema")
    answers: list[AnswerSource] = Field(default_factory=list)
    output_mode: str | None = None
    accepted_attempt: int | None = None

    @classmethod
    def of(cls, model: str, prompt: str, usage: Usage, seconds: float, accepted_attempt: int | None = None) -> RunBlock:
        """The run block of a summary just made (``accepted_attempt``: only when it is not the last answer's)."""
        from summarize.core.schema import SCHEMA_VERSION

        return cls(model=model, prompt=prompt, schema=SCHEMA_VERSION, **usage.record(), seconds=round(seconds, 4),
                   answers=[AnswerSource(**a) for a in usage.answers], output_mode=usage.output_mode,
                   accepted_attempt=accepted_attempt)

    @property
    def accepted(self) -> AnswerSource | None:
        """Who wrote the answer that was accepted (the last one, unless ``accepted_attempt`` names another);
        ``None`` in a document written before."""
        if self.accepted_attempt and 0 < self.accepted_attempt <= len(self.answers):
            return self.answers[self.accepted_attempt - 1]
        return self.answers[-1] if self.answers else None

    @property
    def usage(self) -> Usage:
        """The usage record as a :class:`~summarize.core.usage.Usage`."""
        return Usage.from_record({name: getattr(self, name) for name in USAGE_FIELDS})


class OutputDocument(_Block):
    """One output document (see the module docstring). ``summary`` stays the JSON object that was written."""

    format: Literal[1] = DOCUMENT_FORMAT
    article: ArticleBlock
    summary: dict[str, Any]
    run: RunBlock | None = None
    status: Literal["complete", "partial"] = "complete"
    dropped: list[Dropped] = Field(default_factory=list)
    repairs: list[Repair] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def _lists_of_objects(cls, summary: dict[str, Any]) -> dict[str, Any]:
        for name in _LISTS:
            items = summary.get(name, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError(f"summary.{name} must be a list of objects")
        points = summary.get("key_points", [])
        if not isinstance(points, list) or not all(isinstance(p, (str, dict)) for p in points):
            raise ValueError("summary.key_points must be a list of objects (or, before schema version 2, of strings)")
        if any(isinstance(p, str) for p in points):  # schema version 1: a point without its evidence
            summary = {**summary, "key_points": [{"text": p, "evidence": [], "evidence_spans": []}
                                                 if isinstance(p, str) else p for p in points]}
        return summary

    @property
    def id(self) -> str:
        """The article id."""
        return self.article.id

    @property
    def partial(self) -> bool:
        """Whether items of the model's answer were dropped (``status`` ``partial``)."""
        return self.status == "partial"

    @property
    def quotes(self) -> list[dict[str, Any]]:
        return list(self.summary.get("quotes") or [])

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.summary.get("events") or [])

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.summary.get("entities") or [])

    @property
    def key_points(self) -> list[dict[str, Any]]:
        """The key points, each ``{"text", "evidence", "evidence_spans"}`` (whatever the schema version)."""
        return list(self.summary.get("key_points") or [])

    def to_json(self) -> dict[str, Any]:
        """The document as the JSON object that is written (and that readers such as the report show)."""
        return self.model_dump(mode="json", by_alias=True)

    def write(self, path: str | Path) -> None:
        """Write the document to ``path`` atomically (see :mod:`summarize.text.files`)."""
        from summarize.text.files import write_json_atomic

        write_json_atomic(path, self.to_json())

    @classmethod
    def from_json(cls, data: Any, *, path: str | Path = "<document>") -> OutputDocument:
        """The document ``data`` (parsed JSON) holds, by the document rule; :class:`DocumentError` if none."""
        where = str(path)
        if not (isinstance(data, dict) and data.get("format") == DOCUMENT_FORMAT and isinstance(data.get("article"), dict)):
            raise DocumentError(f"{where}: not a summarize output document (no \"format\": {DOCUMENT_FORMAT} and \"article\")",
                                path=where, corrupt=False)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'document'}: {e['msg']}" for e in exc.errors()[:5])
            article_id = data["article"].get("id") if isinstance(data["article"].get("id"), str) else None
            raise DocumentError(f"{where}: a damaged summarize output document ({problems}); run `summarize run` again for "
                                "that article (with --no-resume), or delete the file", path=where, corrupt=True,
                                article_id=article_id) from None


def read_document(path: str | Path) -> OutputDocument:
    """The output document at ``path``; :class:`DocumentError` (``corrupt`` or not) when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise DocumentError(f"{path}: cannot be read as JSON ({exc}); run `summarize run` again for that article, "
                            "or delete the file", path=str(path), corrupt=True) from exc
    return OutputDocument.from_json(data, path=path)


def iter_documents(out: str | Path, *, exclude: str | Path | None = None) -> Iterator[tuple[Path, OutputDocument | DocumentError]]:
    """Each ``*.json`` file under ``out`` (recursively, in sorted path order) with its document or why it is
    not one. Hidden files and folders, and the folder ``exclude`` (a report site inside OUT), are passed over."""
    root = Path(out)
    skip = Path(exclude).resolve() if exclude is not None else None
    for path in sorted(root.rglob("*.json")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if skip is not None and path.resolve().is_relative_to(skip):
            continue
        try:
            yield path, read_document(path)
        except DocumentError as exc:
            yield path, exc
