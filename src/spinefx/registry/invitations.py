"""Invitations: how an admin of some sites brings a person onto them.

Logins are unique across the registry and one person may work at several sites, so an admin
cannot simply create an account for an e-mail address: the address may already have a login at
a site the admin does not administer, and saying so ("taken") would tell the admin about another
site's users (issue 22, item 6). Instead the admin invites the address (:func:`invite`) to their
own sites with one role, and the answer is the same whether the address has a login elsewhere or
none: an invitation, e-mailed to the address with a link that holds a random token (only its
SHA-256 is stored) and lasts :data:`INVITATION_DAYS` days.

Only the person who reads that mailbox sees what happens next (:func:`open_invitation`,
:func:`accept`): without a login they choose a password (the usual rules) and their login is
made with the role at the sites; with a login they give its password, and the sites are added to
it. A login has one role at all its sites (see :mod:`spinefx.registry.users`), so an invitation
with another role than the login's is refused there, not silently changing what the person may
do at their other sites. The command line (the operator) still adds users directly
(:func:`spinefx.registry.users.add_user`).

An address that is already a user of one of the admin's sites is refused at once: the admin
sees that user in their list anyway. Inviting, withdrawing and accepting are audited under the
invitation's sites; the token never is.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.dates import plain_date
from spinefx.errors import InputError, NotAuthenticated, NotFound, ProblemKind
from spinefx.registry import audit
from spinefx.registry.auth import authenticate, token_digest
from spinefx.registry.models import Invitation, Site, User, utcnow
from spinefx.registry.passwords import check_new_password, hash_password
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.throttle import FailureThrottle
from spinefx.registry.users import (
    actor_for,
    normalise_email,
    own_sites,
    parse_role,
    record_about,
    user_by_email,
)
from spinefx.registry.vocab import Role

__all__ = [
    "INVITATION_DAYS",
    "InvitationView",
    "accept",
    "invitation_email",
    "invite",
    "open_invitation",
    "pending",
    "withdraw",
]

INVITATION_DAYS = 7
NOT_VALID = "this invitation link is not valid: it may have expired, been used or been withdrawn"


def _codes(session: Session, site_ids: Iterable[int]) -> list[str]:
    ids = list(site_ids)
    return list(session.scalars(sa.select(Site.code).where(Site.id.in_(ids)).order_by(Site.code)))


def _record(session: Session, actor: Actor, action: str, row: Invitation) -> None:
    audit.record(
        session,
        actor,
        action,
        "invitation",
        entity_id=row.id,
        site_ids=row.site_ids,
        detail={"email": row.email, "role": row.role, "sites": _codes(session, row.site_ids)},
    )


def _open(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Invitation.accepted_at.is_(None),
        Invitation.withdrawn_at.is_(None),
        Invitation.expires_at > now,
    )


def invite(
    session: Session,
    actor: Actor,
    email: str,
    *,
    role: Role | str,
    sites: Iterable[str],
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """A new invitation of ``email`` as ``role`` at ``sites`` (the actor's own), and its token.

    Whether the address has a login at another site changes nothing here. An earlier open
    invitation of the same address to the same sites is withdrawn (the new link replaces it).
    """
    require(actor, Action.MANAGE_USERS)
    now = now or utcnow()
    address = normalise_email(email)
    chosen = parse_role(role)
    codes = list(dict.fromkeys(sites))
    if not codes:
        raise InputError("sites", None, "at least one site code", kind=ProblemKind.MISSING)
    site_rows = own_sites(session, actor, codes)
    existing = user_by_email(session, address)
    if existing is not None and any(actor.sees_site(s.id) for s in existing.sites):
        raise InputError(
            "email",
            address,
            "an address that is not yet a user of your sites (this one is: change their sites "
            "on their page)",
        )
    site_ids = sorted(s.id for s in site_rows)
    for earlier in session.scalars(
        sa.select(Invitation).where(Invitation.email == address, _open(now))
    ):
        if sorted(earlier.site_ids) == site_ids:
            earlier.withdrawn_at = now
            _record(session, actor, "withdraw", earlier)
    token = secrets.token_urlsafe(32)
    row = Invitation(
        email=address,
        role=chosen.value,
        site_ids=site_ids,
        token_hash=token_digest(token),
        invited_by=actor.email,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(row)
    session.flush()
    _record(session, actor, "invite", row)
    return row, token


def invitation_email(
    row: Invitation, token: str, site_labels: Sequence[str], base_url: str
) -> tuple[str, str]:
    """The invitation e-mail's subject and text (the link is the only way in)."""
    link = f"{base_url.rstrip('/')}/registry/invitation?token={token}"
    where = ", ".join(site_labels)
    subject = f"Invitation to the spinefx fracture registry ({where})"
    body = "\n".join(
        [
            f"{row.invited_by} has invited you to the fracture liaison registry of {where},",
            f"as {row.role}.",
            "",
            f"Open this link to accept; it works once, until {plain_date(row.expires_at)} UTC:",
            "",
            link,
            "",
            "If you already have a login to this registry, you will give its password and these",
            "sites are added to it; if not, you will choose a password.",
            "If you did not expect this invitation, do nothing: without the link nothing happens.",
        ]
    )
    return subject, body + "\n"


def pending(session: Session, actor: Actor, *, now: datetime | None = None) -> Sequence[Invitation]:
    """The open invitations to ``actor``'s sites, newest first."""
    require(actor, Action.MANAGE_USERS)
    rows = session.scalars(
        sa.select(Invitation).where(_open(now or utcnow())).order_by(Invitation.id.desc())
    ).all()
    return [r for r in rows if any(actor.sees_site(s) for s in r.site_ids)]


def withdraw(session: Session, actor: Actor, invitation_id: int) -> Invitation:
    """Withdraw an open invitation to ``actor``'s sites: its link stops working."""
    row = next((r for r in pending(session, actor) if r.id == invitation_id), None)
    if row is None:
        raise NotFound("no such invitation")
    row.withdrawn_at = utcnow()
    _record(session, actor, "withdraw", row)
    return row


@dataclass(frozen=True)
class InvitationView:
    """What the invitation's page shows to the person who opened its link."""

    email: str
    role: str
    site_labels: list[str]
    expires_at: datetime
    login_role: str | None  # the role of the address's login, None when it has none

    @property
    def has_login(self) -> bool:
        return self.login_role is not None

    @property
    def role_differs(self) -> bool:
        return self.login_role is not None and self.login_role != self.role


def _by_token(session: Session, token: str, now: datetime) -> Invitation:
    if not token or len(token) > 200:
        raise NotFound(NOT_VALID)
    row = session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == token_digest(token), _open(now))
    )
    if row is None:
        raise NotFound(NOT_VALID)
    return row


