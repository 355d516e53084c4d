"""One partial-date parser: gold files, the schema, the timeline and the evaluation agree on what a date is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from summarize.core.schema import TimeRef
from summarize.errors import GoldFormatError
from summarize.evaluation.evaluate import date_matches
from summarize.evaluation.gold import date_precision, load_gold
from summarize.views.linking import date_parts

from .test_evaluate import write_gold

IMPOSSIBLE = ["2020-02-30", "2020-13", "2021-02-29", "2020-00"]


def _gold_event(date: str) -> dict[str, Any]:
    return {"events": [{"description": "x", "date": date, "actors": ["A"], "evidence": "x", "start": 0, "end": 1}]}


@pytest.mark.parametrize("date", IMPOSSIBLE)
def test_every_reader_refuses_an_impossible_date(tmp_path: Path, date: str) -> None:
    write_gold(tmp_path, **_gold_event(date))
    with pytest.raises(GoldFormatError, match="YYYY"):
        load_gold(tmp_path)
    assert date_precision(date) is None
    with pytest.raises(PydanticValidationError, match="YYYY"):
        TimeRef.model_validate({"text": None, "date": date, "precision": "day"})
    assert date_parts(date) is None  # the timeline: undated
    assert not date_matches(date[:7], date)  # the evaluation: a predicted impossible date matches nothing


@pytest.mark.parametrize(("gold", "predicted", "matches"), [
    ("2020", "2020-05-01", True), ("2020-01", "2020-01", True), ("2020-01", "2020-01-31", True),
    ("2020-01-03", "2020-01", False), ("2020-01", "2020-10", False), ("2020-01", "2020-01x", False),
    ("2020-01", "2020-01-3", False), (None, None, True), ("2020", None, False),
])
def test_the_evaluation_compares_dates_not_strings(gold: str | None, predicted: str | None, matches: bool) -> None:
    assert date_matches(gold, predicted) is matches


def test_one_precision_everywhere() -> None:
    for date, precision in (("2020", "year"), ("2020-01", "month"), ("2020-01-03", "day")):
        assert date_precision(date) == precision
        assert TimeRef.model_validate({"text": None, "date": date, "precision": precision}).precision.value == precision
        assert len(date_parts(date) or ()) == ("year", "month", "day").index(precision) + 1
