"""The append-only audit log: every read and write of a case, who made it and when.

Entries are only ever added (the database refuses UPDATE and DELETE of the table); the app
offers no way to change them. Admins and auditors may read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry.models import AuditEntry, utcnow
from spinefx.registry.permissions import Action, Actor, require

__all__ = ["AuditPage", "actions_seen", "actors_seen", "entries", "record"]


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
    who: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """The newest entries first, for the actor's sites (an admin or an auditor only); ``who``
    (the e-mail or command an entry names), ``action`` and the days ``since`` to ``until``
    (both included, UTC) narrow them."""
    query = _visible(actor)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if who:
        query = query.where(AuditEntry.actor == who)
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= _utc_start(since))
    if until is not None:
        query = query.where(AuditEntry.at < _utc_start(until + timedelta(days=1)))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return AuditPage(rows, total)


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _visible(actor: Actor) -> sa.Select[Any]:
    """The entries the actor may read: those of their sites and their own."""
    require(actor, Action.READ_AUDIT)
    query = sa.select(AuditEntry)
    if actor.site_ids is not None:
        query = query.where(
            sa.or_(AuditEntry.site_id.in_(actor.site_ids), AuditEntry.user_id == actor.user_id)
        )
    return query


def actors_seen(session: Session, actor: Actor) -> list[str]:
    """Who the entries the actor may read name, for the page's filter."""
    query = _visible(actor).with_only_columns(AuditEntry.actor).distinct()
    return sorted(session.scalars(query))


def actions_seen(session: Session, actor: Actor) -> list[str]:
    """The actions of the entries the actor may read, for the page's filter."""
    query = _visible(actor).with_only_columns(AuditEntry.action).distinct()
    return sorted(session.scalars(query))
