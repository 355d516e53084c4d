"""Reading articles: the only code that opens article files.

Terms:

- **Article**: one news article ready to summarize. Its ``text`` is what the model sees and what every
  span indexes into: the file's text decoded, with line endings made ``\\n``, the leading
  ``date YYYY-MM-DD`` marker removed, a repeated headline dropped and trailing boilerplate cut.
- **date line**: an optional first line ``date YYYY-MM-DD``, possibly followed on the same line by
  the headline or the first sentence (``" date 2024-07-17 Trump security boosted ..."``).
- **boilerplate**: lines at the end of an article that are not its content: "Advertisement",
  "Tags", "Source: ...", newsletter sign-up lines, a closing author biography.
- **content hash**: ``sha256`` of ``title``, ``published`` and ``text``; equal hashes mean the model saw
  the same article.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ArticleError

__all__ = ["Article", "article_from_text", "load_article"]


@dataclass(frozen=True)
class Article:
    """One article, as loaded. ``text[span.start:span.end]`` gives any span's passage."""

    id: str
    """A stable name: the file name without its extension, or ``text-<hash>`` for raw text."""
    text: str
    """The cleaned article text (see the module docstring)."""
    title: str | None = None
    """The headline, when the article starts with one."""
    published: dt.date | None = None
    """The publication date from the date line, if any."""
    source_path: str | None = None
    """The file it came from, if any."""
    encoding: str = "utf-8"
    """The encoding the file was decoded with."""
    content_hash: str = field(default="", compare=False)
    """``sha256:<hex>`` of the title, date and text; filled in automatically."""

    def __post_init__(self) -> None:
        if not self.content_hash:
            h = hashlib.sha256()
            for part in (self.title or "", self.published.isoformat() if self.published else "", self.text):
                h.update(part.encode("utf-8"))
                h.update(b"\x00")
            object.__setattr__(self, "content_hash", "sha256:" + h.hexdigest())


_DATE_LINE = re.compile(r"\A[ \t\ufeff]*date[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_TRAILING_BOILERPLATE = re.compile(
    r"^(?:advertisement|tags?:?|source:.*|share(?: this(?: article)?)?:?|related:?.*|read more:?.*"
    r"|(?:sign up|subscribe)\b.*|.*\bdelivered (?:directly )?to your inbox\b.*|.*\ball rights reserved\b.*|©.*|copyright\b.*"
    r"|[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3} (?:is|was|has been|has worked as|joined)\b.{0,120}?"
    r"\b(?:writer|reporter|editor|correspondent|journalist|columnist|contributor)\b.*)$",
    re.IGNORECASE,
)
_MAX_TITLE = 200


def article_from_text(
    raw: str,
    *,
    id: str | None = None,
    title: str | None = None,
    published: dt.date | None = None,
    source_path: str | None = None,
    encoding: str = "utf-8",
) -> Article:
    """Build an :class:`Article` from raw text, cleaning it as a file would be.

    ``title`` and ``published`` given here win over what the text itself says.
    Raises :class:`ArticleError` when nothing is left to summarize.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    m = _DATE_LINE.match(text)
    if m:
        try:
            found_date: dt.date | None = dt.date.fromisoformat(m.group(1))
        except ValueError:
            found_date = None  # a malformed date line is kept as text
            m = None
        if m:
            text = text[m.end() :]
    else:
        found_date = None
    lines = text.strip("\n").split("\n")
    lines = _drop_trailing_boilerplate(lines)
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
    return Article(
        id=id,
        text=text,
        title=title if title is not None else found_title,
        published=published if published is not None else found_date,
        source_path=source_path,
        encoding=encoding,
    )


def _headline(lines: list[str]) -> str | None:
    first = lines[0].strip() if lines else ""
    if not first or len(first) > _MAX_TITLE or first.endswith((".", ":", ",")) or len(lines) < 2:
        return None
    return first


def _drop_trailing_boilerplate(lines: list[str]) -> list[str]:
    end = len(lines)
    while end > 0:
        line = lines[end - 1].strip()
        if line and not _TRAILING_BOILERPLATE.match(line):
            break
        end -= 1
    return lines[:end]


def load_article(path: str | Path, *, id: str | None = None) -> Article:
    """Read one article file and return it cleaned (see the module docstring).

    Decodes UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark; other bytes
    are read as Windows-1252, the usual legacy encoding of news feeds, and the encoding used is
    recorded on the article. Raises :class:`ArticleError` for a missing, unreadable, binary or empty file.
    """
    p = Path(path)
    try:
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
