"""A live progress bar for folder runs (rich), on standard error, shown only on a terminal.

It shows articles finished out of the total, then done / replayed / partial / skipped / failed counts,
throughput (articles per second), the estimated time left, and the articles in progress with the seconds
each has been running and, when answers are streamed, the tokens received so far (:func:`in_progress_text`), redrawn twice a second: against a slow server (a local
CPU model writes 15 tokens a second, so one answer takes minutes) the run shows it is alive, and which
article it waits for, between two finished articles.
"""

from __future__ import annotations

import time
from typing import Any

from summarize.runs.folder import FolderReport

__all__ = ["RichProgress", "in_progress_text"]

_SHOWN = 3  # articles in progress named on the bar (the longest running); the rest are counted


def in_progress_text(report: FolderReport | None, now: float | None = None) -> str:
    """``"2 running: a00012 41s 230 tok, a00013 3s"``: the articles of ``report`` in progress, the longest running
    first, with their seconds so far (``now`` by ``time.perf_counter()``) and, for a streamed answer, the tokens
    received so far; empty when none is."""
    if report is None or not report.in_progress:
        return ""
    now = time.perf_counter() if now is None else now
    running = sorted(report.in_progress.items(), key=lambda pair: pair[1])
    received = report.receiving
    named = ", ".join(f"{article} {max(0.0, now - started):.0f}s"
                      + (f" {received[article]} tok" if article in received else "")
                      for article, started in running[:_SHOWN])
    more = f" +{len(running) - _SHOWN} more" if len(running) > _SHOWN else ""
    return f"{len(running)} running: {named}{more}"


class RichProgress:
    """Implements :class:`summarize.runs.folder.Progress`; remembers the last report (for an interrupted run)."""

    def __init__(self, *, enabled: bool = True) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        owner = self

        class Running(ProgressColumn):
            """The articles in progress, recomputed at every redraw (not only when an article ends)."""

            def render(self, task: Any) -> Text:
                return Text(in_progress_text(owner.report), style="dim")

        self.console = Console(stderr=True)
        self.report: FolderReport | None = None
        self._bar = Progress(
            TextColumn("[bold]summarize[/bold]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), Running(),
            console=self.console, disable=not (enabled and self.console.is_terminal), transient=False,
            refresh_per_second=2,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        if not self._bar.disable:  # a disabled bar that was started writes a blank line to stderr at stop (rich < 14.3)
            self._bar.start()
        self._task = self._bar.add_task("run", total=total, counts="", rate="")

    def update(self, report: FolderReport) -> None:
        self.report = report
        rate = report.finished / report.seconds if report.seconds > 0 else 0.0
        partial = f"[yellow]{report.partial} partial[/yellow] " if report.partial else ""
        counts = (f"[green]{report.done} done[/green] ({report.replayed} replayed) {partial}{report.skipped} skipped "
                  f"[red]{report.failed} failed[/red]")
        self._bar.update(self._task, completed=report.finished, counts=counts, rate=f"{rate:.1f}/s")

    def stop(self) -> None:
        if not self._bar.disable:
            self._bar.stop()

    def waiting(self, message: str) -> None:
        """The run waits for another run's lock on its output folder: said even with --quiet."""
        self.console.print(f"summarize: {message}", highlight=False, soft_wrap=True)

    def running(self) -> str:
        """What the bar shows of the articles in progress now (see :func:`in_progress_text`)."""
        return in_progress_text(self.report)
