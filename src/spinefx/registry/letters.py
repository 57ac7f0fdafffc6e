"""Letters from the fracture liaison service: to the patient's primary care clinician (the
findings, the recommended treatment, the tests still due) and to the patient.

Each kind has a template: the wording shipped here (:data:`DEFAULT_TEMPLATES`) until an admin
edits it (stored in ``letter_templates``). A template is text with ``$placeholders``
(:data:`PLACEHOLDERS`, Python's :class:`string.Template`), so an admin can reword a letter but
not run anything. :func:`record_letter` words the letter from the case as it is now and keeps
it (``letters``: what was sent, by whom, when), shown on the case's timeline; :func:`letter_pdf`
lays it out as a PDF with fpdf2 (pure Python: no browser at request time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from string import Template

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.dates import plain_date
from spinefx.errors import InputError, ProblemKind
from spinefx.registry import audit
from spinefx.registry.assessments import summary
from spinefx.registry.editing import load_case
from spinefx.registry.models import Case, Letter, LetterTemplate, utcnow
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.vocab import EVENT_ORDER, EVENT_WINDOWS, EventType

__all__ = [
    "DEFAULT_TEMPLATES",
    "PLACEHOLDERS",
    "Draft",
    "LetterKind",
    "draft_letter",
    "letter_pdf",
    "record_letter",
    "save_template",
    "template_of",
]


class LetterKind(StrEnum):
    PCP = "pcp"  # to the primary care clinician
    PATIENT = "patient"


PLACEHOLDERS: dict[str, str] = {
    "patient_name": "the patient's name",
    "birth_date": "the patient's date of birth",
    "address": "the patient's address",
    "pcp_name": "the primary care clinician's name",
    "pcp_practice": "their practice",
    "site_name": "the service's site",
    "today": "the date of the letter",
    "findings": "the fractures and procedures, one a line",
    "treatment": "the treatment recommended or started, one a line",
    "tests_due": "the fracture liaison events still due, with their dates, one a line",
}

# Plain names of the events, as a letter says them (the core cannot use the web's words).
EVENT_WORDS: dict[str, str] = {
    EventType.RISK_ASSESSMENT: "a fracture risk assessment",
    EventType.DXA: "a DXA bone density scan",
    EventType.FALLS_ASSESSMENT: "a falls risk assessment",
    EventType.MEDICATION_RECOMMENDED: "a recommendation on osteoporosis medication",
    EventType.EXERCISE_STARTED: "an exercise program",
    EventType.MONITORING: "a follow-up monitoring contact",
    EventType.MEDICATION_STARTED: "osteoporosis medication started",
    EventType.ON_MEDICATION_AT_52_WEEKS: "a check that the medication continues at 52 weeks",
}

DEFAULT_TEMPLATES: dict[LetterKind, tuple[str, str]] = {
    LetterKind.PCP: (
        "Fracture liaison service: $patient_name, born $birth_date",
        "\n".join(
            [
                "Dear $pcp_name,",
                "$pcp_practice",
                "",
                "Your patient $patient_name (born $birth_date) is followed by our fracture "
                "liaison service after a fragility fracture.",
                "",
                "Findings:",
                "$findings",
                "",
                "Recommended treatment:",
                "$treatment",
                "",
                "Tests and contacts still due:",
                "$tests_due",
                "",
                "Please continue the osteoporosis treatment and let us know if anything changes.",
                "",
                "Fracture liaison service, $site_name",
                "$today",
            ]
        ),
    ),
    LetterKind.PATIENT: (
        "Your fracture follow-up",
        "\n".join(
            [
                "Dear $patient_name,",
                "$address",
                "",
                "After your fracture, our fracture liaison service helps you keep your bones "
                "strong and prevent another fracture.",
                "",
                "What we found:",
                "$findings",
                "",
                "The treatment we recommend:",
                "$treatment",
                "",
                "What is next for you:",
                "$tests_due",
                "",
                "Call us if you have questions, and bring this letter to your next visit.",
                "",
                "Fracture liaison service, $site_name",
                "$today",
            ]
        ),
    ),
}


@dataclass(frozen=True)
class Draft:
    kind: LetterKind
    subject: str
    body: str
    recipient: str  # who it goes to, one line


def _kind(kind: str) -> LetterKind:
    try:
        return LetterKind(kind)
    except ValueError:
        raise InputError(
            "kind",
            kind,
            "pcp or patient",
            kind=ProblemKind.CHOICE,
            choices=tuple(LetterKind),
        ) from None


def template_of(session: Session, kind: str) -> tuple[str, str, bool]:
    """The template of ``kind``: (subject, body, edited by an admin)."""
    chosen = _kind(kind)
    stored = session.scalar(sa.select(LetterTemplate).where(LetterTemplate.kind == chosen.value))
    if stored is None:
        subject, body = DEFAULT_TEMPLATES[chosen]
        return subject, body, False
    return stored.subject, stored.body, True


def _check_template(field: str, text: str, limit: int) -> None:
    template = Template(text)
    if not text.strip() or len(text) > limit:
        raise InputError(field, len(text), f"text of 1 to {limit} characters")
    if not template.is_valid():
        raise InputError(field, text[:40], "text whose $ starts a placeholder (write $$ for $)")
    unknown = sorted(set(template.get_identifiers()) - PLACEHOLDERS.keys())
    if unknown:
        allowed = ", ".join("$" + p for p in PLACEHOLDERS)
        raise InputError(field, "$" + unknown[0], f"placeholders among {allowed}")


def save_template(
    session: Session, actor: Actor, kind: str, subject: str, body: str
) -> LetterTemplate:
    """An admin's wording of a kind of letter (``body`` blank: back to the shipped one)."""
    require(actor, Action.MANAGE_USERS)
    chosen = _kind(kind)
    _check_template("subject", subject, 200)
    _check_template("body", body, 20000)
    stored = session.scalar(sa.select(LetterTemplate).where(LetterTemplate.kind == chosen.value))
    if stored is None:
        stored = LetterTemplate(kind=chosen.value, subject=subject, body=body, updated_by="")
        session.add(stored)
    stored.subject, stored.body = subject, body
    stored.updated_at, stored.updated_by = utcnow(), actor.email
    audit.record(session, actor, "update", "letter-template", detail={"kind": chosen.value})
    return stored


