"""Where a request goes and how it is secured, shared by the sync pools (:mod:`summarize.http.network`) and the
async transport (:mod:`summarize.http.transport`): the proxy the environment names for a URL, and one TLS context.

Both transports need these and :mod:`summarize.http.network` builds the async transport, so they live here,
below both, instead of in one of them (which made the two modules import each other).
"""

from __future__ import annotations

import functools
import ssl
import urllib.request

import httpx

__all__ = ["proxy_for", "tls_context"]


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One TLS context for every pool: building one reads the CA bundle, about 15 ms each time."""
    return httpx.create_ssl_context()


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy that ``HTTP_PROXY`` / ``HTTPS_PROXY`` (else ``ALL_PROXY``) name for ``url``, unless
    ``NO_PROXY`` exempts it."""
    proxies = urllib.request.getproxies()
    named = proxies.get(url.scheme) or proxies.get("all")
    netloc = f"{url.host}:{url.port}" if url.port else url.host
    if not named or urllib.request.proxy_bypass(netloc):
        return None
    return named if "://" in named else f"http://{named}"
