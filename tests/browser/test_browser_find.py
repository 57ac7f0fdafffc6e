"""The specialist search in a real browser, over the demo directory built by the conftest."""

from __future__ import annotations

import re
from typing import Any

import pytest


def search(page: Any, zip_code: str, radius: int | None = None) -> None:
    """Fill the /find form as a visitor would and submit it."""
    page.goto("/find")
    page.locator('[name="zip"]').fill(zip_code)
    if radius is not None:
        page.locator('[name="radius"]').select_option(str(radius))
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/find?*")


def test_a_search_near_02139_lists_specialists_with_their_distance(
    page: Any, a11y_problems: Any
) -> None:
    search(page, "02139", 25)
    rows = page.locator("#results li, #results tr, [data-npi]")
    assert rows.count() > 0
    first = rows.first.inner_text()
    assert re.search(r"\d+(\.\d+)?\s*mi", first), f"no distance in the first result: {first}"
    assert a11y_problems(page) == []


@pytest.mark.parametrize("zip_code", ["00000", "99999"])
def test_an_unknown_zip_says_so_and_suggests_near_ones(page: Any, zip_code: str) -> None:
    search(page, zip_code)
    text = page.locator("main").inner_text()
    assert zip_code in text
    assert "did you mean" in text.lower()
    suggestions = page.locator("main a[href*='zip=']")
    assert suggestions.count() >= 1
    suggestions.first.click()
    page.wait_for_url("**/find?*")
    assert "did you mean" not in page.locator("main").inner_text().lower()


def test_a_malformed_zip_is_an_error_naming_the_field(page: Any) -> None:
    search(page, "abc")
    text = page.locator("main").inner_text()
    assert "5-digit" in text
    assert page.locator("[name='zip']").input_value() == "abc"
