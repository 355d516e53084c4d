"""Bench 3: summarizing articles that are already recorded, offline.

Figures, side by side on the same N articles and answers:

- ours (``Summarizer`` in replay mode: key hashing, fixture lookup, parse, validation, grounding)
  ÷ the bare cost of the same instructor parse over an in-memory ``httpx.MockTransport``; target ≤ 1.5;
- ours ÷ the same replay done the way users do it today, an instructor loop under a vcrpy cassette;
  target < 1 (we are faster).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx

from summarize import Summarizer, load_article
from summarize.core.schema import ArticleSummary

from .common import FAKE_KEY, Figure, timed
from .server import ServerProcess

ARTICLES = 200
VCR_SAMPLE = 30  # vcrpy takes over 100 ms an article: timed on a sample, compared per article


def _instructor(http_client: httpx.Client, base_url: str):
    import instructor
    import openai

    oc = openai.OpenAI(base_url=base_url, api_key=FAKE_KEY, max_retries=0, http_client=http_client)
    return instructor.from_openai(oc, mode=instructor.Mode.JSON_SCHEMA)


def main(quick: bool = False) -> list[Figure]:
    n = 50 if quick else ARTICLES
    from summarize.testing.loopback import write_synthetic_articles

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_synthetic_articles(root / "in", n)
        articles = [load_article(p) for p in paths]
        with ServerProcess() as server:
            Summarizer(base_url=server.url, api_key=FAKE_KEY, mode="record", fixtures=root / "fx").summarize_folder(
                root / "in", root / "rec", concurrency=8)
            url = server.url
            vcr_per_article = _vcr(root, url, articles[:VCR_SAMPLE]) / min(n, VCR_SAMPLE)
        ours = Summarizer(fixtures=root / "fx")
        ours.run(articles[0])  # warm: imports, client
        mine = timed(lambda: [ours.run(a) for a in articles])

        bodies = [_fixture(root / "fx", a.id) for a in articles]
        queue: list[dict] = []

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=queue.pop(0))

        bare_client = _instructor(httpx.Client(transport=httpx.MockTransport(handler)), "http://mock/v1")
        messages = [ours.prompt.messages(a) for a in articles]

        def bare() -> None:
            queue.extend(bodies)
            for m in messages:
                bare_client.chat.completions.create(model="gpt-4o-mini", response_model=ArticleSummary, messages=m, max_retries=0)

        bare()  # warm
        bare_seconds = timed(bare)
    return [
        Figure(f"replay: ours / bare instructor+MockTransport ({n})", mine / bare_seconds, "<= 1.5",
               f"ours {mine / n * 1000:.2f} ms/article, bare {bare_seconds / n * 1000:.2f} ms/article"),
        Figure("replay: ours / instructor under vcrpy cassette", mine / n / vcr_per_article, "<= 0.99",
               f"vcrpy {vcr_per_article * 1000:.2f} ms/article (sample of {min(n, VCR_SAMPLE)})"),
    ]


def _fixture(folder: Path, article_id: str) -> dict:
    from summarize.replay.store import restored

    [path] = list((folder / article_id).glob("*.json"))
    return restored(json.loads(path.read_text(encoding="utf-8"))["response"]["body"])


def _vcr(root: Path, url: str, articles: list) -> float:
    """Record a cassette against the live server, then time the replay from it."""
    import vcr

    prompt = Summarizer(fixtures=root / "fx").prompt
    messages = [prompt.messages(a) for a in articles]
    recorder = vcr.VCR(cassette_library_dir=str(root), record_mode="once", match_on=["method", "uri", "body"])

    def loop() -> None:
        client = _instructor(httpx.Client(), url)
        for m in messages:
            client.chat.completions.create(model="gpt-4o-mini", response_model=ArticleSummary, messages=m, max_retries=0)

    with recorder.use_cassette("bench.yaml"):
        loop()  # records
    with recorder.use_cassette("bench.yaml", record_mode="none"):
        return timed(loop)
