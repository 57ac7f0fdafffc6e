"""The one way a case changes: load it for the caller, check their right at its site, raise its
version from the one the change was made on, change it, recompute what the case keeps (index
date, next FLS event, KPI bits) and write one audit entry, all in the caller's transaction::

    with editing(session, actor, case_id, Action.WRITE_EVENTS) as edit:
        edit.bump(version)  # VersionConflict if the case has moved on: nothing is changed
        session.add(row)
        edit.record("create", "event", row=row)  # the audit entry, written on the way out

A write on an older version is :class:`~spinefx.errors.VersionConflict` and changes nothing;
another site's case is :class:`~spinefx.errors.NotFound`, exactly like a missing one. The
case-level operations (:mod:`spinefx.registry.cases`) and the rows under a case
(:mod:`spinefx.registry.rows`) all change a case this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from spinefx.errors import NotFound, VersionConflict
from spinefx.registry import audit
from spinefx.registry.index_fracture import ensure_index
from spinefx.registry.kpi import case_flags
from spinefx.registry.models import Case, Event, Fracture, utcnow
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.vocab import EVENT_ORDER, EVENT_WINDOWS, OPEN_STATUSES, CaseStatus

__all__ = ["Edit", "bump", "editing", "load_case", "next_event", "refresh"]


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
    """Recompute ``index_date``, ``next_*`` and the KPI bits from the case's rows (any write).

    ``index_date`` is the date of the case's index fracture (one is marked, the default when
    none is: :func:`spinefx.registry.index_fracture.ensure_index`).
    """
    session.flush()
    index_date = ensure_index(session, case)
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
    flags = case_flags(index_date, rows, spine if spine else None, death_date=case.death_date)
    case.kpi_recorded = flags.recorded
    case.kpi_not_applicable = flags.not_applicable
    case.kpi_done_in_window = flags.done_in_window
    case.fracture_flags = flags.fracture
    case.kpi_died_before_due = flags.died_before_due


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


@dataclass
class Edit:
    """One change to a case under way (see :func:`editing`): its audit entry is set with
    :meth:`record` and written when the change is done."""

    session: Session
    actor: Actor
    case: Case
    action: str = "update"
    entity: str = "case"
    entity_id: int | None = None
    row: Any = None  # a new row, whose id is known only once it is written
    detail: dict[str, Any] | None = None

    def bump(self, version: int) -> int:
        """Raise the case's version from ``version`` (:class:`VersionConflict` if it moved on)."""
        return bump(self.session, self.case, version)

    def record(
        self,
        action: str,
        entity: str,
        *,
        entity_id: int | None = None,
        row: Any = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """What the audit entry of this change says (``row``: a new row, by its id)."""
        self.action, self.entity, self.entity_id = action, entity, entity_id
        self.row, self.detail = row, detail


@contextmanager
def editing(
    session: Session, actor: Actor, case_id: int, right: Action, *, full: bool = False
) -> Iterator[Edit]:
    """Change case ``case_id`` if ``actor`` has ``right`` at its site; on the way out the case
    is refreshed and the change audited (nothing of either when the change raises)."""
    case = load_case(session, actor, case_id, full=full)
    require(actor, right, site_id=case.site_id)
    edit = Edit(session, actor, case, entity_id=case.id)
    yield edit
    refresh(session, case)
    audit.record_on_case(
        session,
        actor,
        edit.action,
        edit.entity,
        case,
        entity_id=edit.row.id if edit.row is not None else edit.entity_id,
        detail=edit.detail,
    )
