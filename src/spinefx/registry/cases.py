"""Cases: create, read, list, change, accept or dismiss a case; save a tool's result to it.

Every function takes the :class:`~spinefx.registry.permissions.Actor` and runs inside the
caller's transaction (:meth:`spinefx.registry.db.Registry.transaction`); every read and write of
a case adds an audit entry in that same transaction. Every change goes through the one editing
context (:func:`spinefx.registry.editing.editing`): made on a case version, an older one is
:class:`~spinefx.errors.VersionConflict` and changes nothing. Another site's case is
:class:`~spinefx.errors.NotFound`. The rows under a case (fractures, FLS events, procedures,
outcomes) are :mod:`spinefx.registry.rows`.

The case's own primitives are used everywhere as ``cases.load_case``, ``cases.next_event``,
``cases.bump`` and ``cases.refresh``; they live in :mod:`spinefx.registry.editing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

import spinefx
from spinefx.errors import InputError, ProblemKind
from spinefx.registry import audit
from spinefx.registry.editing import bump, editing, load_case, next_event, refresh
from spinefx.registry.models import Assessment, Case, Dismissal, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.rows import ROW_KINDS, new_row
from spinefx.registry.schema import (
    MAX_ID,
    MAX_PAGE,
    CaseIn,
    CaseUpdate,
    birth_problems,
    identifier,
    refuse_death_problems,
)
from spinefx.registry.users import ensure_site
from spinefx.registry.vocab import AssessmentKind, CaseStatus

__all__ = [
    "CasePage",
    "CaseQuery",
    "accept",
    "bump",
    "case_document",
    "case_summary",
    "create_case",
    "dismiss",
    "get_case",
    "list_cases",
    "load_case",
    "next_event",
    "refresh",
    "save_assessment",
    "update_case",
]


# --- reading ---------------------------------------------------------------------------------


def get_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case with all its rows loaded; recorded as a read in the audit log."""
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id, full=True)
    audit.record_on_case(session, actor, "read", "case", case)
    return case


@dataclass(frozen=True)
class CasePage:
    items: Sequence[Case]
    total: int


class CaseQuery(BaseModel):
    """Which of the actor's cases to list, and which page of them; the API's query parameters
    are this model's fields."""

    model_config = ConfigDict(frozen=True)

    site: str | None = None
    status: CaseStatus | None = None
    mrn: str | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


def list_cases(session: Session, actor: Actor, query: CaseQuery | None = None) -> CasePage:
    """The actor's sites' cases, newest index fracture first; one audit entry names them."""
    require(actor, Action.READ_CASES)
    asked = query or CaseQuery()
    chosen = sa.select(Case).join(Site)
    if actor.site_ids is not None:
        chosen = chosen.where(Case.site_id.in_(actor.site_ids))
    if asked.site is not None:
        chosen = chosen.where(Site.code == asked.site)
    if asked.status is not None:
        chosen = chosen.where(Case.status == asked.status.value)
    if asked.mrn is not None:
        chosen = chosen.where(Case.mrn == identifier("mrn", asked.mrn))
    total = session.scalar(sa.select(sa.func.count()).select_from(chosen.subquery())) or 0
    newest_first = chosen.order_by(Case.index_date.desc(), Case.id.desc())
    items = session.scalars(newest_first.limit(asked.limit).offset(asked.offset)).all()
    audit.record_list(session, actor, "case", [c.id for c in items], total=total)
    return CasePage(items, total)


def _identity(case: Case) -> dict[str, Any]:
    """The case's own fields, as the import format and the API name them."""
    return {
        "id": case.id,
        "version": case.version,
        "site": case.site.code,
        "mrn": case.mrn,
        "name": case.name,
        "birth_date": case.birth_date.isoformat(),
        "sex": case.sex,
        "status": case.status,
        "death_date": case.death_date.isoformat() if case.death_date else None,
        "fictional": case.fictional,
        "index_date": case.index_date.isoformat() if case.index_date else None,
    }


def case_summary(case: Case) -> dict[str, Any]:
    """The case's own fields and its next FLS event: one line of a list of cases."""
    return {
        **_identity(case),
        "next_event": case.next_event,
        "next_due_by": case.next_due_by.isoformat() if case.next_due_by else None,
    }


def case_document(case: Case) -> dict[str, Any]:
    """The case in the import format, plus its ``id`` and ``version`` (and each row's ``id``)."""
    return {
        **_identity(case),
        "fractures": [
            {
                "id": f.id,
                "date": f.date.isoformat(),
                "levels": list(f.levels),
                "site": f.site,
                "found_by": f.found_by,
                "genant_grade": f.genant_grade,
                "index": bool(f.is_index),
                "report_id": f.report_id,
                "evidence": f.evidence,
            }
            for f in case.fractures
        ],
        "events": [
            {
                "id": e.id,
                "type": e.type,
                "status": e.status,
                "date": e.date.isoformat(),
                "note": e.note,
            }
            for e in case.events
        ],
        "procedures": [
            {
                "id": p.id,
                "date": p.date.isoformat(),
                "kind": p.kind,
                "levels": list(p.levels),
                "approach": p.approach,
                "cement_ml": dict(p.cement_ml),
                "operator_npi": p.operator_npi,
                "anaesthesia": p.anaesthesia,
                "complications": list(p.complications),
                "note": p.note,
            }
            for p in case.procedures
        ],
        "outcomes": [
            {
                "id": o.id,
                "date": o.date.isoformat(),
                "instrument": o.instrument,
                "score": int(o.score) if o.score == int(o.score) else o.score,
                "timepoint": o.timepoint,
            }
            for o in case.outcomes
        ],
    }


