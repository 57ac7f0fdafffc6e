"""The clinician tools in a real browser: grading with its spine drawing, candidacy, follow-up."""

from __future__ import annotations

import datetime
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
    # Large enough to read each body's shape (T1-L5), and no wider than the page.
    box = svg.bounding_box()
    assert box is not None and 700 <= box["height"] <= 860
    assert box["x"] + box["width"] <= 1280
    assert svg.locator("path[data-level='T1']").count() == 1
    assert "front (anterior)" in svg.inner_html() and "back (posterior)" in svg.inner_html()
    assert a11y_problems(page) == []


def fill_json(page: Any, fill: Any, answers: dict[str, Any]) -> None:
    """Fill JSON answers (True/False -> yes/no; a list -> its checkboxes, [] -> "None of these")."""
    for name, value in answers.items():
        if value == []:
            value = ["_none"]
        for one in value if isinstance(value, list) else [value]:
            fill(page, {name: "yes" if one is True else "no" if one is False else one})


def answer_form(page: Any, fill: Any, answers: dict[str, Any]) -> None:
    """Fill JSON answers (as :func:`fill_json`) and send the form: a result must come."""
    fill_json(page, fill, answers)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    if page.locator("#result").count() != 1:
        refused = page.locator(".error-summary")
        pytest.fail(f"no result; {refused.inner_text() if refused.count() else page.title()}")


def as_the_form_asks(answers: dict[str, Any]) -> dict[str, Any]:
    """A candidacy input as the page asks it: the fracture's date, not its age in weeks."""
    form = dict(answers)
    weeks = form.pop("fracture_age_weeks", None)
    if weeks is not None:
        day = datetime.date.today() - datetime.timedelta(weeks=weeks)
        form["fracture_date"] = day.isoformat()
    return form


