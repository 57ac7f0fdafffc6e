"""The server-rendered pages: each renders, the self-check routes red flags first, the search
pages through the demo directory, and bad answers come back next to their field with 422."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spinefx.clinical.screening import EMERGENCY_FLAGS, URGENT_FLAGS
from spinefx.learn.references import REFERENCES
from spinefx.learn.topics import TOPICS
from spinefx.web import Settings, create_app

# The reference patient on day 4, as the /check form sends it.
REFERENCE_FORM = {
    "age": "58",
    "onset": "sudden",
    "pain_nrs": "9",
    "pain_quality": "sharp",
    "pain_days": "4",
    "osteoporosis": "unknown",
    **{f"red_flags.{name}": "no" for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS)},
}
REFERENCE_HEIGHTS = {
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
FOLLOWUP_FORM = {
    "sex": "female",
    "age": "58",
    "fracture_date": "2026-11-02",
    "vertebral_fractures": "1",
    "max_grade": "2",
    "egfr": "82",
    "on_osteoporosis_treatment": "no",
}


def result_section(html: str) -> str:
    """The #result container of a result page."""
    match = re.search(r'<section id="result".*?</section>', html, re.S)
    assert match, "no #result on the page"
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "compression fracture"),
        ("/check", "Self-check"),
        ("/learn", "Learn"),
        ("/learn/references", "References"),
        ("/find", "Find a specialist"),
        ("/clinician", "For clinicians"),
        ("/clinician/grading", "Genant"),
        ("/clinician/candidacy", "kyphoplasty"),
        ("/clinician/followup", "follow-up"),
    ],
)
def test_each_page_renders_with_one_h1(client: TestClient, path: str, expected: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert expected.lower() in response.text.lower()
    assert response.text.count("<h1") == 1
    assert 'class="skip-link" href="#main"' in response.text
    assert "does not replace a doctor" in response.text


def test_home_offers_the_three_paths_the_clinician_tools_and_the_emergency_advice(
    client: TestClient,
) -> None:
    html = client.get("/").text
    for href in ('href="/check"', 'href="/learn"', 'href="/find"', 'href="/clinician"'):
        assert href in html
    assert "911" in html


def test_pages_answer_head_requests(client: TestClient) -> None:
    assert client.head("/").status_code == 200


# --- /check ---------------------------------------------------------------------------------


def test_the_check_form_groups_the_questions_and_defaults_every_answer_to_unknown(
    client: TestClient,
) -> None:
    html = client.get("/check").text
    assert html.count("<fieldset") >= 3
    for legend in ("About you", "The pain", "Warning signs"):
        assert legend in html
    for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS, "osteoporosis"):
        field = f"red_flags.{name}" if name != "osteoporosis" else name
        checked = re.search(
            rf'<input type="radio" name="{re.escape(field)}" id="[^"]+" value="unknown" checked>',
            html,
        )
        assert checked, f"{field} does not default to I don't know"
    assert "I don&#39;t know" in html or "I don't know" in html
    # Every input has a label pointing at it.
    ids = set(re.findall(r'<input[^>]* id="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    assert ids <= labelled, ids - labelled


def test_the_check_form_posts_so_answers_stay_out_of_urls(client: TestClient) -> None:
    assert '<form method="post" action="/check"' in client.get("/check").text


def test_the_reference_patient_gets_possible_vcf_with_reasons_and_a_find_link(
    client: TestClient,
) -> None:
    response = client.post("/check", data={**REFERENCE_FORM, "zip": "02139"})
    assert response.status_code == 200
    section = result_section(response.text)
    assert 'data-outcome="possible-vcf"' in section
    words = text_of(section)
    for reason in ("suddenly", "sharp", "3 days", "older than 50"):
        assert reason in words
    assert 'href="/find?zip=02139"' in section
    assert "What to do next" in response.text


@pytest.mark.parametrize("flag", EMERGENCY_FLAGS)
def test_an_emergency_flag_shows_the_red_call_911_banner(client: TestClient, flag: str) -> None:
    response = client.post("/check", data={**REFERENCE_FORM, f"red_flags.{flag}": "yes"})
    section = result_section(response.text)
    assert 'data-outcome="emergency"' in section
    assert 'class="banner banner-emergency"' in section
    assert "Call 911 or go to an emergency department now" in section


@pytest.mark.parametrize("flag", URGENT_FLAGS)
def test_an_urgent_flag_shows_the_amber_be_seen_today_banner(client: TestClient, flag: str) -> None:
    response = client.post("/check", data={**REFERENCE_FORM, f"red_flags.{flag}": "yes"})
    section = result_section(response.text)
    assert 'data-outcome="urgent"' in section
    assert 'class="banner banner-urgent"' in section
    assert "today" in section
    banner = section.split('class="banner banner-urgent"')[1].split("</div>")[0]
    assert "911" not in banner  # the steps below it keep the 911 safety net


def test_an_emergency_flag_wins_over_an_urgent_one(client: TestClient) -> None:
    data = {**REFERENCE_FORM, "red_flags.fever": "yes", "red_flags.leg_weakness": "yes"}
    assert 'data-outcome="emergency"' in client.post("/check", data=data).text


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"pain_quality": "aching", "osteoporosis": "yes", "age": "80"}, "see-doctor"),
        ({"pain_days": "2"}, "see-doctor"),
        ({"pain_days": "2", "pain_nrs": "7"}, "see-doctor"),
        ({"age": "40", "osteoporosis": "no"}, "incomplete"),  # steroid tablets not answered
        ({"age": "40", "osteoporosis": "no", "steroids": "no"}, "not-indicated"),
    ],
)
def test_a_checklist_no_reassures_only_when_the_concern_is_known_false(
    client: TestClient, changes: dict[str, str], outcome: str
) -> None:
    section = result_section(client.post("/check", data={**REFERENCE_FORM, **changes}).text)
    assert f'data-outcome="{outcome}"' in section
    assert f'class="banner banner-{outcome}"' in section
    words = text_of(section)
    if outcome == "see-doctor":
        # the action scales with the pain: 9 of 10 is today, 7 within days
        when = "today" if changes.get("pain_nrs", "9") == "9" else "within the next few days"
        assert f"See a doctor {when}" in words
        assert "reason enough to be checked" in words
    elif outcome == "incomplete":
        assert "cannot rule out a fracture" not in words
        assert "steroid tablets" in words  # the question to answer is named
    else:
        assert "cannot rule out a fracture" in words
        assert "do not fit" not in words


