"""The default of every setting: one table read by the Python API and the command line alike.

:class:`~summarize.core.config.Settings`, :class:`~summarize.Summarizer`, folder runs
(:func:`summarize.runs.folder.arun_folder`), the evaluation and every ``summarize`` command take their defaults
from here, and the command line's help shows these values, so the two can never drift apart. The allowed
range of each number is in :mod:`summarize.core.bounds`. The environment (``SUMMARIZE_MODEL``,
``SUMMARIZE_FIXTURES``) comes before these defaults, and explicit values before both (see
:mod:`summarize.core.config`).

Only ``os`` is imported: the command line reads this before any heavy module is loaded.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # pathlib and typing stay out of the command line's start-up
if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CONCURRENCY",
    "FIXTURES",
    "MAX_REASKS",
    "MODEL",
    "OUT",
    "OUTPUT_MODE",
    "OVERLAP",
    "RATE_LIMIT_WAIT",
    "RETRIES",
    "RETRY_BACKOFF",
    "RETRY_BUDGET",
    "TEMPERATURE",
    "TIMEOUT",
    "fixtures_folder",
]

#: The model, when neither ``model=`` / ``--model`` nor ``SUMMARIZE_MODEL`` names one.
MODEL = "gpt-4o-mini"
#: The fixtures folder, when neither ``fixtures=`` / ``--fixtures`` nor ``SUMMARIZE_FIXTURES`` names one.
FIXTURES = "fixtures"
#: How structured output is requested (see :data:`summarize.core.config.OUTPUT_MODES`): ``auto`` asks in
#: ``json_schema`` and falls back, per server, to the next mode it accepts (:mod:`summarize.core.negotiate`).
OUTPUT_MODE = "auto"
#: Sampling temperature: deterministic answers (``None`` sends none, leaving the server's default).
TEMPERATURE: float | None = 0.0
#: Reasks after an invalid or ungrounded answer.
MAX_REASKS = 2
#: Seconds to wait for one answer from OpenAI, when no timeout is set; other servers get a timeout scaled to
#: the request (:func:`summarize.core.budget.answer_timeout`).
TIMEOUT = 120.0
#: Retries of a transient failure (5xx, timeout, dropped connection); a 429 uses none (see RATE_LIMIT_WAIT).
RETRIES = 5
#: Seconds a rate-limited request (429) keeps waiting and retrying, from its first 429, before it fails.
RATE_LIMIT_WAIT = 600.0
#: Seconds within which retries of one request may go on.
RETRY_BUDGET = 300.0
#: Seconds before the first retry (then growing).
RETRY_BACKOFF = 0.5
#: Requests in flight in a folder run: sensible for OpenAI's first usage tier (about 500 requests and 200k
#: tokens a minute for small models).
CONCURRENCY = 8
#: The output folder of ``summarize run``.
OUT = "out"
#: The evaluation's least intersection-over-union for an overlap match.
OVERLAP = 0.5


def fixtures_folder(fixtures: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Path:
    """The fixtures folder: ``fixtures`` when given, else ``SUMMARIZE_FIXTURES``, else :data:`FIXTURES`."""
    from pathlib import Path

    env = dict(os.environ) if env is None else env
    return Path(fixtures or env.get("SUMMARIZE_FIXTURES") or FIXTURES)
