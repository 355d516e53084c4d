"""locate() on a long article: time per call beside a bare str.find over the same text.

Absolute times on a shared machine are noise; the ratio to str.find (measured in the same run) and the
milliseconds per call for a 50 KB article are the figures. Target: every kind of lookup well under
100 ms on 50 KB (the issue's "must not take seconds").
"""

from __future__ import annotations

import time
from pathlib import Path

from summarize import load_article, locate

from .common import Figure

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int = 5, number: int = 20) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def main(quick: bool = False) -> list[Figure]:
    seeds = [load_article(p).text for p in sorted((ROOT / "seeds").glob("*.txt"))]
    text = ""
    while len(text) < 50_000:
        text += "\n\n".join(seeds) + "\n\n"
    text = text[:50_000]
    tail = text[-400:-250]
    tail = tail[tail.index(" ") + 1 : tail.rindex(" ")]  # whole words: a located span never cuts one
    cases = {
        "exact": tail,
        "normalized": tail.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').replace(" ", "  "),
        "fuzzy": tail[:40] + "X" + tail[41:],
        "absent": "this sentence stands nowhere in any of the seed articles at all, anywhere",
    }
    baseline = _best(lambda: text.find(cases["absent"]))
    figures = []
    for name, fragment in cases.items():
        span = locate(text, fragment)
        seconds = _best(lambda f=fragment: locate(text, f))
        figures.append(Figure(f"locate {name} on 50 KB (ms per call)", seconds * 1000, "<= 10",
                              f"{seconds / baseline:,.0f}x str.find; match={span.match.value if span else None}"))
    # Cold: the article's normal form is built once per article and cached; this is that first call.
    from summarize.text._normal import _normalized_cached

    def cold(article: str, fragment: str) -> None:
        _normalized_cached.cache_clear()
        locate(article, fragment)

    seconds = _best(lambda: cold(text, cases["normalized"]), number=5)
    figures.append(Figure("locate normalized, cold cache (ms per call)", seconds * 1000, "<= 100",
                          f"{seconds / baseline:,.0f}x str.find: builds the article's normal form once"))
    # The worst case for the normal form: every "e" with a combining accent to compose, a zero-width space
    # after every "the" to remove (the offset map is built twice and composed).
    odd = text.replace("e", "e\u0301").replace("the ", "the\u200b ")
    fragment = tail.replace("e", "\u00e9")
    span = locate(odd, fragment)
    seconds = _best(lambda: cold(odd, fragment), number=5)
    figures.append(Figure("locate normalized, cold, 6,000 accents to compose (ms per call)", seconds * 1000, "<= 100",
                          f"{seconds / baseline:,.0f}x str.find; match={span.match.value if span else None}"))
    return figures


if __name__ == "__main__":
    for figure in main():
        print(figure.line())
