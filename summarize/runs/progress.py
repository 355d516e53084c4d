"""A live progress bar for folder runs (rich), on standard error, shown only on a terminal.

It shows articles finished out of the total, then done / replayed / partial / skipped / failed counts,
throughput (articles per second) and the estimated time left.
"""

from __future__ import annotations

from typing import Any

from summarize.runs.folder import FolderReport

__all__ = ["RichProgress"]


class RichProgress:
    """Implements :class:`summarize.runs.folder.Progress`; remembers the last report (for an interrupted run)."""

    def __init__(self, *, enabled: bool = True) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True)
        self.report: FolderReport | None = None
        self._bar = Progress(
            TextColumn("[bold]summarize[/bold]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
            console=self.console, disable=not (enabled and self.console.is_terminal), transient=False,
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
