"""The append-only audit log: every read and write of a case, who made it and when.

Entries are only ever added (the database refuses UPDATE and DELETE of the table); the app
offers no way to change them. Admins and auditors may read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry.models import AuditEntry, utcnow
from spinefx.registry.permissions import Action, Actor, require

__all__ = ["AuditPage", "entries", "record"]


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    *,
    case_id: int | None = None,
    site_id: int | None = None,
    entity_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add one entry in the caller's transaction (so it is kept exactly when the change is)."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            user_id=actor.user_id,
            actor=actor.email,
            action=action,
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            site_id=site_id,
            detail=detail or {},
        )
    )


@dataclass(frozen=True)
class AuditPage:
    items: Sequence[AuditEntry]
    total: int


def entries(
    session: Session,
    actor: Actor,
    *,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """The newest entries first, for the actor's sites (an admin or an auditor only)."""
    require(actor, Action.READ_AUDIT)
    query = sa.select(AuditEntry)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if actor.site_ids is not None:
        query = query.where(
            sa.or_(AuditEntry.site_id.in_(actor.site_ids), AuditEntry.user_id == actor.user_id)
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return AuditPage(rows, total)
