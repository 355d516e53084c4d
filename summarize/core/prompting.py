"""Prompt templates: loading the versioned files in ``prompts/`` and rendering chat messages. Pure.

Terms:

- **template**: a TOML file ``prompts/<name>.v<version>.toml`` with ``name``, ``version``, ``system`` and
  ``user`` strings. Placeholders are ``$name`` (Python's :class:`string.Template`); ``$$`` is a dollar.
- **prompt version**: ``"<name>/v<version>"``, e.g. ``"summarize/v2"``; recorded with every fixture and
  named in replay-miss explanations.
- **messages**: the chat messages sent to the model: one system message (instructions and the
  glossaries of the schema's enums, rendered from :mod:`summarize.core.schema` so they never drift) and one
  user message carrying the article, fenced as data. They are rendered from what the article says (its
  headline, publication date and text) and nothing else: never its id, which comes from a file name,
  so the same article under any name or in any folder makes the same request (and the same fixture key).

Templates ship inside the wheel as ``summarize/prompts``; in a source checkout they are read from the
top-level ``prompts/`` folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from summarize.core.articles import Article
from summarize.core.schema import EventStatus, EventType
from summarize.errors import ConfigurationError

__all__ = ["PromptTemplate", "load_prompt", "prompt_dirs"]

_FILE = re.compile(r"^(?P<name>[a-z0-9_-]+)\.v(?P<version>\d+)\.toml$")
_FENCE = re.compile(r"</?\s*article\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class PromptTemplate:
    """A loaded template. Render it with :meth:`messages`."""

    name: str
    version: int
    system: str
    user: str
    path: str

    @property
    def id(self) -> str:
        """The prompt version, e.g. ``"summarize/v2"``."""
        return f"{self.name}/v{self.version}"

    def messages(self, article: Article) -> list[dict[str, str]]:
        """The chat messages for one article."""
        glossary = {"event_types": EventType.glossary(), "event_statuses": EventStatus.glossary()}
        fields = {  # no article.id: see the module docstring
            "published": _published(article),
            "title": article.title or "none",
            # The article is fenced as data: tags inside it that could close the fence are defused.
            "text": _FENCE.sub(lambda m: m.group().replace("<", "‹").replace(">", "›"), article.text),
        }
        try:
            system = Template(self.system).substitute(glossary).strip()
            user = Template(self.user).substitute(fields).strip()
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(f"Prompt template {self.path} has an unknown or malformed placeholder: {exc}.") from exc
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _published(article: Article) -> str:
    """The publication date as the prompt gives it: a day as ``2024-07-17`` (the seeds' requests depend on
    it); a year or month says so, so that the model does not resolve "Saturday" against an invented day."""
    date = article.published
    if date is None:
        return "unknown"
    return date.isoformat() if date.precision == "day" else f"{date.isoformat()} (only the {date.precision} is known)"


def prompt_dirs() -> list[Path]:
    """Where templates are looked for: inside the installed package first, then a source checkout."""
    package = Path(__file__).resolve().parents[1]  # summarize/ (this module is summarize/core/prompting.py)
    return [package / "prompts", package.parent / "prompts"]


def load_prompt(name: str = "summarize", version: int | None = None, directory: str | Path | None = None) -> PromptTemplate:
    """Load template ``name`` at ``version`` (default: the highest version found).

    Raises :class:`ConfigurationError` when no such template exists or it is malformed.
    """
    dirs = [Path(directory)] if directory is not None else prompt_dirs()
    found: dict[int, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for p in d.iterdir():
            m = _FILE.match(p.name)
            if m and m["name"] == name:
                found.setdefault(int(m["version"]), p)
        if found:
            break
    if not found:
        raise ConfigurationError(f"No prompt template named {name!r} in {', '.join(map(str, dirs))}.")
    chosen = max(found) if version is None else version
    if chosen not in found:
        raise ConfigurationError(f"Prompt {name!r} has no version {chosen}; available: {sorted(found)}.")
    path = found[chosen]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return PromptTemplate(
            name=data["name"], version=int(data["version"]), system=data["system"], user=data["user"], path=str(path)
        )
    except (KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Prompt template {path} is malformed: {exc}.") from exc
