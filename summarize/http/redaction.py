"""Keeping credentials out of everything this library writes or says: files, messages and log records.

Terms:

- **secret**: a credential of the configuration: the API key, the user name and password of a base URL
  (``http://user:password@host/v1``) and of every proxy the environment names (``HTTP_PROXY``,
  ``HTTPS_PROXY``, ``ALL_PROXY``), and the ``Basic`` token made of each such pair. They travel only in
  request headers and the URL, which fixtures never store; but a server or a proxy may echo a request
  in an answer or an error body, and openai (``OPENAI_LOG=debug``), httpx and instructor log URLs,
  requests and server errors. Values shorter than :data:`MIN_SECRET` characters are too likely to be
  ordinary words to be replaced everywhere; they are still removed from URLs (see *credential pattern*).
- **redact**: replace each secret with ``[redacted]``. :class:`Secrets` holds the secrets of one
  configuration and is handed explicitly to what writes: the transport that receives answers
  (:class:`RedactingTransport`), the fixture store, error translation (:mod:`summarize.core.translate`)
  and the logging filter (:func:`redact_logs`).
- **credential pattern**: what looks like a credential whatever the configuration: an
  ``Authorization: ...`` value, a ``Bearer ...`` or ``Basic ...`` token, the user part of a URL. Only
  messages and log records are searched for these (an article may well say "authorization"), never
  bodies, whose meaning must not change.
- **clip**: shorten a message for a table, a ledger or a terminal. :func:`clip` always redacts first:
  a secret cut in half by a clip no longer matches, and its first half would leak.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

import httpx

from summarize.http.network import LayeredTransport

__all__ = ["MIN_SECRET", "REDACTED", "RedactingTransport", "Secrets", "clip", "redact", "redact_logs"]

REDACTED = "[redacted]"
#: The shortest value replaced wherever it appears (shorter ones only where a credential pattern finds them).
MIN_SECRET = 8
_CREDENTIAL = re.compile(r"""(?ix)
    \b((?:proxy-)?authorization['"]?\s*[:=]\s*['"]?)((?:bearer|basic|token)\s+)?[^\s"',;]+  # Authorization: Basic xyz
    | \b(bearer\s+)[^\s"',;]+                                                               # Bearer xyz
""")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@")


class Secrets:
    """The secrets of one configuration (see the module docstring); immutable, cheap to share.

    ``values`` are replaced in text; each is also searched for, in bodies, as JSON writes it (escaped)
    and as a URL writes it (percent-encoded), longest first so that a secret containing another is
    replaced whole.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        kept = {v for v in values if v and len(v) >= MIN_SECRET}
        forms = set(kept)
        for value in kept:
            forms.add(urllib.parse.quote(value, safe=""))
            for ascii_only in (True, False):
                escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
                forms.update((escaped, escaped.replace("/", "\\/")))
        #: The secrets as given, longest first.
        self.values: tuple[str, ...] = tuple(sorted(kept, key=lambda v: (-len(v), v)))
        self._forms = tuple(sorted(forms, key=lambda v: (-len(v), v)))
        self._bytes = tuple(f.encode("utf-8") for f in self._forms)

    @classmethod
    def configured(cls, api_key: str | None = None, base_url: str | None = None, *,
                   proxies: Iterable[str] | None = None) -> Secrets:
        """The secrets of a client: ``api_key``, the credentials of ``base_url``, and those of ``proxies``
        (default: every proxy the environment names, as :func:`summarize.http.proxies.proxy_for` reads them)."""
        if proxies is None:
            proxies = [url for scheme, url in urllib.request.getproxies().items() if scheme != "no"]
        values = [api_key or ""]
        for url in (base_url, *proxies):
            values += _credentials(url)
        return cls(values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def __repr__(self) -> str:
        return f"Secrets({len(self.values)} value(s))"  # never the values themselves

    def redact(self, text: str) -> str:
        """``text`` without any secret, nor anything matching a credential pattern: for messages and logs."""
        return redact(self._replaced(text))

    def scrub(self, value: Any) -> Any:
        """A JSON value with every secret replaced in every string (keys included); patterns are not
        applied, so a body's words stay as they were. The value itself when there is nothing to replace."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self._replaced(value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        return value

    def scrub_bytes(self, content: bytes) -> bytes:
        """Raw bytes (a response body, JSON or not) with every secret replaced, in every form it takes."""
        for form in self._bytes:
            if form in content:
                content = content.replace(form, REDACTED.encode())
        return content

    def _replaced(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


def _credentials(url: str | None) -> list[str]:
    """The user name, the password (as written and decoded) and their ``Basic`` token in a URL."""
    if not url or "@" not in url:
        return []
    try:
        parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
        user, password = parts.username or "", parts.password or ""
    except ValueError:  # not a URL (the client will say so when it uses it); only its user part is known
        return [url.rpartition("@")[0].rpartition("/")[2]]
    plain_user, plain_password = urllib.parse.unquote(user), urllib.parse.unquote(password)
    token = base64.b64encode(f"{plain_user}:{plain_password}".encode()).decode()
    return [user, password, plain_user, plain_password, token, parts.netloc.rpartition("@")[0]]


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with ``secret`` and anything matching a credential pattern replaced by ``[redacted]``."""
    if secret and len(secret) >= MIN_SECRET:
        text = text.replace(secret, REDACTED)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{REDACTED}" if m.group(1)
                           else f"{m.group(3)}{REDACTED}", text)


def clip(text: str, limit: int, secrets: Secrets | None = None) -> str:
    """``text`` redacted (credential patterns, and ``secrets`` when given), then cut to at most ``limit``
    characters, ending in ``…`` when cut. The one way this library shortens a message: redacting after
    cutting would let through the part of a secret before the cut."""
    text = secrets.redact(text) if secrets is not None else redact(text)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


class RedactingTransport(LayeredTransport):
    """Replaces every secret in the bodies of the answers coming back through ``inner``.

    It sits right above the network, under the fixture layer: an answer that echoes a credential is
    clean before the client parses it, before a fixture records it, and before an error made from it is
    clipped, so no summary, document, reask, fixture or message built from it can hold the credential.
    Replaying such a fixture works as recording it did: the client saw ``[redacted]`` both times.
    """

    def __init__(self, inner: httpx.BaseTransport | httpx.AsyncBaseTransport, secrets: Secrets) -> None:
        self.inner = inner
        self.secrets = secrets

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)  # type: ignore[union-attr]
        response.read()
        return self._clean(request, response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)  # type: ignore[union-attr]
        await response.aread()
        return self._clean(request, response)

    def _clean(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        content = self.secrets.scrub_bytes(response.content)
        if content is response.content:  # nothing echoed: the answer as it came
            return response
        # The body is already decoded: the copy must not claim an encoding or the old length.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request,
                              extensions=response.extensions)


class _RedactingFilter(logging.Filter):
    """Removes secrets and credentials from log records of the client stack, tracebacks included.

    openai (with ``OPENAI_LOG=debug``), httpx and instructor log requests (with their URL) and server
    errors, and a server or proxy may echo the Authorization header in an error body.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets = Secrets()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.secrets.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.secrets.redact(record.exc_text)
        return True


_REDACTING = _RedactingFilter()
_LOGGED_PACKAGES = ("openai", "httpx", "httpcore", "instructor", "summarize", "aiohttp")


def redact_logs(secrets: Secrets | str | None) -> None:
    """Install the redacting filter on every logger of the client stack (they exist once imported),
    and add ``secrets`` (or one secret value) to what it removes."""
    if isinstance(secrets, str):
        secrets = Secrets([secrets])
    if secrets:
        _REDACTING.secrets = Secrets((*_REDACTING.secrets.values, *secrets.values))
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _LOGGED_PACKAGES]
    for name in (*_LOGGED_PACKAGES, *names):
        logger = logging.getLogger(name)
        if _REDACTING not in logger.filters:
            logger.addFilter(_REDACTING)
