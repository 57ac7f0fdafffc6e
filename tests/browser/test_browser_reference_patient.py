"""The reference patient's own path through the site, on a phone (390 px) and a desktop (1280 px).

She answers the self-check as on day 4 (spinefx.clinical.pathway.REFERENCE_SCREENING) with her
ZIP code; the result opens with what to do; its link finds specialists near her; she opens one.
"""

from __future__ import annotations

from typing import Any

import pytest

from spinefx.clinical.pathway import REFERENCE_SCREENING
from spinefx.directory.taxonomy import BKP_SPECIALTIES, SPECIALTIES

HER_ZIP = "02139"
WIDTHS = {390: 844, 1280: 900}  # width: height of the first screen


def her_answers() -> dict[str, str | float]:
    """Her self-check answers as the form's fields (None is the form's "I don't know")."""
    answers: dict[str, str | float] = {}
    for name, value in REFERENCE_SCREENING.items():
        if isinstance(value, dict):
            answers.update({f"{name}.{flag}": "yes" if on else "no" for flag, on in value.items()})
        elif value is None:
            answers[name] = "unknown"
        else:
            answers[name] = value  # type: ignore[assignment]
    return {**answers, "zip": HER_ZIP}


def top(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return float(box["y"])


def fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_her_path_from_the_self_check_to_a_specialist(
    page: Any, fill: Any, a11y_problems: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.goto("/check")
    fill(page, her_answers())
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    result = page.locator("#result")
    result.wait_for()
    assert result.get_attribute("data-outcome") == "possible-vcf"

    # The result opens with what to do: the action and its steps on the first screen, the
    # reasons after them.
    assert page.evaluate("window.scrollY") == 0
    assert top(page, "#outcome-title") < WIDTHS[width]
    assert top(page, "#next-steps") < WIDTHS[width]
    assert page.locator("#next-steps li").count() > 0
    why = page.get_by_role("heading", name="Why", exact=False)
    assert top(page, "#next-steps") < float(why.first.bounding_box()["y"])
    assert fits_the_width(page) and a11y_problems(page) == []

    page.locator(f"#result a[href*='/find'][href*='zip={HER_ZIP}']").first.click()
    page.wait_for_url("**/find?*")
    providers = page.locator("li.provider[data-npi]")
    assert providers.count() > 0
    kyphoplasty_fields = [SPECIALTIES[s] for s in BKP_SPECIALTIES]
    for text in providers.all_inner_texts():
        assert any(field in text for field in kyphoplasty_fields), text
    assert fits_the_width(page) and a11y_problems(page) == []

    first = providers.first
    npi = first.get_attribute("data-npi")
    name = first.locator("h3 a").inner_text()
    first.locator("h3 a").click()
    page.wait_for_url(f"**/find/provider/{npi}*")
    assert page.locator("h1").inner_text().strip() == name.strip()
    assert npi in page.locator("main").inner_text()
    assert fits_the_width(page) and a11y_problems(page) == []
