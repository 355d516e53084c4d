"""The Markdown rendering of a timeline (a ``summarize-timeline/1`` dict from :func:`summarize.build_timeline`).

Dated events under date headings that show their precision (``2020-01-03``, ``January 2020``, ``2020``),
each with its sources and their evidence as block quotes; then the undated events; then who said what,
by speaker. Pure: a dict in, a string out.
"""

from __future__ import annotations

import re

from summarize.views.linking import date_parts

__all__ = ["date_heading", "speakers_markdown", "timeline_markdown"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def date_heading(date: str | None, precision: str | None) -> str:
    """``2020-01-03``, ``January 2020`` or ``2020``; ``Undated`` for no date."""
    parts = date_parts(date)
    if not parts:
        return "Undated"
    if len(parts) == 2:
        return f"{_MONTHS[parts[1] - 1]} {parts[0]}"
    return str(date)


def _quote_block(text: str | None) -> str:
    lines = re.sub(r"\s*\n\s*", "\n", str(text or "").strip()).split("\n")
    return "\n".join(f"  > {line}" for line in lines)


def _article_ref(source: dict) -> str:
    title = f" *{source['title']}*" if source.get("title") else ""
    published = f", published {source['published']}" if source.get("published") else ""
    return f"`{source['article']}`{title}{published}"


def _markdown_entry(entry: dict) -> list[str]:
    head = f"- **{entry['description']}** ({entry['event_type']}; {', '.join(entry['statuses']) or 'no status'})"
    lines = [head]
    who = []
    if entry["actors"]:
        who.append("actors: " + ", ".join(entry["actors"]))
    if entry["targets"]:
        who.append("targets: " + ", ".join(entry["targets"]))
    if entry.get("where"):
        who.append("where: " + entry["where"])
    if who:
        lines.append(f"  {'; '.join(who)}.")
    if len(entry["sources"]) > 1:
        lines.append(f"  *Merged: {entry['why']}.*")
    for s in entry["sources"]:
        when = f"{s['date']} ({s['precision']})" if s.get("date") else "no date"
        if s.get("when_text"):
            when += f", \"{s['when_text']}\""
        lines.append(f"  - {_article_ref(s)}: {when}; {s.get('status') or 'no status'}")
        lines.append(_quote_block(s.get("evidence")).replace("  > ", "    > "))
    return lines


def timeline_markdown(timeline: dict) -> str:
    """Render a timeline (from :func:`build_timeline`) as Markdown: dated events, undated events, who said what."""
    articles = timeline["articles"]
    merged = sum(1 for e in [*timeline["events"], *timeline["undated"]] if len(e["sources"]) > 1)
    lines = ["# Timeline", "",
             (f"{len(articles)} articles; {len(timeline['events'])} dated events, {len(timeline['undated'])} undated "
             f"({merged} reported by several articles); {len(timeline['speakers'])} speakers."), ""]
    heading = None
    for entry in timeline["events"]:
        current = date_heading(entry["date"], entry["precision"])
        if current != heading:
            lines += [f"## {current}", ""]
            heading = current
        lines += [*_markdown_entry(entry), ""]
    if timeline["undated"]:
        lines += ["## Undated", ""]
        for entry in timeline["undated"]:
            lines += [*_markdown_entry(entry), ""]
    lines += speakers_markdown(timeline["speakers"])
    return "\n".join(lines).rstrip() + "\n"


def speakers_markdown(speakers: list[dict]) -> list[str]:
    """The "Who said what" part of the Markdown timeline, as lines."""
    lines = ["# Who said what", ""]
    if not speakers:
        lines += ["*No quotes.*", ""]
    for s in speakers:
        lines += [f"## {s['speaker']}", ""]
        notes = []
        others = [n for n in s["names"] if n != s["speaker"]]
        if others:
            notes.append("also named: " + ", ".join(others))
        if s.get("roles"):
            notes.append("roles: " + ", ".join(s["roles"]))
        if s.get("why"):
            notes.append("one speaker because " + s["why"])
        if notes:
            lines += [f"*{'; '.join(notes)}.*", ""]
        for q in s["quotes"]:
            count = len({src["article"] for src in q["sources"]})
            lines.append(f"- {q['kind']}, {count} article{'s' if count > 1 else ''}"
                         + (f" ({q['why']})" if len(q["sources"]) > 1 else "") + ":")
            lines += [f"  > {line}" for line in str(q["text"]).split("\n")]
            for src in q["sources"]:
                title = f" *{src['title']}*" if src.get("title") else ""
                said = f" \"{src['text']}\"" if src["text"] != q["text"] else ""
                lines.append(f"  - `{src['article']}`{title}: {src['speaker_as_written']}{said}")
            lines.append("")
    return lines
