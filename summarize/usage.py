"""What summarizing one article cost: one record, one serialization. Pure.

Terms:

- **usage**: a :class:`Usage`: tokens and attempts spent on one article, failed attempts included.
- **usage record**: :meth:`Usage.record`, the counters as a JSON object, in this order: ``attempts``,
  ``replayed``, ``retries``, ``prompt_tokens``, ``completion_tokens``, ``live_prompt_tokens``,
  ``live_completion_tokens``. The same fields, in the same order, are written wherever usage is written:
  the ledger line of an article (:mod:`summarize.batch`) and the ``run`` block of its output document
  (:mod:`summarize.document`), so a reader of either finds the same names meaning the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["USAGE_FIELDS", "Usage"]


@dataclass
class Usage:
    """Tokens and attempts spent on one article, failed attempts included.

    ``prompt_tokens`` / ``completion_tokens`` count every answer, replayed ones included (what the
    recorded model reported); ``live_*`` count only answers a server produced in this run, which is
    what costs money. ``retries`` counts transient failures retried below the attempts. ``warnings``
    lists what went wrong without failing the article (``{"kind", "message"}``, e.g. an answer that
    could not be recorded as a fixture); they are not part of the record.
    """

    attempts: int = 0
    replayed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    live_prompt_tokens: int = 0
    live_completion_tokens: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)

    def add(self, completion: Any, replayed: bool) -> None:
        """Count one answer (an openai completion, or anything with a ``usage``)."""
        self.attempts += 1
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
USAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Usage) if f.name != "warnings")
