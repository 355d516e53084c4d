"""Support for the secrets tests: finding any piece of a credential in written files and captured output.

A credential cut in half (by a clip, say) leaks as surely as a whole one, so the scan looks for every
:data:`PIECE`-character piece of each secret, not only for the whole value.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PIECE = 12


def leaks(secrets: Iterable[str], *, folders: Iterable[Path] = (), texts: Iterable[str] = ()) -> list[str]:
    """Every place where a :data:`PIECE`-character piece of a secret appears: ``path: piece`` for files
    under ``folders`` (all of them, hidden ones included), ``text #n: piece`` for ``texts``."""
    pieces = {s[i:i + PIECE] for s in secrets for i in range(len(s) - PIECE + 1)}
    assert pieces, "secrets shorter than a piece cannot be checked"
    found = []
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            data = path.read_bytes()
            found += [f"{path}: {piece}" for piece in sorted(pieces) if piece.encode() in data]
    for n, text in enumerate(texts):
        found += [f"text #{n}: {piece}" for piece in sorted(pieces) if piece in text]
    return found
