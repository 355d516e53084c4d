"""What ``summarize run`` prints when a folder run ends: the table of articles and the summary line on standard
output, then failures, partial summaries and warnings on standard error. Split from :mod:`summarize.cli`,
which parses and dispatches.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["output_modes", "run_problems", "run_table"]


def run_problems(report: Any, out: Path) -> None:
    """The failures the report kept, the count of each kind, and each kind of warning once, on stderr."""
    for f in report.failures:
        # An id is data from the input: a control character in it must not reach the terminal.
        article = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(f["article"]))
        print(f"{article}: {f['error']}: {f['message']}", file=sys.stderr)
    if report.failed > len(report.failures):
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.failure_kinds.items()))
        print(f"... {report.failed} failures in all ({kinds}): every one is in {out}/ledger.jsonl", file=sys.stderr)
    if report.partial:
        shown = ", ".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in a) for a in report.partials)
        more = f" and {report.partial - len(report.partials)} more" if report.partial > len(report.partials) else ""
        print(f"summarize: {report.partial} partial summar{'y' if report.partial == 1 else 'ies'} (items still invalid "
              f"after the last reask were dropped; each document lists them under \"dropped\"): {shown}{more}. "
              "Use --strict to fail such articles instead.", file=sys.stderr)
    for kind, n in sorted(report.warnings.items()):
        print(f"summarize: warning: {n} article(s) with {kind}, e.g.: {report.warning_examples[kind]} "
              f"(see \"warnings\" in {out}/ledger.jsonl)", file=sys.stderr)


def run_table(report: Any, summarizer: Any) -> None:
    from rich.table import Table

    from summarize._stdio import pipe_console

    console = pipe_console()
    s = summarizer.settings
    if report.total <= 50:
        columns = ("article", "status", "quotes", "events", "entities", "attempts", "tokens")
        table = Table(title=f"summarize: {s.model}, {summarizer.prompt.id}, mode {s.mode.value}")
        for col in columns:
            table.add_column(col, justify="left" if col in ("article", "status") else "right", no_wrap=col == "article")
        for r in sorted(report.rows, key=lambda row: row["article"]):
            status = "replayed" if r["status"] == "done" and r.get("replayed") == r.get("attempts") else r["status"]
            tokens = (r.get("prompt_tokens") or 0) + (r.get("completion_tokens") or 0)
            cells = [r["article"], status, r.get("quotes", ""), r.get("events", ""), r.get("entities", ""),
                     r.get("attempts", ""), tokens or ""]
            table.add_row(*map(str, cells), style={"failed": "red", "partial": "yellow"}.get(r["status"]))
        console.print(table)
    rate = report.finished / report.seconds if report.seconds else 0.0
    cost = f"${report.cost_usd:.4f}" if report.cost_usd is not None else "unknown (model not in the price table)"
    console.print(
        f"{report.done + report.partial + report.skipped} of {report.total} articles summarized "
        f"({report.replayed} replayed, {f'{report.partial} partial, ' if report.partial else ''}"
        f"{report.skipped} skipped as already done, "
        f"{report.failed} failed) "
        f"in {report.seconds:.1f} s, {rate:.1f}/s; {report.requests} requests sent; {output_modes(report, s)}; "
        f"live tokens {report.live_prompt_tokens} in / {report.live_completion_tokens} out, est. cost {cost}. "
        f"Summaries and ledger.jsonl in {report.out}/",
        highlight=False,
    )


def output_modes(report: Any, settings: Any) -> str:
    """The output mode asked for and, under auto, the modes the articles were asked in: "output mode auto: tools"."""
    used = ", ".join(f"{mode} ({n})" if len(report.output_modes) > 1 else mode
                     for mode, n in sorted(report.output_modes.items()))
    return f"output mode {settings.output_mode}" + (f": {used}" if used and used != settings.output_mode else "")
