"""The reference patient's whole path through the library, as the demo runs it."""

from datetime import date

from spinefx.clinical.pathway import REFERENCE_FRACTURE_DATE, reference_patient_pathway


def test_reference_patient_walks_from_self_check_to_secondary_prevention():
    path = reference_patient_pathway()

    # day 1, before the emergency room on day 2: not yet "more than 3 days", but over 50 with a
    # low fall and 9/10 pain: see a doctor today
    assert path.screening.outcome == "see-doctor"
    assert path.screening.action == "See a doctor today."
    assert len(path.screening.unanswered_red_flags) == 0
    assert path.screening.to_answer == ()

    l2 = next(v for v in path.grading.vertebrae if v.level == "L2")
    assert (l2.grade, l2.type) == (2, "wedge")
    assert path.grading.sdi == 2

    assert path.candidacy.outcome == "meets-criteria"
    assert [line.code for line in path.candidacy.codes.cpt] == ["22514"]
    assert [line.code for line in path.candidacy.codes.icd10cm] == ["M80.08XA"]

    # seen six weeks after the fracture: very high risk by AACE 2020 (a recent fracture)
    assert path.followup.risk == "very-high"
    recent = next(c for c in path.followup.risk_reasons if c.id == "recent-fracture")
    assert recent.status == "met"
    assert path.followup.calcium_mg_per_day == 1200
    # one grade 2 fracture, recent: AACE's very-high-risk options, zoledronic acid among them
    first_line = path.followup.medication.first_line
    assert "a fracture within the past 12 months" in first_line
    assert "severe or multiple" not in first_line
    assert any(o.startswith("zoledronic acid") for o in path.followup.medication.options)
    assert not any(item.overdue for item in path.followup.fls_checklist)


def test_the_self_check_path_shows_the_new_fields():
    path = reference_patient_pathway()
    ids = [c.id for c in path.screening.criteria]
    assert "concern" in ids
    assert "red-flag:aortic" in ids
    assert "red-flag:recent_infection" in ids
    assert all(v.crush_assessed for v in path.grading.vertebrae)


def test_follow_up_dates_count_from_the_fracture():
    path = reference_patient_pathway()
    due = {item.weeks: item.due_date for item in path.followup.fls_checklist}
    assert due[12] == date(2027, 1, 25)
    assert (due[12] - REFERENCE_FRACTURE_DATE).days == 12 * 7
    assert (due[52] - REFERENCE_FRACTURE_DATE).days == 52 * 7


def test_candidacy_uses_the_height_loss_measured_at_grading():
    path = reference_patient_pathway()
    height = next(c for c in path.candidacy.criteria if c.id == "height-loss-over-25")
    assert height.status == "met"
