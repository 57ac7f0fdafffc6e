"""The clinician tools as a clinician meets them: clinical words, T1-L5, tools that hand on
what they found, colours that mean what they say, and a plan that prints with its inputs."""

from __future__ import annotations

import datetime
import html as html_module
import re
from html import escape as html_escape

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.spine import Level

T1_TO_L5 = [v.value for v in Level if Level.T1.position <= v.position <= Level.L5.position]
HEIGHTS = {
    "L1.ha": "28",
    "L1.hm": "28",
    "L1.hp": "28",
    "L2.ha": "18",
    "L2.hm": "21",
    "L2.hp": "27",
    "L3.ha": "28",
    "L3.hm": "28",
    "L3.hp": "28",
}
CANDIDACY = {
    "levels": "L2",
    "imaging_confirmed": "yes",
    "fracture_date": (datetime.date.today() - datetime.timedelta(weeks=4)).isoformat(),
    "pain_nrs": "9",
    "hospitalized": "no",
    "conservative_care_failed": "yes",
    "pain_worsening": "no",
    "height_loss_pct": "35",
    "kyphosis": "no",
    "rdq": "10",
    "malignant": "yes",
    "absolute_contraindications": "_none",
}
FOLLOWUP = {
    "sex": "female",
    "age": "58",
    "fracture_date": "2026-11-02",
    "vertebral_fractures": "1",
    "max_grade": "2",
    "egfr": "82",
    "on_osteoporosis_treatment": "no",
}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_candidacy_offers_t1_to_l5_only(client: TestClient) -> None:
    html = client.get("/clinician/candidacy").text
    assert re.findall(r'name="levels" id="levels-([A-Z0-9]+)"', html) == T1_TO_L5


def test_the_grading_form_takes_t1_to_l5_like_the_cli(client: TestClient) -> None:
    html = client.get("/clinician/grading").text
    assert re.findall(r'name="([A-Z0-9]+)\.ha"', html) == T1_TO_L5
    t2 = client.post("/clinician/grading", data={"T2.ha": "20", "T2.hm": "25", "T2.hp": "25"})
    assert t2.status_code == 200
    assert 'data-level="T2" data-grade="1"' in t2.text


@pytest.mark.parametrize(
    "words",
    [
        "Roland-Morris Disability Questionnaire (RDQ)",
        "24 yes-or-no statements",
        "Date of the fracture",
        "counts the weeks from it to today",
        "MRI showing marrow edema",
    ],
)
def test_the_candidacy_form_speaks_clinically_with_help(client: TestClient, words: str) -> None:
    assert words in text_of(client.get("/clinician/candidacy").text)


def test_the_follow_up_form_names_kidney_function(client: TestClient) -> None:
    text = text_of(client.get("/clinician/followup").text)
    # the labels use creatinine clearance; an eGFR stands in for it, and the form says so
    assert "Kidney function: creatinine clearance (ml/min)" in text
    assert "an eGFR (ml/min/1.73 m²) can stand in" in text
    assert "Egfr" not in text


def test_grading_says_one_line_per_fractured_level_and_hands_on(client: TestClient) -> None:
    html = client.post("/clinician/grading", data=HEIGHTS).text
    summary = re.search(r'<ul class="grade-summary" id="grade-summary">(.*?)</ul>', html, re.S)
    assert summary and text_of(summary.group(1)).strip() == "L2: grade 2 wedge, 33 %"
    onward = re.search(r'<form[^>]+id="to-candidacy".*?</form>', html, re.S)
    assert onward
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', onward.group(0)))
    assert hidden["levels"] == "L2" and hidden["height_loss_pct"] == "33.3"
    assert "Assess candidacy for L2" in onward.group(0)
    filled = client.post("/clinician/candidacy", data=hidden)
    assert filled.status_code == 200
    assert 'id="result"' not in filled.text  # filled in, not yet assessed
    assert 'id="levels-L2" value="L2" checked' in filled.text
    assert 'value="33.3"' in filled.text


def test_candidacy_hands_on_to_the_follow_up_plan(client: TestClient) -> None:
    html = client.post("/clinician/candidacy", data=CANDIDACY).text
    onward = re.search(
        r'<form[^>]+action="/clinician/followup"[^>]*id="to-followup".*?</form>', html, re.S
    )
    assert onward and 'name="vertebral_fractures" value="1"' in onward.group(0)
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', onward.group(0)))
    filled = client.post("/clinician/followup", data=hidden)
    assert filled.status_code == 200 and 'id="result"' not in filled.text
    assert 'id="prefilled"' in filled.text


