"""Standard output and error when their reader goes away early (``summarize schema | head -1``).

The Python documentation's advice for SIGPIPE (the ``signal`` module's notes): a reader of a pipe may stop
early, and that is no error worth a traceback; point the stream at the null device and exit. Here
:func:`summarize.cli.main` does that, exiting with status 141 (128 + SIGPIPE, what a shell reports for a
program that a closed pipe ended).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["pipe_console", "silence_closed_streams"]


def silence_closed_streams() -> bool:
    """Point standard output and error, where their reader has gone, at the null device, so that nothing
    (Python's own flush at exit included) writes to them again; whether either was closed.

    A broken pipe of anything else (a worker process that died) is a real failure: then neither stream is
    closed, this returns ``False``, and the caller raises the error as it is.
    """
    closed = False
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (captured output): not ours to silence
            continue
        if _reader_gone(stream, fd):
            closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
    return closed


def _reader_gone(stream: Any, fd: int) -> bool:
    """Whether ``stream`` writes into a pipe whose reader has closed it."""
    try:
        stream.flush()  # what a failed write left in the buffer fails again
    except BrokenPipeError:
        return True
    except (OSError, ValueError):
        return False
    try:  # an unbuffered stream keeps nothing to flush: ask the pipe itself
        import select

        poll = select.poll()
        poll.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() (Windows)
        return False


def pipe_console() -> Any:
    """A rich Console for standard output that leaves a closed pipe to :func:`summarize.cli.main` (exit status 141):
    rich's own handling exits with status 1, which here means that an article failed."""
    import errno

    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "standard output was closed")

    return PipeConsole()
