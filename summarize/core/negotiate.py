"""Output-mode negotiation: under ``auto``, each server is asked in the strictest output mode it accepts.

Terms:

- **auto**: the default output mode. A request asks in ``json_schema`` first (strict structured output);
  when the server rejects that (a structured-output rejection, :mod:`summarize.http.rejection`: an error
  whose body names ``response_format``, ``json_schema``, ``tools``..., never retried), the same attempt
  is sent again in the next mode of :data:`ORDER` that can carry the schema: ``tools`` (strict function
  calling), then ``json`` (JSON mode, the schema in the prompt), then ``md_json`` (the schema in the
  prompt, no request field). An error that names no structured-output field is not a reason to fall back.
  An explicitly chosen mode is never changed: its rejection is an :class:`~summarize.errors.OutputModeError`
  that says to try ``auto``.
- **ignored tool**: a 200 in ``tools`` mode that carries no tool call (llama.cpp's server, started without its
  ``--jinja`` chat templates, ignores ``tools`` and writes JSON in the message content). Under ``auto`` it is
  that mode failing for the server, like a rejection (:data:`IGNORED_TOOL`): remembered, announced once, and
  the attempt asked again in the next mode; the content, paid for, is kept among the article's rejected
  answers for salvage. In an explicit ``tools`` mode the content is read as the answer when it holds a JSON
  object, and is otherwise an :class:`~summarize.errors.OutputModeError` (the client decides both,
  :meth:`summarize.core.client.ModelClient`).
- **server**: a base URL and a model (:class:`Server`): what a rejection is remembered for.
- **negotiator**: :class:`OutputModes`, one per client and so shared by every article of a folder run.
  It remembers, per server, the modes rejected and what the server said, so an article begun after a
  rejection starts in the next mode. Articles whose requests were already on the wire each meet the
  rejection once; a request prepared in a rejected mode but
  still waiting for its place in flight is not sent (the retry layer's send hook raises
  :class:`KnownRejected`) and is asked again in the next mode. So a run pays for the discovery of each
  rejected mode at most once per request in flight (``concurrency``), never once per article; a server
  that rejects only ``json_schema`` costs a folder run at most ``concurrency`` extra requests, each answered
  at once (a rejection costs no generation). Holding the other articles back until the first request
  came back would make the discovery cost one request, but every run against a server that accepts
  ``json_schema`` (the usual case) would then wait a whole first answer before its other requests go out.
- **announcement**: the first answer a server gives in a mode it fell back to is announced once per
  server by an :class:`OutputModeWarning` (the command line prints it as one line), and every output
  document and ledger line names the mode its answers were asked in (``output_mode``).
- **replay**: fixtures are keyed by what a request asks, mode included. In ``replay`` fixture mode a
  request no fixture answers is looked up in the next modes too (nothing is sent, nothing remembered),
  so fixtures recorded by an ``auto`` run that fell back replay under ``auto``; when none answers, the
  miss of the first mode is raised.

Thread-safe: the state is guarded by a lock, and no lock is held while anything is awaited or sent.
"""

from __future__ import annotations

import json
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx

from summarize.core.adapter import OUTPUT_MODES
from summarize.errors import OutputModeError, ReplayMissError
from summarize.http.redaction import Secrets, clip
from summarize.http.rejection import Rejection, structured_output_rejection

__all__ = ["AUTO", "IGNORED_TOOL", "ORDER", "KnownRejected", "OutputModeWarning", "OutputModes", "Server", "mode_of_request"]

AUTO = "auto"
#: The modes ``auto`` tries, strictest first.
ORDER: tuple[str, ...] = OUTPUT_MODES
_OPENAI = "https://api.openai.com/v1"
#: What a server that answers ``tools`` without a tool call is remembered to have said (see the module docstring).
IGNORED_TOOL = Rejection(200, "tools", "it answered without calling the tool (it ignored tools and tool_choice)")


class OutputModeWarning(UserWarning):
    """A server rejected an output mode under ``auto`` and another one is used for it (said once per server)."""


class KnownRejected(Exception):  # noqa: N818 - not an error: a request the retry layer did not send
    """Raised by the preflight instead of sending a request in a mode its server is known to reject."""

    def __init__(self, mode: str) -> None:
        super().__init__(f"not sent: the server rejected output mode {mode}")
        self.mode = mode


@dataclass(frozen=True)
class Server:
    """A base URL (OpenAI's when none is set) and a model."""

    base_url: str
    model: str

    @classmethod
    def of(cls, base_url: str | None, model: str) -> Server:
        return cls((base_url or _OPENAI).rstrip("/"), model)

    def __str__(self) -> str:
        return f"{self.base_url} (model {self.model})"


@dataclass
class _Known:
    """What one server did: the modes it rejected with what it said, in order; whether that was announced."""

    rejected: dict[str, Rejection] = field(default_factory=dict)
    announced: bool = False


def mode_of_request(body: dict[str, Any]) -> str:
    """The output mode a request body asks in (see :func:`summarize.core.adapter.request_fields`)."""
    kind = (body.get("response_format") or {}).get("type") if isinstance(body.get("response_format"), dict) else None
    if kind == "json_schema":
        return "json_schema"
    if body.get("tools"):
        return "tools"
    return "json" if kind == "json_object" else "md_json"


