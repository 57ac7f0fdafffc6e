"""Balloon kyphoplasty candidacy against the Medicare coverage criteria, with the codes.

The criteria are those of CMS LCD L38201 and its sibling LCDs for percutaneous vertebral
augmentation. Every input may be left out; a missing answer makes its criterion unknown,
and the outcome is then ``incomplete`` unless another criterion already fails.

Two paths lead to coverage:

- the osteoporotic fracture: imaging-confirmed, not chronic, every level in T1-L5, the pain
  threshold despite optimal non-surgical care, and worsening pain or two of height loss,
  kyphosis and RDQ;
- a painful osteolytic metastasis or myeloma (``malignant: true``): imaging-confirmed, every
  level in T1-L5, and intractable pain: the same pain threshold (NRS >= 5, >= 8 in hospital)
  despite medical therapy (``conservative_care_failed``); the fracture-age and
  height/kyphosis/RDQ criteria are listed as ``not-applicable``.

The diagnosis code follows ``malignant``, ``traumatic`` and ``osteoporosis_documented``
(ICD-10-CM Official Guidelines I.C.13.d, see :mod:`spinefx.clinical.codes`).

An absolute contraindication wins on either path. More than three levels is a relative
contraindication: it is echoed with the cautions and the documentation asks for its
justification, but it fails no criterion.

>>> result = assess(CandidacyInput(levels=["L2"], imaging_confirmed=True))
>>> result.outcome
'incomplete'
>>> [line.code for line in result.codes.cpt]
['22514']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from spinefx.clinical import sources
from spinefx.clinical.codes import CodeSet, codes_for, level_or_none
from spinefx.clinical.criteria import (
    Criterion,
    Status,
    Tri,
    all_of,
    any_of,
    at_least,
    criterion,
    not_applicable,
)
from spinefx.clinical.spine import SpinalLevel

__all__ = [
    "ABSOLUTE_CONTRAINDICATIONS",
    "CRITERION_PARTS",
    "CRITERION_TEXT",
    "DOCUMENTATION_REQUIRED",
    "MAX_LEVELS",
    "RELATIVE_CONTRAINDICATIONS",
    "CandidacyInput",
    "CandidacyResult",
    "Caution",
    "Outcome",
    "SpinalLevel",
    "assess",
    "criterion_text",
    "unknown_criteria",
]

# --- Thresholds (LCD L38201 and siblings, sources.LCD_L38201) ------------------------------
CHRONIC_AFTER_WEEKS = 52.0  # healed (chronic) fractures are not covered; older than 12 months
MAX_LEVELS = 3  # more than three levels: a relative contraindication to weigh and document
PAIN_MIN_HOSPITALIZED = 8.0  # NRS/VAS 0-10, despite optimal non-surgical care, in hospital
PAIN_MIN_OUTPATIENT = 5.0  # NRS/VAS 0-10 otherwise
HEIGHT_LOSS_OVER_PCT = 25.0  # vertebral body height loss must exceed 25 %
RDQ_OVER = 17  # Roland-Morris Disability Questionnaire (0-24) must exceed 17
TWO_OF_THREE = 2  # at least two of height loss, kyphosis, RDQ

# Each criterion of the result in clinical words (LCD L38201); the web page and the CLI both
# print these, the JSON keeps the ids.
CRITERION_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "imaging-confirmed": "Acute or subacute fracture confirmed by imaging (MRI edema or "
        "bone scan / SPECT-CT)",
        "not-chronic": f"Fracture not chronic ({CHRONIC_AFTER_WEEKS:g} weeks old or less)",
        "levels-t1-l5": "Every level is between T1 and L5",
        "pain-threshold": f"Pain NRS at least {PAIN_MIN_HOSPITALIZED:g} in hospital, at least "
        f"{PAIN_MIN_OUTPATIENT:g} otherwise",
        "conservative-care-failed": "Optimal non-surgical care tried and failed (for a "
        "malignant lesion: pain unresponsive to medical therapy)",
        "traumatic": "The fracture came from a high-energy injury (decides the diagnosis code)",
        "osteoporosis-documented": "Osteoporosis documented in the record (decides the "
        "diagnosis code)",
        "malignant": "Painful osteolytic metastasis or myeloma",
        "pain-worsening": "Pain worsening",
        "height-loss-over-25": f"Vertebral height loss over {HEIGHT_LOSS_OVER_PCT:g} %",
        "kyphosis": "Kyphotic deformity",
        "rdq-over-17": f"Roland-Morris Disability Questionnaire over {RDQ_OVER}",
        "two-of-height-kyphosis-rdq": "At least two of: height loss, kyphosis, RDQ",
        "indication": "Indication: malignancy, worsening pain, or two of the three findings",
        "no-absolute-contraindication": "No absolute contraindication",
    }
)


# A criterion and the alternatives inside it: the indication is met by any of its three
# parts, and "two of" by two of its three. A part not met inside a met whole is not a failure.
CRITERION_PARTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "indication": ("malignant", "pain-worsening", "two-of-height-kyphosis-rdq"),
        "two-of-height-kyphosis-rdq": ("height-loss-over-25", "kyphosis", "rdq-over-17"),
    }
)


def criterion_text(id: str) -> str:
    """The words for the criterion ``id`` of a candidacy result.

    >>> criterion_text("rdq-over-17")
    'Roland-Morris Disability Questionnaire over 17'
    """
    return CRITERION_TEXT.get(id, id)


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
# Derived from ``levels``, not asked: more than MAX_LEVELS levels.
MANY_LEVELS_CAUTION = "more-than-3-levels"

# What the LCD asks the medical record to show (sources.LCD_L38201).
DOCUMENTATION_REQUIRED: tuple[str, ...] = (
    "Imaging that confirms an acute or subacute fracture (MRI edema, or bone scan / SPECT-CT).",
    "Pain scores (NRS or VAS, 0-10), and whether the patient is in hospital.",
    "The non-surgical care tried (medicines, bracing, physiotherapy) and why it failed.",
    "The Roland-Morris Disability Questionnaire score (0-24).",
    "Vertebral height loss and any kyphotic deformity, from imaging.",
    "That no contraindication is present (infection, pregnancy, pain from another cause), and "
    "how any relative contraindication is handled.",
    "A referral for bone density evaluation, and osteoporosis education with an instruction "
    "to join a prevention or treatment program: the LCD asks this for every patient.",
)
DOCUMENTATION_MANY_LEVELS = (
    "More than 3 levels ({count}): the documented justification for treating each of them, "
    "since the LCD treats this as a relative contraindication."
)
DOCUMENTATION_MALIGNANT = (
    "For a painful osteolytic metastasis or myeloma: the imaging of the lesion at each level, "
    "and the medical therapy the pain did not respond to."
)


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
    osteoporosis_documented: StrictBool | None = Field(
        default=None,
        title="Osteoporosis documented in the record",
        description="Decides the diagnosis code: M80.0- only with documented osteoporosis; "
        "without it, M48.5- by region (ICD-10-CM Official Guidelines I.C.13.d).",
    )
    traumatic: StrictBool | None = Field(
        default=None,
        title="The fracture came from a high-energy injury",
        description="A car crash or a fall from a height: coded as an injury (S22.0- thoracic, "
        "S32.0- lumbar). A fall from standing height or less is not one.",
    )
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

    malignant = inp.malignant
    not_chronic: Tri = (
        None if inp.fracture_age_weeks is None else inp.fracture_age_weeks <= CHRONIC_AFTER_WEEKS
    )
    in_range: Tri = None if levels is None else all(level_or_none(v) is not None for v in levels)
    many_levels = levels is not None and len(levels) > MAX_LEVELS
    pain = _pain_meets(inp.pain_nrs, inp.hospitalized)
    height = _above(inp.height_loss_pct, HEIGHT_LOSS_OVER_PCT)
    rdq = _above(inp.rdq, RDQ_OVER)
    two_of = at_least(TWO_OF_THREE, [height, inp.kyphosis, rdq])
    indication = any_of([malignant, inp.pain_worsening, two_of])
    absolute = inp.absolute_contraindications
    no_absolute: Tri = None if absolute is None else not absolute

    # The osteoporotic criteria; on the malignant path they are listed as not applicable.
    osteoporotic: list[tuple[str, Tri]] = [
        ("pain-worsening", inp.pain_worsening),
        ("height-loss-over-25", height),
        ("kyphosis", inp.kyphosis),
        ("rdq-over-17", rdq),
        ("two-of-height-kyphosis-rdq", two_of),
    ]

    def judged(id: str, value: Tri) -> Criterion:
        return not_applicable(id, lcd) if malignant is True else criterion(id, value, lcd)

    criteria = (
        criterion("imaging-confirmed", inp.imaging_confirmed, lcd),
        judged("not-chronic", not_chronic),
        criterion("levels-t1-l5", in_range, lcd),
        # Both paths: the malignant indication needs intractable pain, the same threshold.
        criterion("pain-threshold", pain, lcd),
        criterion("conservative-care-failed", inp.conservative_care_failed, lcd),
        criterion("malignant", malignant, lcd),
        *(judged(id, value) for id, value in osteoporotic),
        criterion("indication", indication, lcd),
        criterion("no-absolute-contraindication", no_absolute, lcd),
    )
    # Malignant path: what the LCD asks of a painful osteolytic lesion, intractable pain (the
    # LCD's pain threshold) despite medical therapy among it.
    malignant_path = all_of(
        [
            malignant,
            inp.imaging_confirmed,
            in_range,
            pain,
            inp.conservative_care_failed,
            no_absolute,
        ]
    )
    # Osteoporotic path. It needs no "not malignant": its terms include every term of the
    # malignant path, so when it is met the case is covered whatever the lesion.
    osteoporotic_path = all_of(
        [
            inp.imaging_confirmed,
            not_chronic,
            in_range,
            pain,
            inp.conservative_care_failed,
            indication,
            no_absolute,
        ]
    )
    overall = malignant_path if malignant is True else any_of([malignant_path, osteoporotic_path])
    outcome: Outcome
    if no_absolute is False:
        outcome = "contraindicated"
    elif overall is True:
        outcome = "meets-criteria"
    elif overall is False:
        outcome = "does-not-meet"
    else:
        outcome = "incomplete"

    cautions = [
        Caution(id=item, text=RELATIVE_CONTRAINDICATIONS[item])
        for item in dict.fromkeys(inp.relative_contraindications or [])
    ]
    documentation = list(DOCUMENTATION_REQUIRED)
    if many_levels and levels is not None:
        cautions.append(
            Caution(
                id=MANY_LEVELS_CAUTION,
                text=f"{len(levels)} levels: more than {MAX_LEVELS} is a relative "
                "contraindication; weigh the benefit of treating each level against the "
                "cement load and the time under anesthesia, and record the reasons.",
            )
        )
        documentation.append(DOCUMENTATION_MANY_LEVELS.format(count=len(levels)))
    if malignant is True:
        documentation.append(DOCUMENTATION_MALIGNANT)
    return CandidacyResult(
        outcome=outcome,
        criteria=criteria,
        relative_contraindications=tuple(cautions),
        codes=codes_for(
            levels,
            malignant,
            osteoporosis_documented=inp.osteoporosis_documented,
            traumatic=inp.traumatic,
        ),
        documentation=tuple(documentation),
    )


def unknown_criteria(result: CandidacyResult) -> list[str]:
    """The ids of the criteria still unknown: what to ask next."""
    return [c.id for c in result.criteria if c.status is Status.UNKNOWN]


# The verdict in words, for the pages and the command line.
CANDIDACY_OUTCOMES = {
    "meets-criteria": "Meets the coverage criteria",
    "does-not-meet": "Does not meet the coverage criteria",
    "incomplete": "Incomplete: some criteria are not known",
    "contraindicated": "Contraindicated",
}
