"""Settings: one frozen record of everything that decides how a summary is made, resolved once.

Terms:

- **explicit value**: an argument given to :class:`~summarize.Summarizer` or a CLI option; it wins.
- **environment**: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``SUMMARIZE_MODEL`` as users of the openai
  client expect, and ``SUMMARIZE_FIXTURES`` for the fixtures folder.
- **output mode**: how the answer's structure is requested: ``auto`` (the default: ``json_schema`` first,
  then, per server, the next mode when it rejects one; see :mod:`summarize.core.negotiate`), ``json_schema``
  (OpenAI strict structured output), ``tools`` (strict function calling), ``json`` (JSON mode with the
  schema in the prompt) or ``md_json`` (plain text holding JSON), for servers that lack the stricter ones.
  A mode other than ``auto`` is used as it is, never changed.
- **retries**: how often a transient failure (5xx, timeout, dropped connection) is retried, within
  ``retry_budget`` seconds, the first back-off ``retry_backoff`` seconds; ``rpm`` / ``tpm`` are optional request and token budgets per minute for a
  run (see :mod:`summarize.http.network`).
- **rate-limit wait**: a 429 (rate limited) uses up no retries: the request waits as the server asks and
  tries again for up to ``rate_limit_wait`` seconds from its first 429, then fails as ``rate_limited``.
- **output budget** (``max_tokens``): a number, ``"auto"``, ``"none"``, or unset: the automatic budget on
  every server but OpenAI's; **timeout**: seconds, or unset: scaled to the server and the request. Both
  are defined in :mod:`summarize.core.budget`.
- **context window**: tokens the model accepts in all; known for common models (:mod:`summarize.core.limits`),
  settable for others. An article that cannot fit is refused before it is sent.
- **strict**: all or nothing, as before salvage existed: an answer still invalid after the last reask fails
  its article instead of being salvaged into a partial summary (:mod:`summarize.core.salvage`).
- **stream**: ask answers as streams (:mod:`summarize.http.streaming`): a loop is stopped as it begins and a
  request given up really stops the server's work. Fixtures are the same either way. The Summarizer turns it on
  for its local engine unless told otherwise.
- **fixture mode**: see :class:`summarize.replay.fixtures.Mode`. Default: ``auto`` when a key or a base URL is
  configured, else ``replay``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from summarize.core import defaults
from summarize.core.bounds import COUNT, NON_NEGATIVE, POSITIVE, TIMES, Bound
from summarize.errors import ConfigurationError
from summarize.replay.fixtures import Mode

__all__ = ["BUDGET_WORDS", "DEFAULT_MODEL", "OUTPUT_MODES", "Settings"]

DEFAULT_MODEL = defaults.MODEL
#: The output modes a setting may name: ``auto`` and the modes a request is sent in.
OUTPUT_MODES = ("auto", "json_schema", "tools", "json", "md_json")
#: What ``max_tokens`` accepts besides a number (see :mod:`summarize.core.budget`).
BUDGET_WORDS = ("auto", "none")


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :meth:`resolve`; the API key is never printed (``repr=False``)."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    fixtures: Path = Path(defaults.FIXTURES)
    mode: Mode = Mode.REPLAY
    output_mode: str = defaults.OUTPUT_MODE
    temperature: float | None = defaults.TEMPERATURE
    max_tokens: int | str | None = None
    max_reasks: int = defaults.MAX_REASKS
    timeout: float | None = None
    retries: int = defaults.RETRIES
    retry_budget: float = defaults.RETRY_BUDGET
    retry_backoff: float = defaults.RETRY_BACKOFF
    rate_limit_wait: float = defaults.RATE_LIMIT_WAIT
    rpm: float | None = None
    tpm: float | None = None
    context_window: int | None = None
    strict: bool = False
    stream: bool = False

    @classmethod
    def resolve(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        fixtures: str | Path | None = None,
        mode: Mode | str | None = None,
        output_mode: str | None = None,
        temperature: float | None = defaults.TEMPERATURE,
        max_tokens: int | str | None = None,
        max_reasks: int = defaults.MAX_REASKS,
        timeout: float | None = None,
        retries: int = defaults.RETRIES,
        retry_budget: float = defaults.RETRY_BUDGET,
        retry_backoff: float = defaults.RETRY_BACKOFF,
        rate_limit_wait: float = defaults.RATE_LIMIT_WAIT,
        rpm: float | None = None,
        tpm: float | None = None,
        context_window: int | None = None,
        strict: bool = False,
        stream: bool = False,
        env: dict[str, str] | None = None,
    ) -> Settings:
        """Merge explicit values with the environment and check them.

        Raises :class:`ConfigurationError` for an unknown mode, a number out of its bounds
        (:mod:`summarize.core.bounds`: no negative reasks, no zero timeout, no NaN...), or a mode that needs a
        server when neither a key nor a base URL is configured.
        """
        env = dict(os.environ) if env is None else env
        key = api_key or env.get("OPENAI_API_KEY") or None
        url = base_url or env.get("OPENAI_BASE_URL") or None
        try:
            chosen = Mode(mode) if mode is not None else (Mode.AUTO if key or url else Mode.REPLAY)
        except ValueError:
            raise ConfigurationError(f"Unknown fixture mode {mode!r}; use one of: {', '.join(m.value for m in Mode)}.") from None
        out = output_mode or defaults.OUTPUT_MODE
        if out not in OUTPUT_MODES:
            raise ConfigurationError(f"Unknown output mode {out!r}; use one of: {', '.join(OUTPUT_MODES)}.")
        if chosen is not Mode.REPLAY and not key and not url:
            raise ConfigurationError(
                f"Mode {chosen.value!r} calls a model server, but no API key or base URL is configured. "
                "Set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server), or use mode 'replay'."
            )
        if isinstance(max_tokens, str) and max_tokens not in BUDGET_WORDS:
            raise ConfigurationError(f"max_tokens must be a whole number of at least 1, {' or '.join(map(repr, BUDGET_WORDS))}, "
                                     f"not {max_tokens!r}.")
        numbers: dict[str, tuple[object, Bound, bool]] = {  # name: value, bound, whether None is allowed
            "max_reasks": (max_reasks, TIMES, False), "retries": (retries, TIMES, False),
            "max_tokens": (None if isinstance(max_tokens, str) else max_tokens, COUNT, True), "context_window": (context_window, COUNT, True),
            "timeout": (timeout, POSITIVE, True), "rpm": (rpm, POSITIVE, True), "tpm": (tpm, POSITIVE, True),
            "retry_budget": (retry_budget, NON_NEGATIVE, False), "retry_backoff": (retry_backoff, NON_NEGATIVE, False),
            "temperature": (temperature, NON_NEGATIVE, True),
            "rate_limit_wait": (rate_limit_wait, NON_NEGATIVE, False),
        }
        for name, (value, bound, optional) in numbers.items():
            if not (value is None and optional) and (problem := bound.check(name, value)):
                raise ConfigurationError(problem)
        return cls(
            model=model or env.get("SUMMARIZE_MODEL") or DEFAULT_MODEL,
            base_url=url,
            api_key=key,
            fixtures=defaults.fixtures_folder(fixtures, env),
            mode=chosen,
            output_mode=out,
            temperature=temperature,
            max_tokens=max_tokens,
            max_reasks=max_reasks,
            timeout=timeout,
            retries=retries,
            retry_budget=retry_budget,
            retry_backoff=retry_backoff,
            rate_limit_wait=rate_limit_wait,
            rpm=rpm,
            tpm=tpm,
            context_window=context_window,
            strict=bool(strict),
            stream=bool(stream),
        )
