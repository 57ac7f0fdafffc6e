"""The self-check as a patient meets it: warning signs first, where they are in it, the action
first on the result, plain error messages, and a summary to take to the doctor."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

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
    section = html[: html.index("</section>")]
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


def test_answers_go_to_a_result_address_by_a_303_so_back_can_show_it_again(
    client: TestClient,
) -> None:
    sent = {**ANSWERS, "zip": "02139", "red_flags.fever": "unknown", "steroids": ""}
    response = client.post("/check", data=sent, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/check/result?")
    query = parse_qs(urlsplit(location).query, keep_blank_values=True)
    # the answers given, and nothing for those left blank or at "I don't know"
    assert query["age"] == ["58"] and query["zip"] == ["02139"]
    assert "red_flags.fever" not in query and "steroids" not in query
    assert "osteoporosis" not in query and query["onset"] == ["sudden"]
    assert "set-cookie" not in response.headers
    # the result is made from the address alone: a second client with nothing shared sees it
    again = client.get(location)
    assert again.status_code == 200
    assert 'data-outcome="possible-vcf"' in again.text
    assert again.headers["cache-control"] == "no-store"
    assert "set-cookie" not in again.headers


def test_change_my_answers_fills_the_form_in_again(client: TestClient) -> None:
    result = client.post("/check", data={**ANSWERS, "zip": "02139"})
    link = re.search(r'<a href="(/check\?[^"]+)">Change my answers</a>', result.text)
    assert link
    form = client.get(html.unescape(link.group(1))).text
    assert 'name="age" id="age" value="58"' in form
    assert (
        'id="zip" inputmode="numeric" autocomplete="postal-code" maxlength="10" value="02139"'
        in form
    )
    assert re.search(r'value="sudden" checked', form)


def test_a_result_address_edited_by_hand_is_checked_like_the_form(client: TestClient) -> None:
    response = client.get("/check/result?age=130&onset=sudden")
    assert response.status_code == 422
    assert "Enter your age in years, from 18 to 120." in response.text
    assert 'id="result"' not in response.text
    # a name the form does not have is ignored, and not carried on
    response = client.post("/check", data={**ANSWERS, "extra": "x"}, follow_redirects=False)
    assert "extra" not in response.headers["location"]
