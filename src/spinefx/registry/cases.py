"""Cases: create, read, edit, accept or dismiss, and the rows under them; the worklist.

Every function takes the :class:`~spinefx.registry.permissions.Actor` and runs inside the
caller's transaction (:meth:`spinefx.registry.db.Registry.transaction`); every read and write of
a case adds an audit entry in that same transaction. A write names the case version it was
made on; a write on an older version is :class:`~spinefx.errors.VersionConflict` and changes
nothing. Another site's case is :class:`~spinefx.errors.NotFound`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from spinefx.errors import InputError, NotFound, VersionConflict
from spinefx.registry import audit
from spinefx.registry.models import (
    Assessment,
    Base,
    Case,
    Dismissal,
    Event,
    Fracture,
    Outcome,
    Procedure,
    Site,
    utcnow,
)
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import CaseIn, CaseUpdate, FractureIn
from spinefx.registry.users import ensure_site
from spinefx.registry.vocab import EVENT_ORDER, EVENT_WINDOWS, OPEN_STATUSES, CaseStatus

__all__ = [
    "CasePage",
    "accept",
    "add_fracture",
    "add_row",
    "bump",
    "case_document",
    "case_summary",
    "create_case",
    "delete_row",
    "dismiss",
    "get_case",
    "list_cases",
    "load_case",
    "next_event",
    "refresh",
    "row_fields",
    "save_assessment",
    "update_case",
    "update_fracture",
    "update_row",
]

RowT = TypeVar("RowT", bound=Base)


# --- reading ---------------------------------------------------------------------------------


def load_case(session: Session, actor: Actor, case_id: int, *, full: bool = False) -> Case:
    """The case, or :class:`NotFound` when it does not exist or is at another site (no audit)."""
    query = sa.select(Case).where(Case.id == case_id)
    if full:
        query = query.options(
            selectinload(Case.fractures),
            selectinload(Case.events),
            selectinload(Case.procedures),
            selectinload(Case.outcomes),
            selectinload(Case.assessments),
            selectinload(Case.dismissals),
        )
    case = session.scalar(query)
    if case is None or not actor.sees_site(case.site_id):
        raise NotFound(f"no case {case_id}")
    return case


def get_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case with all its rows loaded; recorded as a read in the audit log."""
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id, full=True)
    audit.record(session, actor, "read", "case", case_id=case.id, site_id=case.site_id)
    return case


@dataclass(frozen=True)
class CasePage:
    items: Sequence[Case]
    total: int


def list_cases(
    session: Session,
    actor: Actor,
    *,
    site: str | None = None,
    status: CaseStatus | None = None,
    mrn: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CasePage:
    """The actor's sites' cases, newest index fracture first; one audit entry names them."""
    require(actor, Action.READ_CASES)
    query = sa.select(Case).join(Site)
    if actor.site_ids is not None:
        query = query.where(Case.site_id.in_(actor.site_ids))
    if site is not None:
        query = query.where(Site.code == site)
    if status is not None:
        query = query.where(Case.status == status.value)
    if mrn is not None:
        query = query.where(Case.mrn == mrn)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Case.index_date.desc(), Case.id.desc()).limit(limit).offset(offset)
    ).all()
    audit.record(
        session, actor, "list", "case", detail={"case_ids": [c.id for c in items], "total": total}
    )
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


# --- the kept columns: index date and next FLS event -----------------------------------------


def next_event(
    index_date: date | None, recorded: set[str], status: str
) -> tuple[str, date, date] | None:
    """The open case's next FLS event: (type, due from, due by), earliest ``due by`` first.

    An event type counts as done with once any event of that type is recorded (done, declined
    or not-applicable). A closed, deceased or transferred case has none.
    """
    if index_date is None or CaseStatus(status) not in OPEN_STATUSES:
        return None
    best: tuple[str, date, date] | None = None
    for kind in EVENT_ORDER:
        if kind.value in recorded:
            continue
        start, end = EVENT_WINDOWS[kind]
        due = (kind.value, index_date + timedelta(weeks=start), index_date + timedelta(weeks=end))
        if best is None or due[2] < best[2]:
            best = due
    return best