def test_the_check_form_asks_the_new_questions_and_calls_it_a_checklist(
    client: TestClient,
) -> None:
    html = client.get("/check").text
    assert 'name="red_flags.aortic"' in html
    assert 'name="red_flags.recent_infection"' in html
    assert "at its worst, including when you move" in html
    assert "higher than standing height" in html
    assert "published rule" not in html
    assert "checklist" in html


def test_an_empty_form_is_incomplete_and_lists_every_unanswered_warning_sign(
    client: TestClient,
) -> None:
    response = client.post("/check", data={})
    section = result_section(response.text)
    assert 'data-outcome="incomplete"' in section
    assert "did not answer" in section
    assert section.count("<li>", section.index('class="unanswered"')) == len(EMERGENCY_FLAGS) + len(
        URGENT_FLAGS
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("age", "abc"), ("age", "130"), ("pain_nrs", "11"), ("onset", "slowly"), ("zip", "12")],
)
def test_an_invalid_answer_shows_the_form_again_with_the_message_by_the_field(
    client: TestClient, name: str, value: str
) -> None:
    response = client.post("/check", data={**REFERENCE_FORM, name: value})
    assert response.status_code == 422
    assert 'id="result"' not in response.text
    assert f'id="{name}-error"' in response.text
    message = re.search(rf'id="{name}-error">.*?</span>([^<]+)</p>', response.text)
    assert message and message.group(1).startswith(("Enter ", "Choose ")), message
    for jargon in ("Allowed:", "integer", "null"):
        assert jargon not in response.text
    assert 'role="alert"' in response.text
    if name not in ("onset",):  # what was typed is kept (a radio button has no free text)
        assert f'value="{value}"' in response.text


# --- /learn ---------------------------------------------------------------------------------


def test_the_learn_index_lists_every_topic(client: TestClient) -> None:
    html = client.get("/learn").text
    for topic in TOPICS:
        assert f'href="/learn/{topic.slug}"' in html


@pytest.mark.parametrize("slug", [t.slug for t in TOPICS])
def test_each_topic_links_every_fact_to_its_numbered_reference(
    client: TestClient, slug: str
) -> None:
    response = client.get(f"/learn/{slug}")
    assert response.status_code == 200
    cited = set(re.findall(r'href="/learn/references#ref-(\d+)"', response.text))
    topic = next(t for t in TOPICS if t.slug == slug)
    assert cited == {str(n) for n in topic.refs}
    assert "<sup" in response.text