class OutputModes:
    """The negotiator (see the module docstring) for a client whose configured output mode is ``configured``;
    ``secrets`` are removed from what servers said (a rejection is read below the redacting layer) and from
    every message made of it."""

    def __init__(self, configured: str, *, secrets: Secrets | None = None) -> None:
        self.configured = configured
        self.secrets = secrets or Secrets()
        self._servers: dict[Server, _Known] = {}
        self._lock = threading.Lock()

    @property
    def auto(self) -> bool:
        return self.configured == AUTO

    def current(self, server: Server) -> str | None:
        """The mode a new request to ``server`` asks in: the configured one, or under ``auto`` the first of
        :data:`ORDER` it has not rejected (None when it rejected them all)."""
        if not self.auto:
            return self.configured
        rejected = self._rejects(server)
        return next((m for m in ORDER if m not in rejected), None)

    def _said(self, server: Server) -> str:
        """"output mode json_schema (HTTP 500: ...); ...": what ``server`` rejected in this run, and what it said."""
        with self._lock:
            rejected = dict(self._servers.get(server, _Known()).rejected)
        return "; ".join(f"output mode {m} ({clip(str(r), 300, self.secrets)})" for m, r in rejected.items())

    def hook(self, server: Server) -> _Hook | None:
        """The retry layer's send hook for requests to ``server`` (None for an explicit mode, which never changes)."""
        return _Hook(self, server) if self.auto else None

    def rejected(self, server: Server, mode: str, rejection: Rejection) -> None:
        """``server`` rejected ``mode`` (the first rejection of a mode is the one remembered)."""
        with self._lock:
            self._servers.setdefault(server, _Known()).rejected.setdefault(mode, rejection)

    def _rejects(self, server: Server) -> frozenset[str]:
        with self._lock:
            known = self._servers.get(server)
            return frozenset(known.rejected) if known is not None else frozenset()

    def accepted(self, server: Server, mode: str) -> None:
        """``server`` answered a request in ``mode``: announce the fallback, once per server."""
        with self._lock:
            known = self._servers.get(server)
            if known is None or not known.rejected or known.announced or mode in known.rejected:
                return
            known.announced = True
        warnings.warn(OutputModeWarning(self.secrets.redact(
            f"The model server at {server} rejected {self._said(server)}; summarize asks it in output mode {mode} "
            f"for the rest of this run. Pass --output-mode {mode} (output_mode={mode!r}) to skip the discovery.")),
            stacklevel=2)

    def next_mode(self, server: Server, mode: str, exc: BaseException, *, chain: list[BaseException],
                  tried: list[str], answered: bool, replaying: bool) -> str | None:
        """The mode to ask in again after the request in ``mode`` failed with ``exc`` (``chain``: it and its
        causes), or None when that failure is not about the mode. Raises :class:`OutputModeError` when the
        server rejected the mode given, or every mode. ``tried``: the modes this attempt was asked in;
        ``answered``: whether an answer came already; ``replaying``: fixture mode ``replay``."""
        if any(isinstance(c, KnownRejected) for c in chain):
            return self.first(server)
        rejection = next((r for c in chain if (r := _rejection(c)) is not None), None)
        if rejection is not None:
            if not self.auto:
                raise OutputModeError(self.secrets.redact(
                    f"HTTP {rejection.status}: the model server at {server} rejected output mode {mode} (its answer "
                    f"names {rejection.field}): {clip(rejection.said, 300, self.secrets)}. Use --output-mode {AUTO} (the default) to "
                    f"find a mode it accepts, or name another of {', '.join(m for m in ORDER if m != mode)}."),
                    modes_tried=[mode], status=rejection.status) from exc
            self.rejected(server, mode, rejection)
            return self.first(server)
        if replaying and self.auto and not answered and any(isinstance(c, ReplayMissError) for c in chain):
            return next((m for m in ORDER if m not in tried), None)
        return None

    def first(self, server: Server) -> str:
        """The mode a new attempt to ``server`` asks in (:meth:`current`); :class:`OutputModeError` when the
        server rejected every one (then nothing is sent)."""
        mode = self.current(server)
        if mode is not None:
            return mode
        raise OutputModeError(self.secrets.redact(
            f"The model server at {server} rejected every output mode that can carry the schema, "
            f"{', '.join(ORDER)}: it rejected {self._said(server)}. It does not take structured output from this "
            "model as summarize asks for it (strict JSON schema, a tool call, JSON mode, or JSON in the text): "
            "check the server's documentation for JSON mode or function calling, or use another server or model."),
            modes_tried=[m for m in ORDER if m in self._rejects(server)])


class _Hook:
    """The send hook (:class:`summarize.http.network.SendHook`) of one server under ``auto``: a rejection is
    remembered as soon as it arrives, while its request still holds its place in flight, and a request asking
    in a mode already rejected is not sent (:class:`KnownRejected`; the client asks again in the next mode)."""

    def __init__(self, modes: OutputModes, server: Server) -> None:
        self.modes, self.server = modes, server

    def before_send(self, request: httpx.Request) -> None:
        rejected = self.modes._rejects(self.server)
        if rejected and (mode := _mode_of(request)) in rejected:  # the usual case, nothing rejected, parses nothing
            raise KnownRejected(mode)

    def answered(self, request: httpx.Request, response: httpx.Response) -> None:
        if response.status_code >= 400 and (rejection := structured_output_rejection(
                response.status_code, response.content)) is not None and (mode := _mode_of(request)) is not None:
            self.modes.rejected(self.server, mode, rejection)


def _mode_of(request: httpx.Request) -> str | None:
    """The output mode a chat-completions request asks in; None for a body that is not a JSON object."""
    try:
        body = json.loads(request.content)
    except ValueError:
        return None
    return mode_of_request(body) if isinstance(body, dict) else None


def _rejection(exc: BaseException) -> Rejection | None:
    """The structured-output rejection an openai status error carries, if it is one."""
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None)
    if not isinstance(response, httpx.Response) or not isinstance(status, int):
        return None
    return structured_output_rejection(status, response.content)
