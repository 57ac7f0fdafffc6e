"""The osteoporosis follow-up plan: risk triggers, calcium and eGFR edges, FLS due dates."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from spinefx.clinical import sources
from spinefx.clinical.followup import (
    DENOSUMAB_NEVER_STOP,
    FLS_ITEMS,
    FollowupInput,
    FollowupPlan,
    plan,
)
from spinefx.errors import InputError
from spinefx.validation import parse_input

# The reference patient after kyphoplasty.
REFERENCE: dict[str, Any] = {
    "sex": "female",
    "age": 58,
    "fracture_date": "2026-11-23",
    "vertebral_fractures": 1,
    "max_grade": 2,
    "egfr": 90,
    "on_osteoporosis_treatment": False,
}
REQUIRED_ONLY: dict[str, Any] = {"sex": "female", "age": 58, "fracture_date": "2026-01-01"}


def run(base: dict[str, Any] = REFERENCE, **changes: Any) -> FollowupPlan:
    return plan(parse_input(FollowupInput, {**base, **changes}))


def status(result: FollowupPlan, criterion_id: str) -> str:
    return next(c.status.value for c in result.risk_reasons if c.id == criterion_id)


def test_reference_patient_high_risk_oral_bisphosphonate_calcium_1200() -> None:
    result = run()
    assert result.risk == "high"
    assert "oral bisphosphonate" in result.medication.first_line
    assert result.medication.avoid == ()
    assert result.calcium_mg_per_day == 1200
    assert result.vitamin_d_iu_per_day == "800-1000"
    assert result.frax_url == sources.FRAX_URL
    assert result.bmd_monitoring == "every 1-3 years"


def test_output_is_exactly_the_documented_object() -> None:
    data = run().model_dump(mode="json")
    assert list(data) == [
        "risk",
        "risk_reasons",
        "calcium_mg_per_day",
        "vitamin_d_iu_per_day",
        "medication",
        "lifestyle",
        "fls_checklist",
        "frax_url",
        "bmd_monitoring",
        "sources",
    ]
    assert list(data["medication"]) == ["first_line", "options", "avoid", "notes"]
    assert list(data["fls_checklist"][0]) == ["id", "item", "due_date", "weeks"]
    assert [set(r) for r in data["risk_reasons"]] == [{"id", "status", "source"}] * 3


@pytest.mark.parametrize(
    ("sex", "age", "calcium"),
    [
        ("female", 18, 1000),
        ("female", 50, 1000),
        ("female", 51, 1200),
        ("female", 120, 1200),
        ("male", 50, 1000),
        ("male", 70, 1000),
        ("male", 71, 1200),
    ],
)
def test_calcium_by_sex_and_age(sex: str, age: int, calcium: int) -> None:
    assert run(sex=sex, age=age).calcium_mg_per_day == calcium


@pytest.mark.parametrize(
    ("changes", "trigger"),
    [
        ({"vertebral_fractures": 2}, "two-or-more-vertebral-fractures"),
        ({"vertebral_fractures": 17}, "two-or-more-vertebral-fractures"),
        ({"max_grade": 3}, "grade-3-fracture"),
        ({"on_osteoporosis_treatment": True}, "fracture-on-treatment"),
    ],
)
def test_each_trigger_alone_makes_the_risk_very_high(changes: dict[str, Any], trigger: str) -> None:
    result = run(**changes)
    assert result.risk == "very-high"
    assert [c.id for c in result.risk_reasons if c.status.value == "met"] == [trigger]
    assert "anabolic agent first" in result.medication.first_line
    assert "teriparatide" in result.medication.first_line
    assert "abaloparatide" in result.medication.first_line


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"vertebral_fractures": 1}, "high"),
        ({"max_grade": 2}, "high"),
        ({"max_grade": 0}, "high"),
        ({"on_osteoporosis_treatment": False}, "high"),
    ],
)
def test_no_trigger_leaves_the_risk_high(changes: dict[str, Any], expected: str) -> None:
    result = run(**changes)
    assert result.risk == expected
    assert all(c.status.value == "not-met" for c in result.risk_reasons)


def test_unknown_triggers_are_listed_and_flagged_in_the_notes() -> None:
    result = run(REQUIRED_ONLY)
    assert result.risk == "high"
    assert status(result, "two-or-more-vertebral-fractures") == "not-met"
    assert status(result, "grade-3-fracture") == "unknown"
    assert status(result, "fracture-on-treatment") == "unknown"
    notes = " ".join(result.medication.notes)
    assert "grade 3" in notes
    assert "on osteoporosis treatment" in notes
    assert "eGFR" in notes  # kidney function not given: check it first


def test_risk_reasons_cite_their_sources() -> None:
    reasons = {c.id: c.source for c in run().risk_reasons}
    assert reasons == {
        "two-or-more-vertebral-fractures": sources.ENDOCRINE_SOCIETY_2019,
        "grade-3-fracture": sources.ENDOCRINE_SOCIETY_2019,
        "fracture-on-treatment": sources.AACE_2020,
    }


@pytest.mark.parametrize(
    ("egfr", "bisphosphonate_allowed"),
    [(0, False), (34.9, False), (35, True), (90, True), (200, True), (None, True)],
)
def test_no_bisphosphonate_below_egfr_35(egfr: float | None, bisphosphonate_allowed: bool) -> None:
    medication = run(egfr=egfr).medication
    if bisphosphonate_allowed:
        assert "bisphosphonate" in medication.first_line
        assert medication.avoid == ()
    else:
        assert "Denosumab" in medication.first_line
        assert "specialist review" in medication.first_line
        assert any("bisphosphonates" in item for item in medication.avoid)
        assert not any("alendronate" in option for option in medication.options)


@pytest.mark.parametrize(("egfr", "follow_on_has_bisphosphonate"), [(34.9, False), (35, True)])
def test_very_high_risk_follow_on_respects_the_kidneys(
    egfr: float, follow_on_has_bisphosphonate: bool
) -> None:
    medication = run(max_grade=3, egfr=egfr).medication
    assert ("zoledronic acid" in medication.first_line) is follow_on_has_bisphosphonate
    assert "denosumab" in medication.first_line
    assert bool(medication.avoid) is not follow_on_has_bisphosphonate


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"max_grade": 3},
        {"egfr": 20},
        {"egfr": 20, "vertebral_fractures": 3},
        {"sex": "male", "age": 80, "egfr": None},
    ],
)
def test_denosumab_note_is_always_present(changes: dict[str, Any]) -> None:
    assert DENOSUMAB_NEVER_STOP in run(**changes).medication.notes


def test_fls_checklist_due_dates_count_from_the_fracture_date() -> None:
    checklist = run(fracture_date="2026-01-01").fls_checklist
    due = {item.id: (item.weeks, item.due_date.isoformat()) for item in checklist}
    assert due == {
        "risk-assessment": (12, "2026-03-26"),
        "dxa": (12, "2026-03-26"),
        "falls-assessment": (12, "2026-03-26"),
        "exercise-started": (16, "2026-04-23"),
        "monitoring": (16, "2026-04-23"),
        "medication-started": (16, "2026-04-23"),
        "adherence-check": (52, "2026-12-31"),
    }
    assert [item.id for item in checklist] == [item_id for item_id, _, _ in FLS_ITEMS]


def test_due_dates_cross_a_leap_day() -> None:
    checklist = run(fracture_date="2028-01-01").fls_checklist
    assert checklist[0].due_date == date(2028, 3, 25)


def test_lifestyle_covers_falls_exercise_smoking_alcohol_and_vitamin_d() -> None:
    text = " ".join(run().lifestyle).lower()
    for words in ("falls", "strength and balance", "smoking", "alcohol", "30-50 ng/ml"):
        assert words in text


def test_fracture_on_treatment_note() -> None:
    notes = " ".join(run(on_osteoporosis_treatment=True).medication.notes)
    assert "on treatment" in notes


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"fracture_date": "23/11/2026"}, "fracture_date", "a date as YYYY-MM-DD"),
        ({"fracture_date": "2026-02-30"}, "fracture_date", "a date as YYYY-MM-DD"),
        ({"fracture_date": "2026-11-23T10:00"}, "fracture_date", "a date as YYYY-MM-DD"),
        ({"fracture_date": 20261123}, "fracture_date", "a date as YYYY-MM-DD"),
        ({"sex": "x"}, "sex", 'one of "female", "male"'),
        ({"age": 17}, "age", "an integer from 18 to 120"),
        ({"age": 121}, "age", "an integer from 18 to 120"),
        ({"age": 58.5}, "age", "an integer from 18 to 120"),
        ({"age": True}, "age", "an integer from 18 to 120"),
        ({"vertebral_fractures": 0}, "vertebral_fractures", "an integer from 1 to 17"),
        ({"vertebral_fractures": 18}, "vertebral_fractures", "an integer from 1 to 17"),
        ({"max_grade": 4}, "max_grade", "an integer from 0 to 3, or null"),
        ({"egfr": -1}, "egfr", "a number from 0 to 200, or null"),
        ({"egfr": 201}, "egfr", "a number from 0 to 200, or null"),
        ({"on_osteoporosis_treatment": "no"}, "on_osteoporosis_treatment", "true or false"),
        ({"weight": 60}, "weight", "no such field"),
    ],
)
def test_bad_input_names_the_field_and_what_is_allowed(
    changes: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_input(FollowupInput, {**REFERENCE, **changes})
    assert caught.value.field == field
    assert allowed in caught.value.allowed


@pytest.mark.parametrize("missing", ["sex", "age", "fracture_date"])
def test_required_fields_are_reported_missing(missing: str) -> None:
    data = {k: v for k, v in REQUIRED_ONLY.items() if k != missing}
    with pytest.raises(InputError) as caught:
        parse_input(FollowupInput, data)
    assert caught.value.field == missing
    assert "missing" in str(caught.value)


def test_only_sex_age_and_fracture_date_are_required() -> None:
    inp = parse_input(FollowupInput, REQUIRED_ONLY)
    assert inp.vertebral_fractures == 1
    assert inp.max_grade is None
    assert inp.egfr is None
    assert inp.on_osteoporosis_treatment is None


def test_a_date_object_is_accepted_from_python_callers() -> None:
    inp = FollowupInput(sex="male", age=70, fracture_date=date(2026, 5, 1))
    assert plan(inp).fls_checklist[-1].due_date == date(2027, 4, 30)


def test_the_documented_example_is_what_the_rule_returns() -> None:
    doc = Path(__file__).parents[2] / "docs" / "rules" / "followup.md"
    example_in, example_out = re.findall(r"```json\n(.*?)```", doc.read_text(), re.S)[-2:]
    result = plan(parse_input(FollowupInput, json.loads(example_in)))
    assert result.model_dump(mode="json") == json.loads(example_out)
    assert result.risk == "high"
