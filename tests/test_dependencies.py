"""The dependency ranges: CI's lowest tier tests exactly the lower bounds, and what the model sees does not
depend on which version in a range is installed."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from summarize.core.schema import _strict

from .conftest import ROOT


def _lower_bound(requirement: Requirement) -> Version | None:
    return next((Version(s.version) for s in requirement.specifier if s.operator == ">="), None)


def test_the_minimum_constraints_pin_every_runtime_dependency_at_its_lower_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = {canonicalize_name(r.name): _lower_bound(r) for r in map(Requirement, project["dependencies"])}
    assert None not in bounds.values(), f"every dependency needs a lower bound: {bounds}"
    lines = (ROOT / ".ci" / "constraints-min.txt").read_text(encoding="utf-8").splitlines()
    pins: dict[str, Version] = {}
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            pin = Requirement(line)
            (spec,) = pin.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(pin.name)] = Version(spec.version)
    assert pins == bounds  # as versions: ">=2.8" is pinned as "2.8.0"


def test_a_described_reference_reaches_the_model_in_one_spelling_whatever_pydantics_version() -> None:
    # pydantic 2.8 wraps a $ref that has a description in allOf; 2.14 puts the two side by side
    old = _strict({"allOf": [{"$ref": "#/$defs/EntityType"}], "description": "person, organization, ..."})
    new = _strict({"$ref": "#/$defs/EntityType", "description": "person, organization, ..."})
    assert old == new == {"anyOf": [{"$ref": "#/$defs/EntityType"}], "description": "person, organization, ..."}
    assert list(old) == list(new)  # the same key order: the request bytes are the same
    both = {"allOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}
    assert _strict(both) == both  # a real intersection is left alone
