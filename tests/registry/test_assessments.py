"""A saved assessment's one clinical line (spinefx.registry.assessments.summary), per kind."""

from __future__ import annotations

from typing import Any

import pytest

from spinefx.clinical import pathway
from spinefx.registry.assessments import summary
from spinefx.validation import parse_input
from spinefx.web.tools import RULES


def result_of(kind: str, answers: dict[str, Any]) -> dict[str, Any]:
    rule = next(r for r in RULES if r.path == kind)
    return dict(rule.run(parse_input(rule.input, answers)).model_dump(mode="json"))


@pytest.mark.parametrize(
    ("answers", "line"),
    [
        (
            pathway.REFERENCE_SCREENING,
            "Checklist not met, but reason enough to see a doctor (the self-check safety net): "
            "to be seen by a doctor today (pain 9 or 10 of 10). Checklist signs: 4 of 5 met. "
            "No red flag.",
        ),
        (
            {**pathway.REFERENCE_SCREENING, "pain_days": 4},
            "Possible vertebral compression fracture: to be seen by a doctor today (pain 9 or 10 "
            "of 10). Checklist signs: 5 of 5 met. No red flag.",
        ),
        (
            {
                **pathway.REFERENCE_SCREENING,
                "red_flags": {
                    **pathway.REFERENCE_SCREENING["red_flags"],
                    "saddle_numbness": True,
                    "fever": True,
                },
            },
            "Emergency: to an emergency department now. Checklist signs: 4 of 5 met. Red flags: "
            "numbness between the legs (the saddle area); fever or chills.",
        ),
        (
            {"age": 40},
            "Incomplete: too many answers missing for a result. Checklist signs: 0 of 5 met, "
            "5 not known. 12 red-flag questions unanswered.",
        ),
    ],
    ids=["see-doctor", "possible-vcf", "emergency", "incomplete"],
)
def test_screening_says_what_to_do_and_counts_the_signs(answers, line) -> None:
    assert summary("screening", result_of("screening", answers)) == line


def test_grading_lists_each_fractured_level_with_grade_type_and_loss() -> None:
    assert summary("grading", result_of("grading", pathway.REFERENCE_HEIGHTS)) == (
        "L2: grade 2 wedge, 33 %. SDI 2."
    )
    two = {
        "vertebrae": [
            {"level": "T12", "grade": 1, "type": "biconcave", "height_loss_pct": 22.4},
            {"level": "L1", "grade": 0, "type": None, "height_loss_pct": 4.0},
            {"level": "L2", "grade": 3, "type": "crush", "height_loss_pct": 45.5},
        ],
        "sdi": 4,
    }
    assert (
        summary("grading", two) == "T12: grade 1 biconcave, 22 %; L2: grade 3 crush, 46 %. SDI 4."
    )
    none = {"vertebrae": [{"level": "L1", "grade": 0}, {"level": "L2", "grade": 0}], "sdi": 0}
    assert summary("grading", none) == "No vertebral fracture: grade 0 at L1, L2. SDI 0."


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({}, "Meets the coverage criteria. Every criterion needed is met."),
        (
            {"pain_nrs": 3, "kyphosis": False, "pain_worsening": False},
            "Does not meet the coverage criteria. Not met: pain NRS at least 8 in hospital, at "
            "least 5 otherwise. Not known: indication: malignancy, worsening pain, or two of the "
            "three findings.",
        ),
        (
            {"fracture_age_weeks": None},
            "Incomplete: some criteria are not known. Not known: fracture not chronic (52 weeks "
            "old or less).",
        ),
        (
            {"absolute_contraindications": ["infection"]},
            "Contraindicated. Not met: no absolute contraindication.",
        ),
    ],
    ids=["meets", "does-not-meet", "incomplete", "contraindicated"],
)
def test_candidacy_gives_the_verdict_and_the_criteria_not_met(changes, line) -> None:
    answers = {**pathway.REFERENCE_CANDIDACY, **changes}
    assert summary("candidacy", result_of("candidacy", answers)) == line


def test_a_part_not_met_inside_a_met_whole_is_not_listed() -> None:
    # the reference case: not malignant, but the indication is met by two of three findings
    result = result_of("candidacy", pathway.REFERENCE_CANDIDACY)
    statuses = {c["id"]: c["status"] for c in result["criteria"]}
    assert statuses["malignant"] == "not-met" and statuses["indication"] == "met"
    assert "malignancy" not in summary("candidacy", result).lower()


def test_followup_gives_the_risk_the_first_line_and_the_next_item_due() -> None:
    line = summary("followup", result_of("followup", pathway.REFERENCE_FOLLOWUP))
    assert line == (
        "Very high fracture risk. First line: AACE 2020, very high risk (a fracture within the "
        "past 12 months): start one of AACE's initial therapies for very high risk: an anabolic "
        "agent (abaloparatide, teriparatide or romosozumab, then an antiresorptive to keep the "
        "gain) or an injected antiresorptive (denosumab or zoledronic acid). Next due by "
        "January 25, 2027: fracture risk assessed and treatment recommended (and 2 more that day)."
    )
    kidney = summary("followup", result_of("followup", {**pathway.REFERENCE_FOLLOWUP, "egfr": 25}))
    assert "First line: Specialist review first: kidney function is below 30 ml/min" in kidney
    late = {
        "risk": "high",
        "medication": {"first_line": "A bisphosphonate: alendronate, risedronate or zoledronic."},
        "fls_checklist": [
            {"id": "monitoring", "item": "Follow-up contact made", "due_date": "2026-05-01",
             "overdue": False},
            {"id": "dxa", "item": "DXA bone density scan done", "due_date": "2026-03-01",
             "overdue": True},
        ],
    }  # fmt: skip
    assert summary("followup", late) == (
        "High fracture risk. First line: A bisphosphonate: alendronate, risedronate or "
        "zoledronic. Next due by March 1, 2026: DXA bone density scan done, overdue when the "
        "plan was made."
    )


@pytest.mark.parametrize(
    ("kind", "result"),
    [
        ("screening", None),
        ("grading", {"vertebrae": "L2"}),
        ("candidacy", []),
        ("followup", {}),
        ("a-kind-from-later", {"outcome": "x"}),
        ("grading", {"vertebrae": [{"level": "L2", "grade": 2, "height_loss_pct": "much"}]}),
    ],
)
def test_a_result_of_another_shape_is_said_to_be_saved_without_an_error(kind, result) -> None:
    line = summary(kind, result)
    assert line == "Result saved (no summary for this result)." or line.startswith("L2: grade 2")


def test_a_level_graded_from_an_entered_loss_says_so() -> None:
    entered = {"entered": [{"level": "L2", "height_loss_pct": 30}]}
    assert summary("grading", result_of("grading", entered)) == (
        "L2: grade 2, 30 % (entered, not measured). SDI 2."
    )


def test_a_level_without_a_grade_is_never_summed_up_as_no_fracture() -> None:
    result = {"vertebrae": [{"level": "L2", "grade": None, "crush_assessed": False}], "sdi": None}
    line = summary("grading", result)
    assert "No vertebral fracture" not in line
    assert line == "Not graded (crush not assessed): L2."
