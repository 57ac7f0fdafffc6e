"""The clinician tools as a clinician meets them: clinical words, T1-L5, tools that hand on
what they found, colours that mean what they say, and a plan that prints with its inputs."""

from __future__ import annotations

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
    "fracture_age_weeks": "4",
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
        "Age of the fracture (weeks)",
        "13 weeks = 3 months",
        "MRI showing marrow oedema",
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
    text = text_of(inputs.group(1))
    for shown in (
        "Sex Female",
        "Age (years) 58",
        "Date of the fracture 2 November 2026",
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
    assert 'Plan made on <time datetime="2027-03-01">1 March 2027</time>' in html
    due = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">([^<]+)</time>', html)
    assert ("2027-01-25", "25 January 2027") in due  # 12 weeks after 2 November 2026
    assert ("2027-11-01", "1 November 2027") in due  # 52 weeks after
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
