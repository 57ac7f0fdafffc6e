"""Balloon kyphoplasty candidacy against the Medicare coverage criteria, with the codes.

The criteria are those of CMS LCD L38201 and its sibling LCDs for percutaneous vertebral
augmentation. Every input may be left out; a missing answer makes its criterion unknown,
and the outcome is then ``incomplete`` unless another criterion already fails.

>>> result = assess(CandidacyInput(levels=["L2"], imaging_confirmed=True))
>>> result.outcome
'incomplete'
>>> [line.code for line in result.codes.cpt]
['22514']
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from spinefx.clinical import sources
from spinefx.clinical.codes import CodeSet, codes_for, level_or_none
from spinefx.clinical.criteria import Criterion, Status, Tri, all_of, any_of, at_least, criterion

__all__ = [
    "ABSOLUTE_CONTRAINDICATIONS",
    "DOCUMENTATION_REQUIRED",
    "RELATIVE_CONTRAINDICATIONS",
    "CandidacyInput",
    "CandidacyResult",
    "Caution",
    "Outcome",
    "SpinalLevel",
    "assess",
    "unknown_criteria",
]

# --- Thresholds (LCD L38201 and siblings, sources.LCD_L38201) ------------------------------
CHRONIC_AFTER_WEEKS = 52.0  # healed (chronic) fractures are not covered; older than 12 months
MAX_LEVELS = 3  # at most three levels in one procedure
PAIN_MIN_HOSPITALIZED = 8.0  # NRS/VAS 0-10, despite optimal non-surgical care, in hospital
PAIN_MIN_OUTPATIENT = 5.0  # NRS/VAS 0-10 otherwise
HEIGHT_LOSS_OVER_PCT = 25.0  # vertebral body height loss must exceed 25 %
RDQ_OVER = 17  # Roland-Morris Disability Questionnaire (0-24) must exceed 17
TWO_OF_THREE = 2  # at least two of height loss, kyphosis, RDQ

Outcome = Literal["meets-criteria", "does-not-meet", "incomplete", "contraindicated"]
AbsoluteContraindication = Literal["infection", "pregnancy", "pain-not-from-fracture"]
RelativeContraindication = Literal[
    "cement-allergy", "coagulopathy", "instability", "myelopathy", "retropulsion"
]

ABSOLUTE_CONTRAINDICATIONS: Mapping[str, str] = MappingProxyType(
    {
        "infection": "Active infection, such as osteomyelitis or discitis.",
        "pregnancy": "Pregnancy.",
        "pain-not-from-fracture": "The pain does not come mainly from the fracture.",
    }
)

# Plain-language cautions for the clinician; the LCD lists these as relative contraindications.
RELATIVE_CONTRAINDICATIONS: Mapping[str, str] = MappingProxyType(
    {
        "cement-allergy": "Allergy to bone cement or to contrast: plan around it (premedication "
        "or another material) and record the plan.",
        "coagulopathy": "Bleeding tendency or anticoagulation: correct clotting before the "
        "needle goes in.",
        "instability": "The spine is unstable: augmentation alone may not hold; get a spine "
        "surgeon's opinion.",
        "myelopathy": "Signs of spinal cord or nerve root compression: image and examine for "
        "the cause before any cement is placed.",
        "retropulsion": "A bone fragment is pushed back toward the spinal canal: cement could "
        "push it further or leak; review the CT closely.",
    }
)

# What the LCD asks the medical record to show (sources.LCD_L38201).
DOCUMENTATION_REQUIRED: tuple[str, ...] = (
    "Imaging that confirms an acute or subacute fracture (MRI oedema, or bone scan / SPECT-CT).",
    "Pain scores (NRS or VAS, 0-10), and whether the patient is in hospital.",
    "The non-surgical care tried (medicines, bracing, physiotherapy) and why it failed.",
    "The Roland-Morris Disability Questionnaire score (0-24).",
    "Vertebral height loss and any kyphotic deformity, from imaging.",
    "That no contraindication is present (infection, pregnancy, pain from another cause), and "
    "how any relative contraindication is handled.",
    "A referral for bone density testing and osteoporosis care after the fracture.",
)


class SpinalLevel(StrEnum):
    """Any named vertebra, C1 to S5. Only T1-L5 can meet the coverage criteria."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"
    C6 = "C6"
    C7 = "C7"
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"
    T6 = "T6"
    T7 = "T7"
    T8 = "T8"
    T9 = "T9"
    T10 = "T10"
    T11 = "T11"
    T12 = "T12"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"
    S5 = "S5"


Pain = Annotated[float | None, Field(ge=0, le=10, strict=True, allow_inf_nan=False)]


