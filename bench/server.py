"""The loopback server in its own process, so its work is not charged to the process being measured."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any, Self

from .common import PYTHON, ROOT


class ServerProcess:
    """``with ServerProcess(latency=0.2) as url: ...``; ``stats()`` reads the server's counters."""

    def __init__(self, *, latency: float = 0.0, rate_limit: float | None = None) -> None:
        self.args = [PYTHON, "-m", "summarize.testing.loopback", "--latency", str(latency)]
        if rate_limit is not None:
            self.args += ["--rate-limit", str(rate_limit)]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not self.url.startswith("http"):
            raise RuntimeError("the loopback server did not start")
        return self

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/_stats", timeout=10) as r:
            return json.loads(r.read())

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
