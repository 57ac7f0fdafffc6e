"""The self-check as a patient meets it: warning signs first, where they are in it, the action
first on the result, plain error messages, and a summary to take to the doctor."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.screening import EMERGENCY_FLAGS, URGENT_FLAGS

ANSWERS = {
    "age": "58",
    "onset": "sudden",
    "pain_nrs": "9",
    "pain_quality": "sharp",
    "pain_days": "4",
    "osteoporosis": "unknown",
    **{f"red_flags.{name}": "no" for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS)},
}


def result_html(client: TestClient, **changes: str) -> str:
    response = client.post("/check", data={**ANSWERS, **changes})
    assert response.status_code == 200
    return response.text[response.text.index('id="result"') :]


def test_the_warning_signs_come_first_and_each_section_says_where_it_is(
    client: TestClient,
) -> None:
    html = client.get("/check").text
    legends = re.findall(
        r'<span class="section-count">([^<]+)</span> <span class="section-title">([^<]+)', html
    )
    assert legends[0] == ("Section 1 of 4", "Warning signs")
    assert [n for n, _ in legends] == [f"Section {i} of 4" for i in range(1, 5)]
    first_flag = html.index('name="red_flags.')
    assert first_flag < html.index('name="age"') < html.index('name="onset"')


@pytest.mark.parametrize(
    ("changes", "action"),
    [
        ({}, "See a doctor today."),  # pain 9 of 10
        ({"pain_nrs": "7"}, "See a doctor within the next few days."),
        ({"red_flags.fever": "yes"}, "See a doctor today."),
        ({"red_flags.saddle_numbness": "yes"}, "Call 911 or go to an emergency department now."),
    ],
)
def test_the_result_opens_with_what_to_do_and_how_soon(
    client: TestClient, changes: dict[str, str], action: str
) -> None:
    html = result_html(client, **changes)
    first = re.search(r'<h2 id="outcome-title">([^<]+)</h2>', html)
    assert first and first.group(1) == action
    assert html.index('id="next-steps"') < html.index('class="reasons"')


def test_the_emergency_result_has_no_specialist_search(client: TestClient) -> None:
    html = result_html(client, **{"red_flags.saddle_numbness": "yes", "zip": "02139"})
    section = html[: html.index("</section>\n\n<p>")]
    assert "/find" not in section
    assert section.index('href="tel:911"') < section.index('class="reasons"')


def test_the_summary_for_the_doctor_lists_every_answer_and_keeps_nothing(
    client: TestClient,
) -> None:
    response = client.post("/check", data={**ANSWERS, "red_flags.fever": "unknown"})
    summary = re.search(r'<div class="doctor-summary".*?</dl>', response.text, re.S)
    assert summary
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0))))
    assert "58 years" in text and "9 out of 10" in text and "4 days" in text
    assert "I don't know" in text  # fever, and osteoporosis
    # the warning signs, then age, osteoporosis, steroids, onset, minor trauma, pain, quality, days
    assert summary.group(0).count("<dt>") == len(EMERGENCY_FLAGS) + len(URGENT_FLAGS) + 8
    assert "set-cookie" not in response.headers
    assert '<script src="/static/js/print.js" defer></script>' in response.text
    assert "data-print hidden" in response.text


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("age", "130", "Enter your age in years, from 18 to 120."),
        ("age", "abc", "Enter your age in years, from 18 to 120."),
        ("pain_days", "-1", "as a number of 0 or more."),
        ("zip", "12", "Enter a US ZIP code of 5 digits, such as 02139, or leave it blank."),
    ],
)
def test_errors_are_in_plain_words(client: TestClient, name: str, value: str, message: str) -> None:
    response = client.post("/check", data={**ANSWERS, name: value})
    assert response.status_code == 422
    assert message in response.text
    for jargon in ("integer", "null", "Allowed:"):
        assert jargon not in response.text
