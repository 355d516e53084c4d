"""Deciding whether two references name the same speaker or actor.

Terms:

- **reference**: how a summary or an annotation names someone: ``"Gen. Qassem Soleimani"``,
  ``"Trump"``, ``"a national security official"``.
- **normal form** of a reference: accents removed, case folded, typography folded
  (:func:`summarize.grounding.normalize`), a possessive ``'s`` dropped, dots and apostrophes deleted
  (``U.S.`` → ``us``, ``O'Brien`` → ``obrien``), every other punctuation mark made a space, white
  space collapsed, then **leading titles** removed: articles (``the``, ``a``, ``an``), honorifics and
  ranks (``Mr.``, ``Dr.``, ``Gen.``, ``Lt. Col.``, ``Ayatollah``), offices (``President``, ``Vice
  President``, ``Secretary of State``, ``Prime Minister``, ``Foreign Minister``, ``Supreme Leader``,
  ``Sen.``, ``Rep.``, ``spokesman``...) and a leading ``U.S.``, as long as a word remains
  (``"President"`` alone stays ``president``). Nothing else is guessed: ``Soleimani`` and ``Qassem
  Soleimani`` are the same only if an entity lists one as an alias of the other.
- **names** of a reference, given a list of entities: its normal form, plus the normal forms of the
  name and aliases of every entity that has that normal form among its own names.

Two references, each with its own document's entities, **match** when their names intersect: so a
predicted ``"Trump"`` matches a gold ``"Donald Trump"`` when either the gold or the predicted entities
list ``Trump`` as an alias of ``Donald Trump``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .grounding import normalize

__all__ = ["NameIndex", "normalize_name", "same_referent"]

_SINGLE_TITLES = frozenset(
    """the a an mr mrs ms miss dr prof professor sir dame lord lady gen general lt lieutenant col colonel maj major
    capt captain cmdr commander adm admiral sgt sergeant brig gov governor sen senator rep representative congressman
    congresswoman pres president chancellor premier secretary minister ambassador mayor judge justice ayatollah
    hojatoleslam sheikh imam king queen prince princess pope rev reverend spokesman spokeswoman spokesperson chairman
    chairwoman us""".split()
)
_MULTI_TITLES = tuple(
    tuple(t.split())
    for t in (
        "secretary of state", "secretary of defense", "secretary of the treasury", "secretary general",
        "vice president", "prime minister", "foreign minister", "defense minister", "defence minister",
        "defense secretary", "defence secretary", "supreme leader", "national security adviser",
        "national security advisor", "house speaker", "attorney general", "press secretary",
    )
)
_DROP = re.compile(r"['.]")
_SPACE = re.compile(r"[^\w]+")


def normalize_name(reference: str) -> str:
    """The normal form of a reference (see the module docstring); ``""`` for an empty one."""
    s = unicodedata.normalize("NFKD", reference)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = normalize(s).casefold()
    s = re.sub(r"'s\b", "", s)
    s = _SPACE.sub(" ", _DROP.sub("", s)).replace("_", " ")
    words = s.split()
    changed = True
    while changed and len(words) > 1:
        changed = False
        for title in _MULTI_TITLES:
            if len(words) > len(title) and tuple(words[: len(title)]) == title:
                words = words[len(title):]
                changed = True
                break
        else:
            if words[0] in _SINGLE_TITLES:
                words = words[1:]
                changed = True
    return " ".join(words)


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
