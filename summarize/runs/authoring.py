"""Writing fixtures by hand, and carrying fixtures over to a new prompt or schema.

Terms:

- **authored fixture**: an exchange whose answer a person wrote, as a careful model would answer,
  rather than one recorded from a server. It is made by running the real pipeline in ``record`` mode
  against a :class:`ScriptedTransport` that answers with the written text, so its request and key are
  exactly what the library sends; its provenance says ``authored``, who wrote it and why.
- **answer**: the JSON object a model would return (the fields of the schema sent to models; no spans).
  Several answers make a reask sequence: each but the last must fail validation.
- **staging**: a sequence is recorded into a hidden folder inside the fixtures folder
  (``.authoring-<random>``) and moved into place only once it played out as written (every answer but
  the last failed validation, the last passed). An answer that fails validation is never stored on its
  own, so it can never replace a good fixture of the same request. Rekeying stages the same way.
- **rekey**: after a prompt or schema change (or a new key format) every key changes. Rekeying replays
  each article's recorded answers (found by its id in the index, or in the folder a format-1 store gave
  it), in order, through the current pipeline and records them under the new keys, keeping their
  provenance and noting the rekey; the fixtures it replaced are deleted and the index rewritten
  without them.

Usage counts in authored fixtures are estimates (about four characters per token), and say so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from summarize.core.adapter import completion_body
from summarize.core.defaults import fixtures_folder
from summarize.core.pipeline import ArticleSummarizer, SummaryResult, as_article
from summarize.errors import ConfigurationError, InvalidOutputError, SummarizeError
from summarize.replay.fixtures import FixtureStore, Mode, restored

__all__ = ["ScriptedTransport", "author_fixtures", "completion_body", "load_answers", "rekey_fixtures"]

_AUTHORED_BASE_URL = "http://authored.invalid/v1"  # never contacted: the scripted transport answers


class ScriptedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests with prepared replies, in order: answers (wrapped by :func:`completion_body`)
    or whole response bodies (dicts with ``"choices"``, passed as they are)."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        self.requests.append(body)
        if not self.replies:
            return httpx.Response(500, json={"error": {"message": "the script has no more replies"}})
        reply = self.replies.pop(0)
        if not (isinstance(reply, dict) and "choices" in reply):
            reply = completion_body(reply, body)
        return httpx.Response(200, json=reply)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


def _summarizer(fixtures: Path, provenance: dict[str, Any], replies: list[Any], **options: Any) -> tuple[ArticleSummarizer, ScriptedTransport]:
    script = ScriptedTransport(replies)
    # One attempt per prepared reply: a reask past the script would only meet its "no more replies" 500,
    # and a scripted server has no transient failures worth retrying. Strict: an authored answer is a
    # fixture only when valid whole; a salvage would record a reask sequence that never ends in one.
    options.update(max_reasks=max(0, len(replies) - 1), retries=0, strict=True)
    s = ArticleSummarizer(fixtures=fixtures, mode=Mode.RECORD, base_url=_AUTHORED_BASE_URL, transport=script, **options)
    # The fixture layer writes what the script answers; provenance marks it authored, not recorded.
    s._client.provenance = provenance
    s._client.must_record = True  # the fixture is the product here: failing to write it fails the command
    return s, script


@contextlib.contextmanager
def _staged(fixtures: Path) -> Iterator[Path]:
    """A staging folder inside ``fixtures`` (see the module docstring), removed afterwards with whatever
    :func:`_commit` did not move into place."""
    try:
        fixtures.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".authoring-", dir=fixtures))  # same file system: renames are atomic
    except OSError as exc:
        raise ConfigurationError(f"Cannot write fixtures in {fixtures}: {exc.strerror or exc}. "
                                 "Choose a writable folder with --fixtures.") from exc
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _commit(staging: Path, fixtures: Path, recorded: list[Path]) -> list[Path]:
    """Move the staged fixtures into the fixtures folder, each by one atomic rename, then add their index
    lines to its index; returns where they are."""
    committed = []
    for path in recorded:
        target = fixtures / path.resolve().relative_to(staging.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        committed.append(target)
    FixtureStore(fixtures).add_to_index(FixtureStore(staging).index())
    return committed


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to ``root`` (excluded) while they are empty (a format-1
    article folder such as ``world/iran`` once rekeyed)."""
    root = root.resolve()
    folder = folder.resolve()
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def load_answers(paths: list[str | Path]) -> list[dict[str, Any]]:
    """Read answer files: each holds one JSON object, the answer a model would give (the fields of
    ``summarize schema``). Raises :class:`ConfigurationError` naming the file that is missing, unreadable,
    not JSON or not an object."""
    answers = []
    for path in map(Path, paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"Answer file {path} cannot be read: {exc.strerror or exc}.") from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise ConfigurationError(f"Answer file {path} is not UTF-8 JSON ({exc}). It must hold one JSON object: "
                                     "the answer a model would give, with the fields of `summarize schema`.") from None
        if not isinstance(data, dict):
            raise ConfigurationError(f"Answer file {path} holds a JSON {type(data).__name__}, not an object. It must "
                                     "hold one JSON object: the answer a model would give, with the fields of "
                                     "`summarize schema`.")
        answers.append(data)
    return answers


