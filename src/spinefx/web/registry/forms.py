"""The registry's forms: each kind of row under a case (fracture, FLS event, procedure, outcome
score) and the case's own details, made from their input models by the one form machinery
(:func:`spinefx.web.forms.fields_of`), with the registry's words for their fields and choices.

Each :class:`RowForm` is a kind of row of :data:`spinefx.registry.rows.ROW_KINDS` (its input model
validates what was typed, its right is needed) with its title and fields; levels are typed as
``L1, L2`` and cement volumes as ``L1: 4.5, L2: 3``. The rules stay in the data layer:
nothing here checks a value's meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from spinefx.registry.contacts import ContactsIn
from spinefx.registry.permissions import Action
from spinefx.registry.rows import ROW_KINDS, RowKind
from spinefx.registry.schema import CaseUpdate
from spinefx.registry.vocab import EVENT_NAMES, Instrument
from spinefx.web.forms import FormField, fields_of

__all__ = [
    "ASSESSMENT_PAGES",
    "CASE_FIELDS",
    "CASE_NAMES",
    "CONTACT_FORM",
    "CONTACT_NAMES",
    "EVENT_NAMES",
    "INSTRUMENT_NAMES",
    "INSTRUMENT_SHORT",
    "ROW_FORMS",
    "RowForm",
    "word",
]

INSTRUMENT_NAMES: dict[str, str] = {
    Instrument.NRS: "Pain NRS (0-10)",
    Instrument.RDQ: "Roland-Morris disability, RDQ (0-24)",
    Instrument.ODI: "Oswestry disability index, ODI (0-100 %)",
}
INSTRUMENT_SHORT: dict[str, str] = {
    Instrument.NRS: "Pain NRS",
    Instrument.RDQ: "RDQ",
    Instrument.ODI: "ODI",
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


ASSESSMENT_PAGES = {
    "grading": "Genant grading",
    "candidacy": "Kyphoplasty candidacy",
    "followup": "Osteoporosis follow-up plan",
    "screening": "Self-check",
}


@dataclass(frozen=True)
class RowForm:
    """A kind of row under a case as its form shows it (the kind itself:
    :data:`~spinefx.registry.rows.ROW_KINDS`)."""

    kind: str  # the URL part: /registry/cases/{id}/<kind>, and the Case attribute of the rows
    title: str  # "FLS event"
    article: str  # "an": "an FLS event"
    fields: tuple[FormField, ...]

    @property
    def row_kind(self) -> RowKind:
        return ROW_KINDS[self.kind]

    @property
    def model(self) -> type[BaseModel]:
        """The input model that validates what was typed."""
        return self.row_kind.schema

    @property
    def action(self) -> Action:
        """The right that writes it."""
        return self.row_kind.action

    @property
    def names(self) -> dict[str, str]:
        """Field name -> label."""
        return {f.name: f.label for f in self.fields}


LEVELS_HELP = "For example: L1, L2"
INDEX_HELP = (
    "Yes for the fracture that brought the patient to the service: the KPIs count from its "
    "date, not from an earlier fracture. Marking one unmarks the other. Not chosen: a new "
    "fracture is not the index, an edited one stays as it was."
)
INDEX_CHOICES = (("True", "Yes, the index fracture"), ("False", "No, an earlier or later one"))


def _index_as_choice(fields: tuple[FormField, ...]) -> tuple[FormField, ...]:
    """The ``index`` flag as a yes/no choice (stored ``True``/``False``, as the form shows it)."""
    return tuple(
        replace(f, kind="choice", choices=INDEX_CHOICES) if f.name == "index" else f for f in fields
    )


CEMENT_HINT = "level: millilitres, such as L1: 4.5, L2: 3"


def _fields(kind: str, **how: Any) -> tuple[FormField, ...]:
    """A row's fields as its form shows them, from its input model: every field but its id,
    in the registry's words; levels typed as text."""
    exclude = ("id", *how.pop("exclude", ()))
    widgets = {"levels": "list", **how.pop("widgets", {})}
    model = ROW_KINDS[kind].schema
    return fields_of(model, words=word, exclude=exclude, widgets=widgets, **how)


ROW_FORMS: dict[str, RowForm] = {
    form.kind: form
    for form in (
        RowForm("events", "FLS event", "an", _fields("events", labels={"type": "Event"})),
        RowForm(
            "outcomes",
            "outcome score",
            "an",
            _fields(
                "outcomes",
                labels={"score": "Total score", "timepoint": "Time point"},
                helps={"score": "The questionnaire's total: NRS 0-10, RDQ 0-24, ODI 0-100 %."},
            ),
        ),
        RowForm(
            "procedures",
            "procedure",
            "a",
            _fields(
                "procedures",
                labels={
                    "kind": "Procedure",
                    "levels": "Levels treated",
                    "cement_ml": "Cement volume per level (ml)",
                    "operator_npi": "Operator NPI",
                },
                helps={
                    "levels": LEVELS_HELP,
                    "cement_ml": "For example: L1: 4.5, L2: 3",
                    "operator_npi": "10 digits, with its check digit",
                },
                hints={"cement_ml": CEMENT_HINT},
            ),
        ),
        RowForm(
            "fractures",
            "fracture",
            "a",
            _index_as_choice(
                _fields(
                    "fractures",
                    exclude=("report_id", "evidence"),
                    labels={
                        "date": "Date of the fracture",
                        "levels": "Spine levels",
                        "site": "Other site",
                    },
                    helps={
                        "levels": (
                            "For example: T12, L1. Leave empty for a fracture outside the spine."
                        ),
                        "site": 'Only for a fracture outside the spine, e.g. "hip" or "wrist".',
                        "index": INDEX_HELP,
                    },
                    widgets={"genant_grade": "choice"},
                )
            ),
        ),
    )
}

# The case's own details, every one needed on the case page's form.
CASE_FIELDS: tuple[FormField, ...] = fields_of(
    CaseUpdate, words=word, required=("name", "birth_date", "sex", "status")
)
CASE_NAMES = {f.name: f.label for f in CASE_FIELDS}

# The case's contacts and primary care clinician (the letters' addressees).
CONTACT_FORM: tuple[FormField, ...] = tuple(
    replace(f, kind="textarea") if f.name == "address" else f
    for f in fields_of(
        ContactsIn,
        words=word,
        helps={"pcp_fax": "The letter to the clinician goes by fax or e-mail."},
        widgets={n: "text" for n in ("phone", "pcp_name", "pcp_practice", "pcp_fax", "pcp_email")},
    )
)
CONTACT_NAMES = {f.name: f.label for f in CONTACT_FORM}
