"""The osteoporosis plan after a fragility vertebral fracture, with the FLS checklist.

A fragility vertebral fracture is itself enough to diagnose osteoporosis (AACE/ACE 2020), so
the risk is at least ``high``; any of AACE 2020's very-high-risk criteria (a fracture within
the past 12 months among them) makes it ``very-high``. Each criterion is listed met, not met
or unknown. The plan names the guideline its medication follows, the options by risk, what to
check before treatment, how long each drug is given, calcium and vitamin D, lifestyle measures
and the fracture liaison service (FLS) checklist with due dates counted from the fracture date
(marked overdue when passed on ``as_of``). FRAX is linked, never re-computed: its equations are
not public; its probabilities can be entered.

>>> from datetime import date
>>> p = plan(FollowupInput(sex="female", age=58, fracture_date=date(2026, 1, 1),
...                        as_of=date(2026, 2, 1)))
>>> p.risk, p.calcium_mg_per_day, p.fls_checklist[0].due_date.isoformat()
('very-high', 1200, '2026-03-26')
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from spinefx.clinical import sources
from spinefx.clinical.criteria import Criterion, Status, Tri, criterion
from spinefx.errors import InputError

__all__ = [
    "BEFORE_TREATMENT",
    "CRITERION_TEXT",
    "DENOSUMAB_NEVER_STOP",
    "FLS_ITEMS",
    "TREATMENT_DURATIONS",
    "FlsItem",
    "FollowupInput",
    "FollowupPlan",
    "Medication",
    "Risk",
    "criterion_text",
    "plan",
]

# --- Very high risk (sources.AACE_2020, corrections of December 2026) ----------------------
# "A recent fracture (within the past 12 months)": convention, at most 365 days before as_of.
RECENT_FRACTURE_MAX_DAYS: Final = 365
VERY_HIGH_MIN_FRACTURES: Final = 2  # "multiple fractures"
T_SCORE_BELOW: Final = -3.0  # "a very low T-score (below -3.0)": -3.0 itself does not count
FRAX_MAJOR_OVER_PCT: Final = 30.0  # FRAX major osteoporotic fracture probability > 30 %
FRAX_HIP_OVER_PCT: Final = 4.5  # FRAX hip fracture probability > 4.5 %
# Endocrine Society 2019: a severe vertebral fracture (Genant grade 3, > 40 % height loss).
SEVERE_GRADE: Final = 3

# Fracture dates before this are typing errors, not history.
EARLIEST_FRACTURE_DATE: Final = date(1900, 1, 1)

# Calcium, total from food and supplements (sources.BHOF_2022).
CALCIUM_MG_HIGHER: Final = 1200
CALCIUM_MG_LOWER: Final = 1000
CALCIUM_HIGHER_FROM_AGE: Final = {"female": 51, "male": 71}
VITAMIN_D_IU_PER_DAY: Final = "800-1000"  # sources.BHOF_2022
# Serum 25(OH)D: AACE 2020 gives 30-50 ng/mL (the upper bound is AACE's); BHOF says >= 30.
VITAMIN_D_TARGET: Final = "30-50 ng/mL"

# Kidney function as the drug labels measure it: creatinine clearance (Cockcroft-Gault),
# ml/min; an eGFR (ml/min/1.73 m2) may stand in for it and is labelled so.
# No bisphosphonate below 35: one cut-off for alendronate (35) and risedronate (30), and
# zoledronic acid's contraindication (sources.BISPHOSPHONATE_LABELS).
BISPHOSPHONATE_MIN_EGFR: Final = 35.0
# Below 30 (advanced chronic kidney disease): the denosumab boxed warning (FDA 2024) of
# severe, sometimes fatal hypocalcaemia; rule out CKD mineral and bone disorder first.
DENOSUMAB_BOXED_WARNING_BELOW_EGFR: Final = 30.0

# Men and premenopausal women: look for secondary causes and refer below this age (men).
MEN_REFER_UNDER_AGE: Final = 50
# A woman under 50, whatever her menopausal status, or whose status is not known, is not given
# the postmenopausal (AACE 2020) list: specialist referral and a search for secondary causes
# first, and a question about pregnancy before any drug (AACE 2020 and the Endocrine Society
# guidelines are written for postmenopausal women; corrections of December 2026).
WOMEN_REFER_UNDER_AGE: Final = 50
# Denosumab "stopped": stopped, or the next 6-monthly dose more than 7 months after the last
# (sources.ECTS_DENOSUMAB_2017): the window in which rebound vertebral fractures begin.
DENOSUMAB_LATE_MONTHS: Final = 7

BMD_MONITORING: Final = "every 1-3 years"  # sources.ENDOCRINE_SOCIETY_2019

# FLS key performance indicators with their time limits from the fracture, in weeks
# (sources.FLS_KPI_JAVAID_2020): (id, item, weeks).
FLS_ITEMS: tuple[tuple[str, str, int], ...] = (
    ("risk-assessment", "Fracture risk assessed and treatment recommended", 12),
    ("dxa", "DXA bone density scan done", 12),
    ("falls-assessment", "Falls risk assessed", 12),
    ("exercise-started", "Strength and balance exercise started", 16),
    ("monitoring", "Follow-up contact made to monitor the plan", 16),
    ("medication-started", "Bone medication started", 16),
    ("adherence-check", "Still taking the bone medication", 52),
)

Risk = Literal["very-high", "high"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """Accept a date or YYYY-MM-DD text; refuse timestamps, numbers and other formats."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


