"""The coordinator's worklist: every open case's next FLS event with its due date, overdue first.

The next event of a case is kept on the case row (``next_event``, ``next_due_from``,
``next_due_by``; see :func:`spinefx.registry.cases.next_event`) whenever any of its rows
change, so the worklist is one indexed query however large the registry grows. Open cases are
``to-review`` and ``active``; an open case whose eight events are all recorded has nothing due
and is not listed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError, ProblemKind
from spinefx.registry import audit
from spinefx.registry.models import Case, Fracture, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import MAX_PAGE
from spinefx.registry.vocab import OPEN_STATUSES, CaseStatus, FoundBy

__all__ = ["MAX_PAGE", "SORTS", "WorklistPage", "WorklistRow", "worklist"]

# The orders a worklist may be read in; each ends on the case id so that pages never overlap.
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (Case.next_due_by, Case.id),
    "site": (Site.code, Case.next_due_by, Case.id),
    "status": (Case.status, Case.next_due_by, Case.id),
    "name": (Case.name, Case.id),
}


@dataclass(frozen=True)
class WorklistRow:
    case_id: int
    version: int
    site: str
    mrn: str
    name: str
    status: str
    fictional: bool
    index_date: date
    next_event: str
    due_from: date
    due_by: date
    overdue: bool
    days_overdue: int  # 0 unless overdue
    assigned_user_id: int | None = None


@dataclass(frozen=True)
class WorklistPage:
    items: Sequence[WorklistRow]
    total: int
    limit: int
    offset: int


def worklist(
    session: Session,
    actor: Actor,
    *,
    today: date,
    site: str | None = None,
    statuses: Collection[CaseStatus | str] | None = None,
    due_after: date | None = None,
    due_before: date | None = None,
    overdue_only: bool = False,
    found_by: FoundBy | str | None = None,
    search: str | None = None,
    sort: str = "due",
    assigned_user_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    record_read: bool = True,
) -> WorklistPage:
    """One page of the worklist for the actor's sites, most overdue first.

    ``statuses`` narrows to some open statuses (default both); ``due_after``/``due_before``
    bound the next event's due-by date (both days included); ``found_by`` keeps cases with a
    fracture found that way (``case-finding`` for the hits waiting in ``to-review``);
    ``search`` keeps the cases whose name or MRN holds the text (any case); ``sort`` is a key of
    :data:`SORTS`; ``assigned_user_id`` keeps the cases assigned to that user. The cases listed
    are recorded as read in the audit log (one entry).
    """
    require(actor, Action.READ_CASES)
    if sort not in SORTS:
        allowed = "one of " + ", ".join(SORTS)
        raise InputError("sort", sort, allowed, kind=ProblemKind.CHOICE, choices=tuple(SORTS))
    if not 1 <= limit <= MAX_PAGE:
        raise InputError("limit", limit, f"an integer from 1 to {MAX_PAGE}")
    if offset < 0:
        raise InputError("offset", offset, "an integer of 0 or more")
    wanted = {CaseStatus(s) for s in statuses} if statuses else set(OPEN_STATUSES)
    closed = sorted(s.value for s in wanted - OPEN_STATUSES)
    if closed:
        raise InputError("status", closed, "open statuses only: to-review, active")
    # Only open cases have a next event (``cases.next_event``), so the status test is needed
    # only for one open status; without it the default list reads ``ix_cases_site_due`` in order.
    conditions: list[sa.ColumnElement[bool]] = [Case.next_due_by.is_not(None)]
    if wanted != OPEN_STATUSES:
        conditions.append(Case.status.in_(sorted(s.value for s in wanted)))
    if actor.site_ids is not None:
        conditions.append(Case.site_id.in_(sorted(actor.site_ids)))
    if site is not None:
        conditions.append(Site.code == site)
    if due_after is not None:
        conditions.append(Case.next_due_by >= due_after)
    if due_before is not None:
        conditions.append(Case.next_due_by <= due_before)
    if overdue_only:
        conditions.append(Case.next_due_by < today)
    if found_by is not None:
        how = FoundBy(found_by).value
        conditions.append(sa.exists().where(Fracture.case_id == Case.id, Fracture.found_by == how))
    text = (search or "").strip()
    if text:
        pattern = _contains(text.lower())
        conditions.append(
            sa.or_(
                sa.func.lower(Case.name).like(pattern, escape="\\"),
                sa.func.lower(Case.mrn).like(pattern, escape="\\"),
            )
        )
    if assigned_user_id is not None:
        conditions.append(Case.assigned_user_id == assigned_user_id)
    joined = sa.select(Case.id).join(Site, Site.id == Case.site_id).where(*conditions)
    total = session.scalar(sa.select(sa.func.count()).select_from(joined.subquery())) or 0
    rows = session.execute(
        sa.select(
            Case.id,
            Case.version,
            Site.code,
            Case.mrn,
            Case.name,
            Case.status,
            Case.fictional,
            Case.index_date,
            Case.next_event,
            Case.next_due_from,
            Case.next_due_by,
            Case.assigned_user_id,
        )
        .join(Site, Site.id == Case.site_id)
        .where(*conditions)
        .order_by(*SORTS[sort])
        .limit(limit)
        .offset(offset)
    ).all()
    items = [_row(r, today) for r in rows]
    if record_read:
        audit.record_list(session, actor, "worklist", [i.case_id for i in items], total=total)
    return WorklistPage(items, total, limit, offset)


def _contains(text: str) -> str:
    """A LIKE pattern (escape ``\\``) for text anywhere; LIKE's wildcards typed match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _row(r: Any, today: date) -> WorklistRow:
    due_by: date = r.next_due_by
    return WorklistRow(
        case_id=r.id,
        version=r.version,
        site=r.code,
        mrn=r.mrn,
        name=r.name,
        status=r.status,
        fictional=r.fictional,
        index_date=r.index_date,
        next_event=r.next_event,
        due_from=r.next_due_from,
        due_by=due_by,
        overdue=due_by < today,
        days_overdue=max(0, (today - due_by).days),
        assigned_user_id=r.assigned_user_id,
    )
