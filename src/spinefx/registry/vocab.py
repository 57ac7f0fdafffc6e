"""The registry's closed vocabularies and the FLS event windows, declared once.

Every value stored in a status, kind or type column is one of these ``StrEnum`` members; the
import format, the API and the pages accept exactly these spellings.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "EVENT_NAMES",
    "EVENT_ORDER",
    "EVENT_WINDOWS",
    "OPEN_STATUSES",
    "Anaesthesia",
    "Approach",
    "AssessmentKind",
    "CaseStatus",
    "Complication",
    "EventStatus",
    "EventType",
    "FoundBy",
    "Instrument",
    "ProcedureKind",
    "Role",
    "Sex",
    "Timepoint",
    "marked_fictional",
]

FICTIONAL_MARK = "(fictional)"


def marked_fictional(name: str, fictional: bool) -> str:
    """``name`` as shown: with " (fictional)" after it for a made-up record, said once.

    The demo's names already end with the mark (they are fictional wherever they are copied),
    so it is added only when the name does not carry it.

    >>> marked_fictional("Demo Hospital (fictional)", True)
    'Demo Hospital (fictional)'
    >>> marked_fictional("North", True), marked_fictional("North", False)
    ('North (fictional)', 'North')
    """
    if not fictional or name.rstrip().lower().endswith(FICTIONAL_MARK):
        return name
    return f"{name} {FICTIONAL_MARK}"


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"  # reads cases and the audit log, changes nothing


class CaseStatus(StrEnum):
    TO_REVIEW = "to-review"  # found by case-finding, waiting for a person to accept or dismiss
    ACTIVE = "active"
    CLOSED = "closed"
    DECEASED = "deceased"
    TRANSFERRED = "transferred"


OPEN_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.TO_REVIEW, CaseStatus.ACTIVE})


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class FoundBy(StrEnum):
    CLINICAL = "clinical"
    RADIOLOGICAL = "radiological"
    CASE_FINDING = "case-finding"


class EventType(StrEnum):
    RISK_ASSESSMENT = "risk-assessment"
    DXA = "dxa"
    FALLS_ASSESSMENT = "falls-assessment"
    MEDICATION_RECOMMENDED = "medication-recommended"
    EXERCISE_STARTED = "exercise-started"
    MONITORING = "monitoring"
    MEDICATION_STARTED = "medication-started"
    ON_MEDICATION_AT_52_WEEKS = "on-medication-at-52-weeks"


class EventStatus(StrEnum):
    DONE = "done"
    DECLINED = "declined"
    NOT_APPLICABLE = "not-applicable"


# (first week, last week) after the index fracture in which the event counts for its KPI
# (Javaid, Osteoporos Int 2020; the windows are those of issue 11): 12 weeks for the
# assessments, 16 for treatment and monitoring, weeks 48 to 56 for medication at 52 weeks.
EVENT_WINDOWS: dict[EventType, tuple[int, int]] = {
    EventType.RISK_ASSESSMENT: (0, 12),
    EventType.DXA: (0, 12),
    EventType.FALLS_ASSESSMENT: (0, 12),
    EventType.MEDICATION_RECOMMENDED: (0, 16),
    EventType.EXERCISE_STARTED: (0, 16),
    EventType.MONITORING: (0, 16),
    EventType.MEDICATION_STARTED: (0, 16),
    EventType.ON_MEDICATION_AT_52_WEEKS: (48, 56),
}
EVENT_ORDER: tuple[EventType, ...] = tuple(EVENT_WINDOWS)
# Each event's name as the pages, the e-mailed reminders and the calendar show it.
EVENT_NAMES: dict[str, str] = {
    EventType.RISK_ASSESSMENT: "Fracture risk assessment",
    EventType.DXA: "DXA bone density scan",
    EventType.FALLS_ASSESSMENT: "Falls risk assessment",
    EventType.MEDICATION_RECOMMENDED: "Osteoporosis medication recommended",
    EventType.EXERCISE_STARTED: "Exercise program started",
    EventType.MONITORING: "Follow-up monitoring contact",
    EventType.MEDICATION_STARTED: "Osteoporosis medication started",
    EventType.ON_MEDICATION_AT_52_WEEKS: "Still on medication at 52 weeks",
}


class ProcedureKind(StrEnum):
    KYPHOPLASTY = "kyphoplasty"
    VERTEBROPLASTY = "vertebroplasty"


class Approach(StrEnum):
    UNIPEDICULAR = "unipedicular"
    BIPEDICULAR = "bipedicular"


class Anaesthesia(StrEnum):
    LOCAL = "local"
    SEDATION = "sedation"
    GENERAL = "general"


class Complication(StrEnum):
    CEMENT_LEAKAGE_ASYMPTOMATIC = "cement-leakage-asymptomatic"
    CEMENT_LEAKAGE_SYMPTOMATIC = "cement-leakage-symptomatic"
    NEW_ADJACENT_FRACTURE = "new-adjacent-fracture"
    INFECTION = "infection"
    EMBOLISM = "embolism"
    DEATH = "death"
    OTHER = "other"


class Instrument(StrEnum):
    NRS = "nrs"  # pain, 0-10
    RDQ = "rdq"  # Roland-Morris disability, 0-24
    ODI = "odi"  # Oswestry disability index, 0-100 %


INSTRUMENT_RANGES: dict[Instrument, tuple[float, float]] = {
    Instrument.NRS: (0, 10),
    Instrument.RDQ: (0, 24),
    Instrument.ODI: (0, 100),
}


class Timepoint(StrEnum):
    BASELINE = "baseline"
    WEEKS_2 = "2-weeks"
    MONTHS_3 = "3-months"
    MONTHS_12 = "12-months"


class AssessmentKind(StrEnum):
    SCREENING = "screening"
    GRADING = "grading"
    CANDIDACY = "candidacy"
    FOLLOWUP = "followup"
