"""Logins, API tokens, server-side sessions and CSRF tokens.

- Passwords: argon2id (:mod:`spinefx.registry.passwords`), re-hashed on login when the
  parameters change.
- Failed logins slow down, then lock: from the :data:`THROTTLE_AFTER`-th failure in a row the
  next attempt must wait ``2 ** (failures - THROTTLE_AFTER)`` seconds (at most
  :data:`MAX_DELAY_S`); at :data:`LOCK_AFTER` failures the account is locked for
  :data:`LOCK_MINUTES`. While held back an attempt is refused without checking the password,
  with the seconds to wait. A success resets the count.
- API tokens: ``sfx_`` + 32 random bytes; only their SHA-256 is stored, and their first
  :data:`PREFIX_LENGTH` characters so that a list can tell them apart. An admin lists a user's
  tokens (:func:`list_tokens`) and revokes one by its number, its prefix or the token itself
  (:func:`revoke_token`); a revoked token is refused from the next request on.
- Sessions: the cookie holds a random token, the table its SHA-256, the user, a CSRF token
  and the last use; a session unused for :data:`IDLE_MINUTES`, or older than
  :data:`SESSION_HOURS`, is over; logout revokes it, and so do a lock, a failed-login hold and
  a password change (:func:`spinefx.registry.users.end_access`).

"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import AuthFailure, InputError, NotAuthenticated, NotFound
from spinefx.registry import audit
from spinefx.registry.db import Registry
from spinefx.registry.models import ApiToken, User, WebSession, utcnow
from spinefx.registry.passwords import (
    hash_password,
    needs_rehash,
    spend_hashing_time,
    verify_password,
)
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.throttle import FailureThrottle
from spinefx.registry.users import (
    actor_for,
    clear_failed_logins,
    end_access,
    normalise_email,
    require_user_visible,
    user_site_ids,
)

__all__ = [
    "IDLE_MINUTES",
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "MAX_DELAY_S",
    "PREFIX_LENGTH",
    "SESSION_HOURS",
    "THROTTLE_AFTER",
    "LoginSession",
    "authenticate",
    "check_csrf",
    "create_token",
    "end_session",
    "find_token",
    "list_tokens",
    "login",
    "revoke_token",
    "session_actor",
    "session_id",
    "start_session",
    "token_actor",
    "token_digest",
    "unknown_accounts",
]

THROTTLE_AFTER = 3
MAX_DELAY_S = 60
LOCK_AFTER = 6
LOCK_MINUTES = 15
IDLE_MINUTES = 30
SESSION_HOURS = 12  # a session ends this long after the login, however busy it has been
TOKEN_PREFIX = "sfx_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8  # 48 of the token's 256 random bits: shown, not secret


def token_digest(token: str) -> str:
    """What the registry stores of a secret token (a session's, an API token, a calendar feed's,
    an invitation's): its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_id(token: str) -> str:
    """The stored id of the session whose cookie holds ``token`` (its SHA-256)."""
    return token_digest(token)


def _wait_seconds(user: User, now: datetime) -> int:
    """Seconds before ``user`` may try again (0: now)."""
    if user.locked_until is not None and user.locked_until > now:
        return max(1, int((user.locked_until - now).total_seconds() + 0.999))
    if user.failed_logins >= THROTTLE_AFTER and user.last_failed_at is not None:
        delay = min(MAX_DELAY_S, 2 ** (user.failed_logins - THROTTLE_AFTER))
        ready = user.last_failed_at + timedelta(seconds=delay)
        if ready > now:
            return max(1, int((ready - now).total_seconds() + 0.999))
    return 0


def unknown_accounts() -> FailureThrottle:
    """The failed logins of e-mails with no (active) account, on the accounts' own schedule."""
    return FailureThrottle(
        throttle_after=THROTTLE_AFTER,
        lock_after=LOCK_AFTER,
        lock_minutes=LOCK_MINUTES,
        max_delay_s=MAX_DELAY_S,
        forget_minutes=LOCK_MINUTES,
    )


def _held(wait: int, locked: bool) -> NotAuthenticated:
    if locked:
        what, reason = "the account is locked after repeated failed logins", AuthFailure.LOCKED
    else:
        what, reason = "too many failed logins", AuthFailure.THROTTLED
    return NotAuthenticated(f"{what}: try again in {wait} s", reason=reason, retry_after=wait)


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    now: datetime | None = None,
    unknown: FailureThrottle | None = None,
) -> User | NotAuthenticated:
    """The user whose password this is, or the refusal to raise once the transaction ends.

    Returned, not raised, so that the caller commits the failure count before refusing (see
    :func:`login`). The same message for an unknown e-mail and a wrong password; an unknown
    e-mail costs the same hashing time as a known one, and with ``unknown`` (see
    :func:`unknown_accounts`) it is slowed down and held exactly like a known one, so that a
    429 does not tell that an account exists.
    """
    now = now or utcnow()
    refused = NotAuthenticated("wrong e-mail or password", reason=AuthFailure.WRONG_CREDENTIALS)
    try:
        address = normalise_email(email)
    except InputError:
        address = email.strip().lower()[:254]
        user = None
    else:
        user = session.scalar(sa.select(User).where(User.email == address).with_for_update())
    if user is None or not user.active:
        held = unknown.hold(address, now) if unknown is not None else None
        if held is not None:
            return _held(held.seconds, held.locked)
        spend_hashing_time(password)
        if unknown is not None:
            unknown.failed(address, now)
        return refused
    wait = _wait_seconds(user, now)
    if wait:
        return _held(wait, user.locked_until is not None and user.locked_until > now)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        user.last_failed_at = now
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            end_access(session, user, tokens=False)  # whoever is guessing may already be in
        audit.record(
            session,
            actor_for(user),
            "login-failed",
            "user",
            entity_id=user.id,
            at=now,
            site_ids=user_site_ids(user),
        )
        return refused
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    clear_failed_logins(user)
    return user