# The dates the plan counts from: its due dates (up to a year later) must exist in the
# calendar (9999-12-31 plus a year does not), and a date beyond these years is a typing error.
LATEST_DATE: Final = date(2199, 12, 31)
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    Field(ge=EARLIEST_FRACTURE_DATE, le=LATEST_DATE),
]
Percent = Annotated[float | None, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]


class FollowupInput(BaseModel):
    """The patient after the fracture. ``sex``, ``age`` and ``fracture_date`` are required.

    ``vertebral_fractures`` defaults to 1 (only the index fracture is known); every other
    optional answer defaults to null, meaning not known. ``as_of`` (the day of the plan)
    defaults to today.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sex: Literal["female", "male"]
    age: Annotated[StrictInt, Field(ge=18, le=120)]
    fracture_date: IsoDate
    as_of: IsoDate | None = Field(
        default=None, title="Date of this plan", description="Leave blank for today."
    )
    vertebral_fractures: Annotated[StrictInt, Field(ge=1, le=17)] = 1
    max_grade: Annotated[StrictInt | None, Field(ge=0, le=3)] = None
    egfr: Annotated[float | None, Field(ge=0, le=200, strict=True, allow_inf_nan=False)] = Field(
        default=None,
        title="Kidney function: creatinine clearance (ml/min)",
        description="An eGFR (ml/min/1.73 m2) may stand in for it.",
    )
    on_osteoporosis_treatment: StrictBool | None = None
    glucocorticoids: StrictBool | None = Field(
        default=None, title="The fracture happened on long-term glucocorticoids"
    )
    t_score: Annotated[float | None, Field(ge=-6, le=3, strict=True, allow_inf_nan=False)] = Field(
        default=None, title="Lowest DXA T-score"
    )
    injurious_falls: StrictBool | None = Field(
        default=None, title="A high risk of falls or a history of injurious falls"
    )
    frax_major_pct: Percent = Field(
        default=None, title="FRAX 10-year probability of a major osteoporotic fracture (%)"
    )
    frax_hip_pct: Percent = Field(
        default=None, title="FRAX 10-year probability of hip fracture (%)"
    )
    menopausal: StrictBool | None = Field(
        default=None, title="Postmenopausal (women only)", description="Leave blank for men."
    )
    malignancy: StrictBool | None = Field(
        default=None,
        title="Bone metastases, myeloma, skeletal cancer, or radiation to the skeleton",
        description="Yes rules out teriparatide and abaloparatide (US labels) and sends the "
        "plan to the oncology team.",
    )
    denosumab_stopped: StrictBool | None = Field(
        default=None,
        title="Denosumab stopped, or a dose more than 7 months late",
        description="Yes: restart denosumab (or give zoledronic acid) rather than switch to an "
        "anabolic drug.",
    )

    @model_validator(mode="after")
    def _dates_and_sex(self) -> Self:
        as_of = self.as_of or date.today()
        if self.fracture_date < EARLIEST_FRACTURE_DATE:
            raise InputError(
                "fracture_date", self.fracture_date.isoformat(), "a date from 1900-01-01 on"
            )
        if self.fracture_date > as_of:
            raise InputError(
                "fracture_date",
                self.fracture_date.isoformat(),
                f"a date on or before the plan's date ({as_of.isoformat()})",
            )
        if self.sex == "male" and self.menopausal is not None:
            raise InputError("menopausal", self.menopausal, "null for men (it asks about women)")
        return self


class Medication(BaseModel):
    model_config = ConfigDict(frozen=True)

    guideline: str
    first_line: str
    options: tuple[str, ...]
    avoid: tuple[str, ...]
    notes: tuple[str, ...]


class FlsItem(BaseModel):
    """One FLS checklist item, due ``weeks`` after the fracture; overdue when passed."""

    model_config = ConfigDict(frozen=True)

    id: str
    item: str
    due_date: date
    weeks: int
    overdue: bool


class FollowupPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: date
    risk: Risk
    risk_reasons: tuple[Criterion, ...]
    calcium_mg_per_day: int
    vitamin_d_iu_per_day: str
    medication: Medication
    before_treatment: tuple[str, ...]
    treatment_durations: tuple[str, ...]
    lifestyle: tuple[str, ...]
    fls_checklist: tuple[FlsItem, ...]
    frax_url: str
    bmd_monitoring: str
    sources: tuple[str, ...]


DENOSUMAB_NEVER_STOP = (
    "Denosumab is never stopped without a follow-on drug (usually a bisphosphonate): bone "
    "loss and multiple vertebral fractures can follow a gap."
)
ROMOSOZUMAB_WARNING = (
    "Romosozumab is approved for postmenopausal women only and carries a boxed warning: not in "
    "the year after a heart attack or stroke."
)
BEFORE_TREATMENT: tuple[str, ...] = (
    "Check serum calcium, 25(OH)D and creatinine (kidney function, as creatinine clearance) "
    "before the first dose.",
    "Correct low calcium and low vitamin D first, above all before zoledronic acid or "
    "denosumab, which can lower blood calcium.",
    "A dental check before an antiresorptive: osteonecrosis of the jaw is rare, but planned "
    "extractions or implants are best done first.",
    "Oral bisphosphonates need the patient fasting and upright for 30-60 minutes after each "
    "dose; a painful new fracture can make that hard, so consider an injected drug.",
)
TREATMENT_DURATIONS: tuple[str, ...] = (
    "Teriparatide or abaloparatide: up to 2 years, then an antiresorptive to keep the gain.",
    "Romosozumab: 12 monthly doses, then an antiresorptive.",
    "Bisphosphonates: review a drug holiday after about 5 years of an oral drug or 3 years of "
    "zoledronic acid (Endocrine Society 2019).",
    DENOSUMAB_NEVER_STOP,
)
SECONDARY_CAUSES = (
    "Look for secondary causes of bone loss (history, examination and blood tests) before "
    "choosing a drug."
)
LIFESTYLE: tuple[str, ...] = (
    "Prevent falls: remove trip hazards at home, review medicines that cause dizziness or "
    "drowsiness, check eyesight, use good lighting.",
    "Strength and balance exercise, adapted to the healing spine (no heavy lifting or deep "
    "forward bending until cleared).",
    "Stop smoking.",
    "Limit alcohol.",
    f"Vitamin D {VITAMIN_D_IU_PER_DAY} IU a day, aiming for a blood 25(OH)D level of "
    f"{VITAMIN_D_TARGET} (AACE 2020; BHOF asks for at least 30).",
)
PLAN_SOURCES: tuple[str, ...] = (
    sources.AACE_2020,
    sources.ENDOCRINE_SOCIETY_2019,
    sources.ENDOCRINE_SOCIETY_MEN_2012,
    sources.BHOF_2022,
    sources.FLS_KPI_JAVAID_2020,
    sources.BISPHOSPHONATE_LABELS,
    sources.DENOSUMAB_LABEL_CKD,
    sources.ROMOSOZUMAB_LABEL,
    sources.PTH_ANALOGUE_LABELS,
    sources.ECTS_DENOSUMAB_2017,
    sources.DATA_SWITCH_2015,
    sources.GENANT_1993,
)
GUIDELINE_POSTMENOPAUSAL = (
    "AACE/ACE 2020 (postmenopausal osteoporosis), with the Endocrine Society 2019 guideline"
)
GUIDELINE_MEN = "Endocrine Society 2012 guideline on osteoporosis in men"
GUIDELINE_PREMENOPAUSAL = (
    "None of these guidelines is written for premenopausal women: specialist referral"
)
GUIDELINE_WOMAN_NOT_POSTMENOPAUSAL = (
    "The AACE/ACE 2020 list is for postmenopausal women from 50: specialist referral for a "
    "woman under 50 or whose menopausal status is not known"
)
GUIDELINE_MALIGNANCY = "Bone metastases, myeloma or skeletal radiation: the oncology team's plan"
_BISPHOSPHONATES = "bisphosphonates (alendronate, risedronate, ibandronate, zoledronic acid)"
_PTH_ANALOGUES = ("teriparatide", "abaloparatide")
PTH_ANALOGUES_MALIGNANCY = (
    "teriparatide and abaloparatide: not for patients with bone metastases, a skeletal "
    "malignancy, myeloma or radiation to the skeleton (US labels: osteosarcoma risk)"
)
DENOSUMAB_STOPPED_SWITCH = (
    "switching to teriparatide, abaloparatide or romosozumab after denosumab is stopped: bone is "
    "lost and rebound vertebral fractures are not prevented (DATA-Switch, Lancet 2015; ECTS 2017)"
)
DENOSUMAB_RESTART = (
    f"Denosumab stopped or more than {DENOSUMAB_LATE_MONTHS} months late: restart denosumab now "
    "(or give zoledronic acid), not a switch to an anabolic agent; rebound vertebral fractures "
    "follow a gap (ECTS 2017; DATA-Switch 2015)."
)
PREGNANCY_FIRST = (
    "Ask about pregnancy, and plans for pregnancy, before any bone drug: several are not to be "
    "used in pregnancy, and zoledronic acid and denosumab persist for months to years."
)


def _calcium(sex: str, age: int) -> int:
    return CALCIUM_MG_HIGHER if age >= CALCIUM_HIGHER_FROM_AGE[sex] else CALCIUM_MG_LOWER


def _kidney_notes(egfr: float | None) -> tuple[list[str], list[str]]:
    """(avoid, notes) for kidney function; eGFR stands in for creatinine clearance."""
    avoid: list[str] = []
    notes: list[str] = []
    if egfr is None:
        notes.append(
            "Kidney function not given: measure it (creatinine clearance, or an eGFR as its "
            f"stand-in) before a bisphosphonate; none below {BISPHOSPHONATE_MIN_EGFR:g} ml/min."
        )
        return avoid, notes
    if egfr < BISPHOSPHONATE_MIN_EGFR:
        avoid.append(f"{_BISPHOSPHONATES}: creatinine clearance below {BISPHOSPHONATE_MIN_EGFR:g}")
        notes.append(
            f"Creatinine clearance {egfr:g} ml/min (an eGFR here stands in for it; the labels "
            f"use creatinine clearance): below {BISPHOSPHONATE_MIN_EGFR:g}, no bisphosphonate; "
            "ask a specialist to review before any bone drug, and correct calcium and vitamin D "
            "first."
        )
    if egfr < DENOSUMAB_BOXED_WARNING_BELOW_EGFR:
        notes.append(
            f"Below {DENOSUMAB_BOXED_WARNING_BELOW_EGFR:g} ml/min (advanced chronic kidney "
            "disease or dialysis): denosumab carries an FDA boxed warning (2024) of severe, "
            "sometimes fatal low calcium. A specialist must rule out CKD mineral and bone "
            "disorder before it is used."
        )
    return avoid, notes


def _met_words(reasons: tuple[Criterion, ...]) -> str:
    met = [CRITERION_TEXT[c.id][:1].lower() + CRITERION_TEXT[c.id][1:] for c in reasons]
    return "; ".join(met)


def _medication(
    inp: FollowupInput,
    reasons: tuple[Criterion, ...],
    unknown_criteria: list[str],
    on_treatment: bool | None,
) -> Medication:
    very_high_reasons = tuple(c for c in reasons if c.status is Status.MET)
    very_high = bool(very_high_reasons)
    # Endocrine Society 2019: severe (grade 3) or multiple vertebral fractures, anabolic first.
    anabolic_first = inp.vertebral_fractures >= VERY_HIGH_MIN_FRACTURES or (
        inp.max_grade is not None and inp.max_grade >= SEVERE_GRADE
    )
    egfr = inp.egfr
    low_kidney = egfr is not None and egfr < BISPHOSPHONATE_MIN_EGFR
    advanced_ckd = egfr is not None and egfr < DENOSUMAB_BOXED_WARNING_BELOW_EGFR
    avoid, kidney = _kidney_notes(egfr)
    notes: list[str] = [
        "A fragility vertebral fracture establishes osteoporosis whatever the bone density "
        "shows, so treatment does not wait for the DXA result."
    ]
    options: list[str] = []
    specialist_route = False
    if inp.sex == "female" and (inp.age < WOMEN_REFER_UNDER_AGE or inp.menopausal is not True):
        specialist_route = True
        guideline = (
            GUIDELINE_PREMENOPAUSAL
            if inp.menopausal is False
            else GUIDELINE_WOMAN_NOT_POSTMENOPAUSAL
        )
        first_line = (
            "Refer to a bone specialist (endocrinology or a metabolic bone clinic) and look for "
            "secondary causes before choosing a drug; ask about pregnancy before any drug."
        )
        if inp.menopausal is None and inp.age >= WOMEN_REFER_UNDER_AGE:
            first_line = (
                "Ask whether she is postmenopausal first: the AACE 2020 options are written for "
                "postmenopausal women. Until that is known, refer to a bone specialist and look "
                "for secondary causes, and rule out pregnancy before any drug."
            )
        notes += [SECONDARY_CAUSES, PREGNANCY_FIRST]
        if inp.menopausal is None:
            notes.append(
                "Menopausal status not given: ask it. Until it is known, no drug list is given."
            )
        if inp.age < WOMEN_REFER_UNDER_AGE and inp.menopausal is True:
            notes.append(
                f"Menopause before {WOMEN_REFER_UNDER_AGE} is itself a cause of bone loss to "
                "look into; the specialist may then use the postmenopausal options."
            )
    elif inp.sex == "male":
        guideline = GUIDELINE_MEN
        if very_high:
            first_line = (
                f"Very high risk ({_met_words(very_high_reasons)}): teriparatide or abaloparatide "
                "first (both approved for men; abaloparatide since December 2022), then an "
                "antiresorptive: alendronate, risedronate, zoledronic acid or denosumab."
            )
            options = [
                "teriparatide (daily injection, up to 2 years)",
                "abaloparatide (daily injection, up to 2 years)",
            ]
        else:
            first_line = "A bisphosphonate: alendronate, risedronate or zoledronic acid."
        options += [
            "alendronate (weekly tablet)",
            "risedronate (weekly or monthly tablet)",
            "zoledronic acid (yearly infusion)",
            "denosumab (injection every 6 months)",
        ]
        notes.append(SECONDARY_CAUSES)
        if inp.age < MEN_REFER_UNDER_AGE:
            notes.append(
                f"A man under {MEN_REFER_UNDER_AGE} with a fragility fracture: refer to a "
                "specialist."
            )
        notes.append("Romosozumab is left out: it is approved for postmenopausal women only.")
    else:
        guideline = GUIDELINE_POSTMENOPAUSAL
        if very_high:
            first_line = (
                f"AACE 2020, very high risk ({_met_words(very_high_reasons)}): start one of "
                "AACE's initial therapies for very high risk: an anabolic agent (abaloparatide, "
                "teriparatide or romosozumab, then an antiresorptive to keep the gain) or an "
                "injected antiresorptive (denosumab or zoledronic acid)."
            )
            if anabolic_first:
                first_line += (
                    " Endocrine Society 2019: with severe or multiple vertebral fractures, an "
                    "anabolic agent first."
                )
            options = [
                "abaloparatide (daily injection)",
                "teriparatide (daily injection)",
                "romosozumab (monthly injections for 12 months)",
                "denosumab (injection every 6 months)",
                "zoledronic acid (yearly infusion)",
            ]
            notes.append(ROMOSOZUMAB_WARNING)
        else:
            first_line = (
                "AACE 2020, high risk: alendronate, risedronate, zoledronic acid or denosumab; "
                "ibandronate or raloxifene as alternatives."
            )
            options = [
                "alendronate (weekly tablet)",
                "risedronate (weekly or monthly tablet)",
                "zoledronic acid (yearly infusion)",
                "denosumab (injection every 6 months)",
                "ibandronate (monthly tablet; an alternative)",
                "raloxifene (daily tablet; an alternative)",
            ]
    if inp.malignancy:
        options = [o for o in options if not o.startswith(_PTH_ANALOGUES)]
        avoid.append(PTH_ANALOGUES_MALIGNANCY)
        guideline = GUIDELINE_MALIGNANCY if not specialist_route else guideline
        first_line = (
            "Plan bone treatment with the patient's oncology team (hematology for myeloma): "
            "bone metastases, myeloma or radiation to the skeleton rule out teriparatide and "
            "abaloparatide (US labels: osteosarcoma risk); an injected antiresorptive "
            "(zoledronic acid or denosumab) is the usual choice, at the dose the oncology team "
            "sets."
        ) + (" " + first_line if specialist_route else "")
    elif inp.malignancy is None and any(o.startswith(_PTH_ANALOGUES) for o in options):
        notes.append(
            "Before teriparatide or abaloparatide, ask about bone metastases, myeloma, skeletal "
            "cancer or radiation to the skeleton: any of them rules both out (US labels)."
        )
    if inp.denosumab_stopped:
        # Whatever the route: restart denosumab (or zoledronic acid), never an anabolic switch.
        options = [
            "denosumab (restart now; injection every 6 months)",
            "zoledronic acid (infusion)",
        ]
        avoid.append(DENOSUMAB_STOPPED_SWITCH)
        first_line = DENOSUMAB_RESTART + (
            " " + first_line if specialist_route or inp.malignancy else ""
        )
        notes.append(DENOSUMAB_RESTART)
    if low_kidney and not specialist_route:
        # The sentence above may name bisphosphonates (and denosumab); below the kidney cut-offs
        # it is replaced, not prefixed, so the plan never offers what it rules out.
        options = [o for o in options if not _is_bisphosphonate(o)]
        if advanced_ckd:
            options = [o for o in options if not o.startswith("denosumab")]
            reason = (
                f"below {DENOSUMAB_BOXED_WARNING_BELOW_EGFR:g} ml/min, where bisphosphonates are "
                "not used and denosumab carries a boxed warning"
            )
        else:
            reason = "below the limit for bisphosphonates"
        remaining = ", ".join(o.split(" (")[0] for o in options) or "none without specialist advice"
        first_line = (
            f"Specialist review first: kidney function is {reason}. "
            f"Options left to weigh with the specialist: {remaining}."
        )
    if not any(o.startswith("romosozumab") for o in options) and ROMOSOZUMAB_WARNING in notes:
        notes.remove(ROMOSOZUMAB_WARNING)
    notes += kidney
    if on_treatment:
        notes.append(
            "The fracture happened on treatment: check the medicine was taken as directed, look "
            "for secondary causes, and move to a stronger agent (if it was denosumab and a dose "
            "was missed, restart it instead)."
        )
    if not very_high and unknown_criteria:
        notes.append(
            f"Not yet known: {', '.join(unknown_criteria)}. If any applies, the risk is very "
            "high and AACE's very-high-risk options apply."
        )
    notes.append(DENOSUMAB_NEVER_STOP)
    return Medication(
        guideline=guideline,
        first_line=first_line,
        options=tuple(options),
        avoid=tuple(avoid),
        notes=tuple(notes),
    )


def _is_bisphosphonate(option: str) -> bool:
    """Alendronate, risedronate, ibandronate and zoledronic acid; raloxifene is not one."""
    return option.startswith(("alendronate", "risedronate", "ibandronate", "zoledronic"))


# Each very-high-risk criterion of the plan (AACE 2020, and the Endocrine Society's grade 3),
# answered yes, no or not known; the web page and the CLI both print these, the JSON keeps the ids.
CRITERION_TEXT: Final[dict[str, str]] = {
    "recent-fracture": "A fracture within the past 12 months",
    "fracture-on-treatment": "The fracture happened on osteoporosis treatment",
    "multiple-fractures": "Two or more vertebral fractures",
    "fracture-on-glucocorticoids": "The fracture happened on long-term glucocorticoids",
    "t-score-below-minus-3": f"A T-score below {T_SCORE_BELOW:.1f}",
    "injurious-falls": "A high risk of falls, or injurious falls",
    "frax-major-over-30": (
        f"FRAX major osteoporotic fracture probability above {FRAX_MAJOR_OVER_PCT:g} %"
    ),
    "frax-hip-over-4-5": f"FRAX hip fracture probability above {FRAX_HIP_OVER_PCT:g} %",
    "grade-3-fracture": "A grade 3 (severe) vertebral fracture (Endocrine Society 2019)",
}


def criterion_text(id: str) -> str:
    """The words for the criterion ``id`` of a follow-up plan.

    >>> criterion_text("t-score-below-minus-3")
    'A T-score below -3.0'
    """
    return CRITERION_TEXT.get(id, id)


# The criteria still unknown, as the medication note names them.
_CRITERION_WORDS = {
    "fracture-on-treatment": "whether the fracture happened on osteoporosis treatment",
    "fracture-on-glucocorticoids": "whether it happened on long-term glucocorticoids",
    "t-score-below-minus-3": "the T-score",
    "injurious-falls": "the risk of falls",
    "frax-major-over-30": "the FRAX major fracture probability",
    "frax-hip-over-4-5": "the FRAX hip fracture probability",
    "grade-3-fracture": "whether any fracture is grade 3 (severe)",
}


def _over(value: float | None, threshold: float) -> Tri:
    return None if value is None else value > threshold


def plan(inp: FollowupInput) -> FollowupPlan:
    """The follow-up plan for ``inp``; due dates count from ``inp.fracture_date``."""
    as_of = inp.as_of or date.today()
    aace = sources.AACE_2020
    recent = (as_of - inp.fracture_date).days <= RECENT_FRACTURE_MAX_DAYS
    reasons = (
        criterion("recent-fracture", recent, aace),
        criterion("fracture-on-treatment", inp.on_osteoporosis_treatment, aace),
        criterion("multiple-fractures", inp.vertebral_fractures >= VERY_HIGH_MIN_FRACTURES, aace),
        criterion("fracture-on-glucocorticoids", inp.glucocorticoids, aace),
        criterion(
            "t-score-below-minus-3",
            None if inp.t_score is None else inp.t_score < T_SCORE_BELOW,
            aace,
        ),
        criterion("injurious-falls", inp.injurious_falls, aace),
        criterion("frax-major-over-30", _over(inp.frax_major_pct, FRAX_MAJOR_OVER_PCT), aace),
        criterion("frax-hip-over-4-5", _over(inp.frax_hip_pct, FRAX_HIP_OVER_PCT), aace),
        criterion(
            "grade-3-fracture",
            None if inp.max_grade is None else inp.max_grade >= SEVERE_GRADE,
            sources.ENDOCRINE_SOCIETY_2019,
        ),
    )
    very_high = any(c.status is Status.MET for c in reasons)
    unknown = [_CRITERION_WORDS[c.id] for c in reasons if c.status is Status.UNKNOWN]
    checklist = []
    for item_id, item, weeks in FLS_ITEMS:
        due = inp.fracture_date + timedelta(weeks=weeks)
        checklist.append(
            FlsItem(id=item_id, item=item, due_date=due, weeks=weeks, overdue=due < as_of)
        )
    return FollowupPlan(
        as_of=as_of,
        risk="very-high" if very_high else "high",
        risk_reasons=reasons,
        calcium_mg_per_day=_calcium(inp.sex, inp.age),
        vitamin_d_iu_per_day=VITAMIN_D_IU_PER_DAY,
        medication=_medication(inp, reasons, unknown, inp.on_osteoporosis_treatment),
        before_treatment=BEFORE_TREATMENT,
        treatment_durations=TREATMENT_DURATIONS,
        lifestyle=LIFESTYLE,
        fls_checklist=tuple(checklist),
        frax_url=sources.FRAX_URL,
        bmd_monitoring=BMD_MONITORING,
        sources=PLAN_SOURCES,
    )
