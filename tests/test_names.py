"""One name toolkit: the evaluation's speaker matching and the timeline's entity linking fold names alike."""

from __future__ import annotations

import pytest

from summarize.text.names import NameIndex, fold_name, normalize_name, same_referent
from summarize.views.linking import EntityIndex

SAME = [
    ("Secretary of Defense Mark Esper", "Mark Esper"),
    ("O'Brien", "OBrien"),
    ("Robert O\u2019Brien", "Robert O'Brien"),
    ("Former U.S. Secretary of State Mike Pompeo", "Mike Pompeo"),
    ("Gen. Qass\u00e9m Soleimani", "Qassem Soleimani"),
    ("Lt. Gen. Jane Doe", "Jane Doe"),
]
DIFFERENT = [
    ("U.S. officials", "officials"),  # a qualifier without a title after it is part of the name
    ("President", "Trump"),  # a title alone stays a name
]


def _timeline_links(a: str, b: str, kind: str = "person") -> bool:
    """Whether the timeline takes an entity named ``a`` in one article and ``b`` in another as one thing."""
    index = EntityIndex([[{"name": a, "type": kind, "aliases": []}],
                         [{"name": b, "type": kind, "aliases": []}]])
    found = index.resolve(0, a)
    return found is not None and found == index.resolve(1, b)


@pytest.mark.parametrize(("a", "b"), SAME)
def test_both_consumers_take_these_names_as_one(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)
    assert same_referent(a, b, NameIndex(), NameIndex())  # the evaluation's speaker matching
    assert _timeline_links(a, b)  # the timeline's entity linking


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_both_consumers_keep_these_names_apart(a: str, b: str) -> None:
    assert not same_referent(a, b, NameIndex(), NameIndex())
    assert not _timeline_links(a, b, "organization")  # (a person's one-word name may be a last name)


def test_the_issue_examples_fold_to_one_form() -> None:
    assert normalize_name("Secretary of Defense Mark Esper") == "mark esper"
    assert normalize_name("O'Brien") == "obrien" == fold_name("O\u2019Brien's")
