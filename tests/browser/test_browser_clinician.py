"""The clinician tools in a real browser: grading with its spine drawing, candidacy, follow-up."""

from __future__ import annotations

from typing import Any

import pytest

from spinefx.clinical.pathway import REFERENCE_CANDIDACY, REFERENCE_FOLLOWUP
from spinefx.web.spine_svg import GRADE_COLOURS

# The reference patient's lateral radiograph heights (mm): L2 wedged, its neighbours intact.
REFERENCE_HEIGHTS = {
    "L1": (27.5, 27.0, 28.0),
    "L2": (18.0, 21.0, 27.0),
    "L3": (29.0, 28.5, 29.5),
}


def test_grading_the_reference_heights_shows_l2_grade_2_on_the_spine(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    page.goto("/clinician/grading")
    answers: dict[str, str | float] = {}
    for level, (ha, hm, hp) in REFERENCE_HEIGHTS.items():
        answers |= {f"{level}.ha": ha, f"{level}.hm": hm, f"{level}.hp": hp}
    fill(page, answers)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    result = page.locator("#result")
    result.wait_for()
    grade_cell = result.locator("tr:has(th:text-is('L2')) td").first
    assert grade_cell.inner_text().startswith("2 ")
    svg = result.locator("svg")
    assert svg.count() == 1
    # Each body is a <path> that names its level.
    l2 = svg.locator("path[data-level='L2']")
    assert l2.count() == 1
    assert l2.get_attribute("data-grade") == "2"
    assert l2.get_attribute("fill") == GRADE_COLOURS[2]
    # Unmeasured levels are drawn too, without a grade.
    assert svg.locator("path[data-level='T4']:not([data-grade])").count() == 1
    # Compact: the whole drawing, L3 included, fits in 600 px of height.
    box = svg.bounding_box()
    assert box is not None and box["height"] <= 600
    assert a11y_problems(page) == []


def answer_form(page: Any, fill: Any, answers: dict[str, Any]) -> None:
    """Fill JSON answers (True/False -> yes/no; a list -> its checkboxes, [] -> "None of these")."""
    for name, value in answers.items():
        if value == []:
            value = ["_none"]
        for one in value if isinstance(value, list) else [value]:
            fill(page, {name: "yes" if one is True else "no" if one is False else one})
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    if page.locator("#result").count() != 1:
        refused = page.locator(".error-summary")
        pytest.fail(f"no result; {refused.inner_text() if refused.count() else page.title()}")


def test_candidacy_for_the_reference_patient_meets_the_criteria(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    page.goto("/clinician/candidacy")
    answer_form(page, fill, {**REFERENCE_CANDIDACY, "height_loss_pct": 33.3})
    result = page.locator("#result")
    assert result.get_attribute("data-outcome") == "meets-criteria", result.inner_text()
    assert "22514" in result.inner_text()  # CPT: kyphoplasty, first lumbar level
    assert a11y_problems(page) == []


def test_followup_plan_for_the_reference_patient_is_high_risk_with_a_checklist(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    page.goto("/clinician/followup")
    answer_form(page, fill, REFERENCE_FOLLOWUP)
    result = page.locator("#result")
    assert result.get_attribute("data-risk") == "high"
    assert "bisphosphonate" in result.inner_text()
    assert result.locator("table.fls tbody tr").count() > 0
    assert a11y_problems(page) == []