def _lines(items: list[str], none: str) -> str:
    return "\n".join(f"- {i}" for i in items) if items else f"- {none}"


def _findings(case: Case) -> str:
    items = []
    for f in case.fractures:
        where = f"vertebral fracture at {', '.join(f.levels)}" if f.levels else f"{f.site} fracture"
        grade = f" (Genant grade {f.genant_grade})" if f.genant_grade is not None else ""
        items.append(f"{plain_date(f.date)}: {where}{grade}")
    for p in case.procedures:
        name = "balloon kyphoplasty" if p.kind == "kyphoplasty" else p.kind
        items.append(f"{plain_date(p.date)}: {name} at {', '.join(p.levels)}")
    return _lines(items, "no fracture recorded")


def _treatment(case: Case) -> str:
    items = []
    wanted = {EventType.MEDICATION_RECOMMENDED.value, EventType.MEDICATION_STARTED.value}
    for e in case.events:
        if e.type in wanted:
            said = EVENT_WORDS[e.type]
            said = said[:1].upper() + said[1:]
            status = {"done": "", "declined": " (declined)", "not-applicable": " (not needed)"}
            note = f": {e.note}" if e.note else ""
            items.append(f"{said}{status.get(e.status, '')}, {plain_date(e.date)}{note}")
    for a in case.assessments:
        if a.kind == "followup":
            items.append(summary(a.kind, a.result))
    return _lines(items, "not yet decided: we will write again when it is")


def _due(case: Case) -> str:
    recorded = {e.type for e in case.events}
    items = []
    if case.index_date is not None:
        for kind in EVENT_ORDER:
            if kind.value not in recorded:
                by = case.index_date + timedelta(weeks=EVENT_WINDOWS[kind][1])
                items.append(f"{EVENT_WORDS[kind]}, by {plain_date(by)}")
    return _lines(items, "nothing more is due")


def draft_letter(case: Case, kind: str, subject: str, body: str, today: date) -> Draft:
    """The letter of ``kind`` for ``case`` from a template's ``subject`` and ``body``."""
    chosen = _kind(kind)
    values = {
        "patient_name": case.name,
        "birth_date": plain_date(case.birth_date),
        "address": case.address or "",
        "pcp_name": case.pcp_name or "Doctor",
        "pcp_practice": case.pcp_practice or "",
        "site_name": case.site.label,
        "today": plain_date(today),
        "findings": _findings(case),
        "treatment": _treatment(case),
        "tests_due": _due(case),
    }
    if chosen is LetterKind.PCP:
        via = f"fax {case.pcp_fax}" if case.pcp_fax else case.pcp_email or "no fax or e-mail"
        recipient = f"{case.pcp_name or 'Primary care clinician not recorded'} ({via})"
    else:
        recipient = f"{case.name}, {case.address or 'no address recorded'}"
    return Draft(
        chosen,
        Template(subject).safe_substitute(values),
        Template(body).safe_substitute(values),
        recipient,
    )


def record_letter(session: Session, actor: Actor, case_id: int, kind: str, today: date) -> Letter:
    """Word the letter from the case as it is now and keep it, with an audit entry."""
    case = load_case(session, actor, case_id, full=True)
    require(actor, Action.WRITE_EVENTS, site_id=case.site_id)
    subject, body, _ = template_of(session, kind)
    draft = draft_letter(case, kind, subject, body, today)
    letter = Letter(
        case_id=case.id,
        kind=draft.kind.value,
        subject=draft.subject,
        body=draft.body,
        user_id=actor.user_id,
    )
    session.add(letter)
    session.flush()
    audit.record_on_case(
        session,
        actor,
        "create",
        "letter",
        case,
        entity_id=letter.id,
        detail={"kind": draft.kind.value},
    )
    return letter


# fpdf2's built-in fonts hold Latin-1 only; the few wider characters a letter may hold are
# said in Latin-1, anything else as "?".
_LATIN1 = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


def letter_pdf(subject: str, body: str, heading: str) -> bytes:
    """The letter as a PDF on US Letter paper (fpdf2, the ``pdf`` extra), ready to print or
    fax; without the extra, :class:`~spinefx.extras.MissingExtra`."""
    from spinefx.extras import require

    require("pdf", "letters as PDF")
    from fpdf import FPDF

    def plain(text: str) -> str:
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF(format="Letter")
    pdf.set_title(plain(subject))
    pdf.set_author(plain(heading))
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, plain(heading))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, plain(subject))
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 5.5, plain(body))
    return bytes(pdf.output())
