"""Names, words and dates, for comparing what different articles say about the same things.

Terms used here:

- **key**: the comparable form of a name, :func:`summarize.text.names.name_key` (the same normal form the
  evaluation matches speakers by): accents, typography and case folded, possessives, dots and apostrophes
  dropped (``U.S.`` and ``US`` are both ``us``, ``O'Brien`` is ``obrien``), leading articles and titles
  dropped (``Gen.``, ``President``, ``former Secretary of Defense``...). ``Gen. Qassem Soleimani`` and
  ``Qassem Soleimani`` have the same key.
- **entity group**: one thing named across articles. Each document lists entities (a name and aliases);
  two entities of different documents are the same group when their names have the same key, or when a
  name or alias of one has the key of a name or alias of the other and their types agree (equal, or one
  of them ``other``). Aliases that are common nouns (``the administration``, ``the mission``) name
  things only inside their own document and never link documents. A person named by one word
  (``Esper``) joins the one person group whose full names end with that word, when exactly one does;
  inside one document, a last name alone names the one person of that document who has it.
- **canonical name**: the name a group is shown by: the entity name used by most documents, then the
  longest, then the first alphabetically.
- **participant**: an event's actor or target, as an entity group or, when it names no entity, as the
  phrase itself (``Iranian officials``).
- **content words**: the words of a description without stop words, titles and numbers, lightly stemmed
  (``killed`` and ``killing`` are ``kill``), with each entity mention replaced by its group, so
  ``Qasem Soleimani`` and ``Qassim Soleimani`` count as the same word.
- **partial date**: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (:class:`summarize.text.dates.PartialDate`); its
  precision is year, month or day.

Everything here is pure: no I/O, no models.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date as _date

from summarize.text.dates import iso_date
from summarize.text.grounding import normalize
from summarize.text.names import fold_name, name_key

__all__ = [
    "EntityIndex",
    "adjacent_days",
    "date_parts",
    "dates_compatible",
    "jaccard",
    "name_key",
    "name_tokens",
]

_WORD = re.compile(r"[^\w\s-]+")
_WORD = re.compile(r"\w+(?:-\w+)*")
_LONGEST_NAME = 10  # words: longer names are not looked for in descriptions

#: Words that carry no meaning for "is this the same event?": function words, reporting verbs, titles.
STOP_WORDS = frozenset(
    "a about above after against ago all also am an and any are as at be because been before being between "
    "both but by can could did do does during each earlier either for from further had has have having he her "
    "here hers him his how i if in into is it its itself last later latest more most much my no nor not now of "
    "off on once only or other our out over own per same she should since so some such than that the their "
    "theirs them then there these they this those through to too under until up very via was we were what when "
    "where which while who whom why will with within would yet you your "
    "said says say saying told tell according reported report reports reportedly stated statement added "
    "mr mrs ms dr gen general major maj lt col adm sen rep president presidentelect former late "
    "week weeks month months year years day days monday tuesday wednesday thursday friday saturday sunday "
    "january february march april may june july august september october november december today yesterday "
    "recently recent".split(" ")
)


def name_tokens(name: str) -> frozenset[str]:
    """The words of a name's key, without stop words: compares names that are phrases, not entities."""
    return frozenset(t for t in name_key(name).split() if t not in STOP_WORDS)


def _is_common_noun(alias: str) -> bool:
    """``the administration``, ``the mission``: no capital letter once a leading article is dropped."""
    words = normalize(alias).split()
    if words and words[0].casefold() in ("the", "a", "an"):
        words = words[1:]
    return not any(ch.isupper() for w in words for ch in w)


def stem(word: str) -> str:
    """A light suffix stripper: enough for ``killed``/``kills``/``killing`` → ``kill`` and ``strike``/``strikes``."""
    for suffix, repl in (("ations", "ate"), ("ation", "ate"), ("ies", "y"), ("ing", ""), ("ed", ""), ("es", "e"),
                         ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + repl
            if repl == "" and suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] \
                    and word[-1] not in "lsz":
                word = word[:-1]  # plotted → plot, but killed → kill
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word  # fire/fired, strike/striking