def login(
    registry: Registry,
    email: str,
    password: str,
    *,
    now: datetime | None = None,
    unknown: FailureThrottle | None = None,
) -> LoginSession:
    """Check the password and open a session, or :class:`NotAuthenticated` (failure kept)."""
    with registry.transaction() as session:
        outcome = authenticate(session, email, password, now=now, unknown=unknown)
        if isinstance(outcome, User):
            return start_session(session, outcome, now=now)
    raise outcome


# --- API tokens -------------------------------------------------------------------------------


def create_token(session: Session, user: User, *, label: str = "") -> str:
    """A new API token for ``user``; shown once, stored only as its SHA-256 and its prefix."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        prefix=token[:PREFIX_LENGTH],
        label=label[:100],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_for(user),
        "create",
        "api-token",
        entity_id=row.id,
        site_ids=user_site_ids(user),
        detail={"email": user.email, "label": label[:100], "prefix": row.prefix},
    )
    return token


def token_actor(session: Session, token: str, *, now: datetime | None = None) -> Actor:
    """The actor of a bearer token, or :class:`NotAuthenticated`."""
    refused = NotAuthenticated("a valid API token is needed", reason=AuthFailure.WRONG_CREDENTIALS)
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise refused
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        raise refused
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise refused
    row.last_used_at = now or utcnow()
    return actor_for(user)


def list_tokens(session: Session, actor: Actor, user: User) -> Sequence[ApiToken]:
    """``user``'s tokens, newest first, revoked ones too (an admin only; the read is audited)."""
    require(actor, Action.MANAGE_USERS)
    require_user_visible(actor, user)
    rows = session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    audit.record(
        session,
        actor,
        "read",
        "api-token",
        entity_id=user.id,
        site_ids=user_site_ids(user),
        detail={"email": user.email, "tokens": len(rows)},
    )
    return rows


