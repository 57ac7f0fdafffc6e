"""The append-only audit log: every read and write of a case, who made it and when.

Entries are only ever added (the database refuses UPDATE and DELETE of the table); the app
offers no way to change them. Admins and auditors may read them, each for their own sites.

Every entry that touches a site's patients or users is filed under that site, so that its
auditor sees it: an entry about several sites is written once per site (``site_ids``). A list
read (the case list, the worklist) is filed under each site whose cases it showed, with those
cases' ids; a login or a failed login under each site of the account; a change to a user under
each of their sites, before and after. Reading the audit log or the KPIs is itself an entry,
and so is a refused request (403, 404, 409: :func:`record_refusal`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry.models import AuditEntry, Case, utcnow
from spinefx.registry.permissions import Action, Actor, require

__all__ = [
    "AuditPage",
    "AuditQuery",
    "actions_seen",
    "actors_seen",
    "changes_of",
    "entries",
    "record",
    "record_list",
    "record_on_case",
    "record_refusal",
    "scope_of",
]


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
    site_ids: Iterable[int | None] | None = None,
) -> None:
    """Add an entry in the caller's transaction (so it is kept exactly when the change is).

    ``site_ids`` files it under each of those sites (one entry per site; none given: one entry
    under ``site_id``).
    """
    given = sorted({s for s in site_ids if s is not None}) if site_ids is not None else []
    sites: list[int | None] = [*given] if given else [site_id]
    for site in sites:
        session.add(
            AuditEntry(
                at=at or utcnow(),
                user_id=actor.user_id,
                actor=actor.email,
                action=action,
                entity=entity,
                entity_id=entity_id,
                case_id=case_id,
                site_id=site,
                detail=detail or {},
            )
        )


def record_on_case(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    case: Case,
    *,
    entity_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`record` an entry about ``case`` (or a row of it), filed under the case's site."""
    record(
        session,
        actor,
        action,
        entity,
        case_id=case.id,
        site_id=case.site_id,
        entity_id=entity_id,
        detail=detail,
    )


def _plain(value: Any) -> Any:
    """A value as the entry's JSON keeps it (dates as ISO text, enums by their value)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def changes_of(before: dict[str, Any], after: Any) -> dict[str, Any]:
    """The detail of an edit: the fields that changed, each with its value before and after
    (``before``: the columns as they were; ``after``: the row or case as it is now)."""
    old = {key: _plain(value) for key, value in before.items()}
    new = {key: _plain(getattr(after, key)) for key in before}
    fields = sorted(key for key in before if old[key] != new[key])
    return {
        "fields": fields,
        "before": {key: old[key] for key in fields},
        "after": {key: new[key] for key in fields},
    }


def scope_of(actor: Actor) -> list[int]:
    """The sites an entry about the actor's own scope is filed under (the command line: none)."""
    return sorted(actor.site_ids) if actor.site_ids is not None else []


def record_list(
    session: Session,
    actor: Actor,
    entity: str,
    case_ids: Sequence[int],
    *,
    total: int,
    detail: dict[str, Any] | None = None,
    action: str = "list",
) -> None:
    """A list read (or sent: ``action``): one entry under each site whose cases it showed,
    naming that site's cases; a list that showed none is filed under the actor's sites (the
    scope it searched)."""
    by_site: dict[int, list[int]] = defaultdict(list)
    if case_ids:
        rows = session.execute(sa.select(Case.id, Case.site_id).where(Case.id.in_(case_ids)))
        for case_id, site_id in rows:
            by_site[site_id].append(case_id)
    extra = detail or {}
    if not by_site:
        record(
            session,
            actor,
            action,
            entity,
            site_ids=scope_of(actor),
            detail={**extra, "case_ids": [], "total": total},
        )
        return
    order = {case_id: i for i, case_id in enumerate(case_ids)}
    for site_id, ids in sorted(by_site.items()):
        record(
            session,
            actor,
            action,
            entity,
            site_id=site_id,
            detail={**extra, "case_ids": sorted(ids, key=order.__getitem__), "total": total},
        )


def record_refusal(
    session: Session,
    actor: Actor,
    status: int,
    *,
    method: str,
    path: str,
    site_ids: Iterable[int | None] = (),
) -> None:
    """A refused request (403, 404, 409) by a known caller: under the caller's sites and
    ``site_ids`` (the site of another site's case asked for: its auditor sees the attempt)."""
    record(
        session,
        actor,
        "refused",
        "request",
        site_ids=[*scope_of(actor), *site_ids],
        detail={"status": status, "method": method, "path": path[:200]},
    )


@dataclass(frozen=True)
class AuditPage:
    items: Sequence[AuditEntry]
    total: int


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to read: of one case, by ``who`` (the e-mail or command an entry names),
    one ``action``, the days ``since`` to ``until`` (both included, UTC); and which page."""

    case_id: int | None = None
    who: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 100
    offset: int = 0


def entries(session: Session, actor: Actor, query: AuditQuery | None = None) -> AuditPage:
    """The newest entries first, for the actor's sites (an admin or an auditor only), narrowed
    by ``query``."""
    asked = query or AuditQuery()
    chosen = _visible(actor)
    if asked.case_id is not None:
        chosen = chosen.where(AuditEntry.case_id == asked.case_id)
    if asked.who:
        chosen = chosen.where(AuditEntry.actor == asked.who)
    if asked.action:
        chosen = chosen.where(AuditEntry.action == asked.action)
    if asked.since is not None:
        chosen = chosen.where(AuditEntry.at >= _utc_start(asked.since))
    if asked.until is not None:
        chosen = chosen.where(AuditEntry.at < _utc_start(asked.until + timedelta(days=1)))
    total = session.scalar(sa.select(sa.func.count()).select_from(chosen.subquery())) or 0
    newest_first = chosen.order_by(AuditEntry.id.desc())
    rows = session.scalars(newest_first.limit(asked.limit).offset(asked.offset)).all()
    # the read is itself an entry (after the query: a page does not show its own read)
    record(
        session,
        actor,
        "read",
        "audit-log",
        case_id=asked.case_id,
        site_ids=scope_of(actor),
        detail={"entries": len(rows), "offset": asked.offset},
    )
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
