"""Reading articles: the only code that opens article files.

Terms:

- **Article**: one news article ready to summarize. Its ``text`` is what the model sees and what every
  span indexes into: the file's text decoded, with line endings made ``\\n``, the leading
  ``date YYYY-MM-DD`` marker removed, a repeated headline dropped and trailing boilerplate cut.
- **date line**: an optional first line ``date YYYY-MM-DD`` (or ``date YYYY-MM``, ``date YYYY``), possibly
  followed on the same line by the headline or the first sentence (``" date 2024-07-17 Trump security
  boosted ..."``). A date line whose date is not a real one (``date 2020-02-30``) is still removed, and
  the article gets a note saying it is undated.
- **published**: the publication date as a :class:`~summarize.text.dates.PartialDate`, known to the year,
  month or day (forms read: :func:`summarize.text.dates.parse_date`). A value that cannot be read leaves the
  article undated, with a note; it never refuses the article.
- **notes**: what the loader could not take as given (an unreadable date), in words for the reader;
  each is also issued as an :class:`ArticleWarning` and written into the output document.
- **boilerplate**: lines at the end of an article that are certainly not its content (the exact forms
  are listed in :mod:`summarize.text.boilerplate`); what is cut is kept in ``removed``.
- **content hash**: ``sha256`` of ``title``, ``published`` and ``text``; equal hashes mean the model saw
  the same article.
- **source**: a file or folder handed to a folder run. Folders are walked recursively; hidden folders,
  the folders in ``exclude`` (the run's own output and its fixtures), any folder holding a
  ``ledger.jsonl`` (an earlier run's output) and any HTML report site (``index.html`` with ``report.css``
  and ``report.js``) are skipped. ``.txt``, ``.md``, ``.html`` and ``.htm`` files
  are one article each; ``.json`` (one record, or a list of them) and ``.jsonl`` (one record per line)
  hold **records**: objects with a text field (``text``, ``body`` or ``content``) and optional ``id``,
  ``title``/``headline``, ``published``/``date``/``published_at`` and the metadata fields below.
- **metadata**: what the source says of the article besides its text, when it says it: ``outlet``
  (a record's ``outlet``/``source``/``site``, a page's site name), ``byline`` (``byline``/``author``,
  the page's author), ``url`` (``url``/``link``, the page's canonical URL) and ``language``
  (``language``/``lang``, the page's ``<html lang>``). It is kept on the article and written into the
  output document; it is never sent to the model, so it is no part of any request or fixture key.
- **glob**: a pattern a folder run's files must match, relative to the folder, with
  :meth:`pathlib.Path.glob` meaning: ``*`` stays within one folder, ``**/`` is zero or more folders, so
  ``**/*.txt`` takes ``a.txt`` as well as ``x/y/a.txt``. A pattern without ``/`` matches the file name.
- **article id** in a folder run: the file's path relative to the folder, without its extension
  (``world/2024/iran``); a record's ``id``, or ``<file id>-<line or position>``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.errors import ArticleError
from summarize.text.boilerplate import Removed, drop_trailing_boilerplate
from summarize.text.dates import PartialDate, parse_date
from summarize.text.htmltext import html_to_text, looks_like_html
from summarize.text.idpath import IdPathError, id_path

__all__ = ["ARTICLE_SUFFIXES", "MAX_FILE_BYTES", "Article", "ArticleWarning", "article_from_text", "count_articles",
           "iter_articles", "load_article"]

#: File endings a folder run reads (a single file of any other name is read as text when named).
ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
#: The ledger :mod:`summarize.core.ledger` writes: a folder holding one is an earlier run's output, never articles.
_LEDGER = "ledger.jsonl"
#: Files ``summarize report`` writes into every site: such a folder's pages are summaries, not articles.
_REPORT_FILES = ("index.html", "report.css", "report.js")
#: Larger files are refused unread; anything near this is far beyond any model's context anyway.
MAX_FILE_BYTES = 50 * 10**6
_TEXT_FIELDS = ("text", "body", "content")
_TITLE_FIELDS = ("title", "headline")
_DATE_FIELDS = ("published", "date", "published_at")
#: Article metadata (see the module docstring): the attribute, and the record fields that give it, by preference.
_META_FIELDS = {"outlet": ("outlet", "source", "site"), "byline": ("byline", "author"), "url": ("url", "link"),
                "language": ("language", "lang")}


class ArticleWarning(UserWarning):
    """Something in an article the loader could not take as given; the article is still summarized."""


@dataclass(frozen=True)
class Article:
    """One article, as loaded. ``text[span.start:span.end]`` gives any span's passage."""

    id: str
    """A stable name: the file name without its extension, or ``text-<hash>`` for raw text. Kept in Unicode
    NFC; it must name a file by the rule of :mod:`summarize.text.idpath` (else :class:`ArticleError`)."""
    text: str
    """The cleaned article text (see the module docstring)."""
    title: str | None = None
    """The headline, when the article starts with one."""
    published: PartialDate | None = None
    """The publication date (from the date line or the record), known to the year, month or day. A
    :class:`datetime.date` given here is taken as known to the day, a string is read by
    :func:`~summarize.text.dates.parse_date` (a ``ValueError`` if it cannot be)."""
    source_path: str | None = None
    """The file it came from, if any."""
    encoding: str = "utf-8"
    """The encoding the file was decoded with."""
    content_hash: str = field(default="", compare=False)
    """``sha256:<hex>`` of the title, date and text; filled in automatically."""
    notes: tuple[str, ...] = ()
    """What the loader could not take as given (see the module docstring)."""
    removed: tuple[Removed, ...] = ()
    """The boilerplate lines cut from the end of the text, in text order."""
    outlet: str | None = None
    """The publication or site it appeared in, when the source says (metadata: never sent to the model)."""
    byline: str | None = None
    """Who wrote it, when the source says."""
    url: str | None = None
    """Where it was published, when the source says."""
    language: str | None = None
    """Its language tag (``en``, ``pt-BR``), when the source says."""

    def __post_init__(self) -> None:
        # Canonically equal ids (é precomposed or e + U+0301, as macOS spells file names) are one id.
        object.__setattr__(self, "id", unicodedata.normalize("NFC", self.id))
        try:
            id_path(self.id)  # refused here, before any request is sent, not when its summary is written
        except IdPathError as exc:
            where = f" ({self.source_path})" if self.source_path else ""
            raise ArticleError(f"{exc}{where}", article_id=self.id) from None
        if self.published is not None and not isinstance(self.published, PartialDate):
            object.__setattr__(self, "published", parse_date(self.published))  # a date, or a form parse_date reads
        if not self.content_hash:
            h = hashlib.sha256()
            for part in (self.title or "", self.published.isoformat() if self.published else "", self.text):
                h.update(part.encode("utf-8"))
                h.update(b"\x00")
            object.__setattr__(self, "content_hash", "sha256:" + h.hexdigest())

    @classmethod
    def from_text(cls, text: str, **options: Any) -> Article:
        """An Article from the article's text, cleaned as a file would be (:func:`article_from_text`; options
        ``id``, ``title``, ``published``, ``source_path``, ``encoding`` and the metadata ``outlet``,
        ``byline``, ``url``, ``language``)."""
        return article_from_text(text, **options)

    @classmethod
    def from_path(cls, path: str | Path, *, id: str | None = None) -> Article:
        """An Article from a file (:func:`load_article`)."""
        return load_article(path, id=id)