# --- writing the case ------------------------------------------------------------------------


def create_case(session: Session, actor: Actor, data: CaseIn, *, create_site: bool = False) -> Case:
    """A new case with all its rows; the same MRN at the same site is an :class:`InputError`."""
    found = session.scalar(sa.select(Site).where(Site.code == data.site))
    if found is None and create_site and actor.site_ids is None:
        found = ensure_site(session, data.site)
    if found is None or not actor.sees_site(found.id):
        raise InputError("site", data.site, "one of your sites")
    site = found
    require(actor, Action.WRITE_CASES, site_id=site.id)
    taken = session.scalar(sa.select(Case.id).where(Case.site_id == site.id, Case.mrn == data.mrn))
    if taken is not None:
        raise InputError("mrn", data.mrn, f"an MRN not yet registered at site {site.code}")
    case = Case(
        site=site,
        site_id=site.id,
        mrn=data.mrn,
        name=data.name,
        birth_date=data.birth_date,
        sex=data.sex.value,
        status=data.status.value,
        death_date=data.death_date,
        fictional=data.fictional,
        version=1,
    )
    session.add(case)
    session.flush()
    for kind in ROW_KINDS:
        for row in getattr(data, kind):
            session.add(new_row(kind, case.id, row))
    refresh(session, case)
    audit.record_on_case(
        session,
        actor,
        "create",
        "case",
        case,
        entity_id=case.id,
        detail={
            "fractures": len(data.fractures),
            "events": len(data.events),
            "procedures": len(data.procedures),
            "outcomes": len(data.outcomes),
        },
    )
    return case


def update_case(
    session: Session, actor: Actor, case_id: int, version: int, changes: CaseUpdate
) -> Case:
    """Change the case's identity, status or date of death, on ``version``.

    A field left out (or null) is not changed; ``death_date`` given as null clears the date of
    death. The case as changed is checked as a whole (:func:`death_problems`).
    """
    values = changes.model_dump(exclude_none=True)
    if "death_date" in changes.model_fields_set and changes.death_date is None:
        values["death_date"] = None
    with editing(session, actor, case_id, Action.WRITE_CASES, full=True) as edit:
        edit.bump(version)
        case = edit.case
        before = {key: getattr(case, key) for key in values}
        for key, value in values.items():
            setattr(case, key, value.value if hasattr(value, "value") else value)
        if "birth_date" in values:  # as on create: born on or before every fracture
            problems = birth_problems(case.birth_date, [f.date for f in case.fractures])
            if problems:
                raise InputError.from_problems(problems)
        if {"death_date", "status", "birth_date"} & values.keys():
            refuse_death_problems(case)
        edit.record("update", "case", entity_id=case_id, detail=audit.changes_of(before, case))
    return edit.case


def accept(session: Session, actor: Actor, case_id: int, version: int) -> Case:
    """A person confirms a ``to-review`` case: it becomes ``active``."""
    with editing(session, actor, case_id, Action.WRITE_CASES) as edit:
        edit.bump(version)  # a stale version first: the page shows an old status
        case = edit.case
        if case.status != CaseStatus.TO_REVIEW:
            raise InputError(
                "status", case.status, f"{CaseStatus.TO_REVIEW.value} to accept a case"
            )
        case.status = CaseStatus.ACTIVE.value
        edit.record("accept", "case", entity_id=case.id)
    return case


def dismiss(session: Session, actor: Actor, case_id: int, version: int, reason: str) -> Case:
    """A person rejects a ``to-review`` case: it is closed and the dismissal kept (who, why).

    Each report the case was found in is remembered, so case-finding does not bring it back.
    """
    reason = reason.strip()
    if not reason:
        raise InputError("reason", reason, "a few words on why the case is dismissed")
    with editing(session, actor, case_id, Action.WRITE_CASES, full=True) as edit:
        edit.bump(version)
        case = edit.case
        if case.status != CaseStatus.TO_REVIEW:
            raise InputError(
                "status", case.status, f"{CaseStatus.TO_REVIEW.value} to dismiss a case"
            )
        if actor.user_id is None:
            raise InputError("user", actor.email, "a registry user (dismissals name the person)")
        case.status = CaseStatus.CLOSED.value
        reports: list[str | None] = [*sorted({f.report_id for f in case.fractures if f.report_id})]
        reports = reports or [None]
        for report in reports:
            session.add(
                Dismissal(
                    site_id=case.site_id,
                    case_id=case.id,
                    report_id=report,
                    user_id=actor.user_id,
                    reason=reason,
                )
            )
        edit.record(
            "dismiss", "case", entity_id=case.id, detail={"reports": [r for r in reports if r]}
        )
    return case


def save_assessment(
    session: Session,
    actor: Actor,
    case_id: int,
    version: int,
    *,
    kind: str,
    input: dict[str, Any],
    result: dict[str, Any],
) -> Assessment:
    """Save a clinical tool's input and result to the case, with the spinefx version."""
    try:
        kind = AssessmentKind(kind).value
    except ValueError:
        kinds = [k.value for k in AssessmentKind]
        raise InputError(
            "kind", kind, "one of " + ", ".join(kinds), kind=ProblemKind.CHOICE, choices=kinds
        ) from None
    with editing(session, actor, case_id, Action.WRITE_ASSESSMENTS) as edit:
        edit.bump(version)
        row = Assessment(
            case_id=edit.case.id,
            kind=kind,
            input=input,
            result=result,
            spinefx_version=spinefx.__version__,
            user_id=actor.user_id,
        )
        session.add(row)
        edit.record("create", "assessment", row=row)
    return row
