"""The reference patient's path through the four rules, end to end.

A 58-year-old nurse fell from knee height while pulling a heavy tub, felt a pop and had sudden,
sharp back pain. The next day she answered the self-check at home (see a doctor today); on day 2
she went to the emergency room, where an L2 compression fracture was found (the seed page's
story). She has diabetes and did
not want opioids. Non-opioid pain relief and a brace did not settle the pain, she had balloon
kyphoplasty, and then saw an endocrinologist for osteoporosis (calcium, a bisphosphonate).

The same path backs ``spinefx demo``, the library test of the whole path, and the web demo.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from spinefx.clinical.candidacy import CandidacyInput, CandidacyResult, assess
from spinefx.clinical.followup import FollowupInput, FollowupPlan, plan
from spinefx.clinical.morphometry import GradingInput, GradingResult, grade
from spinefx.clinical.screening import ScreeningInput, ScreeningResult, screen

__all__ = [
    "REFERENCE_FOLLOWUP_DATE",
    "REFERENCE_FRACTURE_DATE",
    "PathwayResult",
    "reference_patient_pathway",
]

REFERENCE_FRACTURE_DATE = date(2026, 11, 2)

# Day 1 after the fall, at home, before she went to the emergency room on day 2: the self-check
# she would have answered. The checklist's "more than 3 days" is not met yet, but at 58 with a
# low fall and 9/10 pain the concern is: see a doctor today.
REFERENCE_SCREENING = {
    "age": 58,
    "onset": "sudden",
    "pain_nrs": 9,
    "pain_quality": "sharp",
    "pain_days": 1,
    "osteoporosis": None,  # never told of low bone density: age alone meets the OR branch
    "minor_trauma": True,  # a fall from knee height while pulling a heavy tub
    "steroids": False,
    "red_flags": {
        "saddle_numbness": False,
        "bladder_or_bowel": False,
        "leg_weakness": False,
        "aortic": False,
        "major_trauma": False,  # a fall from knee height is low-energy, the typical VCF trigger
        "cancer_history": False,
        "fever": False,
        "recent_infection": False,
        "weight_loss": False,
        "iv_drug_use": False,
        "immunosuppression": False,
        "night_pain": False,
    },
}

# Lateral radiograph heights (mm): L2 wedged, its neighbours intact.
REFERENCE_HEIGHTS = {
    "vertebrae": [
        {"level": "L1", "ha": 27.5, "hm": 27.0, "hp": 28.0},
        {"level": "L2", "ha": 18.0, "hm": 21.0, "hp": 27.0},
        {"level": "L3", "ha": 29.0, "hm": 28.5, "hp": 29.5},
    ]
}

# Three weeks on: MRI oedema at L2, pain still 8/10 at home despite non-opioid analgesia and a
# brace (she declined opioids), kyphotic angulation, Roland-Morris 19 of 24.
REFERENCE_CANDIDACY = {
    "levels": ["L2"],
    "imaging_confirmed": True,
    "fracture_age_weeks": 3,
    "pain_nrs": 8,
    "hospitalized": False,
    "conservative_care_failed": True,
    "pain_worsening": False,
    "kyphosis": True,
    "rdq": 19,
    "malignant": False,
    # The surgeon's note calls it an osteoporotic fracture (a fragility vertebral fracture
    # establishes osteoporosis, AACE 2020), and a fall from knee height is no high-energy injury:
    # M80.08XA (ICD-10-CM Official Guidelines I.C.13.d).
    "osteoporosis_documented": True,
    "traumatic": False,
    "absolute_contraindications": [],
    "relative_contraindications": [],
}

# After kyphoplasty: the endocrinology visit, six weeks after the fracture (docs/rules/followup.md
# gives the same inputs). Postmenopausal, diabetes, kidney function 82 ml/min, no steroid tablets
# (as in her self-check), no cancer, never on a bone drug; no DXA or FRAX yet. One grade 2
# fracture within the past year: very high risk by AACE 2020, whose initial options include
# zoledronic acid, the bisphosphonate of her story.
REFERENCE_FOLLOWUP_DATE = date(2026, 12, 14)
REFERENCE_FOLLOWUP = {
    "sex": "female",
    "age": 58,
    "fracture_date": REFERENCE_FRACTURE_DATE.isoformat(),
    "as_of": REFERENCE_FOLLOWUP_DATE.isoformat(),
    "vertebral_fractures": 1,
    "max_grade": 2,
    "egfr": 82,
    "on_osteoporosis_treatment": False,
    "glucocorticoids": False,
    "menopausal": True,
    "malignancy": False,
    "denosumab_stopped": False,
}


class PathwayResult(BaseModel):
    """Each step's result, in the order the patient meets them."""

    model_config = ConfigDict(frozen=True)

    story: tuple[str, ...]
    screening: ScreeningResult
    grading: GradingResult
    candidacy: CandidacyResult
    followup: FollowupPlan


def reference_patient_pathway() -> PathwayResult:
    """Run the reference patient through screen -> grade -> candidacy -> follow-up."""
    screening = screen(ScreeningInput.model_validate(REFERENCE_SCREENING))
    grading = grade(GradingInput.model_validate(REFERENCE_HEIGHTS))
    fractured = max(grading.vertebrae, key=lambda v: v.grade or 0)
    candidacy = assess(
        CandidacyInput.model_validate(
            {**REFERENCE_CANDIDACY, "height_loss_pct": fractured.height_loss_pct}
        )
    )
    followup = plan(
        FollowupInput.model_validate({**REFERENCE_FOLLOWUP, "max_grade": fractured.grade})
    )
    story = (
        "A 58-year-old nurse fell from knee height while pulling a heavy tub and felt a pop.",
        "Day 1: sudden, sharp back pain rated 9 of 10; she answers the self-check at home, which "
        "tells her to see a doctor today.",
        "Day 2: she goes to the emergency room; an X-ray and an MRI find an L2 compression "
        "fracture, and its heights are measured for grading.",
        "Three weeks of non-opioid pain relief and a brace do not settle the pain (no opioids, "
        "by her choice); she is assessed for balloon kyphoplasty.",
        "Six weeks after the fracture an endocrinologist plans her osteoporosis care (she has "
        "diabetes): a fracture within the past year puts her at very high risk by AACE 2020; "
        "calcium, vitamin D and zoledronic acid, a bisphosphonate, are among its first options.",
    )
    return PathwayResult(
        story=story, screening=screening, grading=grading, candidacy=candidacy, followup=followup
    )