class EntityIndex:
    """Entity groups across documents (see the module docstring), built from each document's entity list.

    ``documents`` is a sequence of entity lists, one per document, each entity a dict with ``name``,
    ``type`` and ``aliases``. Documents are referred to by their position in that sequence.
    """

    def __init__(self, documents: Sequence[Sequence[dict]]) -> None:
        self._parent: list[int] = []
        self._names: list[str] = []  # the entity name of each node
        self._types: list[str] = []
        self._local: list[dict[str, int]] = []  # per document: key → node (common-noun aliases included)
        self._surnames: list[dict[str, int]] = []  # per document: last name of exactly one person → node
        linking: dict[str, list[int]] = {}  # key → nodes (proper names and aliases only)
        by_name: dict[str, list[int]] = {}
        for doc in documents:
            local: dict[str, int] = {}
            for entity in doc:
                name = str(entity.get("name") or "").strip()
                if not name or not name_key(name):
                    continue
                node = len(self._parent)
                self._parent.append(node)
                self._names.append(name)
                self._types.append(str(entity.get("type") or "other"))
                key = name_key(name)
                by_name.setdefault(key, []).append(node)
                aliases = [str(a) for a in entity.get("aliases") or [] if str(a).strip()]
                for alias in [name, *aliases]:
                    akey = name_key(alias)
                    if not akey:
                        continue
                    if akey in local and local[akey] != node:
                        self._union(local[akey], node)  # one document naming one thing twice
                    local.setdefault(akey, node)
                    if alias == name or not _is_common_noun(alias):
                        linking.setdefault(akey, []).append(node)
            self._local.append(local)
            surnames: dict[str, set[int]] = {}
            for key, node in local.items():
                if " " in key and self._types[node] == "person":
                    surnames.setdefault(key.rsplit(" ", 1)[1], set()).add(node)
            self._surnames.append({k: nodes.pop() for k, nodes in surnames.items() if len(nodes) == 1})
        self._cache: tuple[dict[int, list[int]], dict[str, int]] | None = None
        self._named: dict[int, str] = {}  # canonical name of each group's root, until groups change
        for nodes in by_name.values():
            for other in nodes[1:]:
                self._union(nodes[0], other)
        for nodes in linking.values():
            by_type: dict[str, int] = {}
            for node in nodes:
                first = by_type.setdefault(self._types[node], node)
                self._union(first, node)
            if "other" in by_type:  # "other" agrees with every type
                for first in by_type.values():
                    self._union(by_type["other"], first)
        self._linking = linking
        self._join_surnames()

    # -- union-find -----------------------------------------------------------------------------------
    def _find(self, node: int) -> int:
        while self._parent[node] != node:
            self._parent[node] = self._parent[self._parent[node]]
            node = self._parent[node]
        return node

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)  # the smaller node is the root: order-independent ids
            self._cache = None
            self._named = {}

    def _groups(self) -> tuple[dict[int, list[int]], dict[str, int]]:
        """Members of each group, and each linking key that names one group only → that group."""
        if self._cache is None:
            members: dict[int, list[int]] = {}
            for node in range(len(self._parent)):
                members.setdefault(self._find(node), []).append(node)
            unique = {}
            for key, nodes in self._linking.items():
                roots = {self._find(n) for n in nodes}
                if len(roots) == 1:
                    unique[key] = roots.pop()
            self._cache = (members, unique)
        return self._cache

    def _join_surnames(self) -> None:
        keys: dict[int, set[str]] = {}
        for key, nodes in self._linking.items():
            for node in nodes:
                if self._types[node] == "person":
                    keys.setdefault(self._find(node), set()).add(key)
        by_surname: dict[str, set[int]] = {}
        for root, names in keys.items():
            for key in names:
                if " " in key:
                    by_surname.setdefault(key.rsplit(" ", 1)[1], set()).add(root)
        for root, names in sorted(keys.items()):
            if any(" " in k for k in names):
                continue  # already has a full name
            matches = {other for k in names for other in by_surname.get(k, ())} - {root}
            if len(matches) == 1:
                self._union(root, matches.pop())

    def join(self, a: str, b: str) -> None:
        """Declare two groups (as returned by :meth:`resolve`) the same thing, e.g. one speaker named two ways."""
        if a.startswith("e") and b.startswith("e"):
            self._union(int(a[1:]), int(b[1:]))

    # -- lookups --------------------------------------------------------------------------------------
    def lookup(self, doc: int, key: str) -> str | None:
        """The group a key names in document ``doc``: its own names, aliases and last names of its persons
        first, then names and aliases of other documents that name one group only."""
        node = None
        if 0 <= doc < len(self._local):
            node = self._local[doc].get(key)
            if node is None:
                node = self._surnames[doc].get(key)
        if node is None:
            node = self._groups()[1].get(key)
        return None if node is None else f"e{self._find(node)}"

    def resolve(self, doc: int, phrase: str) -> str | None:
        """The group a phrase names in document ``doc`` (``"e<n>"``), or None when it names no entity.

        The document's own names and aliases come first; then names and aliases of other documents,
        when they point to one group only.
        """
        key = name_key(phrase)
        return self.lookup(doc, key) if key else None

    def name(self, group: str) -> str:
        """The canonical name of a group (see the module docstring)."""
        root = self._find(int(group[1:]))
        if root not in self._named:
            names = Counter(self._names[n] for n in self._groups()[0][root])
            self._named[root] = min(names, key=lambda n: (-names[n], -len(n), n.casefold(), n))
        return self._named[root]

    def content_words(self, doc: int, text: str) -> frozenset[str]:
        """The content words of a description in document ``doc`` (module docstring); mentions become ``@e<n>``."""
        words = _WORD.findall(fold_name(text))
        out: set[str] = set()
        i = 0
        while i < len(words):
            for n in range(min(_LONGEST_NAME, len(words) - i), 0, -1):
                group = None if n == 1 and words[i] in STOP_WORDS else self.lookup(doc, " ".join(words[i:i + n]))
                if group is not None:
                    out.add("@" + group)
                    i += n
                    break
            else:
                word = words[i]
                if word not in STOP_WORDS and not word.isdigit():
                    out.add(stem(word))
                i += 1
        return frozenset(out)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """|A ∩ B| / |A ∪ B|, 0 for two empty sets."""
    sa = a if isinstance(a, (set, frozenset)) else set(a)  # the timeline compares frozensets: no copies
    sb = b if isinstance(b, (set, frozenset)) else set(b)
    shared = len(sa & sb)
    union = len(sa) + len(sb) - shared
    return shared / union if union else 0.0


def date_parts(value: str | None) -> tuple[int, ...] | None:
    """``"2020-01"`` → ``(2020, 1)``; None for anything that is not a partial date (:func:`summarize.text.dates.iso_date`)."""
    date = iso_date(value)
    return None if date is None else date.parts


def dates_compatible(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether two partial dates can name the same day: equal on the precision they share (2020 ~ 2020-01-03)."""
    n = min(len(a), len(b))
    return tuple(a[:n]) == tuple(b[:n])


def adjacent_days(a: Sequence[int], b: Sequence[int]) -> bool:
    """Two day-precision dates one day apart (an article dated in another time zone, e.g. US vs Baghdad)."""
    if len(a) != 3 or len(b) != 3:
        return False
    return abs((_date(*a) - _date(*b)).days) == 1
