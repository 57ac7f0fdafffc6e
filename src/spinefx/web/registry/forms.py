"""The registry's row forms (fracture, FLS event, procedure, outcome) as data, read into dicts.

Each :class:`RowForm` names its fields, the input model of :mod:`spinefx.registry.schema` that
validates what was typed, the right it needs and the data-layer functions that add and update a
row. :func:`read_form` turns the submitted form into the model's dict (levels typed as
``L1, L2``, cement volumes as ``L1: 4.5, L2: 3``); :func:`values_of` turns a stored row back into
what the form shows. The rules stay in the data layer: nothing here checks a value's meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData

from spinefx.errors import FieldProblem, InputError
from spinefx.registry import cases, events, outcomes, procedures
from spinefx.registry.permissions import Action
from spinefx.registry.schema import EventIn, FractureIn, OutcomeIn, ProcedureIn
from spinefx.registry.vocab import (
    Anaesthesia,
    Approach,
    CaseStatus,
    Complication,
    EventStatus,
    EventType,
    FoundBy,
    Instrument,
    ProcedureKind,
    Sex,
    Timepoint,
)

__all__ = [
    "ASSESSMENT_PAGES",
    "CASE_FIELDS",
    "CASE_NAMES",
    "EVENT_NAMES",
    "INSTRUMENT_NAMES",
    "ROW_FORMS",
    "FormField",
    "RowForm",
    "form_errors",
    "read_form",
    "values_of",
]

EVENT_NAMES: dict[str, str] = {
    EventType.RISK_ASSESSMENT: "Fracture risk assessment",
    EventType.DXA: "DXA bone density scan",
    EventType.FALLS_ASSESSMENT: "Falls risk assessment",
    EventType.MEDICATION_RECOMMENDED: "Osteoporosis medication recommended",
    EventType.EXERCISE_STARTED: "Exercise programme started",
    EventType.MONITORING: "Follow-up monitoring contact",
    EventType.MEDICATION_STARTED: "Osteoporosis medication started",
    EventType.ON_MEDICATION_AT_52_WEEKS: "Still on medication at 52 weeks",
}
INSTRUMENT_NAMES: dict[str, str] = {
    Instrument.NRS: "Pain NRS (0-10)",
    Instrument.RDQ: "Roland-Morris disability, RDQ (0-24)",
    Instrument.ODI: "Oswestry disability index, ODI (0-100 %)",
}
WORDS: dict[str, str] = {
    "done": "Done",
    "declined": "Declined",
    "not-applicable": "Not applicable",
    "clinical": "Clinical",
    "radiological": "Radiological (imaging)",
    "case-finding": "Case-finding (report search)",
    "baseline": "Baseline",
    "2-weeks": "2 weeks",
    "3-months": "3 months",
    "12-months": "12 months",
    "cement-leakage-asymptomatic": "Cement leakage without symptoms",
    "cement-leakage-symptomatic": "Cement leakage with symptoms",
    "new-adjacent-fracture": "New adjacent fracture",
    "infection": "Infection",
    "embolism": "Embolism",
    "death": "Death",
    "other": "Other",
    **EVENT_NAMES,
    **INSTRUMENT_NAMES,
}


def word(value: Any) -> str:
    """The plain name of a vocabulary value (``not-applicable`` -> ``Not applicable``)."""
    text = str(value)
    return WORDS.get(text, text[:1].upper() + text[1:].replace("-", " "))


def _choices(values: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), word(v)) for v in values)


@dataclass(frozen=True)
class FormField:
    """One field: ``kind`` is text, date, number, select, checks, textarea, levels or cement."""

    name: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""
    step: str = "any"


@dataclass(frozen=True)
class RowForm:
    """A kind of row under a case: its form, its input model and the data-layer calls."""

    kind: str  # the URL part: /registry/cases/{id}/<kind>
    title: str  # "FLS event"
    article: str  # "an": "an FLS event"
    model: type[BaseModel]
    fields: tuple[FormField, ...]
    action: Action
    add: Callable[..., Any]
    update: Callable[..., Any]
    relation: str  # the Case attribute holding these rows


ROW_FORMS: dict[str, RowForm] = {
    form.kind: form
    for form in (
        RowForm(
            "events",
            "FLS event",
            "an",
            EventIn,
            (
                FormField("type", "Event", "select", _choices(EventType), required=True),
                FormField("status", "Status", "select", _choices(EventStatus), required=True),
                FormField("date", "Date", "date", required=True),
                FormField("note", "Note", "textarea"),
            ),
            Action.WRITE_EVENTS,
            events.add_event,
            events.update_event,
            "events",
        ),
        RowForm(
            "outcomes",
            "outcome score",
            "an",
            OutcomeIn,
            (
                FormField("date", "Date", "date", required=True),
                FormField(
                    "instrument", "Instrument", "select", _choices(Instrument), required=True
                ),
                FormField(
                    "score",
                    "Total score",
                    "number",
                    required=True,
                    help="The questionnaire's total: NRS 0-10, RDQ 0-24, ODI 0-100 %.",
                ),
                FormField("timepoint", "Time point", "select", _choices(Timepoint)),
            ),
            Action.WRITE_OUTCOMES,
            outcomes.add_outcome,
            outcomes.update_outcome,
            "outcomes",
        ),
        RowForm(
            "procedures",
            "procedure",
            "a",
            ProcedureIn,
            (
                FormField("date", "Date", "date", required=True),
                FormField("kind", "Procedure", "select", _choices(ProcedureKind), required=True),
                FormField(
                    "levels", "Levels treated", "levels", required=True, help="For example: L1, L2"
                ),
                FormField("approach", "Approach", "select", _choices(Approach)),
                FormField(
                    "cement_ml",
                    "Cement volume per level (ml)",
                    "cement",
                    help="For example: L1: 4.5, L2: 3",
                ),
                FormField("operator_npi", "Operator NPI", help="10 digits, with its check digit"),
                FormField("anaesthesia", "Anaesthesia", "select", _choices(Anaesthesia)),
                FormField("complications", "Complications", "checks", _choices(Complication)),
                FormField("note", "Note", "textarea"),
            ),
            Action.WRITE_PROCEDURES,
            procedures.add_procedure,
            procedures.update_procedure,
            "procedures",
        ),
        RowForm(
            "fractures",
            "fracture",
            "a",
            FractureIn,
            (
                FormField("date", "Date of the fracture", "date", required=True),
                FormField(
                    "levels",
                    "Spine levels",
                    "levels",
                    help="For example: T12, L1. Leave empty for a fracture outside the spine.",
                ),
                FormField(
                    "site",
                    "Other site",
                    help='Only for a fracture outside the spine, e.g. "hip" or "wrist".',
                ),
                FormField("found_by", "Found by", "select", _choices(FoundBy), required=True),
                FormField(
                    "genant_grade",
                    "Genant grade",
                    "select",
                    tuple((str(g), f"{g}") for g in range(4)),
                ),
            ),
            Action.WRITE_CASES,
            cases.add_fracture,
            cases.update_fracture,
            "fractures",
        ),
    )
}

_CEMENT = re.compile(r"\s*([A-Za-z]+\d+)\s*[:=]?\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:ml)?\s*")


def _levels(text: str) -> list[str]:
    return [part.upper() for part in re.split(r"[,;\s]+", text) if part]


def _cement(text: str) -> dict[str, str]:
    volumes: dict[str, str] = {}
    for part in (p for p in re.split(r"[,;]", text) if p.strip()):
        match = _CEMENT.fullmatch(part)
        if match is None:
            raise InputError("cement_ml", text, "level: millilitres, such as L1: 4.5, L2: 3")
        volumes[match.group(1).upper()] = match.group(2).replace(",", ".")
    return volumes


def read_form(form: RowForm, data: FormData) -> dict[str, Any]:
    """The submitted fields as the dict ``form.model`` validates (blank fields left out)."""
    out: dict[str, Any] = {}
    for field in form.fields:
        if field.kind == "checks":
            out[field.name] = [v for v in data.getlist(field.name) if isinstance(v, str) and v]
            continue
        raw = data.get(field.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if field.kind == "levels":
            out[field.name] = _levels(text)
        elif field.kind == "cement":
            if text:
                out[field.name] = _cement(text)
        elif text:
            out[field.name] = text
    return out


def values_of(form: RowForm, row: Any) -> dict[str, Any]:
    """What the form shows for a stored row."""
    values: dict[str, Any] = {}
    for field in form.fields:
        value = getattr(row, field.name, None)
        if value is None:
            values[field.name] = ""
        elif field.kind == "levels":
            values[field.name] = ", ".join(str(v) for v in value)
        elif field.kind == "cement":
            values[field.name] = ", ".join(f"{k}: {v:g}" for k, v in dict(value).items())
        elif field.kind == "checks":
            values[field.name] = [str(v) for v in value]
        elif field.kind == "number":
            values[field.name] = f"{value:g}"
        else:
            values[field.name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return values


def form_values(form: RowForm, data: FormData) -> dict[str, Any]:
    """What was typed, to show the form again exactly as it was sent."""
    values: dict[str, Any] = {}
    for field in form.fields:
        if field.kind == "checks":
            values[field.name] = [v for v in data.getlist(field.name) if isinstance(v, str)]
        else:
            raw = data.get(field.name)
            values[field.name] = raw if isinstance(raw, str) else ""
    return values


def form_errors(problems: tuple[FieldProblem, ...], names: Mapping[str, str]) -> dict[str, str]:
    """Field name -> message; a problem inside a field (``levels[1]``) goes to that field."""
    errors: dict[str, str] = {}
    for problem in problems:
        head = re.split(r"[.\[]", problem.field, maxsplit=1)[0]
        key = head if head in names else "(input)"
        text = f"Allowed: {problem.allowed}."
        if key == "(input)" and problem.field not in ("(input)", ""):
            text = f"{problem.field}: {text}"
        errors.setdefault(key, text)
    return errors


CASE_FIELDS: tuple[FormField, ...] = (
    FormField("name", "Name", required=True),
    FormField("birth_date", "Birth date", "date", required=True),
    FormField("sex", "Sex", "select", tuple((s.value, s.value.title()) for s in Sex), True),
    FormField(
        "status",
        "Status",
        "select",
        tuple((s.value, word(s.value)) for s in CaseStatus),
        required=True,
    ),
)
CASE_NAMES = {f.name: f.label for f in CASE_FIELDS}
ASSESSMENT_PAGES = {
    "grading": "Genant grading",
    "candidacy": "Kyphoplasty candidacy",
    "followup": "Osteoporosis follow-up plan",
    "screening": "Self-check",
}
