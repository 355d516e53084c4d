"""The typed result: pydantic models that are the product's contract.

Terms:

- **ArticleSummary**: everything extracted from one article: a neutral summary, key points (each with
  the passages of the article that support it), events, quotes and entities.
- **grounding**: checking that every quote, every piece of event evidence and every key point's
  evidence stands in the article, and recording where (its :class:`~summarize.text.grounding.Span`). Spans are computed here, by the
  library, never asked of the model.
- **grounding context**: the article the answer is checked against. Validators find it in pydantic's
  validation context under the key ``"article"`` (a :class:`GroundingContext`), or else in the context
  variable :data:`GROUNDING`. Without either (loading a saved summary, say) the models validate their
  shape only.

The JSON schema that models see is produced by :func:`model_schema` from the same classes: span fields
are hidden from it, and it satisfies OpenAI's strict structured-output rules. The validators raise
``ValueError`` with messages written for the model, since the client sends them back as a reask (summarize.core.reask).
No I/O happens here.
"""

from __future__ import annotations

import copy
import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from summarize.text.dates import PartialDate, iso_date
from summarize.text.grounding import MatchKind, Span, closest_passage, is_quoted, locate, normalize, whole_quotation

__all__ = [
    "GROUNDING",
    "SCHEMA_VERSION",
    "ArticleSummary",
    "Entity",
    "EntityType",
    "Event",
    "EventStatus",
    "EventType",
    "GroundingContext",
    "KeyPoint",
    "MatchKind",
    "Precision",
    "Quote",
    "QuoteKind",
    "Reference",
    "Span",
    "TimeRef",
    "model_schema",
    "unknown_references",
]


#: Version of the JSON schema models see (:func:`model_schema`). Bump it with every change a model would
#: see (a field, a description, an enum value): ``tests/test_schema.py`` holds the fingerprint of each
#: version and fails, saying so, when the schema changes under the same number. Recorded with every
#: fixture; the schema itself is part of every request, hence of every fixture key.
#: Version 2: key points are objects carrying their evidence (``{"text", "evidence": [...]}``), no longer
#: strings.
SCHEMA_VERSION = 2


