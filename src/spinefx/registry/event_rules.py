"""FLS events that contradict each other, refused when one is added or changed.

Still being on osteoporosis medication at 52 weeks presupposes that the medication was started:
an ``on-medication-at-52-weeks`` event marked done needs a ``medication-started`` event marked
done on or before its date, and a ``medication-started`` event cannot be changed to declined or
not applicable (or moved after it) while such a 52-week event stands. The KPI definitions this
follows are those of :mod:`spinefx.registry.kpi` (persistence at 52 weeks counts patients who
started treatment).

A second event of a type already recorded is allowed (a repeated DXA is real); the pages warn
before saving one (:func:`same_type`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from spinefx.errors import InputError
from spinefx.registry.models import Case, Event
from spinefx.registry.vocab import EventStatus, EventType

__all__ = ["contradiction", "same_type", "settle_event"]

STARTED = EventType.MEDICATION_STARTED.value
AT_52 = EventType.ON_MEDICATION_AT_52_WEEKS.value
DONE = EventStatus.DONE.value


def contradiction(events: Sequence[tuple[int | None, str, str, date]]) -> str | None:
    """Why these events (id, type, status, date) cannot all stand, or ``None``."""
    started = [day for _, kind, status, day in events if kind == STARTED and status == DONE]
    for _, kind, status, day in events:
        if kind == AT_52 and status == DONE and not any(s <= day for s in started):
            if started:
                return (
                    "the medication was started after this 52-week check "
                    f"(started {min(started).isoformat()})"
                )
            return "the medication was never recorded as started (record it as started first)"
    return None


def settle_event(session: Session, case: Case, row: Any, before: dict[str, Any] | None) -> None:
    """Refuse the added or changed event when it contradicts the case's other events."""
    session.flush()
    events = [
        (e.id, e.type, e.status, e.date)
        for e in session.query(Event).filter(Event.case_id == case.id)
    ]
    reason = contradiction(events)
    if reason is not None:
        raise InputError(
            "type",
            row.type,
            f"an event that agrees with the case's other events: {reason}",
        )


def same_type(case: Case, kind: str, row_id: int | None = None) -> list[Event]:
    """The case's events of type ``kind`` already recorded (other than row ``row_id``)."""
    return [e for e in case.events if e.type == kind and e.id != row_id]