def test_candidacy_for_the_reference_patient_meets_the_criteria(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    page.goto("/clinician/candidacy")
    answer_form(page, fill, as_the_form_asks({**REFERENCE_CANDIDACY, "height_loss_pct": 33.3}))
    result = page.locator("#result")
    assert result.get_attribute("data-outcome") == "meets-criteria", result.inner_text()
    assert "22514" in result.inner_text()  # CPT: kyphoplasty, first lumbar level
    assert a11y_problems(page) == []


def test_followup_plan_for_the_reference_patient_is_very_high_risk_with_a_checklist(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    page.goto("/clinician/followup")
    answer_form(page, fill, REFERENCE_FOLLOWUP)
    result = page.locator("#result")
    # seen six weeks after her fracture: a recent fracture is very high risk by AACE 2020
    assert result.get_attribute("data-risk") == "very-high"
    assert "a fracture within the past 12 months" in result.inner_text()
    assert "severe or multiple" not in result.inner_text()  # one grade 2 fracture
    assert result.locator("table.fls tbody tr").count() > 0
    assert a11y_problems(page) == []


WIDTHS = [390, 1280]
REFERENCE_FORM_HEIGHTS = {
    f"{level}.{h}": v
    for level, values in REFERENCE_HEIGHTS.items()
    for h, v in zip(("ha", "hm", "hp"), values, strict=True)
}


def fits(page: Any) -> bool:
    page.wait_for_load_state("load")  # stylesheet and drawing laid out, not a half-styled page
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", WIDTHS)
def test_grading_leads_to_candidacy_then_to_the_follow_up_plan(
    page: Any, fill: Any, width: int, a11y_problems: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/grading")
    fill(page, REFERENCE_FORM_HEIGHTS)
    page.locator("main form.form button[type=submit]").click()
    page.locator("#result").wait_for()
    assert page.locator("#grade-summary").inner_text().strip() == "L2: grade 2 wedge, 33 %"
    assert fits(page)
    assert a11y_problems(page) == []
    page.locator("#to-candidacy button").click()
    page.locator("#prefilled").wait_for()
    assert page.locator("#carried").inner_text() == (
        "Carried from grading to the follow-up plan: Worst Genant grade 2; Vertebral fractures 1."
    )
    assert page.locator("#levels-L2").is_checked()
    assert page.locator("[name='height_loss_pct']").input_value() == "33.3"
    assert page.locator("[name='levels']").count() == 17  # T1-L5 only
    fill(
        page,
        {
            "imaging_confirmed": "yes",
            "fracture_date": (datetime.date.today() - datetime.timedelta(days=30)).isoformat(),
            "pain_nrs": 9,
            "hospitalized": "no",
            "conservative_care_failed": "yes",
            "pain_worsening": "no",
            "kyphosis": "yes",
            "rdq": 10,
            "malignant": "no",
        },
    )
    page.locator("main form.form button[type=submit]").click()
    page.locator("#result").wait_for()
    assert page.locator("#fracture-age strong").inner_text() == "4 weeks and 2 days"
    # Met through height loss and kyphosis: the unmet alternatives are not alarm red.
    for cid in ("malignant", "pain-worsening", "rdq-over-17"):
        badge = page.locator(f"[data-criterion='{cid}'] .status")
        assert badge.inner_text() == "Not needed"
        colour = badge.evaluate("e => getComputedStyle(e).color")
        assert colour != "rgb(92, 26, 26)", f"{cid} shown in the failure colour"
    assert fits(page)
    page.locator("#to-followup button").click()
    page.locator("#prefilled").wait_for()
    assert page.locator("[name='vertebral_fractures']").input_value() == "1"
    assert page.locator("[name='max_grade']").input_value() == "2"
    assert (
        page.locator("[name='fracture_date']").input_value()
        == (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    )
    assert a11y_problems(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_follow_up_plan_prints_with_its_inputs_and_ticks_on_screen(
    page: Any, fill: Any, width: int, csp_violations: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/followup")
    answer_form(page, fill, REFERENCE_FOLLOWUP)
    button = page.get_by_role("button", name="Print this plan")
    assert button.is_visible()  # shown by the site's own script
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    button.click()
    assert page.evaluate("window.__printed") == 1
    box = page.locator("#result input[type=checkbox]").first
    box.check()
    assert box.is_checked()
    for trigger in page.locator(".triggers .trigger").all():
        if trigger.inner_text() == "No":
            assert "trigger-not-met" in (trigger.get_attribute("class") or "")
    assert page.locator(".print-only").is_hidden()
    page.emulate_media(media="print")
    assert page.locator(".print-only").is_visible()
    assert page.locator("#plan-inputs").is_visible()
    assert button.is_hidden() and page.locator("main form.form").is_hidden()
    assert "Date of the fracture" in page.locator("#plan-inputs").inner_text()
    assert csp_violations(page) == []
    assert fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_plan_badges_keep_to_one_line_and_its_dates_are_in_words(
    page: Any, fill: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/followup")
    answer_form(page, fill, REFERENCE_FOLLOWUP)
    page.locator("#result").wait_for()
    page.wait_for_load_state("load")
    heights = page.eval_on_selector_all(
        ".triggers .trigger",
        "els => els.map(e => [e.innerText, e.clientHeight])",  # inside the border
    )
    assert "Not known" in [words for words, _ in heights]
    one_line = min(h for _, h in heights)
    wrapped = [words for words, h in heights if h > one_line + 1]
    assert wrapped == [], f"badges on two lines at {width} px: {wrapped}"
    due = page.locator("table.fls tbody tr").first.locator("time")
    assert due.get_attribute("datetime") == "2027-01-25"  # 12 weeks after 2 November 2026
    assert due.inner_text() == "January 25, 2027"
    assert page.locator(".plan-header time").inner_text() == "December 14, 2026"
    assert fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_grading_takes_an_entered_loss_and_says_it_was_entered(
    page: Any, fill: Any, width: int, a11y_problems: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/grading")
    assert fits(page)  # four inputs a row, the entered loss beside the heights
    fill(page, {**REFERENCE_FORM_HEIGHTS, "T12.loss": "120"})
    page.locator("main form.form button[type=submit]").click()
    page.locator("#T12-loss").wait_for()
    assert page.locator("#result").count() == 0
    assert "0 to 100" in page.locator("main").inner_text()
    assert page.locator("#T12-loss").input_value() == "120"
    page.locator("#T12-loss").fill("30")
    page.locator("main form.form button[type=submit]").click()
    page.locator("#result").wait_for()
    note = page.locator("#entered-levels")
    assert note.is_visible()
    assert "not from measured heights: T12" in note.inner_text()
    row = page.locator("table.grades tr[data-graded-from='entered-pct']")
    assert row.count() == 1 and "entered %" in row.inner_text()
    summary = page.locator("#grade-summary").inner_text()
    assert "T12: grade 2, 30 % (entered, not measured)" in summary
    assert page.locator("svg.spine [data-graded-from='entered-pct']").count() == 1
    assert fits(page)
    assert a11y_problems(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_height_loss_below_1_asks_and_a_decimal_comma_is_read(
    page: Any, fill: Any, width: int, axe: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/candidacy")
    fill_json(page, fill, {**as_the_form_asks(REFERENCE_CANDIDACY), "height_loss_pct": "0.33"})
    page.locator("main form.form button[type=submit]").click()
    question = page.locator("#confirm-height-loss")
    question.wait_for()
    assert page.locator("#result").count() == 0
    assert "did you mean 33 %?" in question.inner_text()
    assert question.bounding_box()["y"] < 844  # on the first screen
    assert axe(page) == []
    question.get_by_role("button", name="Yes, 33 %").click()
    page.locator("#result").wait_for()
    assert page.locator("[data-criterion='height-loss-over-25']").get_attribute("data-shown") in (
        "met",
        "not-needed",
    )
    assert page.locator("#height_loss_pct").input_value() == "33"
    # A decimal comma, typed as a person types it into the box, is read as a point.
    page.locator("#height_loss_pct").fill("27,5")
    page.locator("#rdq").fill("10")
    page.locator("#kyphosis-no").check()
    page.locator("main form.form button[type=submit]").click()
    page.locator("#result").wait_for()
    assert (
        page.locator("[data-criterion='height-loss-over-25']").get_attribute("data-shown") == "met"
    )
    assert page.locator("#height_loss_pct").input_value() == "27,5"
    assert axe(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_follow_up_form_names_the_patient_in_its_messages(
    page: Any, fill: Any, width: int, axe: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/clinician/followup")
    fill_json(page, fill, {**REFERENCE_FOLLOWUP, "age": 12})
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Enter the patient's age in years, from 18 to 120." in summary.inner_text()
    assert "your" not in page.locator("main").inner_text().lower()
    assert axe(page) == []
