"""What summarizing one article cost: one record, one serialization. Pure.

Terms:

- **usage**: a :class:`Usage`: tokens and attempts spent on one article, failed attempts included.
- **usage record**: :meth:`Usage.record`, the counters as a JSON object, in this order: ``attempts``,
  ``replayed``, ``retries``, ``prompt_tokens``, ``completion_tokens``, ``live_prompt_tokens``,
  ``live_completion_tokens``. The same fields, in the same order, are written wherever usage is written:
  the ledger line of an article (:mod:`summarize.runs.folder`) and the ``run`` block of its output document
  (:mod:`summarize.core.document`), so a reader of either finds the same names meaning the same things.
- **answer source**: who wrote one answer (:func:`answer_source`), kept in :attr:`Usage.answers`, one per
  answer in attempt order: ``{"source": "recorded", "model", "server", "at"}`` (a server's answer replayed
  from a fixture), ``{"source": "authored", "author", "note", "at"}`` (written by a person; no model
  wrote it) or ``{"source": "live", "model", "server", "at"}`` (a server answered in this run). Keys
  without a value are left out. Not part of the usage record.
- **output mode used**: :attr:`Usage.output_mode`, the output mode the article's last attempt was asked in
  (under ``auto``, what the server accepted: :mod:`summarize.core.negotiate`). Written beside the usage
  record (``output_mode``) in the ledger line and the ``run`` block, not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["USAGE_FIELDS", "Usage", "answer_source"]


def answer_source(provenance: dict[str, Any] | None, model: str | None) -> dict[str, Any]:
    """Who wrote an answer (see "answer source" in the module docstring), from its fixture's provenance
    (or the live one the fixture layer gives an answer made now) and the model the completion names."""
    p = provenance or {}
    source = p.get("source") if p.get("source") in ("recorded", "authored", "live") else "live"
    if source == "authored":
        # The completion names the model it was written for, but no model wrote it: leave the model out.
        found = {"author": p.get("author"), "note": p.get("note"), "at": p.get("created")}
    else:
        found = {"model": model, "server": p.get("server"), "at": p.get("recorded_at") or p.get("at")}
    return {"source": source, **{k: v for k, v in found.items() if v}}


@dataclass
class Usage:
    """Tokens and attempts spent on one article, failed attempts included.

    ``prompt_tokens`` / ``completion_tokens`` count every answer, replayed ones included (what the
    recorded model reported); ``live_*`` count only answers a server produced in this run, which is
    what costs money. ``retries`` counts transient failures retried below the attempts. ``warnings``
    lists what went wrong without failing the article (``{"kind", "message"}``, e.g. an answer that
    could not be recorded as a fixture); ``answers`` says who wrote each answer (:func:`answer_source`);
    ``output_mode`` what the last attempt was asked in. None of the three is part of the record.
    """

    attempts: int = 0
    replayed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    live_prompt_tokens: int = 0
    live_completion_tokens: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    output_mode: str | None = None

    def add(self, completion: Any, replayed: bool, provenance: dict[str, Any] | None = None) -> None:
        """Count one answer (an openai completion, or anything with a ``usage``) and note who wrote it
        (``provenance``: its fixture's, or the live one; see :func:`answer_source`)."""
        self.attempts += 1
        self.answers.append(answer_source(provenance, getattr(completion, "model", None)))
        self.replayed += int(replayed)
        usage = getattr(completion, "usage", None)
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        self.prompt_tokens += prompt
        self.completion_tokens += completion_tokens
        if not replayed:
            self.live_prompt_tokens += prompt
            self.live_completion_tokens += completion_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def requests(self) -> int:
        """HTTP requests made for the article: attempts plus retried transient failures."""
        return self.attempts + self.retries

    def record(self) -> dict[str, int]:
        """The usage record (see the module docstring)."""
        return {name: getattr(self, name) for name in USAGE_FIELDS}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Usage:
        """The usage a record (a ledger line, a document's ``run`` block) holds; missing counters are 0."""
        usage = cls()
        for name in USAGE_FIELDS:
            setattr(usage, name, int(record.get(name) or 0))
        return usage


#: The counters of a usage record, in the order they are written.
USAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Usage) if f.name not in ("warnings", "answers", "output_mode"))
