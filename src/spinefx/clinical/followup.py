"""The osteoporosis plan after a fragility vertebral fracture, with the FLS checklist.

A fragility vertebral fracture is itself enough to diagnose osteoporosis (AACE/ACE 2020), so
the risk is at least ``high``; some findings make it ``very-high``. The plan names the drug
class to start with, calcium and vitamin D, lifestyle measures and the fracture liaison
service (FLS) checklist with due dates counted from the fracture date. FRAX is linked, never
re-computed: its equations are not public.

>>> from datetime import date
>>> p = plan(FollowupInput(sex="female", age=58, fracture_date=date(2026, 1, 1)))
>>> p.risk, p.calcium_mg_per_day, p.fls_checklist[0].due_date.isoformat()
('high', 1200, '2026-03-26')
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from spinefx.clinical import sources
from spinefx.clinical.criteria import Criterion, Status, Tri, any_of, criterion

__all__ = [
    "FLS_ITEMS",
    "FlsItem",
    "FollowupInput",
    "FollowupPlan",
    "Medication",
    "Risk",
    "plan",
]

# --- Thresholds ----------------------------------------------------------------------------
# Very high risk: multiple or severe vertebral fractures (sources.ENDOCRINE_SOCIETY_2019);
# a fracture while on osteoporosis treatment (sources.AACE_2020).
VERY_HIGH_MIN_VERTEBRAL_FRACTURES = 2
SEVERE_GRADE = 3  # Genant grade 3, > 40 % height loss (sources.GENANT_1993)

# Calcium, total from food and supplements (sources.BHOF_2022).
CALCIUM_MG_HIGHER = 1200
CALCIUM_MG_LOWER = 1000
CALCIUM_HIGHER_FROM_AGE = {"female": 51, "male": 71}
VITAMIN_D_IU_PER_DAY = "800-1000"  # sources.BHOF_2022
VITAMIN_D_TARGET = "30-50 ng/mL"  # serum 25(OH)D, sources.BHOF_2022

# No bisphosphonate below this eGFR (ml/min/1.73 m2): one cut-off for alendronate (35) and
# risedronate (30), and zoledronic acid's contraindication (sources.BISPHOSPHONATE_LABELS).
BISPHOSPHONATE_MIN_EGFR = 35.0

BMD_MONITORING = "every 1-3 years"  # sources.ENDOCRINE_SOCIETY_2019

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


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class FollowupInput(BaseModel):
    """The patient after the fracture. ``sex``, ``age`` and ``fracture_date`` are required.

    ``vertebral_fractures`` defaults to 1 (only the index fracture is known); ``max_grade`` and
    ``on_osteoporosis_treatment`` default to null, meaning not known.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sex: Literal["female", "male"]
    age: Annotated[StrictInt, Field(ge=18, le=120)]
    fracture_date: IsoDate
    vertebral_fractures: Annotated[StrictInt, Field(ge=1, le=17)] = 1
    max_grade: Annotated[StrictInt | None, Field(ge=0, le=3)] = None
    egfr: Annotated[float | None, Field(ge=0, le=200, strict=True, allow_inf_nan=False)] = None
    on_osteoporosis_treatment: StrictBool | None = None


