"""Sites and users: create them, find them, give a user more sites.

A user has one role (:class:`~spinefx.registry.vocab.Role`) at one or more sites. Passwords are
hashed here with argon2id (:mod:`spinefx.registry.auth`); this module never sees a plain
password after hashing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError, NotFound
from spinefx.registry import audit
from spinefx.registry.models import Site, User
from spinefx.registry.permissions import Actor
from spinefx.registry.vocab import Role

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "actor_for",
    "add_user",
    "ensure_site",
    "get_site",
    "list_sites",
    "list_users",
    "normalise_email",
    "require_user_visible",
    "user_by_email",
]

MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    text = email.strip().lower()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text or len(text) > 254:
        raise InputError("EMAIL", email, "an e-mail address such as name@example.org")
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
    from spinefx.registry.schema import SiteCode, parse_value

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
    """A new user with ``role`` at ``sites`` (new sites are created); the e-mail must be new."""
    from spinefx.registry.auth import hash_password

    address = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise InputError("--role", role, "one of " + ", ".join(r.value for r in Role)) from None
    codes = list(dict.fromkeys(sites))
    if not codes:
        raise InputError("--site", None, "at least one site code")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", "(hidden)", f"at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(sa.select(User.id).where(User.email == address)) is not None:
        raise InputError("EMAIL", address, "an e-mail address not yet registered")
    site_rows = [ensure_site(session, code) for code in codes]
    user = User(email=address, role=role.value, password_hash=hash_password(password))
    user.sites = site_rows
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "user",
        entity_id=user.id,
        detail={"email": address, "role": role.value, "sites": codes},
    )
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(sa.select(User).order_by(User.email)).all()


def require_user_visible(actor: Actor, user: User) -> None:
    """:class:`NotFound` unless ``user`` works at one of ``actor``'s sites (or actor sees all)."""
    if actor.site_ids is not None and not any(s.id in actor.site_ids for s in user.sites):
        raise NotFound("no such user")


def actor_for(user: User) -> Actor:
    """The :class:`Actor` a logged-in ``user`` acts as."""
    return Actor(user.id, user.email, Role(user.role), frozenset(s.id for s in user.sites))
