"""The embedded local engine: llama.cpp's own HTTP server, started in this process, on a loopback port.

Terms:

- **engine**: llama.cpp's native server (OpenAI-compatible ``/v1/chat/completions``, ``/health``, ``/slots``,
  ``/metrics``), embedded through the ``xllamacpp`` wheel (``pip install 'summarize[local]'``). Starting it
  loads the model and listens on a free port of 127.0.0.1; nothing else is run and nothing leaves the machine.
- **model file**: a GGUF file (llama.cpp's model format; its first four bytes are ``GGUF``).
- **threads**: CPU threads for prompt processing and generation; by default every core this process may use.
- **context**: the tokens one request may hold, prompt and answer together (llama.cpp's ``n_ctx`` per slot). It
  must hold the prompt, the article, the output budget and, for a reask, the earlier answer: see
  :func:`context_size`.
- **slot**: llama.cpp serves ``parallel`` requests at once, one per slot; a further request waits for a free slot.

The client side does not change: the openai client talks to :attr:`LocalEngine.base_url` through the same
transport, fixtures and ledger as to any server. What llama.cpp does that a hosted API does not (measured with
xllamacpp 2026.10.11549):

- A *streamed* request whose connection is closed is cancelled at once ("stop: cancel task"; the slot is idle
  within a few tens of milliseconds, having generated about as many tokens as the client read). A
  *non-streamed* request whose client gave up (an openai/httpx timeout, or a plain socket close) is in practice
  **not**: in 8 of 9 tries the server generated every token up to ``max_tokens`` (the end of the context
  without it) and kept the slot busy. Stream to it whenever a request may be abandoned.
- ``tool_choice`` as an object (``{"type": "function", ...}``) is rejected with a warning and replaced by
  ``"auto"``; only the strings ``"auto"``, ``"none"`` and ``"required"`` are understood.

Why not ``subprocess`` + ``llama-server``: a prebuilt wheel carries the server for Linux, macOS and Windows, so
``pip`` is the whole installation; the server runs on its own threads and releases the GIL.

Only the standard library, ``summarize.errors`` and (lazily, in :meth:`LocalEngine.start`) ``xllamacpp`` are
imported, so importing this module never needs the optional dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib
import json
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from summarize.errors import ConfigurationError

__all__ = [
    "DEFAULT_CONTEXT",
    "EngineNotInstalledError",
    "LocalEngine",
    "LocalEngineError",
    "ModelFileError",
    "context_size",
    "usable_cores",
]

#: The context when none is given: the seed articles' prompts are 1,100 to 1,800 tokens with today's prompt,
#: which leaves room for an output budget of a few thousand tokens and one reask.
DEFAULT_CONTEXT = 8192

_GGUF_MAGIC = b"GGUF"
_INSTALL_HINT = "pip install 'summarize[local]'"


class LocalEngineError(ConfigurationError):
    """The local engine cannot run as configured (see the message for what to change)."""


class EngineNotInstalledError(LocalEngineError):
    """The optional dependency of the local engine, ``xllamacpp``, is not installed."""


class ModelFileError(LocalEngineError):
    """The model file is missing, unreadable or not a GGUF file. ``path`` names it."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def context_size(prompt_tokens: int, output_tokens: int, *, turns: int = 1) -> int:
    """The context a request needs: the prompt and ``turns`` answers of up to ``output_tokens`` each.

    A reask sends the earlier answer back with the prompt, so ``turns=2`` sizes for one reask. The result is
    rounded up to a multiple of 1,024 (the KV cache is allocated once; a round size costs little) with a tenth
    more for the chat template's tokens and the reask's message.
    """
    if prompt_tokens < 0 or output_tokens < 0 or turns < 1:
        raise ValueError("prompt_tokens and output_tokens must be >= 0 and turns >= 1")
    need = int((prompt_tokens + turns * output_tokens) * 1.1) + 256
    return max(2048, -(-need // 1024) * 1024)


def _check_model(path: Path) -> None:
    """Raise :class:`ModelFileError` unless ``path`` is a readable GGUF file."""
    if not path.exists():
        raise ModelFileError(f"the model file {path} does not exist; pass the path of a .gguf file "
                             "(python tools/get_model.py fetches a small one)", path=str(path))
    if not path.is_file():
        raise ModelFileError(f"the model path {path} is not a file; pass the path of a .gguf file", path=str(path))
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelFileError(f"the model file {path} cannot be read ({exc.strerror}); check its permissions",
                             path=str(path)) from exc
    if magic != _GGUF_MAGIC:
        raise ModelFileError(f"{path} is not a GGUF model file (it starts with {magic!r}, not b'GGUF'); the local "
                             "engine runs llama.cpp models in GGUF format", path=str(path))


def _import_xllamacpp() -> Any:
    try:
        # import_module, not `import`: the package has no type information, and mypy must not need it installed.
        return importlib.import_module("xllamacpp")
    except ImportError as exc:
        raise EngineNotInstalledError(
            f"the local engine needs the xllamacpp package, which is not installed: {_INSTALL_HINT}") from exc


class LocalEngine:
    """llama.cpp's server on a free loopback port, serving one GGUF model; a context manager.

    ``threads`` defaults to :func:`usable_cores`, ``context`` (tokens per request) to :data:`DEFAULT_CONTEXT`,
    ``parallel`` (requests served at once) to 1: on a CPU, parallel requests share the same cores. ``verbose``
    lets llama.cpp log to stderr. Nothing is started until :meth:`start` (or ``with``)::

        with LocalEngine("model.gguf") as engine:
            client = openai.OpenAI(base_url=engine.base_url, api_key="local")
    """

    def __init__(self, model_path: str | os.PathLike[str], *, threads: int | None = None,
                 context: int | None = None, parallel: int = 1, verbose: bool = False,
                 ready_timeout: float = 60.0) -> None:
        if threads is not None and threads < 1:
            raise LocalEngineError(f"threads must be at least 1, not {threads}")
        if context is not None and context < 256:
            raise LocalEngineError(f"context must be at least 256 tokens, not {context}")
        if parallel < 1:
            raise LocalEngineError(f"parallel must be at least 1, not {parallel}")
        self.model_path = Path(model_path).expanduser()
        self.threads = threads or usable_cores()
        self.context = context or DEFAULT_CONTEXT
        self.parallel = parallel
        self.verbose = verbose
        self.ready_timeout = ready_timeout
        self._server: Any = None
        self._root = ""
        self._model_name = ""
        self._engine_version = ""
        self._sha256: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Load the model and start the server; return when it answers ``/health`` with 200.

        Raises :class:`EngineNotInstalledError`, :class:`ModelFileError`, or :class:`LocalEngineError` when
        llama.cpp cannot load the model or the server does not become ready within ``ready_timeout`` seconds.
        """
        if self._server is not None:
            return self
        _check_model(self.model_path)
        xllamacpp = _import_xllamacpp()
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path.resolve())
        # The server names the model by its path unless given an alias; the name goes into every request (and
        # the request key), which must not depend on where the file lives.
        params.model_alias = {self.model_path.name}
        params.n_parallel = self.parallel
        params.n_ctx = self.context * self.parallel  # llama.cpp divides n_ctx among the slots
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.hostnames = ["127.0.0.1"]  # loopback only: the engine is private to this process's user
        params.port = 0  # the operating system picks a free port; listening_address reports it
        params.endpoint_metrics = True  # /metrics: tokens generated, requests processing (progress, tests)
        params.endpoint_slots = True  # /slots: whether a request is being processed
        if not self.verbose:
            params.verbosity = 0
        try:
            # The constructor returns once the HTTP server listens and the model is loaded (or failed to).
            server = xllamacpp.Server(params)
        except RuntimeError as exc:
            raise LocalEngineError(
                f"llama.cpp could not load {self.model_path.name} with context {self.context} and "
                f"{self.threads} threads ({exc}); check the file is a complete model (its SHA-256) and that "
                "the machine has the memory for it, and start with verbose=True to see llama.cpp's log") from exc
        self._server = server
        self._root = str(server.listening_address).rstrip("/")
        self._engine_version = str(getattr(xllamacpp, "__version__", "unknown"))
        try:
            self._wait_ready()
            models = json.loads(self._get("/v1/models")[1])
            self._model_name = str(models["data"][0]["id"])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and free its port and the model's memory; safe to call more than once.

        Close the clients' streams first: a request still in flight is served to its end before the server
        stops (measured: 30 s for an unread stream of 300 tokens, under a second once it was closed).
        """
        server, self._server = self._server, None
        # xllamacpp has no stop call: dropping the last reference runs the C++ destructor, which ends the main
        # loop, stops the HTTP server (closing its socket) and joins their threads before it returns.
        del server

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server has been started and not stopped."""
        return self._server is not None

    # -- what clients need -----------------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: llama.cpp's own endpoints (``/health``, ``/slots``, ``/metrics``)."""
        self._require_running()
        return self._root

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the OpenAI-compatible base URL for the openai client."""
        return self.root_url + "/v1"

    @property
    def port(self) -> int:
        """The loopback port the server listens on."""
        return int(self.root_url.rsplit(":", 1)[1])

    @property
    def model_name(self) -> str:
        """The model's name as the server reports it (the GGUF file's name, not its path); pass it as ``model``."""
        self._require_running()
        return self._model_name

    def sha256(self) -> str:
        """The model file's SHA-256 (hex), computed once: it names exactly which weights answered."""
        if self._sha256 is None:
            with self.model_path.open("rb") as f:
                self._sha256 = hashlib.file_digest(f, "sha256").hexdigest()
        return self._sha256

    def describe(self) -> dict[str, Any]:
        """What answered, for a recording's provenance: engine and version, model file and hash, settings."""
        self._require_running()
        return {
            "engine": "llama.cpp server (xllamacpp)",
            "engine_version": self._engine_version,
            "model": self._model_name,
            "model_file": self.model_path.name,
            "model_bytes": self.model_path.stat().st_size,
            "model_sha256": self.sha256(),
            "threads": self.threads,
            "context": self.context,
            "parallel": self.parallel,
        }

    # -- llama.cpp's own endpoints ---------------------------------------------------------------------------

    def slots(self) -> list[dict[str, Any]]:
        """llama.cpp's ``/slots``: one entry per slot, ``is_processing`` true while it works on a request."""
        status, body = self._get("/slots")
        if status != 200:
            raise LocalEngineError(f"the local engine answered {status} to /slots: {body[:200]}")
        return list(json.loads(body))

    def metrics(self) -> dict[str, float]:
        """llama.cpp's Prometheus ``/metrics`` as a dict, e.g. ``llamacpp:tokens_predicted_total``."""
        status, body = self._get("/metrics")
        if status != 200:
            raise LocalEngineError(f"the local engine answered {status} to /metrics: {body[:200]}")
        values: dict[str, float] = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    # -- internals -------------------------------------------------------------------------------------------

    def _require_running(self) -> None:
        if self._server is None:
            raise LocalEngineError("the local engine is not running; call start() or use it in a `with` block")

    def _get(self, path: str) -> tuple[int, str]:
        """GET one of the server's endpoints. http.client, not urllib: a loopback call must never go through
        a proxy named in the environment."""
        host, _, port = self._root.removeprefix("http://").rpartition(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def _wait_ready(self) -> None:
        """Return when ``/health`` answers 200. The model is loaded when the constructor returns, so the first
        answer is normally 200; a 503 ("Loading model") is asked again, with a short growing pause, until
        ``ready_timeout``."""
        deadline = time.monotonic() + self.ready_timeout
        pause = 0.01
        while True:
            try:
                status, body = self._get("/health")
            except OSError as exc:
                status, body = 0, str(exc)
            if status == 200:
                return
            if status not in (0, 503) or time.monotonic() > deadline:
                raise LocalEngineError(f"the local engine did not become ready (last /health answer: {status} "
                                       f"{body[:200]}); start with verbose=True to see llama.cpp's log")
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
