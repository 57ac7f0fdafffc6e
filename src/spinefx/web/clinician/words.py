"""The clinician forms in clinical words: a label and a short help line per field, the choice
labels, and how the candidacy criteria nest (which are alternatives inside another).

Field names are the rule inputs' JSON names; a field with no entry here keeps its humanized
name, so a field added to a rule shows up (plainly) before it gets its words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from spinefx.clinical.candidacy import CRITERION_PARTS
from spinefx.clinical.spine import Level
from spinefx.web.forms import FormField

__all__ = [
    "CANDIDACY_HELP",
    "CANDIDACY_LABELS",
    "CANDIDACY_PARTS",
    "CHOICE_LABELS",
    "FOLLOWUP_HELP",
    "FOLLOWUP_LABELS",
    "TREATABLE_LEVELS",
    "in_clinical_words",
]

# Coverage names T1-L5: the form offers no other level.
TREATABLE_LEVELS: tuple[str, ...] = tuple(
    level.value for level in Level if Level.T1.position <= level.position <= Level.L5.position
)

CANDIDACY_LABELS = {
    "levels": "Fractured levels to treat",
    "imaging_confirmed": "Acute or subacute fracture confirmed on imaging",
    "fracture_date": "Date of the fracture",
    "pain_nrs": "Pain score now (NRS 0-10)",
    "hospitalized": "Patient is in hospital",
    "conservative_care_failed": "Optimal non-surgical care tried, pain persists",
    "pain_worsening": "Pain worsening despite that care",
    "height_loss_pct": "Vertebral height loss (%)",
    "kyphosis": "Kyphotic deformity",
    "rdq": "Roland-Morris Disability Questionnaire (RDQ) score",
    "malignant": "Painful osteolytic metastasis or myeloma at these levels",
    "absolute_contraindications": "Absolute contraindications present",
    "relative_contraindications": "Relative contraindications present",
}
CANDIDACY_HELP = {
    "levels": (
        "Tick each vertebra to treat. Coverage is for T1 to L5; more than 3 levels at once is a "
        "relative contraindication to weigh and document."
    ),
    "imaging_confirmed": "MRI showing marrow edema, or uptake on a bone scan or SPECT-CT.",
    "fracture_date": (
        "The day of the fracture: the onset of pain, or the first image that shows it. The tool "
        "counts the weeks from it to today (as the follow-up plan counts its due dates). Healed "
        "fractures older than 52 weeks are not covered."
    ),
    "pain_nrs": "Numeric rating scale: 0 no pain, 10 the worst pain imaginable.",
    "hospitalized": "The pain threshold is 8 or more in hospital and 5 or more otherwise.",
    "height_loss_pct": (
        "The largest loss of height at the levels to treat, in % (the grading tool gives it). "
        "Coverage counts a loss over 25 %."
    ),
    "rdq": (
        "RDQ: 24 yes-or-no statements about how back pain limits daily life; the score is how "
        "many the patient ticks, 0 to 24. Coverage counts a score over 17."
    ),
    "kyphosis": "A forward curve of the spine caused by the fracture.",
}
# The follow-up form speaks to the clinician about the patient ("the patient's age"), never to
# the patient ("your age"): its messages are made from these labels.
FOLLOWUP_LABELS = {
    "sex": "The patient's sex",
    "age": "The patient's age (years)",
    "fracture_date": "Date of the fracture",
    "vertebral_fractures": "Vertebral fractures in all, the new one included",
    "max_grade": "Worst Genant grade of these fractures",
    "egfr": "Kidney function: creatinine clearance (ml/min)",
    "on_osteoporosis_treatment": "The fracture happened on osteoporosis treatment",
}
FOLLOWUP_HELP = {
    "fracture_date": "The day of the fracture, or of the first image that showed it.",
    "max_grade": "0 normal, 1 mild, 2 moderate, 3 severe (the grading tool gives it).",
    "egfr": (
        "The drug labels use creatinine clearance; an eGFR (ml/min/1.73 m²) can stand in for "
        "it. Below 35 the plan avoids bisphosphonates; below 30 denosumab needs a specialist "
        "review first."
    ),
}
CHOICE_LABELS = {
    "infection": "Active infection (osteomyelitis, discitis)",
    "pregnancy": "Pregnancy",
    "pain-not-from-fracture": "Pain not mainly from the fracture",
    "cement-allergy": "Allergy to bone cement or contrast",
    "coagulopathy": "Uncorrected bleeding disorder (coagulopathy)",
    "instability": "Spinal instability",
    "myelopathy": "Myelopathy or radiculopathy",
    "retropulsion": "Retropulsed fragment",
}
# A criterion and the alternatives inside it, declared with the rule.
CANDIDACY_PARTS: Mapping[str, tuple[str, ...]] = CRITERION_PARTS


def in_clinical_words(
    fields: tuple[FormField, ...],
    labels: Mapping[str, str],
    helps: Mapping[str, str],
    *,
    choices: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[FormField, ...]:
    """``fields`` with their labels, help lines and (where given) offered choices replaced."""
    out = []
    for f in fields:
        changes: dict[str, object] = {}
        if f.name in labels:
            changes["label"] = labels[f.name]
        if f.name in helps:
            changes["help"] = helps[f.name]
        if choices and f.name in choices:
            changes["choices"] = tuple(c for c in f.choices if c[0] in choices[f.name])
        out.append(replace(f, **changes) if changes else f)  # type: ignore[arg-type]
    return tuple(out)
