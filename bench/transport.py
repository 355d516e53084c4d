"""Bench 9: the client CPU each asynchronous HTTP transport spends per request.

2,000 chat-completion requests, 16 at once, to the loopback server in its own process (so only the
client's work is counted), through an ``httpx.AsyncClient`` over each transport, measuring the process's
CPU time (``time.process_time``) per request:

- **ours**: :class:`summarize.http.transport.AiohttpTransport`;
- **httpx-aiohttp**: the package's ``AiohttpTransport`` (what openai's ``DefaultAioHttpClient``,
  ``pip install openai[aiohttp]``, vendors for its own httpx fork);
- **openai DefaultAioHttpClient**: the SDK's client itself, when installed with its ``aiohttp`` extra;
- **httpx default**: httpcore's pool, for reference.

Each contender is warmed (connections opened, code paths run) and measured three times, rounds
interleaved so the machine's load falls on all alike; the median is reported. Figure: httpx-aiohttp's CPU
per request ÷ ours. Target ≥ 0.85: ours is kept for what httpx-aiohttp lacks (see
:mod:`summarize.http.transport`) only while it costs no more than noise above it; below, switch.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from .common import FAKE_KEY, Figure
from .server import ServerProcess

REQUESTS, CONCURRENCY, WARM, ROUNDS = 2_000, 16, 200, 3
_BODY = {"model": "gpt-4o-mini", "messages": [
    {"role": "system", "content": "Summarize the article."},
    {"role": "user", "content": "Officials said on Monday that the port strike had ended after three weeks."}]}


def _ours() -> Any:
    from summarize.http.transport import AiohttpTransport

    return httpx.AsyncClient(transport=AiohttpTransport())


def _httpx_aiohttp() -> Any:
    from httpx_aiohttp import AiohttpTransport

    return httpx.AsyncClient(transport=AiohttpTransport())


def _openai_aiohttp() -> Any:
    from openai import DefaultAioHttpClient

    return DefaultAioHttpClient()


CONTENDERS: dict[str, Callable[[], Any]] = {
    "ours": _ours, "httpx-aiohttp": _httpx_aiohttp, "openai DefaultAioHttpClient": _openai_aiohttp,
    "httpx default": httpx.AsyncClient,
}


def cpu_per_request(make: Callable[[], Any], url: str, requests: int = REQUESTS, warm: int = WARM) -> float:
    """Milliseconds of this process's CPU per request, over ``requests`` sent ``CONCURRENCY`` at once."""

    async def run() -> float:
        client = make()
        headers = {"Authorization": f"Bearer {FAKE_KEY}"}

        async def send(n: int) -> None:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with gate:
                    response = await client.post(f"{url}/chat/completions", json=_BODY, headers=headers)
                    response.raise_for_status()

            await asyncio.gather(*(one() for _ in range(n)))

        try:
            await send(warm)
            start = time.process_time()
            await send(requests)
            return (time.process_time() - start) * 1000 / requests
        finally:
            await client.aclose()

    return asyncio.run(run())


def _available(name: str, url: str) -> bool:
    try:
        cpu_per_request(CONTENDERS[name], url, requests=1, warm=1)
    except (ImportError, RuntimeError):  # the optional package (or openai's extra) is not installed
        return False
    return True


def main(quick: bool = False) -> list[Figure]:
    requests = REQUESTS // 4 if quick else REQUESTS
    with ServerProcess() as server:
        names = [name for name in CONTENDERS if _available(name, server.url)]
        runs: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(1 if quick else ROUNDS):
            for name in names:
                runs[name].append(cpu_per_request(CONTENDERS[name], server.url, requests))
    ms = {name: statistics.median(values) for name, values in runs.items()}
    detail = "; ".join(f"{name} {value:.3f} ms" for name, value in ms.items())
    detail += f" client CPU per request (median of {len(runs['ours'])}; {requests:,} requests, {CONCURRENCY} at once)"
    if "httpx-aiohttp" not in ms:
        return [Figure("transport: httpx-aiohttp not installed", 0.0, "<= 0", "pip install httpx-aiohttp; " + detail)]
    return [Figure("transport: httpx-aiohttp CPU / ours", ms["httpx-aiohttp"] / ms["ours"], ">= 0.85", detail)]