def open_invitation(session: Session, token: str, *, now: datetime | None = None) -> InvitationView:
    """The open invitation whose link holds ``token`` (:class:`NotFound` when there is none)."""
    row = _by_token(session, token, now or utcnow())
    user = user_by_email(session, row.email)
    labels = session.scalars(sa.select(Site).where(Site.id.in_(row.site_ids)).order_by(Site.code))
    return InvitationView(
        email=row.email,
        role=row.role,
        site_labels=[s.label for s in labels],
        expires_at=row.expires_at,
        login_role=user.role if user is not None else None,
    )


def accept(
    session: Session,
    token: str,
    password: str,
    unknown: FailureThrottle | None = None,
) -> User | NotAuthenticated:
    """Accept the invitation: make the login (a new address) or add the sites to it (a known
    address whose ``password`` is right). A wrong password is counted as a failed login and
    returned, like :func:`spinefx.registry.auth.authenticate`, so that the count is kept."""
    now = utcnow()
    row = _by_token(session, token, now)
    sites = list(session.scalars(sa.select(Site).where(Site.id.in_(row.site_ids))))
    user = user_by_email(session, row.email)
    if user is None:
        check_new_password(password, email=row.email)
        user = User(email=row.email, role=row.role, password_hash=hash_password(password))
        user.sites = sorted(sites, key=lambda s: s.code)
        session.add(user)
        session.flush()
        action = "create"
    else:
        if user.role != row.role:
            raise InputError(
                "invitation",
                row.role,
                f"an invitation with your login's role ({user.role}): a login has one role at "
                "all its sites, so ask the admin who invited you for that role, or use another "
                "e-mail address",
            )
        outcome = authenticate(session, row.email, password, now=now, unknown=unknown)
        if not isinstance(outcome, User):
            return outcome
        user.sites = sorted({s.id: s for s in [*user.sites, *sites]}.values(), key=lambda s: s.code)
        session.flush()
        action = "join"
    row.accepted_at = now
    actor = actor_for(user)
    _record(session, actor, "accept", row)
    codes = sorted(s.code for s in sites)
    record_about(
        session, actor, action, user, {"email": user.email, "role": user.role, "sites": codes}
    )
    return user
