"""Sites and users: create them, find them, change a user's role and sites, lock them out.

A user has one role (:class:`~spinefx.registry.vocab.Role`) at one or more sites. Passwords are
hashed here with argon2id (:mod:`spinefx.registry.passwords`); this module never sees a plain
password after hashing it.

Managing users is the admin's right (:data:`~spinefx.registry.permissions.Action.MANAGE_USERS`).
An admin sees the users who work at one of their sites, gives only their own sites, and leaves a
user's other sites as they are; the command line acts on every site and may create sites. Only
the command line adds a user outright (:func:`add_user`); an admin invites one
(:mod:`spinefx.registry.invitations`), so that adding never tells whether an address already
has a login at another site. A
user's role holds at every one of their sites, so an admin may change the role only of a user
whose sites are all theirs (a role that would reach a site they do not administer is refused:
issue 22 found an admin of one site making a user admin at another). A locked account
(``active`` false) cannot log in; locking ends its sessions and revokes its API tokens, so
unlocking does not bring them back. Unlocking also clears a hold after failed logins. An admin
cannot lock their own account or change their own role. Every change, and every read of the
list or of a user, is an audit entry, filed under every site of the user concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError, NotFound, PermissionDenied, ProblemKind
from spinefx.registry import audit
from spinefx.registry.models import ApiToken, Site, User, UserSite, WebSession, utcnow
from spinefx.registry.passwords import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    hash_password,
    verify_password,
)
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import SiteCode, parse_value
from spinefx.registry.vocab import Role

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "actor_for",
    "add_user",
    "change_own_password",
    "clear_failed_logins",
    "end_access",
    "ensure_site",
    "get_site",
    "get_user",
    "list_sites",
    "list_users",
    "normalise_email",
    "own_sites",
    "parse_role",
    "record_about",
    "require_user_visible",
    "reset_password",
    "set_locked",
    "update_user",
    "user_by_email",
    "user_site_ids",
]


def normalise_email(email: str) -> str:
    text = email.strip().lower()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text or len(text) > 254:
        raise InputError(
            "email", email, "an e-mail address such as name@example.org", kind=ProblemKind.FORMAT
        )
    return text


def get_site(session: Session, code: str) -> Site:
    site = session.scalar(sa.select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"no site {code!r}")
    return site


def ensure_site(
    session: Session, code: str, *, name: str | None = None, fictional: bool = False
) -> Site:
    """The site with ``code``, created (named ``name`` or the code) if it is new."""
    code = parse_value(SiteCode, code, "site")
    site = session.scalar(sa.select(Site).where(Site.code == code))
    if site is None:
        site = Site(code=code, name=name or code, fictional=fictional)
        session.add(site)
        session.flush()
    return site


def list_sites(session: Session, actor: Actor) -> Sequence[Site]:
    query = sa.select(Site).order_by(Site.code)
    if actor.site_ids is not None:
        query = query.where(Site.id.in_(actor.site_ids))
    return session.scalars(query).all()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def add_user(
    session: Session,
    actor: Actor,
    email: str,
    *,
    role: Role | str,
    sites: Iterable[str],
    password: str,
) -> User:
    """A new user with ``role`` at ``sites`` (new sites are created); the e-mail must be new.

    The command line's way only: an admin of some sites invites instead
    (:mod:`spinefx.registry.invitations`), because "this e-mail is taken" would tell them about
    another site's users.
    """
    require(actor, Action.MANAGE_USERS)
    if actor.site_ids is not None:
        raise PermissionDenied("an admin of some sites invites users; the command line adds them")
    address = normalise_email(email)
    role = parse_role(role)
    codes = list(dict.fromkeys(sites))
    if not codes:
        raise InputError("sites", None, "at least one site code", kind=ProblemKind.MISSING)
    check_new_password(password, email=address)
    if session.scalar(sa.select(User.id).where(User.email == address)) is not None:
        raise InputError("email", address, "an e-mail address not yet registered")
    site_rows = [ensure_site(session, code) for code in codes]
    user = User(email=address, role=role.value, password_hash=hash_password(password))
    user.sites = site_rows
    session.add(user)
    session.flush()
    detail = {"email": address, "role": role.value, "sites": codes}
    record_about(session, actor, "create", user, detail)
    return user


def parse_role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = [r.value for r in Role]
        raise InputError(
            "role", value, "one of " + ", ".join(choices), kind=ProblemKind.CHOICE, choices=choices
        ) from None


def own_sites(session: Session, actor: Actor, codes: Iterable[str]) -> list[Site]:
    """The sites named by ``codes`` that ``actor`` may give: for the command line any site
    (created if new), for an admin each one of their own, else an InputError."""
    if actor.site_ids is None:
        return [ensure_site(session, code) for code in codes]
    rows = []
    for code in codes:
        site = session.scalar(sa.select(Site).where(Site.code == code))
        if site is None or not actor.sees_site(site.id):
            raise InputError("sites", code, "one of your sites")
        rows.append(site)
    return rows


def user_site_ids(user: User) -> list[int]:
    """The sites an entry about ``user`` is filed under: every one of theirs (their auditors
    each see it, whichever admin acted)."""
    return sorted(s.id for s in user.sites)


def list_users(session: Session, actor: Actor) -> Sequence[User]:
    """The users at ``actor``'s sites, by e-mail (an admin only; the read is audited)."""
    require(actor, Action.MANAGE_USERS)
    query = sa.select(User).order_by(User.email)
    if actor.site_ids is not None:
        query = query.where(
            User.id.in_(sa.select(UserSite.user_id).where(UserSite.site_id.in_(actor.site_ids)))
        )
    rows = session.scalars(query).all()
    audit.record(
        session,
        actor,
        "read",
        "user-list",
        site_ids=audit.scope_of(actor),
        detail={"users": len(rows)},
    )
    return rows