def test_a_part_not_met_inside_a_met_alternative_is_not_alarm_red(client: TestClient) -> None:
    osteoporotic = {**CANDIDACY, "malignant": "no", "kyphosis": "yes"}
    html = client.post("/clinician/candidacy", data=osteoporotic).text
    shown = dict(re.findall(r'data-criterion="([^"]+)" data-shown="([^"]+)"', html))
    assert shown["indication"] == "met"  # carried by height loss and kyphosis
    assert shown["two-of-height-kyphosis-rdq"] == "met"
    assert shown["pain-worsening"] == "not-needed"
    assert shown["rdq-over-17"] == "not-needed"
    assert "status-not-met" not in html
    unmet = client.post(
        "/clinician/candidacy", data={**CANDIDACY, "malignant": "no", "height_loss_pct": "10"}
    ).text
    shown = dict(re.findall(r'data-criterion="([^"]+)" data-shown="([^"]+)"', unmet))
    assert shown["indication"] == "not-met"
    assert shown["pain-worsening"] == "not-met"  # nothing carried it: a real failure


def test_an_absent_very_high_risk_trigger_is_not_red(client: TestClient) -> None:
    # seen more than a year after the fracture, every AACE criterion answered "no"
    answered = {
        **FOLLOWUP,
        "as_of": "2027-12-14",
        "glucocorticoids": "no",
        "t_score": "-2.5",
        "injurious_falls": "no",
        "frax_major_pct": "20",
        "frax_hip_pct": "3",
        "menopausal": "yes",
    }
    html = client.post("/clinician/followup", data=answered).text
    badges = re.findall(r'class="trigger (trigger-[a-z-]+)"', html)
    assert badges == ["trigger-not-met"] * 9
    assert "status-not-met" not in html
    severe = client.post("/clinician/followup", data={**answered, "max_grade": "3"}).text
    assert "trigger-met" in severe


def test_the_printed_plan_carries_its_inputs_date_and_name_lines(client: TestClient) -> None:
    html = client.post("/clinician/followup", data=FOLLOWUP).text
    inputs = re.search(r'<dl class="plan-inputs" id="plan-inputs">(.*?)</dl>', html, re.S)
    assert inputs
    text = html_module.unescape(text_of(inputs.group(1)))
    for shown in (
        "The patient's sex Female",
        "The patient's age (years) 58",
        "Date of the fracture November 2, 2026",
        "82 ml/min",
    ):
        assert shown in text
    assert re.search(r"Plan made on <time datetime=\"\d{4}-\d\d-\d\d\">", html)
    assert html.count('<span class="blank"></span>') == 2
    assert '<button type="button" class="button" data-print hidden>' in html
    assert '<script src="/static/js/print.js" defer></script>' in html
    assert html.count('type="checkbox" id="done-') >= 5


def test_the_print_script_is_served_from_the_site(client: TestClient) -> None:
    response = client.get("/static/js/print.js")
    assert response.status_code == 200
    assert "window.print()" in response.text


def test_a_bad_fracture_date_is_told_in_plain_words(client: TestClient) -> None:
    response = client.post("/clinician/followup", data={**FOLLOWUP, "fracture_date": "2026-13-45"})
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Enter the date of the fracture as a real date (month, day, year)" in text
    assert "YYYY" not in text and "null" not in text


def test_the_plan_shows_its_dates_in_words_and_keeps_iso_in_the_markup(
    client: TestClient,
) -> None:
    html = client.post("/clinician/followup", data={**FOLLOWUP, "as_of": "2027-03-01"}).text
    assert 'Plan made on <time datetime="2027-03-01">March 1, 2027</time>' in html
    due = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">([^<]+)</time>', html)
    assert ("2027-01-25", "January 25, 2027") in due  # 12 weeks after 2 November 2026
    assert ("2027-11-01", "November 1, 2027") in due  # 52 weeks after
    shown = [words for _, words in due]
    assert not any(re.fullmatch(r"\d{4}-\d\d-\d\d", w) for w in shown)


def test_the_api_plan_keeps_iso_dates(client: TestClient) -> None:
    data = {"sex": "female", "age": 58, "fracture_date": "2026-11-02", "as_of": "2027-03-01"}
    plan = client.post("/api/v1/followup", json=data).json()
    assert plan["as_of"] == "2027-03-01"
    assert plan["fls_checklist"][0]["due_date"] == "2027-01-25"


