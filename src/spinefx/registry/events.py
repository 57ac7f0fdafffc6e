"""Events of a case: add, edit, remove, list (each write on the case's version, audited)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry import audit
from spinefx.registry.cases import add_row, delete_row, load_case, row_fields, update_row
from spinefx.registry.models import Event
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import EventIn

__all__ = ["add_event", "delete_event", "list_events", "update_event"]


def list_events(session: Session, actor: Actor, case_id: int) -> Sequence[Event]:
    """The case's events, oldest first; recorded as a read of the case."""
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id)
    rows = session.scalars(
        sa.select(Event).where(Event.case_id == case.id).order_by(Event.date, Event.id)
    ).all()
    audit.record(session, actor, "read", "event", case_id=case.id, site_id=case.site_id)
    return rows


def add_event(session: Session, actor: Actor, case_id: int, version: int, data: EventIn) -> Event:
    """Add one event to the case, made on case ``version``."""
    row = Event(**row_fields(data))
    return add_row(session, actor, case_id, version, row, Action.WRITE_EVENTS, "event")


def update_event(
    session: Session, actor: Actor, case_id: int, event_id: int, version: int, data: EventIn
) -> Event:
    """Replace event ``event_id`` of the case, made on case ``version``."""
    return update_row(
        session,
        actor,
        case_id,
        version,
        Event,
        event_id,
        row_fields(data),
        Action.WRITE_EVENTS,
        "event",
    )


def delete_event(session: Session, actor: Actor, case_id: int, event_id: int, version: int) -> None:
    """Remove event ``event_id`` (the audit entry keeps its content)."""
    delete_row(session, actor, case_id, version, Event, event_id, Action.WRITE_EVENTS, "event")
