"""The ledger of a folder run, the fingerprint that decides what a resume may skip, and costs.

Terms:

- **ledger**: ``OUT/ledger.jsonl``, one JSON object per line and per outcome, appended as each article
  finishes: ``article``, ``content_hash``, ``config`` (the fingerprint), ``status`` (``done``, ``partial``
  (items of the answer dropped: see :mod:`summarize.core.salvage`), ``failed`` or ``skipped``), ``error``
  (kind) and ``message`` when failed, the items a summary holds (``quotes``, ``events``, ``entities``,
  ``key_points``) with ``repairs`` and ``dropped`` (how many) when summarized, ``attempts``, ``retries``, ``replayed``,
  ``prompt_tokens``, ``completion_tokens`` (all answers) and ``live_prompt_tokens`` /
  ``live_completion_tokens`` (answers a server produced in this run), ``output_mode`` (what the last
  attempt was asked in: under ``auto``, what the server accepted), ``cost_usd`` and ``seconds``, and
  ``at`` (UTC time), and ``warnings`` (``{"kind", "message"}``) for what went wrong without failing the
  article. Each line is written with one ``write`` call on a file opened for appending; a line cut short
  by a crash is ignored when the ledger is read, and the next append starts a fresh line. A write that
  fails or falls short (disk full, file size limit) is undone (the file is cut back to where the line
  began) and raised as an :class:`~summarize.errors.OutputError`: the ledger never holds half a line.
- **fingerprint**: a hash of everything that changes the summary besides the article: model, prompt
  version and text, output mode, sampling parameters, schema and document format. An article whose
  last ledger line is ``done`` (or ``partial``, or ``skipped``) with the same content hash and
  fingerprint, and whose output file exists, is skipped on resume (a partial one is redone by a strict
  run); everything else is (re)done. ``strict`` is not in the fingerprint: it changes no complete summary.
- **price table**: USD per million input and output tokens by model. Cost is estimated from live
  tokens only: replayed answers cost nothing. Override it with your own table; unknown models have no
  estimate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from summarize.core.config import Settings
from summarize.core.limits import for_model
from summarize.core.prompting import PromptTemplate
from summarize.core.schema import model_schema
from summarize.errors import OutputError
from summarize.replay.store import canonical_json

__all__ = ["LEDGER_NAME", "PRICES", "Ledger", "estimate_cost", "fingerprint"]

LEDGER_NAME = "ledger.jsonl"
#: List prices (USD per 1M tokens: input, output) as published when this table was written. Override freely.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
}


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int,
                  prices: dict[str, tuple[float, float]] | None = None) -> float | None:
    """Estimated USD for the tokens, or ``None`` for a model missing from the table.

    A dated model name (``gpt-4o-mini-2024-07-18``) falls back to its base name.
    """
    price = for_model(PRICES if prices is None else prices, model)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def fingerprint(settings: Settings, prompt: PromptTemplate, document_format: int) -> str:
    """The configuration fingerprint (see the module docstring)."""
    parts = {
        "model": settings.model,
        "prompt": prompt.id,
        "prompt_text": hashlib.sha256((prompt.system + "\0" + prompt.user).encode("utf-8")).hexdigest(),
        "output_mode": settings.output_mode,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "schema": hashlib.sha256(canonical_json(model_schema()).encode("utf-8")).hexdigest(),
        "document": document_format,
    }
    return hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()[:16]


class Ledger:
    """Append-only JSON-lines record of a folder run's outcomes (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / LEDGER_NAME
        self._fd: int | None = None

    def last_entries(self) -> dict[str, dict[str, Any]]:
        """The last readable entry per article; lines cut short by a crash are ignored."""
        found: dict[str, dict[str, Any]] = {}
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return found
        except OSError as exc:
            raise OutputError(f"Could not read the ledger {self.path}: {exc.strerror or exc}. It must be a readable "
                              "file (or absent); move it away to start afresh.", path=str(self.path)) from exc
        with f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("article"), str):
                    found[entry["article"]] = entry
        return found

    def open(self) -> None:
        """Open the ledger for appending (a folder run does so before its first request); idempotent.

        Raises :class:`OutputError` when it cannot be opened.
        """
        if self._fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            size = os.fstat(self._fd).st_size
            if size and _last_byte(self.path) != b"\n":  # a line cut short by a crash: start afresh
                self._write(b"\n")
        except OSError as exc:
            raise self._error(exc) from exc

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry as one line, in one ``write`` call; raises :class:`OutputError`, leaving no half line."""
        self.open()
        entry = {**entry, "at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
        try:
            # backslashreplace: a lone surrogate (an id from a file name that is not UTF-8) becomes the JSON
            # escape ``\udcXX``, which reads back as the same string, instead of failing the write.
            self._write((json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                        .encode("utf-8", "backslashreplace"))
        except OSError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> OutputError:
        return OutputError(f"Could not write the ledger {self.path}: {exc.strerror or exc}. The run stopped; free "
                           "space (or fix the folder) and run the same command again to resume.", path=str(self.path))

    def _write(self, data: bytes) -> None:
        """All of ``data`` or nothing: a failed or short write is cut back off the end of the file."""
        assert self._fd is not None
        start = os.fstat(self._fd).st_size  # one writer: the run lock keeps other runs out
        try:
            written = os.write(self._fd, data)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise
        if written != len(data):
            os.ftruncate(self._fd, start)
            raise OSError(errno.ENOSPC, f"only {written} of {len(data)} bytes could be written (disk full, "
                                        "or a file size limit)")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1)