class Medication(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_line: str
    options: tuple[str, ...]
    avoid: tuple[str, ...]
    notes: tuple[str, ...]


class FlsItem(BaseModel):
    """One FLS checklist item, due ``weeks`` after the fracture."""

    model_config = ConfigDict(frozen=True)

    id: str
    item: str
    due_date: date
    weeks: int


class FollowupPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    risk: Risk
    risk_reasons: tuple[Criterion, ...]
    calcium_mg_per_day: int
    vitamin_d_iu_per_day: str
    medication: Medication
    lifestyle: tuple[str, ...]
    fls_checklist: tuple[FlsItem, ...]
    frax_url: str
    bmd_monitoring: str
    sources: tuple[str, ...]


DENOSUMAB_NEVER_STOP = (
    "Denosumab is never stopped without a follow-on drug (usually a bisphosphonate): bone "
    "loss and multiple vertebral fractures can follow a gap."
)
LIFESTYLE: tuple[str, ...] = (
    "Prevent falls: remove trip hazards at home, review medicines that cause dizziness or "
    "drowsiness, check eyesight, use good lighting.",
    "Strength and balance exercise, adapted to the healing spine (no heavy lifting or deep "
    "forward bending until cleared).",
    "Stop smoking.",
    "Limit alcohol.",
    f"Vitamin D {VITAMIN_D_IU_PER_DAY} IU a day, aiming for a blood 25(OH)D level of "
    f"{VITAMIN_D_TARGET}.",
)
PLAN_SOURCES: tuple[str, ...] = (
    sources.AACE_2020,
    sources.ENDOCRINE_SOCIETY_2019,
    sources.BHOF_2022,
    sources.FLS_KPI_JAVAID_2020,
    sources.BISPHOSPHONATE_LABELS,
    sources.GENANT_1993,
)
_BISPHOSPHONATES = "bisphosphonates (alendronate, risedronate, zoledronic acid)"


def _calcium(sex: str, age: int) -> int:
    return CALCIUM_MG_HIGHER if age >= CALCIUM_HIGHER_FROM_AGE[sex] else CALCIUM_MG_LOWER


def _medication(
    very_high: bool, egfr: float | None, unknown_triggers: list[str], on_treatment: bool | None
) -> Medication:
    low_kidney = egfr is not None and egfr < BISPHOSPHONATE_MIN_EGFR
    notes: list[str] = [
        "A fragility vertebral fracture establishes osteoporosis whatever the bone density "
        "shows, so treatment does not wait for the DXA result."
    ]
    avoid: list[str] = []
    if very_high:
        follow_on = "denosumab" if low_kidney else "zoledronic acid, alendronate or denosumab"
        first_line = (
            "An anabolic agent first: teriparatide or abaloparatide (romosozumab where "
            f"appropriate), then an antiresorptive ({follow_on}) to keep the gain."
        )
        options = [
            "teriparatide (daily injection)",
            "abaloparatide (daily injection)",
            "romosozumab (monthly injections for 12 months), where appropriate",
            f"then an antiresorptive: {follow_on}",
        ]
        notes.append(
            "Romosozumab carries a warning about heart attack and stroke: not for someone who "
            "had either in the past year."
        )
    elif low_kidney:
        first_line = (
            "Denosumab, after a specialist review: kidney function is below the limit for "
            "bisphosphonates."
        )
        options = ["denosumab (injection every 6 months)"]
    else:
        first_line = "An oral bisphosphonate: alendronate or risedronate."
        options = [
            "alendronate (weekly tablet)",
            "risedronate (weekly or monthly tablet)",
            "zoledronic acid (yearly infusion) as the alternative",
            "denosumab (injection every 6 months) if bisphosphonates do not suit",
        ]
    if low_kidney:
        avoid.append(f"{_BISPHOSPHONATES}: eGFR is below {BISPHOSPHONATE_MIN_EGFR:g}")
        notes.append(
            f"eGFR below {BISPHOSPHONATE_MIN_EGFR:g}: ask a specialist to review before any bone "
            "drug, and check calcium and vitamin D first (low calcium on denosumab is more "
            "likely with weak kidneys)."
        )
    if egfr is None:
        notes.append(
            f"Kidney function (eGFR) not given: check it before a bisphosphonate; none below "
            f"{BISPHOSPHONATE_MIN_EGFR:g} ml/min/1.73 m2."
        )
    if on_treatment:
        notes.append(
            "The fracture happened on treatment: check the medicine was taken as directed, look "
            "for secondary causes, and move to a stronger agent."
        )
    if not very_high and unknown_triggers:
        notes.append(
            f"Not yet known: {', '.join(unknown_triggers)}. If it applies, the risk is very high "
            "and an anabolic agent comes first."
        )
    notes.append(DENOSUMAB_NEVER_STOP)
    return Medication(
        first_line=first_line, options=tuple(options), avoid=tuple(avoid), notes=tuple(notes)
    )


_TRIGGER_WORDS = {
    "grade-3-fracture": "whether any fracture is grade 3 (severe)",
    "fracture-on-treatment": "whether the fracture happened on osteoporosis treatment",
}


def plan(inp: FollowupInput) -> FollowupPlan:
    """The follow-up plan for ``inp``; dates are counted from ``inp.fracture_date``."""
    multiple = inp.vertebral_fractures >= VERY_HIGH_MIN_VERTEBRAL_FRACTURES
    severe: Tri = None if inp.max_grade is None else inp.max_grade >= SEVERE_GRADE
    on_treatment = inp.on_osteoporosis_treatment
    reasons = (
        criterion("two-or-more-vertebral-fractures", multiple, sources.ENDOCRINE_SOCIETY_2019),
        criterion("grade-3-fracture", severe, sources.ENDOCRINE_SOCIETY_2019),
        criterion("fracture-on-treatment", on_treatment, sources.AACE_2020),
    )
    very_high = any_of([multiple, severe, on_treatment]) is True
    unknown = [_TRIGGER_WORDS[c.id] for c in reasons if c.status is Status.UNKNOWN]
    checklist = tuple(
        FlsItem(
            id=item_id,
            item=item,
            due_date=inp.fracture_date + timedelta(weeks=weeks),
            weeks=weeks,
        )
        for item_id, item, weeks in FLS_ITEMS
    )
    return FollowupPlan(
        risk="very-high" if very_high else "high",
        risk_reasons=reasons,
        calcium_mg_per_day=_calcium(inp.sex, inp.age),
        vitamin_d_iu_per_day=VITAMIN_D_IU_PER_DAY,
        medication=_medication(very_high, inp.egfr, unknown, on_treatment),
        lifestyle=LIFESTYLE,
        fls_checklist=checklist,
        frax_url=sources.FRAX_URL,
        bmd_monitoring=BMD_MONITORING,
        sources=PLAN_SOURCES,
    )