class _Documented(str, Enum):
    """A string enum whose members carry a one-line definition, rendered into the prompt."""

    def __new__(cls, value: str, doc: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.doc = doc  # type: ignore[attr-defined]
        return member

    @classmethod
    def glossary(cls) -> str:
        """One ``- value: definition`` line per member, for prompts."""
        return "\n".join(f"- {m.value}: {m.doc}" for m in cls)  # type: ignore[attr-defined]


class EventType(_Documented):
    """What kind of thing happened. Closed: anything else is ``other``."""

    ATTACK = ("attack", "a violent act against people or property: a shooting, bombing, drone strike, killing")
    MILITARY_ACTION = ("military_action", "armed forces acting: strikes between states, missile exchanges, deployments")
    PLOT = ("plot", "a plan, conspiracy or attempt to attack or kill someone, whether carried out or foiled")
    THREAT = ("threat", "a threat or warning of harm or retaliation, and vows of revenge")
    STATEMENT = ("statement", "a public statement, accusation, denial, assurance or comment as the news itself")
    LEGAL_ACTION = ("legal_action", "arrests, charges, indictments, lawsuits, trials, sanctions by courts")
    INVESTIGATION = ("investigation", "intelligence tracking, inquiries, surveillance, disclosures of findings")
    SECURITY_MEASURE = ("security_measure", "protection given, raised or extended; security details, police warnings")
    DIPLOMACY = ("diplomacy", "dealings between governments: proposals, rejections, assurances, negotiations")
    POLITICAL = ("political", "elections, campaigns, legislation, appointments, policy decisions")
    OTHER = ("other", "anything that fits none of the above")


class EventStatus(_Documented):
    """How firmly the article establishes that the event happened (or will)."""

    REPORTED = ("reported", "stated as fact by the article or its sources, without dispute")
    ALLEGED = ("alleged", "claimed or charged by someone, not proven; plots and accusations usually are")
    CONFIRMED = ("confirmed", "confirmed by an authoritative party (officials, courts, the actor itself)")
    DENIED = ("denied", "denied by the party accused of it; the denial itself is a separate statement event")
    PLANNED = ("planned", "intended, proposed, threatened or scheduled, not (yet) happened")


class EntityType(_Documented):
    """The kind of thing an entity is."""

    PERSON = ("person", "a named person")
    ORGANIZATION = ("organization", "an agency, company, outlet, party, armed group, mission or government body")
    COUNTRY = ("country", "a state, also when it acts as a government (Iran, the United States)")
    LOCATION = ("location", "a place that is not a country: a city, region, venue")
    OTHER = ("other", "anything else")


class QuoteKind(_Documented):
    """Whether the article gives the speaker's own words in quotation marks."""

    DIRECT = ("direct", "the words stand between quotation marks in the article")
    INDIRECT = ("indirect", "reported speech: the article paraphrases what the speaker said, without quotation marks")


class Precision(_Documented):
    """How much of a date is known."""

    YEAR = ("year", "only the year is known: YYYY")
    MONTH = ("month", "year and month are known: YYYY-MM")
    DAY = ("day", "the exact day is known: YYYY-MM-DD")


_PAST_STATUSES = {EventStatus.REPORTED, EventStatus.ALLEGED, EventStatus.CONFIRMED, EventStatus.DENIED}


@dataclass(frozen=True)
class GroundingContext:
    """What validators check an answer against: the article's text and its publication date.

    ``published`` may be known to the year or month only (a :class:`~summarize.text.dates.PartialDate`); a
    :class:`datetime.date` given here is taken as known to the day.
    """

    text: str
    published: PartialDate | dt.date | None = None

    @property
    def publication(self) -> PartialDate | None:
        """``published`` as a partial date (a ``date`` is known to the day)."""
        return PartialDate.of(self.published) if self.published is not None else None

    def ground(self, fragment: str, what: str) -> Span:
        """The span of ``fragment``, or a ``ValueError`` that tells the model what to fix."""
        span = locate(self.text, fragment)
        if span is not None and span.match is not MatchKind.FUZZY:
            return span
        near = closest_passage(self.text, fragment)
        hint = f' The closest passage in the article is: "{near}".' if near else ""
        raise ValueError(
            f'{what} "{_clip(fragment)}" does not appear word for word in the article.{hint} '
            "Copy the words exactly as they stand in the article, or leave this item out."
        )


def _clip(s: str, n: int = 160) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


#: The grounding context of the answer being validated, when set by the caller (the model client sets
#: it around each call). An explicit ``context={"article": ...}`` given to pydantic wins.
GROUNDING: ContextVar[GroundingContext | None] = ContextVar("summarize_grounding", default=None)


def _context(info: ValidationInfo) -> GroundingContext | None:
    ctx = info.context
    if isinstance(ctx, dict) and isinstance(ctx.get("article"), GroundingContext):
        return ctx["article"]
    return GROUNDING.get()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeRef(_Model):
    """When an event happened, as the article says it and as a (partial) ISO 8601 date."""

    text: str | None = Field(
        description="The words the article uses for the time, e.g. 'Saturday', 'last week', 'in January 2020'; null if none."
    )
    date: str | None = Field(
        description=(
            "The date as ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD. Resolve relative words ('Saturday', 'last week') "
            "against the article's publication date. Null if it cannot be determined."
        )
    )
    precision: Precision | None = Field(description="year, month or day: how much of the date is known; null when date is null.")

    @model_validator(mode="after")
    def _check_date(self) -> TimeRef:
        if self.date is None:
            if self.precision is not None:
                raise ValueError("precision must be null when date is null")
            return self
        date = iso_date(self.date)
        if date is None:
            raise ValueError(f"date '{self.date}' must be YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date")
        expected = Precision[date.precision.upper()]
        if self.precision is not expected:
            raise ValueError(f"date '{self.date}' has precision '{expected.value}', not '{self.precision}'")
        return self

    def earliest(self) -> dt.date | None:
        """The first day the date can mean (``2020`` → 2020-01-01)."""
        return PartialDate.from_iso(self.date).earliest() if self.date else None


class Entity(_Model):
    """A person, organization, country or place the article involves."""

    name: str = Field(description="The fullest name the article uses, e.g. 'Adrienne Watson'.")
    type: EntityType = Field(description="person, organization, country, location or other.")
    aliases: list[str] = Field(description="Other names the article uses for it, e.g. 'Watson', 'the mission'; may be empty.")

    def names(self) -> list[str]:
        """The name and every alias."""
        return [self.name, *self.aliases]


class Event(_Model):
    """Something that happened, is alleged, was denied or is planned, with its evidence in the article."""

    description: str = Field(description="One neutral sentence saying what happened.")
    event_type: EventType = Field(description="One of the event types listed in the instructions.")
    actors: list[str] = Field(description="Who did it: entity names (as listed in entities) or descriptive phrases.")
    targets: list[str] = Field(description="Who or what it was done to: entity names or descriptive phrases; may be empty.")
    when: TimeRef | None = Field(description="When it happened; null if the article gives no time.")
    where: str | None = Field(description="Where it happened, e.g. 'Butler, Pennsylvania'; null if not stated.")
    status: EventStatus = Field(description="reported, alleged, confirmed, denied or planned.")
    evidence: str = Field(description="A sentence or clause copied word for word from the article that reports this event.")
    evidence_span: SkipJsonSchema[Span | None] = Field(
        default=None, description="Where the evidence stands in Article.text; computed by the library."
    )

    @model_validator(mode="after")
    def _ground(self, info: ValidationInfo) -> Event:
        ctx = _context(info)
        if ctx is None:
            return self
        self.evidence_span = ctx.ground(self.evidence, "The evidence")
        day = self.when.earliest() if self.when else None
        published = ctx.publication
        # Only a date that cannot fall on or before the last day the publication date can mean is "after" it.
        if day and published and self.status in _PAST_STATUSES and day > published.latest():
            raise ValueError(
                f"the event is {self.status.value} (in the past) but its date {self.when.date} "  # type: ignore[union-attr]
                f"is after the article's publication date {published.isoformat()}; fix the date or the status"
            )
        return self


class Quote(_Model):
    """Words the article attributes to a speaker, found word for word in its text."""

    text: str = Field(
        description=(
            "The quoted words copied exactly from the article, without the enclosing quotation marks. "
            "For an indirect quote, the reported-speech clause copied exactly."
        )
    )
    speaker: str = Field(description="Who said it, as the article names them, e.g. 'Adrienne Watson' or 'a national security official'.")
    speaker_role: str | None = Field(description="The speaker's role as given, e.g. 'National Security Council spokeswoman'; null if none.")
    kind: QuoteKind = Field(description="direct (in quotation marks in the article) or indirect (reported speech).")
    cue: str | None = Field(description="The reporting verb, e.g. 'said', 'denied', 'calling'; null if none.")
    span: SkipJsonSchema[Span | None] = Field(default=None, description="Where the text stands in Article.text; computed by the library.")

    @model_validator(mode="after")
    def _ground(self, info: ValidationInfo) -> Quote:
        ctx = _context(info)
        if ctx is None:
            return self
        what = "The direct quote" if self.kind is QuoteKind.DIRECT else "The indirect quote"
        self.span = ctx.ground(self.text, what)
        if self.kind is QuoteKind.DIRECT:
            # The same words may stand more than once; prefer where they are a whole quotation.
            self.span = whole_quotation(ctx.text, self.span) or self.span
        if self.kind is QuoteKind.DIRECT and not is_quoted(ctx.text, self.span):
            raise ValueError(
                f'The direct quote "{_clip(self.text)}" is not inside quotation marks in the article. '
                "Quote only the words between the quotation marks, or mark it as indirect."
            )
        return self


class KeyPoint(_Model):
    """One main point of the article, with the passages of the article that support it."""

    text: str = Field(description="The point, in one short sentence.")
    evidence: list[str] = Field(
        description=(
            "The passages of the article that support the point: each a sentence or clause copied word for word "
            "from the article. At least one."
        )
    )
    evidence_spans: SkipJsonSchema[list[Span]] = Field(
        default_factory=list, description="Where each evidence passage stands in Article.text; computed by the library."
    )

    @model_validator(mode="after")
    def _ground(self, info: ValidationInfo) -> KeyPoint:
        if not self.evidence:
            raise ValueError(
                f'The key point "{_clip(self.text)}" has no evidence. List at least one passage copied word for word '
                "from the article that supports it, or leave the point out."
            )
        ctx = _context(info)
        if ctx is None:
            return self
        self.evidence_spans = [ctx.ground(passage, "The key point's evidence") for passage in self.evidence]
        return self


# Lower-case words that also stand inside names ("Mission of the Islamic Republic of Iran").
_NAME_PARTICLES = {"the", "of", "and", "for", "to", "on", "in", "at", "de", "del", "la", "le", "al", "bin", "von", "van", "der", "da", "du"}


def _is_descriptive(ref: str) -> bool:
    """Whether a reference describes rather than names ("a national security official")."""
    return any(w[:1].islower() and w not in _NAME_PARTICLES for w in ref.split() if w.isalpha())


@dataclass(frozen=True)
class Reference:
    """A name an answer uses for someone (an event's actor or target, a quote's speaker) and where it stands:
    ``items`` (``events`` or ``quotes``), ``index`` in that list, ``field`` (``actors``, ``targets`` or
    ``speaker``) and ``position`` in the field's list (``None`` for a speaker)."""

    items: str
    index: int
    field: str
    position: int | None
    name: str

    @property
    def path(self) -> str:
        """``events.0.actors.1``, ``quotes.2.speaker``."""
        tail = "" if self.position is None else f".{self.position}"
        return f"{self.items}.{self.index}.{self.field}{tail}"

    @property
    def problem(self) -> str:
        """What is wrong with it, in the words of the reask."""
        return f"{self.items}.{self.index}.{self.field}: '{self.name}' is not an entity name or alias"


def unknown_references(entity_names: list[list[str]], event_refs: list[tuple[list[str], list[str]]],
                       speakers: list[str]) -> list[Reference]:
    """The references that name no listed entity and are not descriptive: what the answer's reference check
    rejects. Given as plain values (each entity's names; each event's actors and targets; each quote's
    speaker, in order) so that repair and salvage ask the same question of an answer not yet validated."""
    # Spelling folded as grounding folds it: "Iran's" names the entity listed as "Iran’s"; accents composed.
    known = {normalize(n).casefold() for names in entity_names for n in names}

    def unknown(ref: str) -> bool:
        return not (normalize(ref).casefold() in known or _is_descriptive(ref))

    found: list[Reference] = []
    for i, (actors, targets) in enumerate(event_refs):
        found += [Reference("events", i, "actors", k, ref) for k, ref in enumerate(actors) if unknown(ref)]
        found += [Reference("events", i, "targets", k, ref) for k, ref in enumerate(targets) if unknown(ref)]
    found += [Reference("quotes", i, "speaker", None, ref) for i, ref in enumerate(speakers) if unknown(ref)]
    return found


class ArticleSummary(_Model):
    """The structured summary of one news article."""

    title: str = Field(description="The article's headline, or a short neutral title if it has none.")
    published: dt.date | None = Field(description="The article's publication date, YYYY-MM-DD; null if unknown.")
    summary: str = Field(description="Two to four neutral sentences saying what the article reports.")
    key_points: list[KeyPoint] = Field(description="The main points, most important first, each with its evidence.")
    events: list[Event] = Field(description="The events the article reports, in the order it reports them.")
    quotes: list[Quote] = Field(description="Every direct quote in the article, and the important indirect ones.")
    entities: list[Entity] = Field(description="Every person, organization, country and place involved.")

    @field_validator("summary")
    @classmethod
    def _summary_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("summary must not be empty")
        return v

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> ArticleSummary:
        ctx = _context(info)
        published = ctx.publication if ctx is not None else None
        if published is not None:
            # The article's own date wins over the model's reading of it. Known only to the year or month,
            # it leaves the model's day when that day falls inside it (read from the text), else no day.
            day = published.as_date()
            if day is not None or self.published is None or not published.contains(self.published):
                self.published = day
        problems = [ref.problem for ref in unknown_references(
            [e.names() for e in self.entities], [(e.actors, e.targets) for e in self.events],
            [q.speaker for q in self.quotes])]
        if problems:
            raise ValueError(
                "; ".join(problems)
                + ". Add each such name to entities (or as an alias of the entity it means), "
                "or use a descriptive phrase such as 'a U.S. official'."
            )
        return self


_DROP = {"title", "default"}


def model_schema(model: type[BaseModel] = ArticleSummary) -> dict[str, Any]:
    """The JSON schema sent to models: OpenAI strict structured-output rules hold at every level.

    Every property is required (optional ones are nullable instead), every object has
    ``additionalProperties: false``, and keywords strict mode rejects (``default``) or that only cost
    tokens (``title``, except the root's, which names the schema) are dropped. Library-computed fields
    (spans) are absent.
    """
    return copy.deepcopy(_cached_schema(model))


@lru_cache(maxsize=8)
def _cached_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Built once per model (pydantic takes milliseconds); callers of the cache must not mutate it."""
    return {"title": model.__name__, **_strict(model.model_json_schema())}  # the title names the answer, as the format and tool names do


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):  # maps of names, not keywords: keep every name
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key not in _DROP:
            out[key] = _strict(value)
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    if len(out.get("allOf", ())) == 1 and set(out["allOf"][0]) == {"$ref"}:  # pydantic < 2.9 spells a
        out = {**out.pop("allOf")[0], **out}  # described $ref so; the model sees one schema whatever the version
    if "$ref" in out and len(out) > 1:  # strict mode wants a bare $ref: keep the description beside it in anyOf
        out = {"anyOf": [{"$ref": out.pop("$ref")}], **out}
    return out