def refresh(session: Session, case: Case) -> None:
    """Recompute ``index_date``, ``next_*`` and the KPI bits from the case's rows (any write)."""
    session.flush()
    index_date = session.scalar(
        sa.select(sa.func.min(Fracture.date)).where(Fracture.case_id == case.id)
    )
    from spinefx.registry.kpi import case_flags

    rows = [
        (kind, status, day)
        for kind, status, day in session.execute(
            sa.select(Event.type, Event.status, Event.date).where(Event.case_id == case.id)
        )
    ]
    spine = list(
        session.scalars(
            sa.select(Fracture.found_by).where(Fracture.case_id == case.id, Fracture.site.is_(None))
        )
    )
    due = next_event(index_date, {kind for kind, _, _ in rows}, case.status)
    case.index_date = index_date
    case.next_event, case.next_due_from, case.next_due_by = due if due else (None, None, None)
    flags = case_flags(index_date, rows, spine if spine else None)
    case.kpi_recorded = flags.recorded
    case.kpi_not_applicable = flags.not_applicable
    case.kpi_done_in_window = flags.done_in_window
    case.fracture_flags = flags.fracture


def bump(session: Session, case: Case, version: int) -> int:
    """Raise the case's version from ``version``; :class:`VersionConflict` if it has moved on.

    One conditional UPDATE, so two edits made on the same version cannot both succeed, even in
    two transactions at once.
    """
    result = session.execute(
        sa.update(Case)
        .where(Case.id == case.id, Case.version == version)
        .values(version=version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(sa.select(Case.version).where(Case.id == case.id))
        raise VersionConflict(
            f"case {case.id} was changed by someone else (you edited version {version}, "
            f"it is now at version {current}): reload it and make your change again",
            current=current,
        )
    set_committed_value(case, "version", version + 1)
    return version + 1


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
        fictional=data.fictional,
        version=1,
    )
    session.add(case)
    session.flush()
    for f in data.fractures:
        session.add(_fracture_row(case.id, f))
    for e in data.events:
        session.add(Event(case_id=case.id, **row_fields(e)))
    for p in data.procedures:
        session.add(Procedure(case_id=case.id, **row_fields(p)))
    for o in data.outcomes:
        session.add(Outcome(case_id=case.id, **row_fields(o)))
    refresh(session, case)
    audit.record(
        session,
        actor,
        "create",
        "case",
        case_id=case.id,
        site_id=site.id,
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
    """Change the case's identity or status, on ``version``."""
    case = load_case(session, actor, case_id)
    require(actor, Action.WRITE_CASES, site_id=case.site_id)
    fields = changes.model_dump(exclude_none=True, mode="json")
    bump(session, case, version)
    for key, value in changes.model_dump(exclude_none=True).items():
        setattr(case, key, value.value if hasattr(value, "value") else value)
    refresh(session, case)
    audit.record(
        session,
        actor,
        "update",
        "case",
        case_id=case.id,
        site_id=case.site_id,
        entity_id=case.id,
        detail={"fields": sorted(fields)},
    )
    return case


def accept(session: Session, actor: Actor, case_id: int, version: int) -> Case:
    """A person confirms a ``to-review`` case: it becomes ``active``."""
    case = load_case(session, actor, case_id)
    require(actor, Action.WRITE_CASES, site_id=case.site_id)
    bump(session, case, version)  # a stale version first: the page shows an old status
    if case.status != CaseStatus.TO_REVIEW:
        raise InputError("status", case.status, f"{CaseStatus.TO_REVIEW.value} to accept a case")
    case.status = CaseStatus.ACTIVE.value
    refresh(session, case)
    audit.record(
        session, actor, "accept", "case", case_id=case.id, site_id=case.site_id, entity_id=case.id
    )
    return case


def dismiss(session: Session, actor: Actor, case_id: int, version: int, reason: str) -> Case:
    """A person rejects a ``to-review`` case: it is closed and the dismissal kept (who, why).

    Each report the case was found in is remembered, so case-finding does not bring it back.
    """
    reason = reason.strip()
    if not reason:
        raise InputError("reason", reason, "a few words on why the case is dismissed")
    case = load_case(session, actor, case_id, full=True)
    require(actor, Action.WRITE_CASES, site_id=case.site_id)
    bump(session, case, version)
    if case.status != CaseStatus.TO_REVIEW:
        raise InputError("status", case.status, f"{CaseStatus.TO_REVIEW.value} to dismiss a case")
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
    refresh(session, case)
    audit.record(
        session,
        actor,
        "dismiss",
        "case",
        case_id=case.id,
        site_id=case.site_id,
        entity_id=case.id,
        detail={"reports": [r for r in reports if r]},
    )
    return case


# --- rows under a case (shared by events, procedures, outcomes and fractures) ----------------


def row_fields(data: BaseModel) -> dict[str, Any]:
    """A row's columns from its input model (enums as their values, no ``id``)."""
    values = data.model_dump(mode="json", exclude={"id"})
    for key in ("date",):
        if key in values:
            values[key] = getattr(data, key)
    return values


def _fracture_row(case_id: int, data: FractureIn) -> Fracture:
    values = row_fields(data)
    if values.get("site") == "spine":
        values["site"] = None
    return Fracture(case_id=case_id, **values)


def add_row(
    session: Session,
    actor: Actor,
    case_id: int,
    version: int,
    row: RowT,
    action: Action,
    entity: str,
) -> RowT:
    """Add ``row`` (its ``case_id`` is set here) to the case, on ``version``."""
    case = load_case(session, actor, case_id)
    require(actor, action, site_id=case.site_id)
    bump(session, case, version)
    row.case_id = case.id  # type: ignore[attr-defined]
    session.add(row)
    refresh(session, case)
    audit.record(
        session,
        actor,
        "create",
        entity,
        case_id=case.id,
        site_id=case.site_id,
        entity_id=row.id,  # type: ignore[attr-defined]
    )
    return row


def update_row(
    session: Session,
    actor: Actor,
    case_id: int,
    version: int,
    model: type[RowT],
    row_id: int,
    values: dict[str, Any],
    action: Action,
    entity: str,
) -> RowT:
    """Replace the columns of one row of the case, on ``version``."""
    case = load_case(session, actor, case_id)
    require(actor, action, site_id=case.site_id)
    row = _row_of(session, model, case, row_id, entity)
    bump(session, case, version)
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    refresh(session, case)
    audit.record(
        session,
        actor,
        "update",
        entity,
        case_id=case.id,
        site_id=case.site_id,
        entity_id=row_id,
        detail={"fields": changed},
    )
    return row


def delete_row(
    session: Session,
    actor: Actor,
    case_id: int,
    version: int,
    model: type[Base],
    row_id: int,
    action: Action,
    entity: str,
) -> None:
    """Remove one row of the case, on ``version``; the audit entry keeps what it held."""
    case = load_case(session, actor, case_id)
    require(actor, action, site_id=case.site_id)
    row = _row_of(session, model, case, row_id, entity)
    bump(session, case, version)
    kept = {c.key: _jsonable(getattr(row, c.key)) for c in sa.inspect(model).columns}
    session.delete(row)
    refresh(session, case)
    audit.record(
        session,
        actor,
        "delete",
        entity,
        case_id=case.id,
        site_id=case.site_id,
        entity_id=row_id,
        detail={"row": kept},
    )


def _row_of(session: Session, model: type[RowT], case: Case, row_id: int, entity: str) -> RowT:
    row = session.get(model, row_id)
    if row is None or row.case_id != case.id:  # type: ignore[attr-defined]
        raise NotFound(f"no {entity} {row_id} in case {case.id}")
    return row


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def add_fracture(
    session: Session, actor: Actor, case_id: int, version: int, data: FractureIn
) -> Fracture:
    return add_row(
        session, actor, case_id, version, _fracture_row(0, data), Action.WRITE_CASES, "fracture"
    )


def update_fracture(
    session: Session,
    actor: Actor,
    case_id: int,
    fracture_id: int,
    version: int,
    data: FractureIn,
) -> Fracture:
    values = row_fields(data)
    if values.get("site") == "spine":
        values["site"] = None
    return update_row(
        session,
        actor,
        case_id,
        version,
        Fracture,
        fracture_id,
        values,
        Action.WRITE_CASES,
        "fracture",
    )


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
    import spinefx
    from spinefx.registry.vocab import AssessmentKind

    try:
        kind = AssessmentKind(kind).value
    except ValueError:
        raise InputError(
            "kind", kind, "one of " + ", ".join(k.value for k in AssessmentKind)
        ) from None
    row = Assessment(
        kind=kind,
        input=input,
        result=result,
        spinefx_version=spinefx.__version__,
        user_id=actor.user_id,
    )
    return add_row(session, actor, case_id, version, row, Action.WRITE_ASSESSMENTS, "assessment")