def get_user(session: Session, actor: Actor, user_id: int, *, read: bool = True) -> User:
    """One user at ``actor``'s sites (another site's is NotFound); audited when ``read``."""
    require(actor, Action.MANAGE_USERS)
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound("no such user")
    require_user_visible(actor, user)
    if read:
        record_about(session, actor, "read", user, {"email": user.email})
    return user


def update_user(
    session: Session, actor: Actor, user_id: int, *, role: Role | str, sites: Iterable[str]
) -> User:
    """Give a user ``role`` and, of ``actor``'s sites, exactly ``sites`` (others are kept)."""
    user = get_user(session, actor, user_id, read=False)
    new_role = parse_role(role)
    codes = list(dict.fromkeys(sites))
    given = own_sites(session, actor, codes)
    kept = [s for s in user.sites if not actor.sees_site(s.id)]
    if not given and not kept:
        raise InputError("sites", None, "at least one site", kind=ProblemKind.MISSING)
    if user.id == actor.user_id and new_role.value != user.role:
        raise InputError(
            "role", new_role.value, "your own role as it is (another admin may change it)"
        )
    if kept and new_role.value != user.role:
        raise InputError(
            "role",
            new_role.value,
            f"the user's role as it is ({user.role}): it also holds at sites you do not "
            "administer, so an admin of all their sites (or `spinefx registry`) changes it",
        )
    before_site_ids = user_site_ids(user)
    before = {"role": user.role, "sites": sorted(s.code for s in user.sites)}
    user.role = new_role.value
    user.sites = sorted({s.id: s for s in [*kept, *given]}.values(), key=lambda s: s.code)
    after = {"role": user.role, "sites": sorted(s.code for s in user.sites)}
    if after != before:
        audit.record(
            session,
            actor,
            "update",
            "user",
            entity_id=user.id,
            site_ids=[*before_site_ids, *user_site_ids(user)],
            detail={"email": user.email, "before": before, "after": after},
        )
    session.flush()
    return user


