"""The output folder of a folder run: checked before the first request, and locked while the run writes.

Terms:

- **probe**: before any request is sent, a run creates the output folder ``OUT`` (with its parents) and
  creates, writes and removes a small temporary file in it. A folder that cannot be written fails the
  run there, with an :class:`~summarize.errors.OutputError`, instead of after the first paid answers.
- **lock**: ``OUT/.summarize.lock``, locked with ``flock(2)`` for as long as the run lives (its worker
  processes inherit it, so it is held until the last process that may write to ``OUT`` is gone). The
  file holds the holder's ``pid``, ``host`` and ``started`` (UTC) as JSON, so a second run can say who
  holds it (not its command line, which may carry credentials in a URL). The kernel releases the lock when its holder exits, however it exits
  (``kill -9`` included): a lock file left by a dead process never blocks a run. The file itself stays
  (removing it could let two runs lock two different files).
- **waiting**: by default a second run on the same ``OUT`` fails at once with a
  :class:`~summarize.errors.RunLockedError`; with ``wait`` it tries again every quarter second until
  the holder is done. (``flock`` has no time-out, and a thread blocked in it could not be interrupted by
  Ctrl-C, so the lock is polled without blocking.)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from summarize.errors import OutputError, RunLockedError

__all__ = ["LOCK_NAME", "check_writable", "locked"]

LOCK_NAME = ".summarize.lock"
_POLL = 0.25  # seconds between tries while waiting for another run's lock


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it (see the module docstring)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".summarize-probe.", suffix=".tmp", dir=folder)
        try:
            os.write(fd, b"probe\n")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"Cannot write to the output folder {folder}: {exc.strerror or exc}. Nothing was sent; "
                          "choose another --out, or make this folder writable (and check the disk has space).",
                          path=str(folder)) from exc


def _holder(fd: int) -> dict[str, Any]:
    """What the holder wrote in the lock file ({} while it is still writing it, or if it is unreadable)."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    if not holder.get("pid"):
        return "another summarize run"
    return (f"another summarize run (pid {holder['pid']} on {holder.get('host', '?')}, "
            f"started {holder.get('started', '?')})")


@contextlib.asynccontextmanager
async def locked(folder: Path, *, wait: bool = False,
                 on_wait: Callable[[str], None] | None = None) -> AsyncIterator[None]:
    """Hold ``folder``'s run lock for the body (see the module docstring).

    Raises :class:`~summarize.errors.RunLockedError` when another process holds it and ``wait`` is
    false; with ``wait``, calls ``on_wait`` once with a sentence saying whom it waits for, then waits.
    """
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"Cannot create the run lock {path}: {exc.strerror or exc}. Make the output folder "
                          "writable.", path=str(path)) from exc
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if not wait:
                    raise RunLockedError(
                        f"{_describe(holder)} is writing to {folder}. Wait for it to finish (or pass --wait, "
                        f"wait=True in Python, to start when it does), or choose another --out.", holder=holder) from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for {_describe(holder)} to finish with {folder}")
                    told = True
                await asyncio.sleep(_POLL)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
        except OSError as exc:
            raise OutputError(f"Cannot write the run lock {path}: {exc.strerror or exc}. Check the disk has space.",
                              path=str(path)) from exc
        yield
    finally:
        os.close(fd)  # releases the lock (worker processes forked meanwhile have exited by now)
