"""Everyday use on a phone (390 px) and a desktop (1280 px): tap targets of at least 44 px
(radio and checkbox rows, reference numbers), whole cards as links, the error summary on the
first screen, and result chips at AAA contrast (7:1)."""

from __future__ import annotations

from typing import Any

import pytest

WIDTHS = [390, 1280]
SCREEN_HEIGHT = 844


def at_width(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": SCREEN_HEIGHT})


@pytest.mark.parametrize("width", WIDTHS)
def test_each_answer_row_is_44_px_and_a_tap_beside_the_box_answers(page: Any, width: int) -> None:
    at_width(page, width)
    page.goto("/check")
    rows = page.locator("form .option")
    assert rows.count() > 30
    small = []
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        if box["height"] < 44 or box["width"] < 44:
            small.append((rows.nth(i).inner_text(), box))
    assert small == []
    # A tap at the bottom-left corner of a row (not on the box, not on the words) answers it.
    row = page.locator(".option:has(#red_flags-fever-yes)")
    row.scroll_into_view_if_needed()
    box = row.bounding_box()
    page.mouse.click(box["x"] + 1, box["y"] + box["height"] - 2)
    assert page.locator("#red_flags-fever-yes").is_checked()


def test_reference_numbers_are_44_px_targets_on_a_phone(page: Any, axe: Any) -> None:
    at_width(page, 390)
    page.goto("/learn/risks")
    refs = page.locator("sup.ref a")
    assert refs.count() > 5
    boxes = [refs.nth(i).bounding_box() for i in range(refs.count())]
    assert [b for b in boxes if b["height"] < 44 or b["width"] < 44] == []
    refs.first.click()
    page.wait_for_url("**/learn/references#ref-*")
    page.goto("/learn/references")
    links = page.locator(".references a")
    heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
    assert heights and min(heights) >= 44
    assert axe(page) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["/", "/clinician", "/learn"])
def test_a_tap_anywhere_on_a_card_opens_it(page: Any, width: int, path: str) -> None:
    at_width(page, width)
    page.goto(path)
    cards = page.locator(".paths > li, .topics > li")
    assert cards.count() >= 3
    for i in range(cards.count()):
        page.goto(path)
        card = cards.nth(i)
        href = card.locator("a").first.get_attribute("href")
        card.scroll_into_view_if_needed()
        box = card.bounding_box()
        # the card's bottom-right corner, well away from its heading's link text
        page.mouse.click(box["x"] + box["width"] - 6, box["y"] + box["height"] - 6)
        page.wait_for_url(f"**{href}")


# A wrong answer in each form, and the form's submit button.
WRONG = [
    ("/check", {"age": "130"}),
    ("/clinician/candidacy", {"rdq": "30"}),
    ("/clinician/followup", {"age": "12"}),
    ("/clinician/grading", {"L2.ha": "120"}),
    ("/find", {"zip": "abc"}),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "answers"), WRONG)
def test_the_error_summary_is_on_the_first_screen(
    page: Any, axe: Any, width: int, path: str, answers: dict[str, str]
) -> None:
    at_width(page, width)
    page.goto(path)
    for name, value in answers.items():
        page.locator(f'[name="{name}"]').fill(value)
    page.locator("main form button[type=submit]").last.click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= SCREEN_HEIGHT, box
    assert page.locator("h1").bounding_box()["y"] < box["y"]
    assert axe(page) == []


def test_result_chips_reach_7_to_1(page: Any, fill: Any, axe: Any) -> None:
    page.goto("/check")
    fill(page, {"age": 58, "onset": "sudden", "pain_quality": "sharp", "pain_nrs": 9})
    page.locator("main form button[type=submit]").click()
    page.locator("#result .status-met").first.wait_for()
    assert page.locator("#result .status-met").count() >= 2
    assert axe(page, rules=["color-contrast-enhanced"]) == []
