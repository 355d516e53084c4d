"""The id → path rule: how an article id becomes a relative file path (pure; imports nothing of ours).

Every writer that names a file after an article (output documents, fixtures, report pages) goes through
:func:`id_path`, so the rule is the same everywhere and a path never leaves the folder it is joined to.

Terms:

- **component**: a part of the id between ``/``. Ids like ``world/2024/iran`` map to sub-folders, so a
  folder run's output mirrors its input tree.
- **clean** component: kept exactly as it is. It is in Unicode NFC, at most :data:`MAX_COMPONENT_BYTES`
  bytes of UTF-8, does not start with ``.`` (hidden) or end with ``.`` or a space (Windows drops those),
  is not a Windows device name (``CON``, ``nul.txt``, ``COM1``...), and holds none of ``< > : " \\ | ? *``
  (reserved on Windows), ``~`` (the escape marker) or an invisible format character (zero-width, bidi
  controls, line and paragraph separators). Readable non-ASCII names (``café``, ``北京``) are clean.
- **escaped** component: any other one becomes ``<readable>~<hash>``: ``readable`` is its NFC form
  with those characters replaced by ``_``, a leading ``.`` replaced by ``_``, a device name prefixed by
  ``_``, cut to fit the byte limit; ``hash`` is 16 hex digits of the SHA-256 of the component. A clean
  component never holds ``~``, and two escaped ones share a name only if their hashes collide, so
  **distinct ids give distinct paths**.
- **rejected** id (:class:`IdPathError`): what is not a name but a mistake or an attack. The empty id;
  an absolute one (``/abs/path``); an empty component (``a//b``, ``a/``); a component made only of dots
  (``.``, ``..``, ``a/../../b``); a control character (NUL, ESC, DEL, C1) or a lone surrogate, which
  corrupt terminals and logs and cannot be encoded; and a path longer than :data:`MAX_PATH_BYTES`.
  Rejected, not escaped, because there is no faithful name for them: the user should fix the id.

Why 200 bytes: most file systems allow 255 bytes per name, and the writers add an extension
(``.json``, ``.html``) and, while writing atomically, a temporary name ``.<name>.<random>.tmp``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["MAX_COMPONENT_BYTES", "MAX_PATH_BYTES", "IdPathError", "id_filename", "id_path"]

#: Largest component, in bytes of UTF-8 (see the module docstring).
MAX_COMPONENT_BYTES = 200
#: Largest whole relative path, in bytes of UTF-8; far from the usual 4,096 of an absolute path.
MAX_PATH_BYTES = 1024
_MARK = "~"
_HASH_HEX = 16
_ESCAPED = re.compile(r'[<>:"\\|?*~\u2028\u2029]')
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"{p}{n}" for p in ("COM", "LPT") for n in (*"0123456789", "\u00b9", "\u00b2", "\u00b3"))}


class IdPathError(ValueError):
    """An article id that cannot name a file (see the module docstring); the message says what to do."""


def id_path(article_id: str, suffix: str = "") -> str:
    """The relative POSIX path for ``article_id``, with ``suffix`` (``".json"``) added to its last component.

    Raises :class:`IdPathError` for a rejected id. Deterministic: the same id always gives the same path.
    """
    _check(article_id)
    parts = [_component(part) for part in article_id.split("/")]
    path = "/".join(parts) + suffix
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise IdPathError(f"The article id {_shown(article_id)} makes a path of more than {MAX_PATH_BYTES} bytes; "
                          "use a shorter id.")
    return path


def id_filename(article_id: str, suffix: str = "") -> str:
    """A single file name for ``article_id``, for flat folders (report pages): :func:`id_path` when the id
    has one component, else its components joined by ``_`` and marked with the hash of the whole id."""
    path = id_path(article_id)
    if "/" not in path:
        return path + suffix
    readable = _clip(path.replace("/", "_").replace(_MARK, "_"), MAX_COMPONENT_BYTES - _HASH_HEX - 1)
    return f"{readable}{_MARK}{_digest(article_id)}{suffix}"


def _check(article_id: str) -> None:
    if not article_id:
        raise IdPathError("The article id is empty; give every record a non-empty id.")
    bad = next((c for c in article_id if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None and unicodedata.category(bad) == "Cs":
        raise IdPathError(f"The article id {_shown(article_id)} is not valid Unicode (U+{ord(bad):04X} is half a "
                          "surrogate pair: a file name in another encoding than UTF-8?); rename the file or fix the id.")
    if bad is not None:
        raise IdPathError(f"The article id {_shown(article_id)} contains the control character U+{ord(bad):04X}; "
                          "ids must be printable text: fix the record's id.")
    if article_id.startswith("/"):
        raise IdPathError(f"The article id {_shown(article_id)} is an absolute path; ids are relative paths "
                          "such as world/iran: remove the leading '/'.")
    for part in article_id.split("/"):
        if not part:
            raise IdPathError(f"The article id {_shown(article_id)} has an empty part ('//' or a trailing '/'); "
                              "remove the extra '/'.")
        if not part.strip("."):
            raise IdPathError(f"The article id {_shown(article_id)} has a part {part!r} made only of dots, which "
                              "would name the folder itself or its parent; rename it.")


def _component(part: str) -> str:
    if _is_clean(part):
        return part
    readable = _ESCAPED.sub("_", unicodedata.normalize("NFC", part))
    readable = "".join("_" if unicodedata.category(c) == "Cf" else c for c in readable)
    stripped = readable.lstrip(".")
    readable = "_" * (len(readable) - len(stripped)) + stripped
    if _is_device(readable):
        readable = "_" + readable
    readable = _clip(readable, MAX_COMPONENT_BYTES - _HASH_HEX - 1).rstrip(". ") or "_"
    return f"{readable}{_MARK}{_digest(part)}"


def _is_clean(part: str) -> bool:
    return (len(part.encode("utf-8")) <= MAX_COMPONENT_BYTES
            and unicodedata.is_normalized("NFC", part)
            and not part.startswith(".") and not part.endswith((".", " "))
            and not _ESCAPED.search(part)
            and not any(unicodedata.category(c) == "Cf" for c in part)
            and not _is_device(part))


def _is_device(part: str) -> bool:
    # Windows reserves these names with any extension, and ignores spaces before the extension.
    return part.split(".", 1)[0].rstrip(" ").upper() in _DEVICES


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_HEX]


def _shown(article_id: str) -> str:
    """The id for a message: escaped (no control character reaches a terminal) and cut when very long."""
    shown = repr(article_id)
    return shown if len(shown) <= 120 else shown[:100] + "…" + shown[-10:]