_DATE_LINE = re.compile(r"\A[ \t\ufeff]*date[ \t]+(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?![\w-])[ \t]*")
_MAX_TITLE = 200


def article_from_text(
    raw: str,
    *,
    id: str | None = None,
    title: str | None = None,
    published: PartialDate | dt.date | str | int | None = None,
    source_path: str | None = None,
    encoding: str = "utf-8",
    outlet: str | None = None,
    byline: str | None = None,
    url: str | None = None,
    language: str | None = None,
) -> Article:
    """Build an :class:`Article` from raw text, cleaning it as a file would be.

    ``title`` and ``published`` given here win over what the text itself says; ``published`` may be in
    any form :func:`summarize.text.dates.parse_date` reads (one it cannot read leaves the article undated,
    with a note). An HTML page is reduced to its article's text first (see :mod:`summarize.text.htmltext`); the
    date it states is the publication date unless one is given or the text has a date line, and its site
    name, author, URL and language are the metadata not given here.
    Raises :class:`ArticleError` when nothing is left to summarize.
    """
    notes: list[str] = []
    page_date = None
    if looks_like_html(raw):
        page = html_to_text(raw)
        raw, title, page_date = page.text, title or page.title, page.published
        outlet, byline, url = outlet or page.sitename, byline or page.author, url or page.url
        language = language or page.language
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    date_line = None
    m = _DATE_LINE.match(text)
    if m:
        # The marker is removed even when its date is impossible: it is never the headline.
        text, date_line = text[m.end() :], m.group(1)
    lines = text.strip("\n").split("\n")
    lines, removed = drop_trailing_boilerplate(lines)
    found_title = _headline(lines)
    if found_title is not None:
        # Drop the headline's repetition (feeds often print it twice).
        rest = [ln for ln in lines[1:]]
        while rest and not rest[0].strip():
            rest.pop(0)
        if rest and rest[0].strip() == found_title:
            lines = [lines[0], *rest[1:]]
    text = "\n".join(lines).strip()
    if not text.strip():
        where = f" ({source_path})" if source_path else ""
        raise ArticleError(f"The article{where} has no text once boilerplate is removed; nothing to summarize.")
    if id is None:
        id = "text-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if published is not None:  # a date given by the caller or the record wins over the date line
        found_date = _read_date(published, "The published value", notes)
    else:
        found_date = _read_date(date_line, "The date line's date", notes) if date_line is not None else None
        if found_date is None and page_date is not None:
            found_date = _read_date(page_date, "The page's publication date", notes)
    for note in notes:
        warnings.warn(f"{source_path or id}: {note}", ArticleWarning, stacklevel=2)
    return Article(
        id=id,
        text=text,
        title=title if title is not None else found_title,
        published=found_date,
        source_path=source_path,
        encoding=encoding,
        notes=tuple(notes),
        removed=tuple(removed),
        outlet=outlet,
        byline=byline,
        url=url,
        language=language,
    )


