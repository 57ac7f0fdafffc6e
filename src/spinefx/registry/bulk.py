"""What a coordinator does to several worklist rows at once: record each case's next FLS event
as done, or assign the cases to a colleague.

Each selected case is named with the version its row was shown at, and each change goes
through :func:`spinefx.registry.editing.editing` (one audit entry per case). The whole batch is
one transaction of the caller: a case that moved on since the worklist was shown
(:class:`~spinefx.errors.VersionConflict`) or one that cannot take the change leaves every
case as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError, ProblemKind
from spinefx.registry.editing import editing, load_case
from spinefx.registry.models import User
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.rows import add_row
from spinefx.registry.schema import EventIn, parse
from spinefx.registry.vocab import EventStatus

__all__ = ["Selected", "assign", "assignable_users", "mark_next_done"]

Selected = tuple[int, int]  # (case id, the case version the row was shown at)


def _chosen(selected: Sequence[Selected]) -> Sequence[Selected]:
    if not selected:
        raise InputError(
            "cases", [], "one or more cases chosen on the worklist", kind=ProblemKind.MISSING
        )
    return selected


def mark_next_done(
    session: Session, actor: Actor, selected: Sequence[Selected], day: date
) -> list[str]:
    """Record each case's next FLS event as done on ``day``; the event types recorded."""
    done: list[str] = []
    for case_id, version in _chosen(selected):
        case = load_case(session, actor, case_id)
        if case.next_event is None:
            raise InputError("cases", case_id, f"cases with an event due ({case.name} has none)")
        event = parse(
            EventIn,
            {"type": case.next_event, "status": EventStatus.DONE.value, "date": day.isoformat()},
        )
        add_row(session, actor, "events", case_id, version, event)
        done.append(event.type.value)
    return done


def assignable_users(session: Session, actor: Actor, site_id: int | None = None) -> list[User]:
    """The active users who record events at the actor's sites (or at ``site_id``)."""
    require(actor, Action.READ_CASES)
    users = session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.email))
    found = []
    for user in users:
        sites = {s.id for s in user.sites}
        if user.role not in {"admin", "clinician", "coordinator"}:
            continue
        if site_id is not None and site_id not in sites:
            continue
        if site_id is None and actor.site_ids is not None and not sites & actor.site_ids:
            continue
        found.append(user)
    return found


def assign(
    session: Session, actor: Actor, selected: Sequence[Selected], user_id: int | None
) -> int:
    """Assign each case to ``user_id`` (``None``: to nobody); the number of cases changed."""
    for case_id, version in _chosen(selected):
        with editing(session, actor, case_id, Action.WRITE_EVENTS) as edit:
            if user_id is not None and user_id not in {
                u.id for u in assignable_users(session, actor, edit.case.site_id)
            }:
                raise InputError(
                    "assignee", user_id, f"an active colleague at site {edit.case.site.code}"
                )
            edit.bump(version)
            edit.case.assigned_user_id = user_id
            edit.record("assign", "case", entity_id=case_id, detail={"user_id": user_id})
    return len(selected)
