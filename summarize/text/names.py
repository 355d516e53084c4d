"""Names: the one way this library folds a name, and deciding whether two references name the same one.

The evaluation matches speakers and actors with it, and the timeline links entities across articles with it
(:mod:`summarize.views.linking`): both see ``"Secretary of Defense Mark Esper"`` as ``mark esper`` and ``O'Brien``
as ``obrien``. Pure: no I/O.

Terms:

- **reference**: how a summary or an annotation names someone: ``"Gen. Qassem Soleimani"``,
  ``"Trump"``, ``"a national security official"``.
- **normal form** of a reference: accents removed, case folded, typography folded
  (:func:`summarize.text.grounding.normalize`), a possessive ``'s`` dropped, dots and apostrophes deleted
  (``U.S.`` → ``us``, ``O'Brien`` → ``obrien``), every other punctuation mark made a space, white
  space collapsed, then **leading titles** removed: articles (``the``, ``a``, ``an``), honorifics and
  ranks (``Mr.``, ``Dr.``, ``Gen.``, ``Lt. Col.``, ``Ayatollah``), offices (``President``, ``Vice
  President``, ``Secretary of State``, ``Prime Minister``, ``Foreign Minister``, ``Supreme Leader``,
  ``Sen.``, ``Rep.``, ``spokesman``...), each with the qualifiers before it (``former``, ``acting``,
  ``deputy``, ``U.S.``, ``Iranian``...), as long as a word remains (``"President"`` alone stays
  ``president``; ``"U.S. officials"``, with no title, stays ``us officials``). Nothing else is guessed: ``Soleimani`` and ``Qassem
  Soleimani`` are the same only if an entity lists one as an alias of the other.
- **names** of a reference, given a list of entities: its normal form, plus the normal forms of the
  name and aliases of every entity that has that normal form among its own names.

A reference **names an entity** of a list (:func:`entity_for`, how repair links a speaker or an actor to the
entity it means) when its normal form is the normal form of one of the entity's names (``"Gen. Qassem
Soleimani"``, ``"the Pentagon"``), or, for a person, the last words of one of them (a surname: ``"Esper"``
names ``"Mark Esper"``); and only one entity of the list is so named. Two Trumps make ``"Trump"`` name neither.

Two references, each with its own document's entities, **match** when their names intersect: so a
predicted ``"Trump"`` matches a gold ``"Donald Trump"`` when either the gold or the predicted entities
list ``Trump`` as an alias of ``Donald Trump``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from summarize.text.grounding import normalize

__all__ = ["NameIndex", "entity_for", "fold_name", "name_key", "normalize_name", "same_referent"]

_SINGLE_TITLES = frozenset(
    """the a an mr mrs ms miss dr prof professor sir dame lord lady gen general lt lieutenant col colonel maj major
    capt captain cmdr commander adm admiral sgt sergeant brig brigadier gov governor sen senator rep representative
    congressman congresswoman pres president pm chancellor premier secretary minister ambassador mayor judge justice
    ayatollah hojatoleslam sheikh imam king queen prince princess pope rev reverend spokesman spokeswoman spokesperson
    chairman chairwoman""".split()
)
_MULTI_TITLES = tuple(
    tuple(t.split())
    for t in (
        "secretary of state", "secretary of defense", "secretary of the treasury", "secretary general",
        "vice president", "prime minister", "foreign minister", "defense minister", "defence minister",
        "defense secretary", "defence secretary", "supreme leader", "national security adviser",
        "national security advisor", "house speaker", "attorney general", "press secretary", "president elect",
        "major general", "maj gen", "lieutenant general", "lt gen", "brigadier general", "brig gen",
    )
)
#: Words that qualify a title after them (``former President``, ``U.S. Secretary of State``), dropped with it.
_QUALIFIERS = frozenset(
    ("former", "late", "then", "acting", "deputy", "vice", "assistant", "iranian", "israeli", "us", "american")
)
_APOSTROPHES = re.compile(r"['\u02bc]")  # after normalize(), every other apostrophe is already '
_POSSESSIVE = re.compile(r"'s\b")
_SPACE = re.compile(r"[\W_]+")


def fold_name(text: str) -> str:
    """Text folded for comparing names and words (see the module docstring), titles kept: accents removed,
    typography and case folded, a possessive ``'s`` dropped, dots and apostrophes deleted, every other
    mark a space. ``"O'Brien's"`` → ``"obrien"``, ``"U.S."`` → ``"us"``."""
    s = unicodedata.normalize("NFKD", normalize(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    s = _POSSESSIVE.sub("", _APOSTROPHES.sub("'", s))
    return _SPACE.sub(" ", _APOSTROPHES.sub("", s.replace(".", ""))).strip()


def _title_at(words: list[str], i: int) -> int:
    """The length of the title starting at ``words[i]`` (0 when none starts there)."""
    for title in _MULTI_TITLES:
        if tuple(words[i : i + len(title)]) == title:
            return len(title)
    return 1 if i < len(words) and words[i] in _SINGLE_TITLES else 0


def normalize_name(reference: str) -> str:
    """The normal form of a reference (see the module docstring); ``""`` for an empty one."""
    words = fold_name(reference).split()
    while len(words) > 1:
        i = 0
        while i < len(words) and words[i] in _QUALIFIERS:
            i += 1
        n = _title_at(words, i)
        if not n or i + n >= len(words):  # no title; or nothing after it: "President" alone is a name
            return " ".join(words)
        words = words[i + n :]
    return " ".join(words)


#: The name used by the timeline's entity linking: the same normal form.
name_key = normalize_name


class NameIndex:
    """The names each reference stands for, from a document's entities (``(name, aliases)`` pairs)."""

    def __init__(self, entities: Iterable[tuple[str, Iterable[str]]] = ()) -> None:
        self._groups: dict[str, set[str]] = {}
        for name, aliases in entities:
            group = {n for n in (normalize_name(x) for x in (name, *aliases)) if n}
            for member in group:
                self._groups.setdefault(member, set()).update(group)

    def names(self, reference: str | None) -> frozenset[str]:
        """The normal forms ``reference`` may stand for; empty for an empty reference."""
        key = normalize_name(reference or "")
        if not key:
            return frozenset()
        return frozenset({key, *self._groups.get(key, ())})


def same_referent(gold: str | None, predicted: str | None, gold_names: NameIndex, predicted_names: NameIndex) -> bool:
    """Whether a predicted reference names the gold one (see the module docstring)."""
    return bool(gold_names.names(gold) & predicted_names.names(predicted))


def entity_for(reference: str, entities: list[tuple[list[str], bool]]) -> int | None:
    """The index of the one entity ``reference`` names (see the module docstring), or ``None`` when it names
    none or several. Each entity is given as its names (name and aliases) and whether it is a person."""
    key = normalize_name(reference)
    if not key:
        return None
    forms = [[normalize_name(n) for n in names] for names, _ in entities]
    same = {i for i, names in enumerate(forms) if key in names}
    if same:
        return same.pop() if len(same) == 1 else None
    words = key.split()
    tail = {i for i, names in enumerate(forms) if entities[i][1]
            and any(len(n.split()) > len(words) and n.split()[-len(words):] == words for n in names)}
    return tail.pop() if len(tail) == 1 else None
