"""The rows under a case, one table of kinds: fractures, FLS events, procedures and outcome
scores are each listed, added, replaced and removed the same way.

Each :class:`RowKind` names its table, its input model (:mod:`spinefx.registry.schema`), the
right that writes it and what it is called in the audit log. Every write goes through
:func:`spinefx.registry.editing.editing`: made on a case version (an older one is a
:class:`~spinefx.errors.VersionConflict` and changes nothing), the case refreshed, one audit
entry (a removed row's content kept in it). Another case's row is
:class:`~spinefx.errors.NotFound`.

>>> ROW_KINDS["events"].entity, ROW_KINDS["events"].action.value
('event', 'write-events')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from spinefx.errors import InputError, NotFound
from spinefx.registry import audit
from spinefx.registry.editing import editing, load_case
from spinefx.registry.event_rules import settle_event
from spinefx.registry.index_fracture import settle_fracture
from spinefx.registry.models import Base, Case, Event, Fracture, Outcome, Procedure
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import EventIn, FractureIn, OutcomeIn, ProcedureIn

__all__ = [
    "ROW_KINDS",
    "RowKind",
    "add_row",
    "delete_row",
    "list_rows",
    "new_row",
    "update_row",
]


def _as_given(values: dict[str, Any]) -> dict[str, Any]:
    return values


def _fracture_columns(values: dict[str, Any]) -> dict[str, Any]:
    """A spine fracture is stored with no other site (``"spine"`` is said as null); ``index``
    is the column ``is_index``, left out when not said (a new row: not the index; a change:
    kept as it was)."""
    stored = {k: v for k, v in values.items() if k != "index"}
    if values.get("index") is not None:
        stored["is_index"] = values["index"]
    return {**stored, "site": None} if values.get("site") == "spine" else stored


def _no_rules(session: Session, case: Case, row: Any, before: dict[str, Any] | None) -> None:
    """Rows of this kind have no rule that involves the other rows of the case."""


@dataclass(frozen=True)
class RowKind:
    """A kind of row under a case."""

    name: str  # "events": the Case's attribute, the case document's key, the URL part
    entity: str  # "event": in the audit log and in messages
    table: type[Base]
    schema: type[BaseModel]
    action: Action  # the right that writes it
    stored: Callable[[dict[str, Any]], dict[str, Any]] = _as_given
    # The case's rules once a row is added or changed (``before``: its columns before a
    # change): for fractures, one index fracture and none after the date of death.
    settle: Callable[[Session, Case, Any, dict[str, Any] | None], None] = _no_rules

    def columns(self, data: BaseModel) -> dict[str, Any]:
        """The row's columns from its input (enums as their values; no ``id``)."""
        values = data.model_dump(mode="json", exclude={"id"})
        if "date" in values:
            values["date"] = getattr(data, "date")  # noqa: B009 - a date, not its text
        return self.stored(values)


ROW_KINDS: dict[str, RowKind] = {
    kind.name: kind
    for kind in (
        RowKind(
            "fractures",
            "fracture",
            Fracture,
            FractureIn,
            Action.WRITE_CASES,
            _fracture_columns,
            settle_fracture,
        ),
        RowKind("events", "event", Event, EventIn, Action.WRITE_EVENTS, settle=settle_event),
        RowKind("procedures", "procedure", Procedure, ProcedureIn, Action.WRITE_PROCEDURES),
        RowKind("outcomes", "outcome", Outcome, OutcomeIn, Action.WRITE_OUTCOMES),
    )
}


def new_row(kind: str, case_id: int, data: BaseModel) -> Any:
    """A new row of ``kind`` for case ``case_id`` (not yet added to a session)."""
    spec = ROW_KINDS[kind]
    return spec.table(case_id=case_id, **spec.columns(data))


def list_rows(session: Session, actor: Actor, kind: str, case_id: int) -> Sequence[Any]:
    """The case's rows of ``kind``, oldest first; recorded as a read of the case."""
    spec = ROW_KINDS[kind]
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id)
    table: Any = spec.table
    rows = session.scalars(
        sa.select(table).where(table.case_id == case.id).order_by(table.date, table.id)
    ).all()
    audit.record_on_case(session, actor, "read", spec.entity, case)
    return rows


def add_row(
    session: Session, actor: Actor, kind: str, case_id: int, version: int, data: BaseModel
) -> Any:
    """Add one row of ``kind`` to the case, made on case ``version``."""
    spec = ROW_KINDS[kind]
    with editing(session, actor, case_id, spec.action) as edit:
        edit.bump(version)
        row = new_row(kind, edit.case.id, data)
        session.add(row)
        spec.settle(session, edit.case, row, None)
        edit.record("create", spec.entity, row=row)
    return row


def update_row(
    session: Session,
    actor: Actor,
    kind: str,
    case_id: int,
    row_id: int,
    version: int,
    data: BaseModel,
) -> Any:
    """Replace the columns of row ``row_id`` of the case, made on case ``version``."""
    spec = ROW_KINDS[kind]
    values = spec.columns(data)
    with editing(session, actor, case_id, spec.action) as edit:
        row = _row_of(session, spec, edit.case, row_id)
        edit.bump(version)
        before = {key: getattr(row, key) for key in values}
        for key, value in values.items():
            setattr(row, key, value)
        spec.settle(session, edit.case, row, before)
        edit.record("update", spec.entity, entity_id=row_id, detail=audit.changes_of(before, row))
    return row


def delete_row(
    session: Session, actor: Actor, kind: str, case_id: int, row_id: int, version: int
) -> None:
    """Remove row ``row_id`` of the case, made on case ``version``; the audit entry keeps
    what it held."""
    spec = ROW_KINDS[kind]
    with editing(session, actor, case_id, spec.action) as edit:
        row = _row_of(session, spec, edit.case, row_id)
        edit.bump(version)
        if spec.table is Fracture and _count(session, Fracture, edit.case.id) == 1:
            raise InputError(
                "id", row_id, "a fracture of a case that has another: a case keeps one"
            )
        kept = {c.key: _jsonable(getattr(row, c.key)) for c in sa.inspect(spec.table).columns}
        session.delete(row)
        edit.record("delete", spec.entity, entity_id=row_id, detail={"row": kept})


def _count(session: Session, table: Any, case_id: int) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.case_id == case_id)
        )
        or 0
    )


def _row_of(session: Session, spec: RowKind, case: Case, row_id: int) -> Any:
    row: Any = session.get(spec.table, row_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"no {spec.entity} {row_id} in case {case.id}")
    return row


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
