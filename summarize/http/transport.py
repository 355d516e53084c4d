"""The asynchronous HTTP transport: aiohttp's connection pool under httpx's transport interface.

Why: a folder run sends hundreds of requests a second to a fast server (or tens at once to a slow one),
and then the client's own CPU per request decides how soon the next request leaves. httpcore's pool
spends about 0.7 ms of CPU per request on bookkeeping over its connections and anyio's layers;
aiohttp, whose HTTP parser is compiled, about 0.25 ms (``python -m bench concurrency`` shows the
effect on a whole run).

Why not the library: the openai SDK offers the same swap (``DefaultAioHttpClient``, ``pip install
openai[aiohttp]``), built on the ``httpx-aiohttp`` package's transport. ``python -m bench transport``
measures both under one ``httpx.AsyncClient`` (2,000 requests to the loopback server in its own process,
16 at once, client CPU from ``time.process_time``, median of 3 interleaved rounds; 2026-11-29, this
2-core machine shared with 7 busy processes; three runs): ours 0.36-0.42 ms per request, httpx-aiohttp
0.36-0.39 ms (a ratio of 0.93-1.02: the same within noise), httpx's default 1.7-1.8 ms. The SDK's
``DefaultAioHttpClient`` itself takes 0.33-0.35 ms, the difference being its own httpx fork's client
layer, not the transport; and it is a whole client, with no place for the transport of
:mod:`summarize.http.network` (retries, rate budget, recording) under it. As cheap, then, but with
it in our place four tests fail, for what it does not do: it ignores ``HTTP_PROXY``/``ALL_PROXY``
(two tests), it leaves its session open when nobody closes the client ("Unclosed client session" at
exit), and it maps aiohttp's errors loosely: a refused connection and a server that drops the
connection both become ``ConnectTimeout`` (openai then says "Request timed out", and our message loses
the address). It also caps a session at 100 connections. Adding those around it would be this module
again, so ours is kept while the bench's figure (httpx-aiohttp's CPU ÷ ours) stays at or above 0.85.

Terms:

- **session**: one aiohttp ``ClientSession`` per transport, opened by the first request (it belongs
  to the event loop that is running then) and closed by :meth:`AiohttpTransport.aclose`, or, when
  nobody calls that (``asyncio.run(summarizer.asummarize(text))``), when its event loop shuts down:
  the session is watched by an async generator, and ``asyncio.run`` finalizes those before closing the
  loop. Without that, aiohttp would log "Unclosed client session" at exit.
- **timeouts**: the per-request timeouts openai puts on each request (``connect``, ``read``, ``pool``)
  become aiohttp's ``sock_connect``, ``sock_read`` and ``connect``; aiohttp has no write timeout.
- **errors**: aiohttp's exceptions are raised as the httpx exceptions httpcore would raise for the same
  failure, so retries (:mod:`summarize.http.network`) and error translation work unchanged.
- **proxies**: ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``NO_PROXY`` are honoured, as the openai SDK does
  (:func:`summarize.http.proxies.proxy_for`). They are read once per origin (scheme, host and port), when
  its first request is sent: aiohttp's own ``trust_env`` reads the environment (and ``~/.netrc``) on
  every request, which cost more CPU than the rest of the request.

Bodies are passed through undecoded (``Content-Encoding`` is left to httpx), and the whole body is
read before the response is returned, except an event stream (``text/event-stream``), which is handed on as
it arrives (:mod:`summarize.http.streaming`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import httpx

__all__ = ["AiohttpTransport"]


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    import aiohttp

    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ClientProxyConnectionError as exc:
        raise httpx.ProxyError(str(exc), request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(_reason(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except (aiohttp.ClientConnectionError, OSError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc


def _reason(exc: Any) -> str:
    """Why a connection failed, as httpcore words it (``[Errno 111] Connection refused``)."""
    error = getattr(exc, "os_error", None)
    if isinstance(error, socket.gaierror):
        return str(error)  # [Errno -2] Name or service not known
    if isinstance(error, OSError) and error.errno:
        return f"[Errno {error.errno}] {os.strerror(error.errno)}"
    return str(exc)


def _timeout(request: httpx.Request) -> Any:
    import aiohttp

    t = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(total=None, connect=t.get("pool"), sock_connect=t.get("connect"), sock_read=t.get("read"))


def _env_proxy(url: httpx.URL) -> tuple[Any, dict[str, str] | None]:
    """The proxy the environment names for ``url`` and the headers carrying its credentials, or ``(None, None)``."""
    import base64

    from yarl import URL

    from summarize.http.proxies import proxy_for

    named = proxy_for(url)
    if named is None:
        return None, None
    proxy = URL(named)
    if proxy.user is None:
        return proxy, None
    credentials = base64.b64encode(f"{proxy.user}:{proxy.password or ''}".encode()).decode()
    return proxy.with_user(None), {"Proxy-Authorization": f"Basic {credentials}"}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's async transport interface over an aiohttp session (see the module docstring)."""

    def __init__(self, *, keepalive: float = 30.0) -> None:
        self.keepalive = keepalive
        self._session: Any = None
        self._proxies: dict[tuple[str, str, int | None], tuple[Any, dict[str, str] | None]] = {}
        self._watch: AsyncGenerator[None, None] | None = None

    def _open(self) -> Any:
        import aiohttp

        from summarize.http.proxies import tls_context

        connector = aiohttp.TCPConnector(limit=0, ssl=tls_context(), keepalive_timeout=self.keepalive)
        return aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                     cookie_jar=aiohttp.DummyCookieJar(),
                                     skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
            self._watch = _closed_with_loop(self._session)
            await self._watch.__anext__()
        url = request.url
        origin = (url.scheme, url.host, url.port)
        if origin not in self._proxies:
            self._proxies[origin] = _env_proxy(url)
        proxy, proxy_headers = self._proxies[origin]
        headers = request.headers.multi_items()
        if url.userinfo:
            # httpx already sent the URL's credentials as the Authorization header, and httpcore ignores
            # them in the URL; aiohttp refuses a request that carries both.
            url = url.copy_with(userinfo=b"")
        if proxy_headers and url.scheme == "http":  # no tunnel: the proxy reads the request's own headers
            headers += proxy_headers.items()
        with _as_httpx_errors(request):
            answer = await self._session.request(request.method, str(url), headers=headers,
                                                 data=request.content, timeout=_timeout(request), allow_redirects=False,
                                                 proxy=proxy, proxy_headers=proxy_headers)
            received = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.raw_headers]
            extensions = {"http_version": b"HTTP/1.1", "reason_phrase": (answer.reason or "").encode()}
            if answer.content_type == "text/event-stream":  # read as it arrives (summarize.http.streaming)
                return httpx.Response(answer.status, headers=received, stream=_EventStream(answer, request),
                                      request=request, extensions=extensions)
            try:
                body = await answer.read()
            finally:
                answer.release()
            return httpx.Response(answer.status, headers=received, content=body, request=request, extensions=extensions)

    async def aclose(self) -> None:
        watch, self._session, self._watch = self._watch, None, None
        if watch is not None:
            await watch.aclose()  # closes the session


class _EventStream(httpx.AsyncByteStream):
    """An event stream's body, chunk by chunk as it arrives; closing it before its end closes the connection
    (so that a server such as llama.cpp stops generating), not returning it to the pool."""

    def __init__(self, answer: Any, request: httpx.Request) -> None:
        self.answer = answer
        self.request = request
        self.ended = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self.request):
            async for chunk in self.answer.content.iter_any():
                yield chunk
        self.ended = True

    async def aclose(self) -> None:
        if self.ended:
            self.answer.release()  # read to its end: the connection goes back to the pool
        else:
            self.answer.close()


async def _closed_with_loop(session: Any) -> AsyncGenerator[None, None]:
    """Suspended until its event loop shuts down (or it is closed); then closes ``session``."""
    try:
        yield
    finally:
        await session.close()
