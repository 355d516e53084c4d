"""Explaining a replay miss: which recorded request is nearest, and how it differs.

Terms:

- **nearest**: among the fixtures recorded for an article of the same name or the same content (found
  through the fixtures index, legacy fixtures included), the one whose request differs from the missing
  one in the fewest respects (ties go to the same content, then to the same attempt number, then to the
  model whose name is most like the one asked for: ``gpt-4o`` is nearer ``gpt-4o-mini`` than a local model file).
- **respects** compared: prompt version, model, output mode and schema (``response_format``,
  ``tools``, ``tool_choice``), the system message, the article message, the conversation length
  (a reask has more messages), every other request parameter (temperature, max_tokens, ...) and the
  key format (a fixture of an earlier format never replays; ``summarize fixtures rekey`` carries it over).
"""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

from summarize.errors import ReplayMissError
from summarize.replay.store import (
    FORMAT,
    HEADER_ARTICLE,
    HEADER_ATTEMPT,
    HEADER_BUDGET,
    HEADER_CONTENT,
    HEADER_PROMPT,
    FixtureStore,
    canonical_json,
    keyed_request,
    readable,
)

__all__ = ["differences", "explain_miss"]

_SCHEMA_FIELDS = ("response_format", "tools", "tool_choice")


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:10]


def _message(body: dict[str, Any], role: str, nth: int = 0) -> Any:
    found = [m for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == role]
    return found[nth].get("content") if len(found) > nth else None


def differences(recorded: dict[str, Any], body: dict[str, Any], recorded_prompt: str | None,
                prompt: str | None) -> list[str]:
    """How a request ``body`` differs from a ``recorded`` one, one phrase per respect."""
    out: list[str] = []
    if recorded_prompt != prompt:
        out.append(f"prompt version (recorded {recorded_prompt}, now {prompt})")
    if recorded.get("model") != body.get("model"):
        out.append(f"model (recorded {recorded.get('model')!r}, now {body.get('model')!r})")
    old_schema = {k: recorded.get(k) for k in _SCHEMA_FIELDS}
    new_schema = {k: body.get(k) for k in _SCHEMA_FIELDS}
    if old_schema != new_schema:
        old_mode = [k for k in _SCHEMA_FIELDS if old_schema[k] is not None]
        new_mode = [k for k in _SCHEMA_FIELDS if new_schema[k] is not None]
        what = "output mode" if old_mode != new_mode else "schema"
        out.append(f"{what} (recorded {_digest(old_schema)}, now {_digest(new_schema)})")
    if _message(recorded, "system") != _message(body, "system"):
        out.append("system prompt text")
    if _message(recorded, "user") != _message(body, "user"):
        out.append("article message (the article text or its rendering changed)")
    old_n, new_n = len(recorded.get("messages", [])), len(body.get("messages", []))
    if old_n != new_n:
        out.append(f"conversation length (recorded {old_n} messages, now {new_n}: a reask stage differs)")
    elif recorded.get("messages") != body.get("messages") and len(out) == 0:
        out.append("an earlier answer or reask message in the conversation")
    others = sorted((set(recorded) | set(body)) - {"model", "messages", *_SCHEMA_FIELDS})
    for name in others:
        if recorded.get(name) != body.get(name):
            out.append(f"parameter {name} (recorded {recorded.get(name)!r}, now {body.get(name)!r})")
    return out


def explain_miss(store: FixtureStore, body: dict[str, Any], labels: dict[str, str]) -> ReplayMissError:
    """A :class:`ReplayMissError` that names the article and says what differs from its nearest fixture."""
    article = labels.get(HEADER_ARTICLE) or "_unlabelled"
    content = labels.get(HEADER_CONTENT)
    prompt = labels.get(HEADER_PROMPT)
    attempt = labels.get(HEADER_ATTEMPT)
    head = (
        f"No recorded exchange for article {article!r} (prompt {prompt}, model {body.get('model')!r}"
        + (f", attempt {attempt}" if attempt else "")
        + f") in {store.root}."
    )
    how = (
        " To record it, run with an API key (or a base URL) and mode 'auto' or 'record', e.g. "
        "`summarize run PATH --mode auto`; after a prompt or schema change, "
        "`summarize fixtures rekey PATH` carries authored fixtures over."
    )
    current = readable(keyed_request(body, labels))  # an automatic budget is no difference (it is unkeyed)
    candidates = []
    for path, data in store.for_article(article, content):
        rec = data.get("request", {}).get("body", {})
        if data.get("budget") == "auto":
            rec = keyed_request(rec, {HEADER_BUDGET: "auto"})
        diff = differences(rec, current, data.get("prompt"), prompt)
        if data.get("format") != FORMAT:
            diff.append(f"key format (recorded {data.get('format')}, now {FORMAT}: `summarize fixtures rekey PATH` "
                        "carries it over)")
        same_content = content is not None and data.get("content") == content
        same_attempt = str(data.get("attempt")) == str(attempt)
        unlike = 1.0 - difflib.SequenceMatcher(None, str(rec.get("model")), str(current.get("model"))).ratio()
        candidates.append((len(diff), not same_content, not same_attempt, unlike, str(path), data.get("article"), diff))
    if not candidates:
        return ReplayMissError(
            head + f" There are no fixtures for an article of this name or this text (looked in the index "
            f"{store.index_path} and the folder {store.root}).{how}",
            article_id=article,
        )
    _, other_text, _, _, nearest, recorded_for, diff = min(candidates)
    whose = "" if recorded_for == article else f" (recorded for article {recorded_for!r}" + (
        ", the same text)" if not other_text else ")")
    detail = "; ".join(diff) if diff else "nothing visible in the stored request (the fixture may have been edited)"
    return ReplayMissError(head + f" The nearest recording, {nearest}{whose}, differs in: {detail}." + how,
                           differences=diff, article_id=article)
