"""The allowed range of each numeric setting, one rule shared by the Python API and the command line.

Terms:

- **bound**: what a numeric setting accepts: a whole number or any finite number, at least (or above) a
  least value, at most a greatest one. Not a number, infinity and booleans are never accepted.
- The command line turns a value out of bounds into a usage error (exit status 2) before anything runs;
  :class:`~summarize.core.config.Settings` and folder runs raise :class:`~summarize.errors.ConfigurationError`
  with the same words.

Nothing but the standard library's ``math`` is imported: the command line checks its options with these
before any heavy module is loaded.
"""

from __future__ import annotations

import math

__all__ = ["COUNT", "NON_NEGATIVE", "POSITIVE", "SHARE", "TIMES", "Bound"]


class Bound:
    """The range one numeric setting accepts (see the module docstring)."""

    __slots__ = ("above", "least", "most", "whole")

    def __init__(self, *, whole: bool, least: float, above: bool = False, most: float | None = None) -> None:
        self.whole, self.least, self.above, self.most = whole, least, above, most

    def __repr__(self) -> str:
        return f"Bound({self.describe()})"

    def describe(self) -> str:
        """What the bound accepts, in words: ``a whole number of at least 1``."""
        bound = f"above {self.least:g}" if self.above else f"of at least {self.least:g}"
        if self.most is not None:
            bound += f" and at most {self.most:g}"
        return f"a whole number {bound}" if self.whole else f"a finite number {bound}"

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (already a number, or not) is within the bound."""
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)):
            return False
        if not math.isfinite(value) or value < self.least or (self.above and value == self.least):
            return False
        return self.most is None or value <= self.most

    def parse(self, text: str) -> int | float:
        """The number ``text`` spells, if within the bound; else ``ValueError`` saying what is expected."""
        try:
            value: int | float = int(text) if self.whole else float(text)
        except ValueError:
            value = math.nan
        if not self.accepts(value):
            raise ValueError(f"expected {self.describe()}, not {text!r}")
        return value

    def check(self, name: str, value: object) -> str | None:
        """``None`` when ``value`` is within the bound, else a message naming the setting ``name``."""
        return None if self.accepts(value) else f"{name} must be {self.describe()}, not {value!r}."


#: Things of which there must be one at least: concurrency, workers, token counts.
COUNT = Bound(whole=True, least=1)
#: How often to try again (reasks, retries): none at all is allowed.
TIMES = Bound(whole=True, least=0)
#: Durations and rates: seconds to wait, requests or tokens per minute.
POSITIVE = Bound(whole=False, least=0, above=True)
#: Amounts that may be zero: a retry budget or back-off in seconds, a sampling temperature.
NON_NEGATIVE = Bound(whole=False, least=0)
#: A share of a whole: an overlap threshold.
SHARE = Bound(whole=False, least=0, above=True, most=1)
