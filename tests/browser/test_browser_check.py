"""The self-check in a real browser: the reference patient end to end, and every red flag."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from spinefx.clinical.screening import EMERGENCY_FLAGS, URGENT_FLAGS

# The reference patient on day 4 (spinefx.clinical.pathway.REFERENCE_SCREENING): a 58-year-old
# woman, sudden sharp pain 9 of 10 for 4 days, never told of osteoporosis, no warning signs.
REFERENCE_ANSWERS: dict[str, str | float] = {
    "age": 58,
    "onset": "sudden",
    "pain_quality": "sharp",
    "pain_nrs": 9,
    "pain_days": 4,
    "osteoporosis": "unknown",
    **{f"red_flags.{name}": "no" for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS)},
}


def submit_check(page: Any, fill: Any, answers: dict[str, str | float]) -> Any:
    """Open /check, answer, submit; return the result container."""
    page.goto("/check")
    fill(page, answers)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    result = page.locator("#result")
    result.wait_for()
    return result


def test_reference_patient_gets_possible_vcf_with_reasons_and_a_specialist_link(
    page: Any, fill: Any, a11y_problems: Any
) -> None:
    result = submit_check(page, fill, {**REFERENCE_ANSWERS, "zip": "02139"})
    assert result.get_attribute("data-outcome") == "possible-vcf"
    text = result.inner_text().lower()
    for reason in ("sudden", "sharp", "3 days", "50"):
        assert reason in text, f"reason {reason!r} missing from the result: {text}"
    assert a11y_problems(page) == []

    link = page.locator("#result a[href*='/find']").first
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert query.get("zip") == ["02139"]
    link.click()
    page.wait_for_url("**/find?*")
    providers = page.locator("#results li, #results tr, [data-npi]")
    assert providers.count() > 0, "following the link from the result shows no providers"


def test_osteoporosis_question_offers_i_dont_know(page: Any) -> None:
    page.goto("/check")
    assert page.get_by_label("I don't know").count() >= 1


@pytest.mark.parametrize(
    ("flag", "outcome"),
    [(name, "emergency") for name in EMERGENCY_FLAGS] + [(name, "urgent") for name in URGENT_FLAGS],
)
def test_each_red_flag_answered_yes_overrides_the_rule(
    page: Any, fill: Any, flag: str, outcome: str
) -> None:
    # The reference patient's rule answers (possible-vcf on their own) and this one warning sign;
    # the other warning signs are left at "I don't know", which never raises the outcome.
    rule_answers = {k: v for k, v in REFERENCE_ANSWERS.items() if not k.startswith("red_flags.")}
    result = submit_check(page, fill, {**rule_answers, f"red_flags.{flag}": "yes"})
    assert result.get_attribute("data-outcome") == outcome
    banner = result.locator(f".banner-{outcome}")
    assert banner.is_visible()
    text = banner.inner_text()
    if outcome == "emergency":
        assert "911" in text
    else:
        assert "911" not in text  # the banner; the steps below keep the 911 safety net
        assert "today" in text.lower() or "same day" in text.lower()


def test_an_empty_form_is_incomplete_not_a_no(page: Any) -> None:
    page.goto("/check")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    assert page.locator("#result").get_attribute("data-outcome") == "incomplete"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_result_leads_with_what_to_do_and_prints_for_the_doctor(
    page: Any, fill: Any, width: int, a11y_problems: Any
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/check")
    legends = page.locator("fieldset.section legend").all_inner_texts()
    assert "Section 1 of 4" in legends[0] and "Warning signs" in legends[0]
    fill(page, {**REFERENCE_ANSWERS, "zip": "02139"})
    page.locator("form button[type=submit]").first.click()
    page.locator("#result").wait_for()
    steps = page.locator("#next-steps")
    assert steps.bounding_box()["y"] + 40 < 844, "what to do is below the fold"
    reasons = page.locator("#result .reasons").first.bounding_box()
    assert steps.bounding_box()["y"] < reasons["y"]
    assert page.url.split("?")[0].endswith("/check/result") and page.context.cookies() == []
    button = page.get_by_role("button", name="Print this for your doctor")
    assert button.is_visible()
    page.emulate_media(media="print")
    assert page.locator("#doctor-summary").is_visible()
    assert "58 years" in page.locator("#doctor-summary").inner_text()
    assert button.is_hidden()
    assert a11y_problems(page) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_emergency_result_shows_the_call_first_and_no_specialist_search(
    page: Any, fill: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    rule_answers = {k: v for k, v in REFERENCE_ANSWERS.items() if not k.startswith("red_flags.")}
    result = submit_check(page, fill, {**rule_answers, "red_flags.saddle_numbness": "yes"})
    call = result.get_by_role("link", name="Call 911")
    assert call.bounding_box()["y"] + 40 < 844
    assert call.bounding_box()["y"] < result.locator(".reasons").last.bounding_box()["y"]
    assert result.locator("a[href*='/find']").count() == 0


@pytest.mark.parametrize("width", [390, 1280])
def test_a_wrong_age_is_told_in_plain_words(page: Any, fill: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/check")
    fill(page, {**REFERENCE_ANSWERS, "age": 130})
    page.locator("form button[type=submit]").first.click()
    page.locator(".error-summary").wait_for()
    text = page.locator("main").inner_text()
    assert "Enter your age in years, from 18 to 120" in text
    assert "integer" not in text and "null" not in text


@pytest.mark.parametrize("width", [390, 1280])
def test_the_self_check_works_without_javascript(
    browser: Any, base_url: str, fill: Any, width: int
) -> None:
    context = browser.new_context(
        base_url=base_url, java_script_enabled=False, viewport={"width": width, "height": 844}
    )
    try:
        page = context.new_page()
        page.goto("/check")
        fill(page, REFERENCE_ANSWERS)
        page.locator("form button[type=submit]").first.click()
        page.locator("#result").wait_for()
        assert page.locator("#result").get_attribute("data-outcome") == "possible-vcf"
        assert page.locator("#next-steps").is_visible()
        # The Print button needs the script, so without it the button stays hidden.
        assert page.locator("button[data-print]").is_hidden()
        assert page.locator("#doctor-summary").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(
    ("flag", "outcome", "away"),
    [
        (None, "possible-vcf", "Find spine specialists near 02139"),
        ("saddle_numbness", "emergency", "Learn about compression fractures"),
    ],
)
def test_back_from_the_next_page_shows_the_result_again_with_no_cookie(
    page: Any,
    fill: Any,
    axe: Any,
    width: int,
    flag: str | None,
    outcome: str,
    away: str,
) -> None:
    """Submit, follow a link on the result, press Back: the same result, made again from its
    address (no "Confirm Form Resubmission"), with no cookie set and nothing kept by the server:
    a second browser with nothing shared opens the address to the same result."""
    page.set_viewport_size({"width": width, "height": 844})
    answers = {**REFERENCE_ANSWERS, "zip": "02139"}
    if flag:
        answers[f"red_flags.{flag}"] = "yes"
    result = submit_check(page, fill, answers)
    assert result.get_attribute("data-outcome") == outcome
    address = page.url
    first_step = page.locator("#next-steps li").first.inner_text()
    assert axe(page) == []
    page.get_by_role("link", name=away).click()
    page.wait_for_url(lambda url: "/check/result" not in url)
    page.go_back()
    page.locator("#result").wait_for()
    assert page.url == address
    assert page.locator("#result").get_attribute("data-outcome") == outcome
    assert page.locator("#next-steps li").first.inner_text() == first_step
    assert "58 years" in page.locator("#doctor-summary").inner_text()
    assert page.context.cookies() == []
    fresh = page.context.browser.new_context()
    try:
        other = fresh.new_page()
        other.goto(address)
        assert other.locator("#result").get_attribute("data-outcome") == outcome
        assert fresh.cookies() == []
    finally:
        fresh.close()
