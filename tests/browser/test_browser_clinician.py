"""The clinician tools in a real browser: Genant grading with its spine drawing."""

from __future__ import annotations

from typing import Any

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
    # Each body is a <path> drawn just before its level label (<text>L2</text>).
    l2 = svg.locator(
        "xpath=.//*[local-name()='text' and normalize-space()='L2']"
        "/preceding-sibling::*[local-name()='path'][1]"
    )
    assert l2.get_attribute("data-grade") == "2"
    assert l2.get_attribute("fill") == GRADE_COLOURS[2]
    assert a11y_problems(page) == []
