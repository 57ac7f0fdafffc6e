"""Procedures of a case: add, edit, remove, list (each write on the case's version, audited)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry import audit
from spinefx.registry.cases import add_row, delete_row, load_case, row_fields, update_row
from spinefx.registry.models import Procedure
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import ProcedureIn

__all__ = ["add_procedure", "delete_procedure", "list_procedures", "update_procedure"]


def list_procedures(session: Session, actor: Actor, case_id: int) -> Sequence[Procedure]:
    """The case's procedures, oldest first; recorded as a read of the case."""
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id)
    rows = session.scalars(
        sa.select(Procedure)
        .where(Procedure.case_id == case.id)
        .order_by(Procedure.date, Procedure.id)
    ).all()
    audit.record(session, actor, "read", "procedure", case_id=case.id, site_id=case.site_id)
    return rows


def add_procedure(
    session: Session, actor: Actor, case_id: int, version: int, data: ProcedureIn
) -> Procedure:
    """Add one procedure to the case, made on case ``version``."""
    row = Procedure(**row_fields(data))
    return add_row(session, actor, case_id, version, row, Action.WRITE_PROCEDURES, "procedure")


def update_procedure(
    session: Session, actor: Actor, case_id: int, procedure_id: int, version: int, data: ProcedureIn
) -> Procedure:
    """Replace procedure ``procedure_id`` of the case, made on case ``version``."""
    return update_row(
        session,
        actor,
        case_id,
        version,
        Procedure,
        procedure_id,
        row_fields(data),
        Action.WRITE_PROCEDURES,
        "procedure",
    )


def delete_procedure(
    session: Session, actor: Actor, case_id: int, procedure_id: int, version: int
) -> None:
    """Remove procedure ``procedure_id`` (the audit entry keeps its content)."""
    delete_row(
        session,
        actor,
        case_id,
        version,
        Procedure,
        procedure_id,
        Action.WRITE_PROCEDURES,
        "procedure",
    )
