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
from spinefx.registry.permissions import RIGHTS, Action, Actor, require
from spinefx.registry.rows import add_row
from spinefx.registry.schema import MAX_ID, EventIn, parse
from spinefx.registry.vocab import EventStatus, Role

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
        if not _records_events(user):
            continue
        if site_id is not None and site_id not in sites:
            continue
        if site_id is None and actor.site_ids is not None and not sites & actor.site_ids:
            continue
        found.append(user)
    return found


def _records_events(user: User) -> bool:
    """Whether ``user`` may be given cases: active, with a role that records FLS events."""
    return user.active and Role(user.role) in RIGHTS[Action.WRITE_EVENTS]


def assign(
    session: Session, actor: Actor, selected: Sequence[Selected], user_id: int | None
) -> int:
    """Assign each case to ``user_id`` (``None``: to nobody); the number of cases changed."""
    assignee = session.get(User, user_id) if user_id is not None and 0 < user_id <= MAX_ID else None
    for case_id, version in _chosen(selected):
        with editing(session, actor, case_id, Action.WRITE_EVENTS) as edit:
            if user_id is not None and (
                assignee is None
                or not _records_events(assignee)
                or edit.case.site_id not in {s.id for s in assignee.sites}
            ):
                raise InputError(
                    "assignee", user_id, f"an active colleague at site {edit.case.site.code}"
                )
            edit.bump(version)
            edit.case.assigned_user_id = user_id
            edit.record("assign", "case", entity_id=case_id, detail={"user_id": user_id})
    return len(selected)
