"""Outcomes of a case: add, edit, remove, list (each write on the case's version, audited)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry import audit
from spinefx.registry.cases import add_row, delete_row, load_case, row_fields, update_row
from spinefx.registry.models import Outcome
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import OutcomeIn

__all__ = ["add_outcome", "delete_outcome", "list_outcomes", "update_outcome"]


def list_outcomes(session: Session, actor: Actor, case_id: int) -> Sequence[Outcome]:
    """The case's outcomes, oldest first; recorded as a read of the case."""
    require(actor, Action.READ_CASES)
    case = load_case(session, actor, case_id)
    rows = session.scalars(
        sa.select(Outcome).where(Outcome.case_id == case.id).order_by(Outcome.date, Outcome.id)
    ).all()
    audit.record(session, actor, "read", "outcome", case_id=case.id, site_id=case.site_id)
    return rows


def add_outcome(
    session: Session, actor: Actor, case_id: int, version: int, data: OutcomeIn
) -> Outcome:
    """Add one outcome to the case, made on case ``version``."""
    row = Outcome(**row_fields(data))
    return add_row(session, actor, case_id, version, row, Action.WRITE_OUTCOMES, "outcome")


def update_outcome(
    session: Session, actor: Actor, case_id: int, outcome_id: int, version: int, data: OutcomeIn
) -> Outcome:
    """Replace outcome ``outcome_id`` of the case, made on case ``version``."""
    return update_row(
        session,
        actor,
        case_id,
        version,
        Outcome,
        outcome_id,
        row_fields(data),
        Action.WRITE_OUTCOMES,
        "outcome",
    )


def delete_outcome(
    session: Session, actor: Actor, case_id: int, outcome_id: int, version: int
) -> None:
    """Remove outcome ``outcome_id`` (the audit entry keeps its content)."""
    delete_row(
        session, actor, case_id, version, Outcome, outcome_id, Action.WRITE_OUTCOMES, "outcome"
    )
