"""Reading attribution annotations in brat standoff format as gold quotes.

An article ``<id>.txt`` has its annotations in ``<id>.ann`` beside it, one per line, tab-separated:

- ``T`` lines, **text-bound spans**: ``T1<TAB>Source 0 5<TAB>John``. The label is ``Source`` (who
  speaks), ``Cue`` (the reporting verb) or ``Content`` (what is said); other labels (event triggers,
  entity types) are read but play no part. A span may have several ``start end`` **parts** separated
  by ``;`` (``T3<TAB>Content 10 20;25 40<TAB>...``); its text field is the parts joined by a space and
  must match the ``.txt`` (white space aside), which catches offsets computed on another text.
  Offsets count code points. A ``.txt`` with CR LF line ends is read as brat reads it (one character
  per line end) or, when only that matches the span texts, as the file is (two).
- ``E`` lines, **events** tying spans together: ``E1<TAB>Attribution:T4 Content:T3 Cue:T2 Source:T1``.
  The trigger (first argument) may have any type; roles are matched case-insensitively, with brat's
  numeric suffixes (``Source2``) allowed. An event without a ``Content`` role is not an attribution
  and is ignored.
- ``#`` note lines, ``A``/``M`` attributes, ``R`` relations, ``N`` normalizations and ``*``
  equivalences are ignored, as are blank lines. Anything else is a :class:`GoldFormatError` naming
  the file and the line.

How attributions become gold quotes:

- **direct or indirect**: content whose first character (after white space) is a quotation mark,
  straight or curly, double or single, ``«`` or ``»`` included, is direct. Its enclosing marks are
  stripped and its span adjusted, since predictions exclude them (``"We will win,"`` becomes
  ``We will win,``; a punctuation mark after the closing mark goes with it).
- **discontinuous content**: a direct content is cut into one quote per quotation (parts that stand
  inside the same pair of marks, as :func:`summarize.text.grounding.quoted_regions` pairs them, stay
  together), following the project's rule that a quotation interrupted by "he said" is two quotes.
  An indirect content stays one quote whose ``start``/``end`` are its outer extent (first part's
  start to last part's end), used for both exact and overlap matching; its parts are kept on
  :attr:`GoldQuote.parts`.
- **speaker**: the text of the event's first ``Source`` span (a discontinuous one's parts joined by a
  space); **cue**: the first ``Cue`` span's text. A ``Content`` span that no event references is a
  quote without a speaker: it counts for quote scores, not for speaker accuracy. When several events
  reference one content, the first (in file order) gives its speaker.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from summarize.errors import GoldFormatError
from summarize.evaluation.goldmodel import GoldArticle, GoldQuote
from summarize.text.grounding import quoted_regions

__all__ = ["QUOTE_MARKS", "load_brat", "parse_brat"]

#: Characters that open (or close) a direct quotation in brat content.
QUOTE_MARKS = "\"'\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a"
_AFTER_CLOSE = ".,;:!?"

_T_SPANS = re.compile(r"^(\S+) (\d+ \d+(?:;\d+ \d+)*)$")
_ARG = re.compile(r"^([^:\s]+):([TE]\S+)$")
_IGNORED = ("#", "A", "M", "R", "N", "*")


@dataclass(frozen=True)
class _TextBound:
    label: str
    parts: tuple[tuple[int, int], ...]
    line: int

    def text(self, doc: str) -> str:
        return " ".join(doc[s:e] for s, e in self.parts)


@dataclass(frozen=True)
class _Event:
    args: tuple[tuple[str, str], ...]  # (role without digits, lower-cased; id)
    line: int


def load_brat(ann_path: str | Path, article_id: str | None = None) -> GoldArticle:
    """Read ``<id>.ann`` and the ``<id>.txt`` beside it into a :class:`GoldArticle` (quotes only)."""
    ann_path = Path(ann_path)
    txt_path = ann_path.with_suffix(".txt")
    if not txt_path.is_file():
        raise GoldFormatError(f"no {txt_path.name} beside it: brat annotations index the article text in "
                              f"<id>.txt next to <id>.ann", path=str(ann_path))
    try:
        # No BOM stripping (brat counts it); newlines as they are in the file, for now (see below).
        with txt_path.open(encoding="utf-8", newline="") as f:
            raw = f.read()
        ann = ann_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(f"cannot read the annotations or their text as UTF-8: {exc}", path=str(ann_path)) from exc
    text, quotes = _parse_either_newlines(raw, ann, str(ann_path))
    return GoldArticle(
        id=article_id or ann_path.stem,
        source=str(ann_path),
        format="brat",
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        quotes=tuple(quotes),
        events_annotated=False,
    )


def _parse_either_newlines(raw: str, ann: str, path: str) -> tuple[str, list[GoldQuote]]:
    """The text the offsets index, and the quotes, for a ``.txt`` that may have CR LF line ends.

    brat's own server reads with universal newlines, so a CR LF counts as one character; converters and
    scripts that read the file as it is count two. Both kinds of corpora exist: the offsets are read
    against brat's view first and, when its span texts do not match there, against the file as it is.
    """
    universal = raw.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return universal, parse_brat(universal, ann, path=path)
    except GoldFormatError as brat_view:
        if universal == raw:
            raise
        try:
            return raw, parse_brat(raw, ann, path=path)
        except GoldFormatError:
            raise brat_view from None  # neither matches: report the problem as brat sees the file


def parse_brat(text: str, ann: str, *, path: str = "<ann>") -> list[GoldQuote]:
    """The gold quotes in brat annotations ``ann`` over the article ``text`` (see the module docstring)."""
    spans: dict[str, _TextBound] = {}
    events: dict[str, _Event] = {}
    for n, raw in enumerate(ann.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith(_IGNORED):
            continue
        fields = line.split("\t")
        ident = fields[0]
        if ident in spans or ident in events:
            raise GoldFormatError(f"id {ident} is defined twice", path=path, line=n)
        if ident.startswith("T") and len(fields) >= 3:
            spans[ident] = _text_bound(text, fields, path, n)
        elif ident.startswith("E") and len(fields) >= 2:
            events[ident] = _event(fields[1], path, n)
        else:
            raise GoldFormatError(f"cannot read {_clip(line)!r}: expected 'T<n><TAB>Label start end<TAB>text' or "
                                  "'E<n><TAB>Type:T<n> Role:T<n> ...'", path=path, line=n)

    # Resolve event arguments now that every span is known (brat allows forward references).
    contents: dict[str, tuple[str | None, str | None]] = {}
    for ident, event in events.items():
        for _, ref in event.args:
            if ref not in spans and ref not in events:
                raise GoldFormatError(f"{ident} refers to {ref}, which is not defined", path=path, line=event.line)
        content = [ref for role, ref in event.args if role == "content"]
        if not content:
            continue
        speaker = next((spans[ref].text(text) for role, ref in event.args if role == "source" and ref in spans), None)
        cue = next((spans[ref].text(text) for role, ref in event.args if role == "cue" and ref in spans), None)
        for ref in content:
            if ref not in spans:
                raise GoldFormatError(f"{ident}: Content must be a text span (T...), not {ref}", path=path, line=event.line)
            contents.setdefault(ref, (speaker, cue))
    for ident, span in spans.items():
        if span.label.casefold() == "content":
            contents.setdefault(ident, (None, None))

    quotes: list[GoldQuote] = []
    for ident in sorted(contents, key=lambda i: (spans[i].parts[0], spans[i].line)):
        speaker, cue = contents[ident]
        quotes.extend(_quotes(text, spans[ident].parts, speaker, cue))
    return quotes


def _text_bound(text: str, fields: list[str], path: str, n: int) -> _TextBound:
    m = _T_SPANS.match(fields[1])
    if not m:
        raise GoldFormatError(f"{fields[0]}: expected 'Label start end' or 'Label start end;start end', "
                              f"got {_clip(fields[1])!r}", path=path, line=n)
    parts = []
    for piece in m.group(2).split(";"):
        start, end = map(int, piece.split())
        if not start <= end <= len(text):
            raise GoldFormatError(f"{fields[0]}: span {start} {end} is outside the text "
                                  f"({len(text)} characters) or ends before it starts", path=path, line=n)
        parts.append((start, end))
    span = _TextBound(m.group(1), tuple(parts), n)
    given = "\t".join(fields[2:])
    if given.split() != span.text(text).split():
        raise GoldFormatError(f"{fields[0]}: its text {_clip(given)!r} does not match the .txt at those offsets "
                              f"({_clip(span.text(text))!r}); were the offsets computed on another version of the text?",
                              path=path, line=n)
    return span


def _event(args: str, path: str, n: int) -> _Event:
    parsed = []
    for i, arg in enumerate(args.split()):
        m = _ARG.match(arg)
        if not m:
            raise GoldFormatError(f"event argument {arg!r} is not Role:Id (e.g. Source:T1)", path=path, line=n)
        role = m.group(1).rstrip("0123456789").casefold() if i else "trigger"
        parsed.append((role, m.group(2)))
    if not parsed:
        raise GoldFormatError("event line has no arguments", path=path, line=n)
    return _Event(tuple(parsed), n)


def _quotes(text: str, parts: tuple[tuple[int, int], ...], speaker: str | None, cue: str | None) -> list[GoldQuote]:
    trimmed = [p for p in (_trim(text, s, e) for s, e in parts) if p[0] < p[1]]
    if not trimmed:
        return []
    if text[trimmed[0][0]] not in QUOTE_MARKS:
        start, end = trimmed[0][0], trimmed[-1][1]
        return [GoldQuote(text[start:end], start, end, "indirect", speaker, cue, tuple(trimmed) if len(trimmed) > 1 else ())]
    inner = [p for p in (_strip_marks(text, s, e) for s, e in trimmed) if p[0] < p[1]]
    regions = quoted_regions(text)

    def region(part: tuple[int, int]) -> int | None:
        return next((i for i, (s, e) in enumerate(regions) if s <= part[0] and part[1] <= e), None)

    groups: list[list[tuple[int, int]]] = []
    for part in inner:
        if groups and region(part) is not None and region(part) == region(groups[-1][-1]):
            groups[-1].append(part)
        else:
            groups.append([part])
    return [GoldQuote(text[g[0][0]:g[-1][1]], g[0][0], g[-1][1], "direct", speaker, cue, tuple(g) if len(g) > 1 else ())
            for g in groups]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _strip_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a part's enclosing quotation marks (and a punctuation mark right after the closing one)."""
    opener = text[start] if start < end and text[start] in QUOTE_MARKS else None
    if opener:
        start += 1

    def closes(ch: str) -> bool:  # a straight apostrophe closes only what one opened ("the students'")
        return ch in QUOTE_MARKS and (ch != "'" or opener == "'")

    if end - start >= 2 and text[end - 1] in _AFTER_CLOSE and closes(text[end - 2]):
        end -= 1
    if end > start and closes(text[end - 1]):
        end -= 1
    return _trim(text, start, end)


def _clip(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"