class CandidacyInput(BaseModel):
    """The case as the clinician knows it; leave out what is not known."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: Annotated[list[SpinalLevel] | None, Field(min_length=1, max_length=29)] = None
    imaging_confirmed: StrictBool | None = None
    fracture_age_weeks: Annotated[float | None, Field(ge=0, strict=True, allow_inf_nan=False)] = (
        None
    )
    pain_nrs: Pain = None
    hospitalized: StrictBool | None = None
    conservative_care_failed: StrictBool | None = None
    pain_worsening: StrictBool | None = None
    height_loss_pct: Annotated[
        float | None, Field(ge=0, le=100, strict=True, allow_inf_nan=False)
    ] = None
    kyphosis: StrictBool | None = None
    rdq: Annotated[StrictInt | None, Field(ge=0, le=24)] = None
    malignant: StrictBool | None = None
    absolute_contraindications: list[AbsoluteContraindication] | None = None
    relative_contraindications: list[RelativeContraindication] | None = None

    @field_validator("levels")
    @classmethod
    def _once_each(cls, levels: list[SpinalLevel] | None) -> list[SpinalLevel] | None:
        """A level named twice is one level: keep the first mention, in the order given."""
        return None if levels is None else list(dict.fromkeys(levels))


class Caution(BaseModel):
    """A relative contraindication, said plainly for the clinician."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str


class CandidacyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    criteria: tuple[Criterion, ...]
    relative_contraindications: tuple[Caution, ...]
    codes: CodeSet
    documentation: tuple[str, ...]


def _above(value: float | None, threshold: float) -> Tri:
    return None if value is None else value > threshold


def _pain_meets(pain: float | None, hospitalized: bool | None) -> Tri:
    """NRS >= 8 in hospital, >= 5 otherwise; unknown setting decides only outside 5-8."""
    if pain is None:
        return None
    if hospitalized is None:
        if pain >= PAIN_MIN_HOSPITALIZED:
            return True
        if pain < PAIN_MIN_OUTPATIENT:
            return False
        return None
    return pain >= (PAIN_MIN_HOSPITALIZED if hospitalized else PAIN_MIN_OUTPATIENT)


def assess(inp: CandidacyInput) -> CandidacyResult:
    """Check the case against every coverage criterion and give the codes for the levels."""
    lcd = sources.LCD_L38201
    levels = inp.levels

    not_chronic: Tri = (
        None if inp.fracture_age_weeks is None else inp.fracture_age_weeks <= CHRONIC_AFTER_WEEKS
    )
    in_range: Tri = None if levels is None else all(level_or_none(v) is not None for v in levels)
    few_enough: Tri = None if levels is None else len(levels) <= MAX_LEVELS
    pain = _pain_meets(inp.pain_nrs, inp.hospitalized)
    height = _above(inp.height_loss_pct, HEIGHT_LOSS_OVER_PCT)
    rdq = _above(inp.rdq, RDQ_OVER)
    two_of = at_least(TWO_OF_THREE, [height, inp.kyphosis, rdq])
    indication = any_of([inp.malignant, inp.pain_worsening, two_of])
    absolute = inp.absolute_contraindications
    no_absolute: Tri = None if absolute is None else not absolute

    criteria = (
        criterion("imaging-confirmed", inp.imaging_confirmed, lcd),
        criterion("not-chronic", not_chronic, lcd),
        criterion("levels-t1-l5", in_range, lcd),
        criterion("at-most-3-levels", few_enough, lcd),
        criterion("pain-threshold", pain, lcd),
        criterion("conservative-care-failed", inp.conservative_care_failed, lcd),
        criterion("malignant", inp.malignant, lcd),
        criterion("pain-worsening", inp.pain_worsening, lcd),
        criterion("height-loss-over-25", height, lcd),
        criterion("kyphosis", inp.kyphosis, lcd),
        criterion("rdq-over-17", rdq, lcd),
        criterion("two-of-height-kyphosis-rdq", two_of, lcd),
        criterion("indication", indication, lcd),
        criterion("no-absolute-contraindication", no_absolute, lcd),
    )
    overall = all_of(
        [
            inp.imaging_confirmed,
            not_chronic,
            in_range,
            few_enough,
            pain,
            inp.conservative_care_failed,
            indication,
            no_absolute,
        ]
    )
    outcome: Outcome
    if no_absolute is False:
        outcome = "contraindicated"
    elif overall is True:
        outcome = "meets-criteria"
    elif overall is False:
        outcome = "does-not-meet"
    else:
        outcome = "incomplete"

    cautions = tuple(
        Caution(id=item, text=RELATIVE_CONTRAINDICATIONS[item])
        for item in dict.fromkeys(inp.relative_contraindications or [])
    )
    return CandidacyResult(
        outcome=outcome,
        criteria=criteria,
        relative_contraindications=cautions,
        codes=codes_for(levels, inp.malignant),
        documentation=DOCUMENTATION_REQUIRED,
    )


def unknown_criteria(result: CandidacyResult) -> list[str]:
    """The ids of the criteria still unknown: what to ask next."""
    return [c.id for c in result.criteria if c.status is Status.UNKNOWN]