def _read_date(value: object, what: str, notes: list[str]) -> PartialDate | None:
    """``value`` as a partial date, or ``None`` with a note saying why the article is undated."""
    try:
        return parse_date(value)
    except ValueError as exc:
        notes.append(f"{what} cannot be read: {exc}; the article was summarized without a publication date.")
        return None


def _headline(lines: list[str]) -> str | None:
    first = lines[0].strip() if lines else ""
    if not first or len(first) > _MAX_TITLE or first.endswith((".", ":", ",")) or len(lines) < 2:
        return None
    return first


def load_article(path: str | os.PathLike[str], *, id: str | None = None) -> Article:
    """Read one article file and return it cleaned (see the module docstring).

    Decodes UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark; other bytes
    are read as Windows-1252, the usual legacy encoding of news feeds, and the encoding used is
    recorded on the article. Raises :class:`ArticleError` for a missing, unreadable, binary or empty file.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleError(f"{p} is {size / 1e6:.0f} MB: too large to be one article (the limit is "
                               f"{MAX_FILE_BYTES // 10**6} MB). Split it, or pass its articles as .jsonl records.")
        data = p.read_bytes()
    except IsADirectoryError:
        raise ArticleError(f"{p} is a directory; pass a file, or use summarize_folder for folders.") from None
    except FileNotFoundError:
        raise ArticleError(f"{p} does not exist.") from None
    except OSError as exc:
        raise ArticleError(f"{p} cannot be read: {exc.strerror or exc}.") from exc
    raw, encoding = _decode(data, p)
    return article_from_text(raw, id=id or p.stem, source_path=str(p), encoding=encoding)


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ArticleError(f"{path} starts with a UTF-16 byte-order mark but is not valid UTF-16.") from exc
    if b"\x00" in data:
        raise ArticleError(f"{path} looks binary (it contains NUL bytes); articles must be text files.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _glob_matcher(glob: str) -> Callable[[str, str], bool]:
    """Whether ``(relative path, name)`` matches ``glob`` with :meth:`pathlib.Path.glob` meaning (see the
    module docstring). Python 3.11 has no ``glob.translate`` and :mod:`fnmatch` lets ``*`` cross folders and
    wants a ``/`` for ``**/``, so the pattern is translated here, one path segment at a time."""
    def segment(part: str) -> str:
        out, i = [], 0
        while i < len(part):
            ch = part[i]
            close = part.find("]", i + 2) if ch == "[" else -1
            if ch == "*":
                out.append("[^/]*")
            elif ch == "?":
                out.append("[^/]")
            elif close != -1:
                body = part[i + 1 : close]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
                i = close
            else:
                out.append(re.escape(ch))
            i += 1
        return "".join(out)

    parts = glob.strip("/").split("/")
    regex = "".join("(?:[^/]+/)*" if p == "**" else segment(p) + "/" for p in parts[:-1])
    regex += ".*" if parts[-1] == "**" else segment(parts[-1])
    compiled = re.compile(regex, re.DOTALL)
    if len(parts) == 1:
        return lambda rel, name: compiled.fullmatch(name) is not None
    return lambda rel, name: compiled.fullmatch(rel) is not None


def _not_articles(folder: Path, excluded: set[Path]) -> str | None:
    """Why a folder met in a walk holds no articles (it is ours, not the user's), or ``None``."""
    if folder.resolve() in excluded:
        return "excluded: this run's output or fixtures"
    try:
        if (folder / _LEDGER).is_file():
            return f"holds {_LEDGER}: an earlier run's output"
        if all((folder / name).is_file() for name in _REPORT_FILES):
            return "an HTML report written by summarize report"
    except OSError:  # a folder that cannot be read is walked, and reported as unreadable by the walk
        pass
    return None


def _files(sources: Iterable[str | Path], glob: str | None, exclude: Iterable[Path],
           on_skip: Callable[[Path, str], None] | None = None) -> Iterator[tuple[Path, str] | ArticleError]:
    """``(file, id prefix)`` for every article file, walking folders lazily in sorted order; an
    :class:`ArticleError` for a folder that cannot be listed. Symbolic links to folders are not
    followed (so a link loop cannot trap the walk); links to files are read. Each folder skipped
    (see the module docstring) is passed to ``on_skip`` with the reason."""
    excluded = {Path(p).resolve() for p in exclude}
    wanted = _glob_matcher(glob) if glob else lambda rel, name: Path(name).suffix.lower() in ARTICLE_SUFFIXES
    for source in sources:
        root = Path(source)
        if not root.is_dir():
            yield root, root.with_suffix("").name
            continue
        unreadable: list[OSError] = []
        for folder, dirs, names in os.walk(root, followlinks=False, onerror=unreadable.append):
            yield from _unlisted(unreadable, root)
            here = Path(folder)
            kept = []
            for d in sorted(d for d in dirs if not d.startswith(".")):
                reason = _not_articles(here / d, excluded)
                if reason is None:
                    kept.append(d)
                elif on_skip is not None:
                    on_skip(here / d, reason)
            dirs[:] = kept
            for name in sorted(names):
                path = here / name
                rel = path.relative_to(root).as_posix()
                if wanted(rel, name) and not name.startswith("."):
                    yield path, rel.rsplit(".", 1)[0] if "." in name else rel
        yield from _unlisted(unreadable, root)


def _unlisted(errors: list[OSError], root: Path) -> Iterator[ArticleError]:
    while errors:
        exc = errors.pop(0)
        folder = Path(exc.filename or root)
        rel = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)
        yield ArticleError(f"The folder {folder} cannot be read ({exc.strerror or exc}); its articles were skipped. "
                           "Fix its permissions and run again.", article_id=rel if rel != "." else root.name)


