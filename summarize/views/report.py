"""The HTML report: a self-contained static site built from a summaries folder.

Terms:

- **summaries folder** ``OUT``: what ``summarize run ... --out OUT`` wrote: one output document per article
  (``OUT/<article id>.json``, ids may contain ``/``) and the ledger ``OUT/ledger.jsonl``.
- **site** ``HTML``: ``index.html`` (every article: title, date, counts, status, failures from the ledger),
  ``timeline.html`` (the merged timeline; above :data:`~summarize.views.report_pages.TIMELINE_SPLIT` sources an
  overview, with ``timeline-<year>.html`` and ``timeline-undated.html``), ``who-said-what.html`` (quotes by
  speaker; above as many sources, continued in ``who-said-what-2.html``...), one page per article
  under ``articles/`` (pages of articles no longer in ``OUT`` are removed, if this report wrote them: see
  :mod:`summarize.views.report_files`), and the shared ``report.css``
  and ``report.js``. Nothing is fetched from a network:
  no CDN, no web fonts. Every page works from ``file://``; the pages work without JavaScript too (the index
  then shows its first page only).
- **row**: one article in the index, from its document and its last ledger line. Its ``status`` is ``done``
  (a document exists and the ledger does not say it failed; ``skipped`` counts as done), ``partial`` (the
  same, but the document is partial: items of the answer were dropped, and its page lists them with their
  reasons), ``failed`` (the ledger's last line says so, or the document cannot be read) or ``missing`` (the
  ledger says done but the document is gone).
- **page name**: an article's file name under ``articles/``: :func:`summarize.text.idpath.id_filename` of its
  id (the id → path rule, made flat: an id with ``/`` is joined with ``_`` and marked with a hash), plus a
  short hash of the id when two ids would otherwise share a name on a case-insensitive file system.

Every file is written atomically (a temporary file, then a rename). Text from articles and models is
escaped everywhere: it is data, never markup.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from summarize.core.document import iter_documents
from summarize.core.ledger import LEDGER_NAME, Ledger
from summarize.errors import ConfigurationError, DocumentError
from summarize.http.redaction import clip
from summarize.text.idpath import IdPathError, id_filename
from summarize.views.report_files import SiteFiles, WrittenSite
from summarize.views.report_html import Row

__all__ = ["Row", "WrittenSite", "load_rows", "page_names", "write_report"]

#: Failure messages longer than this are cut in the index (the ledger keeps them whole).
MESSAGE_LIMIT = 600


def write_report(out_dir: str | Path, html_dir: str | Path, *, timeline: dict[str, Any] | None = None) -> WrittenSite:
    """Write the HTML report of the summaries folder ``out_dir`` into ``html_dir``; say what was written.

    ``timeline`` is the merged timeline (``summarize-timeline/1``) of the folder's documents; by default it is
    built with :func:`summarize.views.timeline.build_timeline`. Raises :class:`ConfigurationError` when ``out_dir``
    holds no documents and no ledger. Files of an earlier report that this one no longer writes are removed,
    and only those: the folder's manifest (:mod:`summarize.views.report_files`) says which files the report wrote.
    """
    from summarize.views import report_pages as pages

    out, html = Path(out_dir), Path(html_dir)
    rows = load_rows(out, exclude=html)
    documents = [row.document for row in rows if row.document is not None]
    if timeline is None:
        from summarize.views.timeline import build_timeline

        timeline = build_timeline(documents)
    names = page_names([row.id for row in rows if row.document is not None])
    links = pages.Links(names, rows)

    html.mkdir(parents=True, exist_ok=True)
    site = SiteFiles(html)
    written = {**pages.timeline_pages(timeline, links), **pages.speakers_pages(timeline, links)}
    assets = ("report.css", "report.js")
    site.plan({*assets, *(f"articles/{name}" for name in names.values()), *written, "index.html"})
    for asset in assets:
        site.write(asset, resources.files(__package__).joinpath("static", asset).read_text(encoding="utf-8"))
    for row in rows:
        if row.document is not None:
            site.write(f"articles/{names[row.id]}", pages.article_page(row, links))
    for name, text in written.items():
        site.write(name, text)
    site.write("index.html", pages.index_page(rows, names, source=str(out)))
    return site.finish("index.html")


def load_rows(out_dir: str | Path, *, exclude: str | Path | None = None) -> list[Row]:
    """Every article of the summaries folder, sorted by id: documents joined with the ledger's last lines.

    Files that are valid JSON but not output documents are ignored; hidden files and the folder ``exclude``
    (the site, when written inside ``out_dir``) are skipped.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ConfigurationError(f"{out} is not a folder. Write summaries first: summarize run ARTICLES --out {out}")
    entries = Ledger(out).last_entries()
    rows: dict[str, Row] = {}
    for path, doc in iter_documents(out, exclude=exclude):
        article_id = path.relative_to(out).with_suffix("").as_posix()
        if isinstance(doc, DocumentError):
            if doc.corrupt:
                rows[article_id] = Row(article_id, "failed", article_id, error="document", message=_cut(str(doc)))
            continue
        article_id = doc.id
        rows[article_id] = _document_row(article_id, doc.to_json(), entries.get(article_id))
    for article_id, entry in entries.items():
        if article_id not in rows:
            rows[article_id] = _ledger_row(article_id, entry)
    if not rows and not (out / LEDGER_NAME).exists():
        raise ConfigurationError(f"{out} holds no summaries and no {LEDGER_NAME}. "
                                 f"Write some first: summarize run ARTICLES --out {out}")
    return [rows[key] for key in sorted(rows)]


def page_names(ids: list[str]) -> dict[str, str]:
    """The file name under ``articles/`` of each article id (see the module docstring); deterministic."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for article_id in sorted(ids):
        digest = hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        try:
            stem = id_filename(article_id)
        except IdPathError:  # a document written by hand or by an older version, with an id no file can have
            stem = f"article~{digest}"
        if stem.lower() in taken:
            stem = f"{stem}-{digest}"
        taken.add(stem.lower())
        names[article_id] = f"{stem}.html"
    return names


def _document_row(article_id: str, doc: dict[str, Any], entry: dict[str, Any] | None) -> Row:
    article, summary = doc["article"], doc["summary"]
    failed = entry is not None and entry.get("status") == "failed"
    return Row(
        id=article_id,
        status="failed" if failed else "partial" if doc.get("status") == "partial" else "done",
        title=str(article.get("title") or summary.get("title") or article_id),
        published=article.get("published") or summary.get("published"),
        quotes=len(summary.get("quotes") or []),
        events=len(summary.get("events") or []),
        entities=len(summary.get("entities") or []),
        error=str(entry.get("error") or "error") if failed and entry else None,
        message=_cut(str(entry.get("message") or "")) if failed and entry else None,
        document=doc,
        ledger=entry,
    )


def _ledger_row(article_id: str, entry: dict[str, Any]) -> Row:
    if entry.get("status") == "failed":
        return Row(article_id, "failed", article_id, quotes=entry.get("quotes"), events=entry.get("events"),
                   entities=entry.get("entities"), error=str(entry.get("error") or "error"),
                   message=_cut(str(entry.get("message") or "")), ledger=entry)
    return Row(article_id, "missing", article_id, quotes=entry.get("quotes"), events=entry.get("events"),
               entities=entry.get("entities"), error="missing",
               message=f"The ledger says {entry.get('status')}, but {article_id}.json is missing: run again "
                       "with --no-resume to rewrite it.", ledger=entry)


def _cut(message: str) -> str:
    return clip(message, MESSAGE_LIMIT)  # redacted before it is cut (a ledger of an older version may hold a credential)
