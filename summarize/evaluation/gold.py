"""Gold annotations: what a careful reader says an article's quotes, speakers and events are.

Terms:

- **gold article**: the annotations of one article, loaded from either format below into a
  :class:`GoldArticle`. Its **id** is the annotation file's path relative to the gold folder, without
  its extension (``000_1be79f4858f8214c``; ``world/iran`` in a nested folder), the same id
  ``summarize run`` gives the article, so the prediction is ``OUT/<id>.json``.
- **project JSON** (``"format": "summarize-gold/1"``): one ``<id>.json`` per article with ``entities``,
  ``quotes`` (offsets into the article text as ``load_article`` cleans it, checked by ``text_sha256``)
  and ``events``. Fields this module does not know are ignored, so annotators may add notes.
- **brat standoff**: ``<id>.ann`` beside ``<id>.txt``; attributions as ``Source``/``Cue``/``Content``
  spans tied by event lines (see :mod:`summarize.evaluation.brat`). Offsets index the ``.txt`` as it is.
- **gold text**: the text the gold offsets index, when known (the brat ``.txt``); project JSON
  carries only its hash. When it differs from the predicted document's ``article.text``, spans are
  mapped by their words (see :mod:`summarize.evaluation.evaluate`).

Loading is strict: a malformed file raises :class:`~summarize.errors.GoldFormatError` naming the file
(and, where there is one, the line), so a typo never silently lowers a score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as _PydanticValidationError

from summarize.errors import ConfigurationError, GoldFormatError
from summarize.evaluation.brat import load_brat
from summarize.evaluation.goldmodel import GOLD_FORMAT, GoldArticle, GoldEntity, GoldEvent, GoldQuote, date_precision
from summarize.text.dates import iso_date

__all__ = [
    "GOLD_FORMAT",
    "GoldArticle",
    "GoldEntity",
    "GoldEvent",
    "GoldQuote",
    "date_precision",
    "load_gold",
    "load_gold_json",
]

class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _JEntity(_Loose):
    name: str = Field(min_length=1)
    aliases: list[str] = []


class _JQuote(_Loose):
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: Literal["direct", "indirect"]
    speaker: str | None = None
    cue: str | None = None


class _JEvent(_Loose):
    description: str = ""
    date: str | None = None
    precision: Literal["year", "month", "day"] | None = None
    actors: list[str] = []
    evidence: str | None = None
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)


class _JGold(_Loose):
    format: Literal["summarize-gold/1"]
    article: str | None = None
    annotator: str | None = None
    note: str | None = None
    text_sha256: str | None = None
    entities: list[_JEntity] = []
    quotes: list[_JQuote] = []
    events: list[_JEvent] = []


def load_gold_json(path: str | Path, article_id: str | None = None) -> GoldArticle:
    """Read one project gold file (``summarize-gold/1``). ``article_id`` defaults to the file's stem."""
    path = Path(path)
    article_id = article_id or path.stem
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise GoldFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=exc.lineno) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(f"cannot read the file: {exc}", path=str(path)) from exc
    if isinstance(raw, dict) and raw.get("format") != GOLD_FORMAT:
        raise GoldFormatError(f'expected "format": "{GOLD_FORMAT}" (got {raw.get("format")!r}); see README, '
                              '"Evaluate against gold"', path=str(path))
    try:
        gold = _JGold.model_validate(raw)
    except _PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        raise GoldFormatError(f"{where}: {first['msg']} ({exc.error_count()} problem(s) in all)", path=str(path)) from None
    if gold.article is not None and gold.article not in (article_id, Path(article_id).name):
        raise GoldFormatError(f'"article" is {gold.article!r} but the file name says {article_id!r}: the id is the file '
                              "name without .json; rename the file or fix the field", path=str(path))
    for i, q in enumerate(gold.quotes):
        if q.end < q.start:
            raise GoldFormatError(f"quotes.{i}: end {q.end} is before start {q.start}", path=str(path))
    events = []
    for i, e in enumerate(gold.events):
        if e.date is not None and iso_date(e.date) is None:
            raise GoldFormatError(f"events.{i}.date: {e.date!r} is not YYYY, YYYY-MM or YYYY-MM-DD (a real calendar "
                                  "date)", path=str(path))
        precision = date_precision(e.date)
        if e.precision is not None and e.precision != precision:
            raise GoldFormatError(f"events.{i}: date {e.date!r} has precision {precision!r}, not {e.precision!r}",
                                  path=str(path))
        events.append(GoldEvent(e.description, e.date, precision, tuple(e.actors), e.evidence, e.start, e.end))
    return GoldArticle(
        id=article_id,
        source=str(path),
        format=GOLD_FORMAT,
        text_sha256=gold.text_sha256,
        entities=tuple(GoldEntity(x.name, tuple(x.aliases)) for x in gold.entities),
        quotes=tuple(GoldQuote(q.text, q.start, q.end, q.kind, q.speaker, q.cue) for q in gold.quotes),
        events=tuple(events),
        annotator=gold.annotator,
        note=gold.note,
    )


# -- folders ------------------------------------------------------------------------------------------

def load_gold(path: str | Path) -> list[GoldArticle]:
    """Load gold annotations from a file or a folder, sorted by article id.

    A folder is searched recursively (hidden folders skipped) for project JSON files (``*.json``) and
    brat annotation files (``*.ann``, each with its ``.txt`` beside it). A single ``.json`` or ``.ann``
    file may be given too. Raises :class:`GoldFormatError` for a malformed file or two files claiming
    the same article, and :class:`ConfigurationError` when the path holds no gold at all.
    """
    root = Path(path)
    if not root.exists():
        raise ConfigurationError(f"gold path {root} does not exist; give a folder of <article id>.json "
                                 "(summarize-gold/1) or brat .ann/.txt files")
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*")
        if p.suffix in (".json", ".ann") and p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    articles: dict[str, GoldArticle] = {}
    for f in files:
        article_id = f.stem if f == root else f.relative_to(root).with_suffix("").as_posix()
        if f.suffix == ".ann":
            article = load_brat(f, article_id)
        elif f.suffix == ".json":
            article = load_gold_json(f, article_id)
        else:
            raise ConfigurationError(f"{f}: a gold file must be .json (summarize-gold/1) or .ann (brat standoff)")
        if article_id in articles:
            raise GoldFormatError(f"article {article_id!r} is annotated twice (also in {articles[article_id].source}); "
                                  "keep one file per article", path=str(f))
        articles[article_id] = article
    if not articles:
        raise ConfigurationError(f"no gold annotations in {root}: expected <article id>.json (summarize-gold/1) "
                                 "or <article id>.ann with <article id>.txt (brat standoff)")
    return [articles[k] for k in sorted(articles)]