def find_token(session: Session, which: str) -> ApiToken:
    """The token named by its number (``12``), its prefix (``sfx_AbCd1234``) or itself.

    A prefix is the part ``registry token list`` shows and must name exactly one token.
    """
    text = which.strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        row = session.get(ApiToken, int(text))
        if row is None:
            raise NotFound(f"no API token {text}")
        return row
    if not text.startswith(TOKEN_PREFIX) or len(text) < PREFIX_LENGTH or len(text) > 100:
        raise InputError(
            "token",
            which,
            f"a token's number from `registry token list`, its prefix ({TOKEN_PREFIX} and 8 "
            "characters) or the whole token",
        )
    whole = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(text)))
    if whole is not None:
        return whole
    if len(text) > PREFIX_LENGTH:  # not a token, and more than the part that is kept
        raise NotFound(
            f"no API token is {text[:PREFIX_LENGTH]}...: give the prefix as "
            "`registry token list` shows it, or the whole token"
        )
    matches = session.scalars(sa.select(ApiToken).where(ApiToken.prefix == text)).all()
    if not matches:
        raise NotFound(f"no API token {text}")
    if len(matches) > 1:
        numbers = ", ".join(str(m.id) for m in matches)
        raise InputError("token", text, f"one of the numbers of the tokens it names ({numbers})")
    return matches[0]


def revoke_token(
    session: Session, actor: Actor, which: str, *, now: datetime | None = None
) -> ApiToken:
    """Revoke the token :func:`find_token` names (an admin only; audited); it is 401 at once.

    A token already revoked is an :class:`InputError` saying when, and stays as it was.
    """
    require(actor, Action.MANAGE_USERS)
    row = find_token(session, which)
    user = session.get(User, row.user_id)
    if user is None:
        raise NotFound(f"no API token {which.strip()[:PREFIX_LENGTH]}")
    require_user_visible(actor, user)
    if row.revoked_at is not None:
        raise InputError(
            "token",
            which,
            f"a token not yet revoked (this one was at {row.revoked_at:%Y-%m-%d %H:%M} UTC)",
        )
    row.revoked_at = now or utcnow()
    audit.record(
        session,
        actor,
        "revoke",
        "api-token",
        entity_id=row.id,
        site_ids=user_site_ids(user),
        detail={"email": user.email, "label": row.label, "prefix": row.prefix},
        at=row.revoked_at,
    )
    return row


# --- sessions and CSRF ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginSession:
    """What the web layer needs: the cookie value, the CSRF token and who is logged in."""

    token: str
    csrf_token: str
    actor: Actor


def start_session(session: Session, user: User, *, now: datetime | None = None) -> LoginSession:
    """A new server-side session for ``user`` (after :func:`authenticate`)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    actor = actor_for(user)
    audit.record(
        session, actor, "login", "user", entity_id=user.id, at=now, site_ids=user_site_ids(user)
    )
    return LoginSession(token, csrf, actor)


def session_actor(
    session: Session,
    token: str,
    *,
    now: datetime | None = None,
    idle: timedelta = timedelta(minutes=IDLE_MINUTES),
    lifetime: timedelta = timedelta(hours=SESSION_HOURS),
) -> LoginSession:
    """The live session of a cookie (its last use moves to ``now``), else NotAuthenticated.

    A session is over when logged out or revoked, unused for ``idle``, or older than
    ``lifetime`` (however busy: a stolen cookie does not live for ever).
    """
    now = now or utcnow()
    if not token:
        raise NotAuthenticated("please log in")
    row = session.get(WebSession, token_digest(token))
    if (
        row is None
        or row.revoked_at is not None
        or row.last_seen_at + idle < now
        or row.created_at + lifetime < now
    ):
        raise NotAuthenticated("please log in", reason=AuthFailure.SESSION_ENDED)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("please log in", reason=AuthFailure.SESSION_ENDED)
    row.last_seen_at = now
    return LoginSession(token, row.csrf_token, actor_for(user))


def end_session(session: Session, token: str) -> None:
    """Logout: the session is revoked on the server (the cookie alone no longer works)."""
    row = session.get(WebSession, token_digest(token)) if token else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def check_csrf(login: LoginSession, submitted: str | None) -> None:
    """:class:`NotAuthenticated` unless ``submitted`` is this session's CSRF token."""
    if not submitted or not hmac.compare_digest(submitted, login.csrf_token):
        raise NotAuthenticated(
            "the form has expired: reload the page and send it again",
            reason=AuthFailure.FORM_EXPIRED,
        )