# --- Entered height losses, where the heights are not at hand ----------------------------------


def test_an_entered_loss_is_graded_and_marked_entered_not_measured(client: TestClient) -> None:
    html = client.post(
        "/clinician/grading", data={**HEIGHTS, "T12.loss": "30", "L4.loss": "12"}
    ).text
    note = re.search(r'<p class="notice entered-note" id="entered-levels">(.*?)</p>', html, re.S)
    assert note
    assert "Graded from an entered height loss, not from measured heights: T12, L4." in (
        text_of(note.group(1))
    )
    found = re.findall(r'data-graded-from="([a-z-]+)"><th scope="row">([A-Z0-9]+)</th>', html)
    assert [(level, source) for source, level in found] == [
        ("T12", "entered-pct"),
        ("L1", "heights"),
        ("L2", "heights"),
        ("L3", "heights"),
        ("L4", "entered-pct"),
    ]
    assert html.count("<strong>entered %</strong>, not measured") == 2
    summary = re.search(r'<ul class="grade-summary" id="grade-summary">(.*?)</ul>', html, re.S)
    assert summary
    assert "T12: grade 2, 30 % (entered, not measured)" in text_of(summary.group(1))
    assert re.search(r'data-level="T12" data-grade="2"[^>]*data-graded-from="entered-pct"', html)
    assert "entered 30 %" in html  # the drawing's label


@pytest.mark.parametrize(
    ("pct", "grade"), [("19.99", 0), ("20", 1), ("24.99", 1), ("25", 2), ("40", 2), ("40.01", 3)]
)
def test_an_entered_loss_at_each_genant_edge(client: TestClient, pct: str, grade: int) -> None:
    html = client.post("/clinician/grading", data={"L1.loss": pct}).text
    assert re.search(rf'data-level="L1" data-grade="{grade}"', html)


@pytest.mark.parametrize("pct", ["120", "-5"])
def test_an_entered_loss_out_of_range_gives_the_form_again_naming_the_field(
    client: TestClient, pct: str
) -> None:
    response = client.post("/clinician/grading", data={**HEIGHTS, "L4.loss": pct})
    assert response.status_code == 422
    html = response.text
    assert 'id="result"' not in html
    assert f'name="L4.loss" id="L4-loss" value="{pct}"' in html  # typed values kept
    assert "L4 height loss" in html and "0 to 100" in html


def test_heights_and_a_loss_for_one_level_is_refused(client: TestClient) -> None:
    response = client.post("/clinician/grading", data={**HEIGHTS, "L2.loss": "30"})
    assert response.status_code == 422
    assert "L2: enter the three heights or a height loss in %, not both." in response.text


def test_the_pages_print_each_criterion_in_the_cores_words(client: TestClient) -> None:
    from spinefx.clinical import candidacy, followup

    candidacy_page = client.post(
        "/clinician/candidacy", data={"levels": "L2", "imaging_confirmed": "yes"}
    ).text
    for id, words in candidacy.CRITERION_TEXT.items():
        # the coverage criteria, and what decides the diagnosis code
        assert f'data-criterion="{id}"' in candidacy_page or (
            f'data-code-criterion="{id}"' in candidacy_page
        )
        assert html_escape(words) in candidacy_page
    plan = client.post("/clinician/followup", data=FOLLOWUP).text
    for id, words in followup.CRITERION_TEXT.items():
        assert re.search(rf'data-check="{id}">.*?{re.escape(html_escape(words))}', plan)


def weeks_ago(weeks: float) -> str:
    return (datetime.date.today() - datetime.timedelta(weeks=weeks)).isoformat()


# The candidacy case with no malignancy, where the height loss counts.
BENIGN = {**CANDIDACY, "malignant": "no"}


def criterion(html: str, name: str) -> str:
    found = re.search(rf'data-criterion="{name}" data-shown="([a-z-]+)"', html)
    assert found, name
    return found.group(1)


