"""The osteoporosis follow-up plan: AACE 2020 very-high-risk criteria at every edge, the
medication by guideline, sex and kidney function, and the FLS due dates and overdue marks."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinefx.clinical import sources
from spinefx.clinical.followup import (
    BEFORE_TREATMENT,
    DENOSUMAB_NEVER_STOP,
    FLS_ITEMS,
    TREATMENT_DURATIONS,
    WOMEN_REFER_UNDER_AGE,
    FollowupInput,
    FollowupPlan,
    plan,
)
from spinefx.clinical.pathway import REFERENCE_FOLLOWUP
from spinefx.errors import InputError
from spinefx.validation import parse_input

CRITERIA = [
    "recent-fracture",
    "fracture-on-treatment",
    "multiple-fractures",
    "fracture-on-glucocorticoids",
    "t-score-below-minus-3",
    "injurious-falls",
    "frax-major-over-30",
    "frax-hip-over-4-5",
    "grade-3-fracture",
]

# The reference patient at the endocrinology visit, six weeks after the fracture: the demo's
# inputs (spinefx.clinical.pathway), postmenopausal, one grade 2 fracture.
REFERENCE: dict[str, Any] = dict(REFERENCE_FOLLOWUP)
# Every criterion answered and not met: seen 13 months after the fracture. One change then
# decides the tier.
HIGH: dict[str, Any] = {
    **REFERENCE,
    "as_of": "2027-12-14",
    "glucocorticoids": False,
    "t_score": -2.5,
    "injurious_falls": False,
    "frax_major_pct": 20,
    "frax_hip_pct": 3,
    "menopausal": True,
}
REQUIRED_ONLY: dict[str, Any] = {"sex": "female", "age": 58, "fracture_date": "2026-01-01"}


def run(base: dict[str, Any] = REFERENCE, **changes: Any) -> FollowupPlan:
    data = {**base, **changes}
    if data["sex"] == "male" and "menopausal" not in changes:
        data["menopausal"] = None  # the question is for women only
    return plan(parse_input(FollowupInput, data))


def status(result: FollowupPlan, criterion_id: str) -> str:
    return next(c.status.value for c in result.risk_reasons if c.id == criterion_id)


def test_reference_patient_seen_within_a_year_is_very_high_risk() -> None:
    result = run()
    assert result.risk == "very-high"
    assert status(result, "recent-fracture") == "met"
    assert result.as_of == date(2026, 12, 14)
    # one grade 2 fracture, recent: AACE's very-high-risk options, not the Endocrine Society's
    # "severe or multiple vertebral fractures"
    first_line = result.medication.first_line
    assert first_line.startswith("AACE 2020, very high risk (a fracture within the past 12 months)")
    assert "severe or multiple" not in first_line
    assert "zoledronic acid" in first_line  # the bisphosphonate of her story is an option
    assert result.medication.guideline.startswith("AACE/ACE 2020")
    assert result.calcium_mg_per_day == 1200
    assert result.vitamin_d_iu_per_day == "800-1000"
    assert result.frax_url == sources.FRAX_URL
    assert result.bmd_monitoring == "every 1-3 years"


def test_every_criterion_is_listed_in_order_with_its_source() -> None:
    reasons = run().risk_reasons
    assert [c.id for c in reasons] == CRITERIA
    assert {c.id: c.source for c in reasons} == {
        **dict.fromkeys(CRITERIA, sources.AACE_2020),
        "grade-3-fracture": sources.ENDOCRINE_SOCIETY_2019,
    }


def test_output_is_exactly_the_documented_object() -> None:
    data = run().model_dump(mode="json")
    assert list(data) == [
        "as_of",
        "risk",
        "risk_reasons",
        "calcium_mg_per_day",
        "vitamin_d_iu_per_day",
        "medication",
        "before_treatment",
        "treatment_durations",
        "lifestyle",
        "fls_checklist",
        "frax_url",
        "bmd_monitoring",
        "sources",
    ]
    assert list(data["medication"]) == ["guideline", "first_line", "options", "avoid", "notes"]
    assert list(data["fls_checklist"][0]) == ["id", "item", "due_date", "weeks", "overdue"]
    assert [set(r) for r in data["risk_reasons"]] == [{"id", "status", "source"}] * 9


def test_no_criterion_met_is_high_risk_with_aace_high_risk_options() -> None:
    result = run(HIGH)
    assert result.risk == "high"
    assert all(c.status.value == "not-met" for c in result.risk_reasons)
    medication = result.medication
    assert medication.first_line.startswith("AACE 2020, high risk")
    for drug in ("alendronate", "risedronate", "zoledronic acid", "denosumab"):
        assert any(o.startswith(drug) for o in medication.options)
    assert medication.options[-2].startswith("ibandronate")
    assert medication.options[-1].startswith("raloxifene")


# --- The AACE 2020 criteria at their edges ---------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, "met"), (364, "met"), (365, "met"), (366, "not-met"), (3650, "not-met")],
)
def test_a_recent_fracture_is_one_within_365_days_before_as_of(days: int, expected: str) -> None:
    as_of = date(2027, 6, 1)
    fracture = (as_of - timedelta(days=days)).isoformat()
    result = run(HIGH, fracture_date=fracture, as_of=as_of.isoformat())
    assert status(result, "recent-fracture") == expected
    assert result.risk == ("very-high" if expected == "met" else "high")


@pytest.mark.parametrize(
    ("field", "value", "criterion_id", "expected"),
    [
        ("t_score", -3.0, "t-score-below-minus-3", "not-met"),
        ("t_score", -3.01, "t-score-below-minus-3", "met"),
        ("t_score", -6, "t-score-below-minus-3", "met"),
        ("t_score", 3, "t-score-below-minus-3", "not-met"),
        ("t_score", None, "t-score-below-minus-3", "unknown"),
        ("frax_major_pct", 30, "frax-major-over-30", "not-met"),
        ("frax_major_pct", 30.01, "frax-major-over-30", "met"),
        ("frax_major_pct", None, "frax-major-over-30", "unknown"),
        ("frax_hip_pct", 4.5, "frax-hip-over-4-5", "not-met"),
        ("frax_hip_pct", 4.51, "frax-hip-over-4-5", "met"),
        ("frax_hip_pct", None, "frax-hip-over-4-5", "unknown"),
        ("vertebral_fractures", 1, "multiple-fractures", "not-met"),
        ("vertebral_fractures", 2, "multiple-fractures", "met"),
        ("vertebral_fractures", 17, "multiple-fractures", "met"),
        ("max_grade", 2, "grade-3-fracture", "not-met"),
        ("max_grade", 3, "grade-3-fracture", "met"),
        ("max_grade", None, "grade-3-fracture", "unknown"),
        ("on_osteoporosis_treatment", True, "fracture-on-treatment", "met"),
        ("on_osteoporosis_treatment", None, "fracture-on-treatment", "unknown"),
        ("glucocorticoids", True, "fracture-on-glucocorticoids", "met"),
        ("glucocorticoids", None, "fracture-on-glucocorticoids", "unknown"),
        ("injurious_falls", True, "injurious-falls", "met"),
        ("injurious_falls", None, "injurious-falls", "unknown"),
    ],
)
def test_each_criterion_at_its_edge_decides_the_tier_alone(
    field: str, value: Any, criterion_id: str, expected: str
) -> None:
    result = run(HIGH, **{field: value})
    assert status(result, criterion_id) == expected
    assert [c.id for c in result.risk_reasons if c.status.value == "met"] == (
        [criterion_id] if expected == "met" else []
    )
    assert result.risk == ("very-high" if expected == "met" else "high")


def test_unknown_criteria_leave_the_tier_high_and_are_named_in_the_notes() -> None:
    result = run(REQUIRED_ONLY, as_of="2027-06-01")
    assert result.risk == "high"
    assert status(result, "multiple-fractures") == "not-met"
    assert status(result, "recent-fracture") == "not-met"
    notes = " ".join(result.medication.notes)
    for words in ("T-score", "FRAX", "falls", "glucocorticoids", "grade 3", "on osteoporosis"):
        assert words in notes
    assert "Kidney function not given" in notes


# --- Medication by guideline, sex and menopause ----------------------------------------------


def test_romosozumab_only_for_a_postmenopausal_woman_with_its_warning() -> None:
    post = run(menopausal=True).medication
    assert any(o.startswith("romosozumab") for o in post.options)
    assert "romosozumab" in post.first_line
    assert any("heart attack or stroke" in n for n in post.notes)
    unknown = run(menopausal=None).medication
    assert unknown.options == ()  # not the postmenopausal list at all
    assert any("Menopausal status not given" in n for n in unknown.notes)
    for other in (run(menopausal=False), run(sex="male", age=70)):
        assert not any("romosozumab" in o for o in other.medication.options)
        assert "romosozumab" not in other.medication.first_line.lower()


def test_very_high_risk_offers_every_aace_initial_option() -> None:
    options = " ".join(run(menopausal=True).medication.options)
    for drug in ("abaloparatide", "teriparatide", "romosozumab", "denosumab", "zoledronic acid"):
        assert drug in options


def test_a_premenopausal_woman_is_referred_and_checked_for_secondary_causes() -> None:
    medication = run(menopausal=False).medication
    assert "premenopausal" in medication.guideline
    assert "specialist" in medication.first_line
    assert "secondary causes" in medication.first_line
    assert "pregnancy" in medication.first_line
    assert medication.options == ()


@pytest.mark.parametrize(("age", "referred"), [(49, True), (50, False), (70, False)])
def test_men_follow_the_mens_guideline_with_secondary_causes(age: int, referred: bool) -> None:
    medication = run(sex="male", age=age).medication
    assert medication.guideline == "Endocrine Society 2012 guideline on osteoporosis in men"
    assert medication.first_line.startswith("Very high risk")  # seen within a year
    assert "teriparatide or abaloparatide first" in medication.first_line
    assert any(o.startswith("abaloparatide") for o in medication.options)  # FDA, December 2022
    assert any("secondary causes" in n for n in medication.notes)
    assert any("refer to a specialist" in n for n in medication.notes) is referred
    high = run(HIGH, sex="male", age=age, menopausal=None).medication
    assert high.first_line.startswith("A bisphosphonate")


def test_menopausal_is_for_women_only() -> None:
    with pytest.raises(InputError) as caught:
        parse_input(FollowupInput, {**REFERENCE, "sex": "male", "menopausal": True})
    assert caught.value.field == "menopausal"
    assert parse_input(FollowupInput, {**REFERENCE, "sex": "male", "menopausal": None})


# --- Kidney function ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("egfr", "bisphosphonates", "boxed_warning"),
    [
        (0, False, True),
        (29, False, True),
        (29.9, False, True),
        (30, False, False),
        (34.9, False, False),
        (35, True, False),
        (90, True, False),
        (200, True, False),
        (None, True, False),
    ],
)
def test_kidney_function_at_35_and_30(
    egfr: float | None, bisphosphonates: bool, boxed_warning: bool
) -> None:
    for base in (REFERENCE, HIGH):
        medication = run(base, egfr=egfr).medication
        options = " ".join(medication.options)
        # raloxifene is not a bisphosphonate: it stays whenever it was offered (high risk)
        assert ("raloxifene" in options) is (base is HIGH)
        notes = " ".join(medication.notes)
        assert ("alendronate" in options or "zoledronic" in options) is bisphosphonates
        assert bool(medication.avoid) is not bisphosphonates
        assert ("FDA boxed warning (2024)" in notes) is boxed_warning
        assert ("CKD mineral and bone disorder" in notes) is boxed_warning
        assert ("denosumab" in options) is not boxed_warning
        if not bisphosphonates:
            assert medication.first_line.startswith("Specialist review first")
            # The first line offers nothing the kidney rule took out of the options.
            offered = medication.first_line.partition("Options left")[2]
            assert offered
            for drug in ("alendronate", "risedronate", "zoledronic"):
                assert drug not in medication.first_line
            assert ("denosumab" in offered) is not boxed_warning
            assert "creatinine clearance" in notes
            assert "stands in" in notes


def test_kidney_function_is_labelled_creatinine_clearance_with_egfr_as_its_stand_in() -> None:
    info = FollowupInput.model_fields["egfr"]
    assert info.title is not None and "creatinine clearance" in info.title
    assert info.description is not None and "eGFR" in info.description


# --- Before treatment and durations --------------------------------------------------------------


def test_the_before_treatment_checklist_and_durations_are_in_every_plan() -> None:
    for result in (run(), run(HIGH), run(sex="male", age=70)):
        assert result.before_treatment == BEFORE_TREATMENT
        assert result.treatment_durations == TREATMENT_DURATIONS
    before = " ".join(BEFORE_TREATMENT)
    for words in ("calcium", "25(OH)D", "creatinine", "dental", "first", "30-60 minutes"):
        assert words in before
    durations = " ".join(TREATMENT_DURATIONS)
    for words in ("up to 2 years", "12 monthly doses", "5 years", "3 years", "never stopped"):
        assert words in durations


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
    checklist = run(fracture_date="2028-01-01", as_of="2028-01-02").fls_checklist
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
        ({"as_of": "2026/12/14"}, "as_of", "a date as YYYY-MM-DD"),
        ({"t_score": -6.01}, "t_score", "a number from -6 to 3, or null"),
        ({"t_score": 3.01}, "t_score", "a number from -6 to 3, or null"),
        ({"t_score": "-2.5"}, "t_score", "a number from -6 to 3, or null"),
        ({"frax_major_pct": 100.1}, "frax_major_pct", "a number from 0 to 100, or null"),
        ({"frax_hip_pct": -1}, "frax_hip_pct", "a number from 0 to 100, or null"),
        ({"glucocorticoids": 1}, "glucocorticoids", "true or false, or null"),
        ({"injurious_falls": "yes"}, "injurious_falls", "true or false, or null"),
        ({"menopausal": "yes"}, "menopausal", "true or false, or null"),
        ({"fracture_date": "2026-12-15"}, "fracture_date", "on or before the plan's date"),
        ({"fracture_date": "1899-12-31"}, "fracture_date", "from 1900-01-01"),
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


def test_a_fracture_on_as_of_or_on_1900_01_01_is_accepted() -> None:
    assert run(fracture_date="2026-12-14").fls_checklist[0].overdue is False
    assert run(fracture_date="1900-01-01").risk_reasons[0].status.value == "not-met"


def test_as_of_defaults_to_today() -> None:
    today = date.today()
    result = run(REQUIRED_ONLY, fracture_date=today.isoformat())
    assert result.as_of == today
    assert status(result, "recent-fracture") == "met"
    with pytest.raises(InputError) as caught:
        parse_input(FollowupInput, {**REQUIRED_ONLY, "fracture_date": "9999-01-01"})
    assert caught.value.field == "fracture_date"


@pytest.mark.parametrize(
    ("as_of", "overdue"),
    [
        ("2026-03-25", []),
        ("2026-03-26", []),  # due today: not yet passed
        ("2026-03-27", ["risk-assessment", "dxa", "falls-assessment"]),
        (
            "2026-04-24",
            [
                "risk-assessment",
                "dxa",
                "falls-assessment",
                "exercise-started",
                "monitoring",
                "medication-started",
            ],
        ),
        ("2027-01-01", [item_id for item_id, _, _ in FLS_ITEMS]),
    ],
)
def test_fls_items_past_their_due_date_on_as_of_are_overdue(as_of: str, overdue: list[str]) -> None:
    checklist = run(fracture_date="2026-01-01", as_of=as_of).fls_checklist
    assert [item.id for item in checklist if item.overdue] == overdue


def test_a_date_object_is_accepted_from_python_callers() -> None:
    inp = FollowupInput(sex="male", age=70, fracture_date=date(2026, 5, 1), as_of=date(2026, 6, 1))
    assert plan(inp).fls_checklist[-1].due_date == date(2027, 4, 30)


answers = st.sampled_from([True, False, None])


@given(
    days=st.integers(0, 3000),
    on_treatment=answers,
    glucocorticoids=answers,
    falls=answers,
    t_score=st.one_of(st.none(), st.floats(-6, 3)),
    fractures=st.integers(1, 17),
    egfr=st.one_of(st.none(), st.floats(0, 200)),
    sex=st.sampled_from(["female", "male"]),
    menopausal=answers,
)
def test_the_tier_is_very_high_exactly_when_a_criterion_is_met(
    days: int,
    on_treatment: bool | None,
    glucocorticoids: bool | None,
    falls: bool | None,
    t_score: float | None,
    fractures: int,
    egfr: float | None,
    sex: str,
    menopausal: bool | None,
) -> None:
    result = run(
        REQUIRED_ONLY,
        sex=sex,
        fracture_date=(date(2030, 1, 1) - timedelta(days=days)).isoformat(),
        as_of="2030-01-01",
        on_osteoporosis_treatment=on_treatment,
        glucocorticoids=glucocorticoids,
        injurious_falls=falls,
        t_score=t_score,
        vertebral_fractures=fractures,
        egfr=egfr,
        menopausal=menopausal if sex == "female" else None,
    )
    met = any(c.status.value == "met" for c in result.risk_reasons)
    assert result.risk == ("very-high" if met else "high")
    assert DENOSUMAB_NEVER_STOP in result.medication.notes
    romosozumab = any("romosozumab" in o for o in result.medication.options)
    assert not romosozumab or (sex == "female" and menopausal is True)


def test_the_documented_example_is_what_the_rule_returns() -> None:
    doc = Path(__file__).parents[2] / "docs" / "rules" / "followup.md"
    example_in, example_out = re.findall(r"```json\n(.*?)```", doc.read_text(), re.S)[-2:]
    result = plan(parse_input(FollowupInput, json.loads(example_in)))
    assert result.model_dump(mode="json") == json.loads(example_out)
    assert result.risk == "very-high"


# --- Issue 20: malignancy, denosumab stopped, women under 50 or status unknown ------------------

PTH = ("teriparatide", "abaloparatide")


def offered(result: FollowupPlan, drug: str) -> bool:
    return any(o.startswith(drug) for o in result.medication.options) or (
        drug in result.medication.first_line.lower()
        and "rule out" not in result.medication.first_line
        and "not a switch" not in result.medication.first_line
    )


@pytest.mark.parametrize(
    ("changes", "pth_offered"),
    [
        ({"malignancy": True}, False),
        ({"malignancy": False}, True),
        ({"malignancy": None}, True),
        ({"malignancy": True, "sex": "male", "age": 70, "menopausal": None}, False),
        ({"malignancy": False, "sex": "male", "age": 70, "menopausal": None}, True),
    ],
)
def test_malignancy_never_offers_teriparatide_or_abaloparatide_and_says_why(
    changes: dict[str, Any], pth_offered: bool
) -> None:
    result = run(**changes)
    for drug in PTH:
        assert any(o.startswith(drug) for o in result.medication.options) is pth_offered
    if not pth_offered:
        avoid = " ".join(result.medication.avoid)
        assert "teriparatide and abaloparatide" in avoid and "US labels" in avoid
        assert "oncology team" in result.medication.first_line
        assert "osteosarcoma" in result.medication.first_line
        assert sources.PTH_ANALOGUE_LABELS in result.sources
    elif changes["malignancy"] is None:
        assert any("bone metastases, myeloma" in n for n in result.medication.notes)


def test_the_malignant_field_name_of_candidacy_is_refused_here_naming_it() -> None:
    with pytest.raises(InputError) as caught:
        parse_input(FollowupInput, {**REFERENCE, "malignant": True})
    assert caught.value.field == "malignant"


@pytest.mark.parametrize("sex", ["female", "male"])
def test_fractures_after_denosumab_stopped_restart_it_never_switch_to_an_anabolic(
    sex: str,
) -> None:
    changes = {"sex": sex, "age": 70, "menopausal": True if sex == "female" else None}
    result = run(**changes, denosumab_stopped=True)
    medication = result.medication
    assert medication.first_line.startswith("Denosumab stopped or more than 7 months late")
    assert "restart denosumab" in medication.first_line
    assert [o.split(" (")[0] for o in medication.options] == ["denosumab", "zoledronic acid"]
    for drug in (*PTH, "romosozumab"):
        assert not any(o.startswith(drug) for o in medication.options)
    assert any("DATA-Switch" in a for a in medication.avoid)
    assert sources.ECTS_DENOSUMAB_2017 in result.sources
    assert sources.DATA_SWITCH_2015 in result.sources
    not_stopped = run(**changes, denosumab_stopped=False).medication
    assert any(o.startswith("teriparatide") for o in not_stopped.options)


def test_denosumab_stopped_with_low_kidney_function_keeps_denosumab_only() -> None:
    medication = run(age=70, menopausal=True, denosumab_stopped=True, egfr=32).medication
    assert [o.split(" (")[0] for o in medication.options] == ["denosumab"]
    assert any(n.startswith("Denosumab stopped") for n in medication.notes)


@pytest.mark.parametrize(
    ("age", "menopausal", "aace_list"),
    [
        (32, None, False),  # issue 20: a 32-year-old got denosumab and zoledronic acid
        (32, False, False),
        (WOMEN_REFER_UNDER_AGE - 1, True, False),  # menopause before 50: specialist first
        (WOMEN_REFER_UNDER_AGE - 1, None, False),
        (WOMEN_REFER_UNDER_AGE, True, True),
        (WOMEN_REFER_UNDER_AGE, None, False),
        (WOMEN_REFER_UNDER_AGE, False, False),
        (70, None, False),
        (70, True, True),
    ],
)
def test_a_woman_under_50_or_of_unknown_menopausal_status_gets_a_referral_not_the_aace_list(
    age: int, menopausal: bool | None, aace_list: bool
) -> None:
    medication = run(age=age, menopausal=menopausal).medication
    assert (medication.options != ()) is aace_list
    assert medication.guideline.startswith("AACE/ACE 2020") is aace_list
    if not aace_list:
        assert "bone specialist" in medication.first_line
        assert "secondary causes" in medication.first_line
        assert "pregnancy" in medication.first_line
        for drug in ("denosumab", "zoledronic", "alendronate", *PTH):
            assert drug not in medication.first_line.lower()


@pytest.mark.parametrize(
    ("egfr", "removed", "kept"),
    [
        (
            34.9,
            ("alendronate", "risedronate", "ibandronate", "zoledronic"),
            ("raloxifene", "denosumab"),
        ),
        (35, (), ("alendronate", "ibandronate", "raloxifene", "zoledronic", "denosumab")),
        (29.9, ("alendronate", "ibandronate", "zoledronic", "denosumab"), ("raloxifene",)),
    ],
)
def test_low_kidney_function_removes_the_bisphosphonates_only_raloxifene_stays(
    egfr: float, removed: tuple[str, ...], kept: tuple[str, ...]
) -> None:
    options = run(HIGH, egfr=egfr).medication.options
    for drug in removed:
        assert not any(o.startswith(drug) for o in options), drug
    for drug in kept:
        assert any(o.startswith(drug) for o in options), drug


@pytest.mark.parametrize(
    ("changes", "endocrine_society_sentence"),
    [
        ({}, False),  # the reference patient: one grade 2 fracture
        ({"max_grade": 3}, True),
        ({"vertebral_fractures": 2}, True),
    ],
)
def test_the_anabolic_first_sentence_only_for_severe_or_multiple_fractures(
    changes: dict[str, Any], endocrine_society_sentence: bool
) -> None:
    first_line = run(**changes).medication.first_line
    assert ("severe or multiple vertebral fractures" in first_line) is endocrine_society_sentence


def test_the_demo_inputs_are_the_documented_example() -> None:
    doc = Path(__file__).parents[2] / "docs" / "rules" / "followup.md"
    example_input = re.findall(r"```json\n(.*?)\n```", doc.read_text(), re.S)[0]
    assert json.loads(example_input) == REFERENCE_FOLLOWUP