def test_the_kyphoplasty_page_shows_the_steps_drawing(client: TestClient) -> None:
    html = client.get("/learn/kyphoplasty").text
    assert re.search(r'<img src="/static/img/bkp-steps.svg" alt="[^"]{20,}"', html)


def test_references_have_anchors_and_doi_links(client: TestClient) -> None:
    html = client.get("/learn/references").text
    for ref in REFERENCES:
        assert f'id="ref-{ref.number}"' in html
        if ref.doi:
            assert f'href="https://doi.org/{ref.doi}"' in html


def test_an_unknown_topic_is_a_404_page(client: TestClient) -> None:
    response = client.get("/learn/no-such-topic")
    assert response.status_code == 404
    assert 'href="/"' in response.text


def test_an_unknown_page_is_a_404_page_with_a_way_home(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert 'href="/"' in response.text


# --- /find ----------------------------------------------------------------------------------


def test_find_lists_specialists_with_distance_phone_and_the_volume_note(
    client: TestClient,
) -> None:
    from spinefx.directory.search import VOLUME_NOTE

    response = client.get("/find?zip=02139&radius=25")
    assert response.status_code == 200
    html = response.text
    assert 'id="results"' in html
    assert html.count("data-npi=") > 0
    assert re.search(r"\d+\.\d mi", html)
    assert "Phone:" in html
    assert VOLUME_NOTE in html
    assert 'name="zip"' in html and 'value="02139"' in html


def test_find_pages_through_the_results(client: TestClient) -> None:
    first = client.get("/find?zip=02139&radius=100&limit=10").text
    assert "offset=10" in first and 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/find?zip=02139&radius=100&limit=10&offset=10").text
    assert 'rel="prev"' in second
    assert re.findall(r'data-npi="(\d+)"', first)[0] not in re.findall(r'data-npi="(\d+)"', second)


def test_find_keeps_the_chosen_specialties(client: TestClient) -> None:
    html = client.get("/find?zip=02139&specialty=neurosurgery").text
    assert re.search(r'value="neurosurgery" checked', html)
    assert not re.search(r'value="pain-medicine" checked', html)


def test_an_unknown_zip_shows_the_form_again_with_did_you_mean_links(client: TestClient) -> None:
    response = client.get("/find?zip=00000&radius=25")
    assert response.status_code == 422
    assert "00000" in response.text
    assert "Did you mean" in response.text
    links = re.findall(r'href="/find\?zip=(\d{5})[^"]*"', response.text)
    assert links and "00000" not in links
    follow = client.get(f"/find?zip={links[0]}&radius=25")
    assert follow.status_code == 200
    assert "Did you mean" not in follow.text


def test_a_malformed_zip_says_five_digits(client: TestClient) -> None:
    response = client.get("/find?zip=abc")
    assert response.status_code == 422
    assert "ZIP code of 5 digits" in response.text
    assert 'value="abc"' in response.text


def test_without_a_directory_find_explains_how_to_load_one(empty_client: TestClient) -> None:
    form = empty_client.get("/find")
    assert form.status_code == 200
    assert "spinefx directory demo" in form.text
    search = empty_client.get("/find?zip=02139")
    assert search.status_code == 503
    assert "not loaded" in search.text


# --- Clinician tools ------------------------------------------------------------------------


def test_the_clinician_page_links_the_tools_and_the_openapi_document(client: TestClient) -> None:
    html = client.get("/clinician").text
    for href in ("/clinician/grading", "/clinician/candidacy", "/clinician/followup"):
        assert f'href="{href}"' in html
    assert 'href="/openapi.json"' in html


def test_the_grading_form_has_a_row_per_level_t4_to_l5(client: TestClient) -> None:
    html = client.get("/clinician/grading").text
    for level in ("T4", "T11", "T12", "L1", "L4", "L5"):
        for h in ("ha", "hm", "hp"):
            assert f'name="{level}.{h}"' in html


def test_grading_shows_the_table_and_an_inline_spine_drawing(client: TestClient) -> None:
    response = client.post("/clinician/grading", data=REFERENCE_HEIGHTS)
    assert response.status_code == 200
    section = result_section(response.text)
    assert "<svg" in section and 'role="img"' in section
    assert re.search(r"<th scope=\"row\">L2</th><td[^>]*>2 \(moderate\)", section)
    assert 'data-grade="2"' in section
    assert "style=" not in section
    assert "Spinal deformity index" in section


def test_grading_finds_a_crush_beside_a_biconcave_neighbour(client: TestClient) -> None:
    # issue 20: T11 at 44 % of a biconcave T10's posterior height is grade 3, never 0
    heights = {"T10": ("28.4", "19.2", "28.6"), "T11": ("12.3", "12.0", "12.7")}
    data = {
        f"{lv}.{h}": mm
        for lv, mms in heights.items()
        for h, mm in zip(("ha", "hm", "hp"), mms, strict=True)
    }
    section = result_section(client.post("/clinician/grading", data=data).text)
    assert re.search(r'<th scope="row">T11</th><td[^>]*>3 \(severe\)', section)
    assert "No fracture graded" not in section
    assert "T11 grade 3 (severe crush)" in section


def test_a_lone_flattened_l2_is_not_graded_and_the_page_never_says_no_fracture(
    client: TestClient,
) -> None:
    data = {"L2.ha": "18", "L2.hm": "18", "L2.hp": "18"}
    section = result_section(client.post("/clinician/grading", data=data).text)
    assert re.search(r'<th scope="row">L2</th><td[^>]*><span><strong>not graded</strong>', section)
    assert "L2 not graded (crush not assessed)" in section  # the drawing's description
    assert 'data-level="L2" data-grade="none" data-crush="not-assessed"' in section
    assert "Not every level could be graded: L2 has no grade" in section
    assert "No fracture graded" not in section
    assert "(normal)" not in section.split("<svg", 1)[0]
    assert re.search(r"Spinal deformity index.*?<strong>not computed</strong>", section, re.S)


def test_grading_ignores_blank_rows_and_names_a_half_filled_one(client: TestClient) -> None:
    response = client.post("/clinician/grading", data={"L2.ha": "18", "L2.hm": "21"})
    assert response.status_code == 422
    assert 'id="L2-hp-error"' in response.text


def test_grading_with_no_heights_asks_for_some(client: TestClient) -> None:
    response = client.post("/clinician/grading", data={})
    assert response.status_code == 422
    assert "at least one vertebra" in response.text


def test_candidacy_shows_the_criteria_codes_and_cautions(client: TestClient) -> None:
    data = {
        "levels": "L2",
        "imaging_confirmed": "yes",
        "fracture_date": (datetime.date.today() - datetime.timedelta(weeks=3)).isoformat(),
        "pain_nrs": "8",
        "hospitalized": "no",
        "conservative_care_failed": "yes",
        "pain_worsening": "no",
        "kyphosis": "yes",
        "rdq": "19",
        "height_loss_pct": "33",
        "malignant": "no",
        "absolute_contraindications": "_none",
        "relative_contraindications": "coagulopathy",
    }
    response = client.post("/clinician/candidacy", data=data)
    assert response.status_code == 200
    section = result_section(response.text)
    assert 'data-outcome="meets-criteria"' in section
    assert "22514" in section
    assert "Cautions" in section
    assert "Met" in section


def test_candidacy_malignant_path_and_four_levels_on_the_page(client: TestClient) -> None:
    data = {
        "levels": ["T6", "T7", "T8", "T9"],
        "imaging_confirmed": "yes",
        "conservative_care_failed": "yes",
        "malignant": "yes",
        "pain_nrs": "6",  # intractable pain: the malignant indication needs it too
        "hospitalized": "no",
        "absolute_contraindications": "_none",
    }
    section = result_section(client.post("/clinician/candidacy", data=data).text)
    assert 'data-outcome="meets-criteria"' in section
    assert section.count("status-not-applicable") == 6
    assert "Not applicable" in section
    assert "More than 3 levels" in section  # the caution and the documentation line
    assert "M84.58XA first, then the neoplasm code" in section
    assert "bone density evaluation" in section


def test_candidacy_with_nothing_known_is_incomplete(client: TestClient) -> None:
    section = result_section(client.post("/clinician/candidacy", data={}).text)
    assert 'data-outcome="incomplete"' in section
    assert "Unknown" in section


def test_candidacy_names_a_bad_value(client: TestClient) -> None:
    response = client.post("/clinician/candidacy", data={"rdq": "30"})
    assert response.status_code == 422
    assert 'id="rdq-error"' in response.text


def test_followup_prints_a_plan_with_the_fls_checklist_and_frax_link(client: TestClient) -> None:
    response = client.post("/clinician/followup", data=FOLLOWUP_FORM)
    assert response.status_code == 200
    section = result_section(response.text)
    assert "frax" in section.lower()
    assert re.search(r'<time datetime="2027-\d\d-\d\d">', section)
    assert "Fracture liaison checklist" in section


def test_followup_page_shows_the_aace_criteria_guideline_checks_and_overdue_items(
    client: TestClient,
) -> None:
    data = {
        **FOLLOWUP_FORM,
        "as_of": "2027-02-01",
        "menopausal": "yes",
        "t_score": "-3.2",
        "egfr": "29",
    }
    section = result_section(client.post("/clinician/followup", data=data).text)
    words = text_of(section)
    assert 'data-risk="very-high"' in section
    assert "A fracture within the past 12 months" in words
    assert "A T-score below -3.0" in words
    assert "AACE/ACE 2020" in words
    assert "Before treatment" in words and "dental check" in words
    assert "How long" in words and "12 monthly doses" in words
    assert "boxed warning" in words
    assert "CKD mineral and bone disorder" in words
    # fracture 2026-11-02: the 12-week items fell due on 2027-01-25
    assert section.count('class="overdue"') == 3


def test_followup_form_asks_the_new_questions(client: TestClient) -> None:
    html = client.get("/clinician/followup").text
    for name in ("as_of", "t_score", "frax_major_pct", "frax_hip_pct"):
        assert f'name="{name}"' in html
    for name in ("glucocorticoids", "injurious_falls", "menopausal"):
        assert f'name="{name}"' in html
    assert "creatinine clearance" in html


def test_a_fracture_after_the_plan_date_is_refused_next_to_its_field(client: TestClient) -> None:
    data = {**FOLLOWUP_FORM, "as_of": "2026-10-01"}
    response = client.post("/clinician/followup", data=data)
    assert response.status_code == 422
    assert 'id="fracture_date-error"' in response.text


def test_followup_requires_sex_age_and_date(client: TestClient) -> None:
    response = client.post("/clinician/followup", data={})
    assert response.status_code == 422
    for name in ("sex", "age", "fracture_date"):
        assert f'id="{name}-error"' in response.text


def test_candidacy_none_of_these_means_known_empty_and_a_checked_item_outranks_it(
    client: TestClient,
) -> None:
    known_none = client.post("/clinician/candidacy", data={"absolute_contraindications": "_none"})
    assert re.search(r'status-met">Met</span> <span>No absolute', known_none.text)
    both = client.post(
        "/clinician/candidacy", data={"absolute_contraindications": ["_none", "pregnancy"]}
    )
    assert 'data-outcome="contraindicated"' in both.text


def test_levels_offer_no_none_of_these_because_at_least_one_is_needed(client: TestClient) -> None:
    html = client.get("/clinician/candidacy").text
    assert 'id="levels-none"' not in html
    assert 'id="absolute_contraindications-none"' in html


# --- the screenshot review ----------------------------------------------------------------


def test_result_tables_label_every_cell_so_they_can_stack_on_a_phone(client: TestClient) -> None:
    pages = [
        client.post("/clinician/grading", data=REFERENCE_HEIGHTS).text,
        client.post("/clinician/followup", data=FOLLOWUP_FORM).text,
    ]
    for html in pages:
        for table in re.findall(r'<table class="data[^"]*".*?</table>', html, re.S):
            assert 'class="data stack' in table or "stack" in table.split(">")[0]
            body = table.split("<tbody>")[1]
            cells = re.findall(r"<td[^>]*>", body)
            assert cells, table
            assert all("data-label=" in c or "colspan" in c for c in cells), cells


def test_the_emergency_banner_has_a_call_911_phone_link(client: TestClient) -> None:
    response = client.post("/check", data={**REFERENCE_FORM, "red_flags.saddle_numbness": "yes"})
    section = result_section(response.text)
    banner = section.split('class="banner banner-emergency"')[1].split("</div>")[0]
    assert re.search(r'<a [^>]*href="tel:911"[^>]*>Call 911</a>', banner)


def test_an_i_dont_know_answer_reads_dont_know(client: TestClient) -> None:
    section = result_section(client.post("/check", data=REFERENCE_FORM).text)
    assert "Don't know" in section or "Don&#39;t know" in section
    assert "Not answered" not in section


def test_followup_marks_sex_required_like_age_and_date(client: TestClient) -> None:
    html = client.get("/clinician/followup").text
    legend = re.search(r'<fieldset[^>]*id="sex".*?<legend>(.*?)</legend>', html, re.S)
    assert legend and "(required)" in legend.group(1)
    for name in ("age", "fracture_date"):
        assert re.search(rf'<label for="{name}">[^<]*<span class="required">\(required\)', html)


def test_followup_labels_egfr_with_its_own_spelling(client: TestClient) -> None:
    html = client.get("/clinician/followup").text
    assert "eGFR" in html
    assert "EGFR" not in html


def test_followup_leads_into_the_very_high_risk_checks(client: TestClient) -> None:
    section = result_section(client.post("/clinician/followup", data=FOLLOWUP_FORM).text)
    words = text_of(section)
    assert "Very high risk (AACE 2020) if any of these is true:" in words
    lead = words.index("Very high risk (AACE 2020) if any of these is true:")
    checks = re.findall(r'<li data-check="([^"]+)">', section)
    assert checks == [
        "recent-fracture",
        "fracture-on-treatment",
        "multiple-fractures",
        "fracture-on-glucocorticoids",
        "t-score-below-minus-3",
        "injurious-falls",
        "frax-major-over-30",
        "frax-hip-over-4-5",
        "grade-3-fracture",
    ]
    assert words.index("Two or more vertebral fractures") > lead
    assert "Not met" not in words


def test_the_kyphoplasty_steps_are_a_numbered_list_without_typed_numbers(
    client: TestClient,
) -> None:
    html = client.get("/learn/kyphoplasty").text
    steps = re.search(r"<h2>Step by step</h2>\s*<ol class=\"facts steps\">(.*?)</ol>", html, re.S)
    assert steps, "the steps are not an <ol>"
    items = re.findall(r"<li>(.*?)</li>", steps.group(1), re.S)
    assert len(items) == 5
    assert not any(re.match(r"\s*\d+\.", item) for item in items)
    # Other sections stay bullet lists.
    assert '<ul class="facts">' in html


def test_the_kyphoplasty_drawing_has_its_step_captions_in_the_page(client: TestClient) -> None:
    html = client.get("/learn/kyphoplasty").text
    figure = re.search(r"<figure.*?</figure>", html, re.S)
    assert figure
    captions = re.search(r'<ol class="step-captions"[^>]*>(.*?)</ol>', figure.group(0), re.S)
    assert captions
    assert len(re.findall(r"<li>", captions.group(1))) == 4
    assert "needle" in captions.group(1) and "cement" in captions.group(1)


def test_startup_warms_the_directory(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import spinefx.directory.search as search

    seen: list[Any] = []
    monkeypatch.setattr(search, "warm_up", seen.append)
    settings = Settings(data_dir=data_dir)
    with TestClient(create_app(settings)) as c:
        (directory,) = seen
        assert directory is c.app.state.resources.directory  # the app's own handle
        assert directory.path == settings.directory_db
        assert c.get("/").status_code == 200


def test_startup_never_fails_on_the_warm_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spinefx.directory.search as search

    def broken(directory: Any) -> None:
        raise RuntimeError("no directory")

    monkeypatch.setattr(search, "warm_up", broken)
    with TestClient(create_app(Settings(data_dir=tmp_path))) as c:
        assert c.get("/").status_code == 200
    monkeypatch.undo()  # the real warm-up, with no directory loaded
    with TestClient(create_app(Settings(data_dir=tmp_path / "none"))) as c:
        assert c.get("/api/v1/specialists?zip=02139").status_code == 503


@pytest.mark.parametrize(
    "path", ["/", "/clinician", "/clinician/grading", "/clinician/candidacy", "/clinician/followup"]
)
def test_the_home_and_clinician_pages_lead_clinics_to_the_registry(
    client: TestClient, path: str
) -> None:
    html = client.get(path).text
    link = re.search(r'<a href="/registry">([^<]+)</a>', html)
    assert link, f"{path} has no link to the registry"
    around = re.sub(r"<[^>]+>", "", html[max(0, link.start() - 120) : link.end()])
    assert "For clinics" in around or "for clinics" in around.lower()