def iter_articles(sources: Iterable[str | Path], *, glob: str | None = None,
                  exclude: str | Path | Iterable[str | Path] | None = None,
                  on_skip: Callable[[Path, str], None] | None = None) -> Iterator[Article | ArticleError]:
    """Every article in ``sources``, one at a time (see the module docstring for what is read).

    Problems do not stop the walk: an unreadable file or record is yielded as an :class:`ArticleError`
    whose ``article_id`` names it, and the walk goes on. ``exclude`` is a folder, or several, to skip (a
    run's output and fixtures); ``on_skip(folder, reason)`` hears of every folder skipped as not articles.
    """
    for found in _files(sources, glob, _excluded(exclude), on_skip):
        if isinstance(found, ArticleError):
            yield found
            continue
        path, article_id = found
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from _jsonl(path, article_id)
        elif suffix == ".json":
            yield from _json_records(path, article_id)
        else:
            try:
                yield load_article(path, id=article_id)
            except ArticleError as exc:
                exc.article_id = article_id
                yield exc


def count_articles(sources: Iterable[str | Path], *, glob: str | None = None,
                   exclude: str | Path | Iterable[str | Path] | None = None) -> int:
    """How many articles :func:`iter_articles` will yield (records counted by line or list length)."""
    total = 0
    for found in _files(sources, glob, _excluded(exclude)):
        if isinstance(found, ArticleError):
            total += 1
            continue
        path = found[0]
        suffix = path.suffix.lower()
        try:
            if suffix == ".jsonl":
                with path.open("rb") as f:
                    total += sum(1 for line in f if line.strip())
            elif suffix == ".json":
                records = _record_list(json.loads(path.read_bytes()))
                total += len(records) if records is not None else 1
            else:
                total += 1
        except (OSError, ValueError):
            total += 1
    return total


