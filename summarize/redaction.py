"""Keeping the API key out of everything this library says: error messages and log records.

Terms:

- **secret**: the configured API key. It travels only in the ``Authorization`` header of requests,
  which fixtures never store; but a server or a proxy may echo a request in an error body, and openai
  (``OPENAI_LOG=debug``), httpx and instructor log requests and server errors.
- **redact**: replace a secret, and any ``Authorization: ...`` or ``Bearer ...`` credential, with
  ``[redacted]``. Error messages are redacted where they are made (:mod:`summarize.translate`); log
  records by a filter on the loggers of the client stack (:func:`redact_logs`).
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "redact_logs"]

_BEARER = re.compile(r"(?i)\b(bearer|authorization)(\s*[:=]?\s*)(bearer\s+)?[^\s\"',;]+")


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with ``secret`` and any ``Authorization``/``Bearer`` credential replaced by ``[redacted]``."""
    if secret and len(secret) >= 8:
        text = text.replace(secret, "[redacted]")
    return _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}[redacted]", text)


class _RedactingFilter(logging.Filter):
    """Removes API keys and bearer tokens from log records of the client stack.

    openai (with ``OPENAI_LOG=debug``), httpx and instructor log requests and server errors, and a
    server or proxy may echo the Authorization header in an error body.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = message
        for secret in self.secrets:
            clean = redact(clean, secret)
        clean = redact(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_REDACTING = _RedactingFilter()
_LOGGED_PACKAGES = ("openai", "httpx", "httpcore", "instructor", "summarize")


def redact_logs(secret: str | None) -> None:
    """Install the redacting filter on every logger of the client stack (they exist once imported)."""
    if secret:
        _REDACTING.secrets.add(secret)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _LOGGED_PACKAGES]
    for name in (*_LOGGED_PACKAGES, *names):
        logger = logging.getLogger(name)
        if _REDACTING not in logger.filters:
            logger.addFilter(_REDACTING)