def test_a_height_loss_below_1_is_taken_as_typed_after_asking_about_a_fraction(
    client: TestClient,
) -> None:
    asked = client.post("/clinician/candidacy", data={**BENIGN, "height_loss_pct": "0.33"})
    assert asked.status_code == 200
    assert 'id="result"' not in asked.text  # nothing assessed before the answer
    question = re.search(
        r'<div class="notice confirm" id="confirm-height-loss".*?</div>\n</div>', asked.text, re.S
    )
    assert question
    words = html_module.unescape(text_of(question.group(0)))
    assert "did you mean 33 %?" in words and "You entered 0.33 %" in words
    # Each answer is a button of a form that sends every answer again, with the loss chosen.
    forms = re.findall(r"<form .*?</form>", question.group(0), re.S)
    assert len(forms) == 2
    for form, loss, shown in ((forms[0], "33", "met"), (forms[1], "0.33", "not-met")):
        sent: dict[str, list[str]] = {}
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form):
            sent.setdefault(name, []).append(html_module.unescape(value))
        assert sent["_height_loss"] == [loss] and "height_loss_pct" not in sent
        assert sent["rdq"] == ["10"] and sent["levels"] == ["L2"]
        answered = client.post("/clinician/candidacy", data=sent).text
        assert 'id="result"' in answered
        assert criterion(answered, "height-loss-over-25") == shown
        assert f'name="height_loss_pct" id="height_loss_pct" value="{loss}"' in answered


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [("27,5", "met"), ("27.5", "met"), ("25,0", "not-met"), ("2,75", "not-met")],
)
def test_a_decimal_comma_is_read_as_a_point(client: TestClient, typed: str, outcome: str) -> None:
    html = client.post("/clinician/candidacy", data={**BENIGN, "height_loss_pct": typed}).text
    assert criterion(html, "height-loss-over-25") == outcome


def test_a_comma_that_is_not_a_decimal_says_to_use_a_point(client: TestClient) -> None:
    response = client.post("/clinician/candidacy", data={**BENIGN, "height_loss_pct": "1,000"})
    assert response.status_code == 422
    assert "Use a point for decimals, such as 27.5." in response.text


def test_the_fracture_age_is_a_date_and_the_weeks_are_shown(client: TestClient) -> None:
    html = client.post("/clinician/candidacy", data={**BENIGN, "fracture_date": weeks_ago(5)})
    assert html.status_code == 200
    assert re.search(
        r'<p id="fracture-age">Fracture age: <strong>5 weeks</strong>, from', html.text
    )
    assert criterion(html.text, "not-chronic") == "met"
    old = client.post("/clinician/candidacy", data={**BENIGN, "fracture_date": weeks_ago(53)})
    assert criterion(old.text, "not-chronic") == "not-met"
    future = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    late = client.post("/clinician/candidacy", data={**CANDIDACY, "fracture_date": future})
    assert late.status_code == 422
    assert "The date of the fracture cannot be after today" in late.text
    # the date goes on to the follow-up plan with the rest
    plan = re.search(r'<form method="post" action="/clinician/followup".*?</form>', html.text, re.S)
    assert plan and f'name="fracture_date" value="{weeks_ago(5)}"' in plan.group(0)


def test_the_follow_up_form_speaks_to_the_clinician(client: TestClient) -> None:
    response = client.post("/clinician/followup", data={**FOLLOWUP, "age": "12"})
    assert response.status_code == 422
    text = html_module.unescape(response.text)
    assert "Enter the patient's age in years, from 18 to 120." in text
    assert "your age" not in text.lower()
    form = html_module.unescape(client.get("/clinician/followup").text)
    assert "The patient's age" in form and "The patient's sex" in form


def test_grading_candidacy_and_follow_up_carry_the_worst_grade(client: TestClient) -> None:
    graded = client.post("/clinician/grading", data=HEIGHTS).text
    to_candidacy = re.search(r'<form[^>]*id="to-candidacy".*?</form>', graded, re.S)
    assert to_candidacy
    sent: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', to_candidacy.group(0)):
        sent.setdefault(name, []).append(value)
    assert sent["max_grade"] == ["2"] and sent["vertebral_fractures"] == ["1"]
    prefilled = client.post("/clinician/candidacy", data=sent).text
    assert "Worst Genant grade 2" in prefilled
    answers = {**CANDIDACY, "max_grade": "2", "vertebral_fractures": "1"}
    assessed = client.post("/clinician/candidacy", data=answers).text
    to_followup = re.search(r'<form[^>]*id="to-followup".*?</form>', assessed, re.S)
    assert to_followup
    assert 'name="max_grade" value="2"' in to_followup.group(0)
    assert 'name="vertebral_fractures" value="1"' in to_followup.group(0)
    carried = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', to_followup.group(0)))
    plan = client.post("/clinician/followup", data=carried).text
    assert 'name="max_grade" id="max_grade" value="2"' in plan, "the grade is not filled in"