def author_fixtures(source: Any, answers: Sequence[dict[str, Any] | str], *, fixtures: str | Path | None = None,
                    author: str, note: str, **options: Any) -> SummaryResult:
    """Record authored answers for one article as fixtures; returns the accepted result.

    Every answer but the last must fail validation (a reask sequence) and the last must pass; only then is
    anything written (see the module docstring), so a good fixture is never replaced by an invalid answer.
    Raises :class:`InvalidOutputError` naming the validation problems when the last answer fails, and
    :class:`ConfigurationError` when there is no answer or an earlier one was accepted.
    """
    if not answers:
        raise ConfigurationError("No answer to author: give at least one answer.")
    provenance = {"source": "authored", "author": author, "note": note,
                  "created": dt.date.today().isoformat(),
                  "usage": "estimated at about four characters per token; no model produced these tokens"}
    article, root, n = as_article(source), fixtures_folder(fixtures), len(answers)
    with _staged(root) as staging:
        s, script = _summarizer(staging, provenance, list(answers), **options)
        try:
            with s:
                result = s.run(article)
        except InvalidOutputError as exc:
            raise InvalidOutputError(
                f"Answer {n} of {n} fails validation, so nothing was written to {root}: "
                + "; ".join(exc.problems or [str(exc)]).rstrip(".")
                + ". Correct it; to record a reask, give the corrected answer after it.",
                problems=exc.problems, article_id=article.id) from exc
        if script.replies:
            raise ConfigurationError(
                f"Answer {n - len(script.replies)} of {n} was accepted, so the {len(script.replies)} answer(s) after "
                f"it would never be asked for; nothing was written to {root}. In a reask sequence every answer "
                "but the last must fail validation.")
        _commit(staging, root, s._client.recorded)
    return result


def rekey_fixtures(sources: list[Any], *, fixtures: str | Path | None = None, **options: Any) -> dict[str, str]:
    """Re-record each article's fixtures under the current prompt and schema; returns a status per article."""
    fixtures = fixtures_folder(fixtures)
    store = FixtureStore(fixtures)
    report: dict[str, str] = {}
    for source in sources:
        article = as_article(source)
        old = store.for_article(article.id)
        if not old:
            report[article.id] = "no fixtures"
            continue
        bodies = [restored(data["response"]["body"]) for _, data in old]
        provenance = dict(old[-1][1].get("provenance") or {})
        provenance["rekeyed"] = dt.date.today().isoformat()
        with _staged(Path(fixtures)) as staging:
            s, script = _summarizer(staging, provenance, bodies, **options)
            try:
                with s:
                    s.run(article)
            except SummarizeError as exc:
                report[article.id] = f"failed: {exc}"
                continue
            kept = _commit(staging, Path(fixtures), s._client.recorded)
        kept_paths = {p.resolve() for p in kept}
        for path, _ in old:
            if path.resolve() not in kept_paths:
                path.unlink(missing_ok=True)
                _remove_empty_folders(path.parent, Path(fixtures))
        report[article.id] = f"rekeyed {len(kept)} exchange(s)" + (f", {len(script.replies)} unused" if script.replies else "")
    store.compact_index()  # once: it reads the whole index
    return report
