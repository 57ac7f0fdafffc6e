"""Helpers of the registry's tests: a user added as the command line adds one, a case in the
import format, counts of rows and the audit trail of an entity."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor

__all__ = [
    "PASSWORD",
    "TODAY",
    "add_test_user",
    "audit_trail",
    "case_data",
    "count_rows",
    "new_user_actor",
]

PASSWORD = "a long enough secret"


def add_test_user(
    registry: Registry,
    email: str,
    *,
    role: str = "coordinator",
    sites: tuple[str, ...] = ("north",),
    password: str = PASSWORD,
) -> str:
    """A user added as the command line adds one (sites created if new); their e-mail."""
    from spinefx.registry.permissions import Actor
    from spinefx.registry.users import add_user

    with registry.transaction() as session:
        add_user(
            session, Actor.command_line("test"), email, role=role, sites=sites, password=password
        )
    return email


def new_user_actor(registry: Registry, email: str, **given: Any) -> Actor:
    """The :class:`Actor` of a user added as :func:`add_test_user` adds one."""
    from spinefx.registry.users import actor_for, user_by_email

    add_test_user(registry, email, **given)
    with registry.transaction() as session:
        user = user_by_email(session, email)
        assert user is not None
        return actor_for(user)


def audit_trail(registry: Registry, entity: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, detail) of each audit entry about ``entity``, oldest first."""
    from spinefx.registry.models import AuditEntry

    with registry.transaction() as session:
        rows = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
        ).all()
        return [(r.action, r.actor, dict(r.detail)) for r in rows]


def count_rows(session: Any, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def case_data(mrn: str = "A-1001", *, site: str = "north", **changes: Any) -> dict[str, Any]:
    """One case in the import format (the issue's example), with ``changes`` applied."""
    data: dict[str, Any] = {
        "site": site,
        "mrn": mrn,
        "name": "Test Patient (fictional)",
        "birth_date": "1968-05-01",
        "sex": "female",
        "status": "active",
        "fractures": [
            {
                "date": "2026-03-02",
                "levels": ["L2"],
                "site": None,
                "found_by": "clinical",
                "genant_grade": 2,
            }
        ],
        "events": [{"type": "dxa", "status": "done", "date": "2026-04-01"}],
        "procedures": [
            {
                "date": "2026-03-10",
                "kind": "kyphoplasty",
                "levels": ["L2"],
                "approach": "bipedicular",
                "cement_ml": {"L2": 4.5},
                "operator_npi": "1234567893",
                "anaesthesia": "local",
                "complications": [],
            }
        ],
        "outcomes": [{"date": "2026-03-09", "instrument": "nrs", "score": 9}],
    }
    data.update(changes)
    return data


TODAY = date(2026, 12, 1)