def set_locked(session: Session, actor: Actor, user_id: int, locked: bool) -> User:
    """Lock an account (no login, its sessions and tokens refused) or unlock it.

    Unlocking also clears a lockout after failed logins. An admin cannot lock themselves.
    """
    user = get_user(session, actor, user_id, read=False)
    if locked and user.id == actor.user_id:
        raise InputError("user", user.email, "another user's account (you cannot lock your own)")
    user.active = not locked
    if locked:
        end_access(session, user)
    else:
        clear_failed_logins(user)
    record_about(session, actor, "lock" if locked else "unlock", user, {"email": user.email})
    session.flush()
    return user


def _require_all_sites(actor: Actor, user: User, what: str) -> None:
    """An admin acts on ``what`` of ``user`` only when every site of the user is theirs."""
    if actor.site_ids is not None and any(not actor.sees_site(s.id) for s in user.sites):
        raise InputError(
            "user",
            user.email,
            f"a user of your sites only: they also work at sites you do not administer, so an "
            f"admin of all their sites (or `spinefx registry`) changes {what}",
        )


def change_own_password(
    session: Session, user_id: int, current: str, new: str, *, keep_session: str | None = None
) -> User:
    """A user changes their own password, giving the current one; their other sessions end
    (``keep_session``: the id of the one they did it from)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("no such user")
    if not verify_password(user.password_hash, current):
        raise InputError("current_password", "(hidden)", "your current password")
    if new == current:
        raise InputError("password", "(hidden)", "a password other than the current one")
    check_new_password(new, email=user.email)
    user.password_hash = hash_password(new)
    end_access(session, user, keep_session=keep_session, tokens=False)
    record_about(session, actor_for(user), "change-password", user, {"email": user.email})
    return user


def reset_password(session: Session, actor: Actor, user_id: int, new: str) -> User:
    """An admin gives a user a new password (to pass on by a safe channel): every session of
    the user ends. Only for a user all of whose sites are the admin's (else the admin could log
    in as them at another site)."""
    user = get_user(session, actor, user_id, read=False)
    _require_all_sites(actor, user, "their password")
    check_new_password(new, email=user.email)
    user.password_hash = hash_password(new)
    clear_failed_logins(user)
    end_access(session, user, tokens=False)
    record_about(session, actor, "reset-password", user, {"email": user.email})
    return user


def clear_failed_logins(user: User) -> None:
    """Forget ``user``'s failed logins and any hold they caused (a good login, an unlock, a new
    password)."""
    user.failed_logins = 0
    user.last_failed_at = None
    user.locked_until = None


def record_about(
    session: Session, actor: Actor, action: str, user: User, detail: dict[str, Any]
) -> None:
    """The audit entry of ``action`` on ``user``, filed under each of the user's sites."""
    audit.record(
        session,
        actor,
        action,
        "user",
        entity_id=user.id,
        site_ids=user_site_ids(user),
        detail=detail,
    )


def end_access(
    session: Session, user: User, *, keep_session: str | None = None, tokens: bool = True
) -> None:
    """End every live session of ``user`` (but the one whose id is ``keep_session``) and, with
    ``tokens``, revoke their API tokens: used on a lock, a failed-login hold and a password
    change."""
    now = utcnow()
    sessions = sa.update(WebSession).where(
        WebSession.user_id == user.id, WebSession.revoked_at.is_(None)
    )
    if keep_session is not None:
        sessions = sessions.where(WebSession.id != keep_session)
    session.execute(sessions.values(revoked_at=now))
    if tokens:
        session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def require_user_visible(actor: Actor, user: User) -> None:
    """:class:`NotFound` unless ``user`` works at one of ``actor``'s sites (or actor sees all)."""
    if actor.site_ids is not None and not any(s.id in actor.site_ids for s in user.sites):
        raise NotFound("no such user")


def actor_for(user: User) -> Actor:
    """The :class:`Actor` a logged-in ``user`` acts as."""
    return Actor(user.id, user.email, Role(user.role), frozenset(s.id for s in user.sites))
