"""Who may do what: the one table of role rights, and the caller's identity.

Every page, API route and CLI command asks :func:`require` before it acts, and every query
narrows to :attr:`Actor.site_ids`; a case at another site is :class:`~spinefx.errors.NotFound`,
exactly as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from spinefx.errors import NotFound, PermissionDenied
from spinefx.registry.vocab import Role

__all__ = ["RIGHTS", "Action", "Actor", "require"]


class Action(StrEnum):
    READ_CASES = "read-cases"
    WRITE_CASES = "write-cases"  # a case's identity, status, fractures; accept or dismiss
    WRITE_EVENTS = "write-events"
    WRITE_PROCEDURES = "write-procedures"
    WRITE_OUTCOMES = "write-outcomes"
    WRITE_ASSESSMENTS = "write-assessments"
    READ_KPIS = "read-kpis"
    READ_AUDIT = "read-audit"
    MANAGE_USERS = "manage-users"
    IMPORT_EXPORT = "import-export"


_ALL = frozenset(Role)
_STAFF = frozenset({Role.ADMIN, Role.CLINICIAN, Role.COORDINATOR})
RIGHTS: dict[Action, frozenset[Role]] = {
    Action.READ_CASES: _ALL,
    Action.WRITE_CASES: _STAFF,
    Action.WRITE_EVENTS: _STAFF,
    Action.WRITE_PROCEDURES: frozenset({Role.ADMIN, Role.CLINICIAN}),
    Action.WRITE_OUTCOMES: _STAFF,
    Action.WRITE_ASSESSMENTS: frozenset({Role.ADMIN, Role.CLINICIAN}),
    Action.READ_KPIS: _ALL,
    Action.READ_AUDIT: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.IMPORT_EXPORT: frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with a role at some sites, or the local command line.

    ``site_ids`` of ``None`` means every site: only the ``spinefx registry`` commands, run by
    whoever holds the database file or URL, act so.
    """

    user_id: int | None
    email: str
    role: Role
    site_ids: frozenset[int] | None

    @classmethod
    def command_line(cls, what: str = "cli") -> Actor:
        return cls(None, f"command-line:{what}", Role.ADMIN, None)

    def can(self, action: Action) -> bool:
        return self.role in RIGHTS[action]

    def sees_site(self, site_id: int) -> bool:
        return self.site_ids is None or site_id in self.site_ids


def require(actor: Actor, action: Action, *, site_id: int | None = None) -> None:
    """Raise unless ``actor`` may do ``action`` (at ``site_id``, when given).

    A site the actor does not belong to is :class:`NotFound` (its records are not disclosed);
    a missing right is :class:`PermissionDenied`.
    """
    if site_id is not None and not actor.sees_site(site_id):
        raise NotFound("no such case")
    if not actor.can(action):
        raise PermissionDenied(f"the {actor.role} role may not {action.value.replace('-', ' ')}")