def _excluded(exclude: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if exclude is None:
        return []
    if isinstance(exclude, (str, os.PathLike)):
        return [Path(exclude)]
    return [Path(p) for p in exclude]


def _record_list(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        return data["articles"]
    return None


def _jsonl(path: Path, file_id: str) -> Iterator[Article | ArticleError]:
    try:
        f = path.open("rb")
    except OSError as exc:
        yield ArticleError(f"{path} cannot be read: {exc.strerror or exc}.", article_id=file_id)
        return
    with f:
        number = 0
        for line in f:
            if not line.strip():
                continue
            number += 1
            fallback = f"{file_id}-{number}"
            try:
                record = json.loads(line)
            except ValueError as exc:
                yield ArticleError(f"{path} line {number} is not valid JSON: {exc}.", article_id=fallback)
                continue
            yield _from_record(record, fallback, f"{path} line {number}", str(path))


def _json_records(path: Path, file_id: str) -> Iterator[Article | ArticleError]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        yield ArticleError(f"{path} is not readable JSON: {exc}.", article_id=file_id)
        return
    records = _record_list(data)
    if records is None:
        yield _from_record(data, file_id, str(path), str(path))
        return
    for i, record in enumerate(records, 1):
        yield _from_record(record, f"{file_id}-{i}", f"{path} record {i}", str(path))


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[n] for n in names if record.get(n) not in (None, "")), None)


def _from_record(record: Any, fallback_id: str, where: str, source_path: str) -> Article | ArticleError:
    if not isinstance(record, dict):
        return ArticleError(f"{where} is not a JSON object.", article_id=fallback_id)
    article_id = str(record["id"]) if record.get("id") not in (None, "") else fallback_id
    text = _first(record, _TEXT_FIELDS)
    if not isinstance(text, str):
        return ArticleError(f"{where} has no text field ({', '.join(_TEXT_FIELDS)}).", article_id=article_id)
    published = _first(record, _DATE_FIELDS)  # read by article_from_text: an unreadable one is a note
    title = _first(record, _TITLE_FIELDS)
    # Only text values: a record's "source" may be an object (a feed's {"id", "name"}), never the outlet's name.
    meta = {name: " ".join(value.split()) or None for name, fields in _META_FIELDS.items()
            if isinstance(value := _first(record, fields), str)}
    try:
        return article_from_text(text, id=article_id, title=str(title) if title else None, published=published,
                                 source_path=source_path, outlet=meta.get("outlet"), byline=meta.get("byline"),
                                 url=meta.get("url"), language=meta.get("language"))
    except ArticleError as exc:
        exc.article_id = article_id
        return exc
