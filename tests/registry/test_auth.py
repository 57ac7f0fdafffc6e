"""Logins (argon2id, throttling, lockout), sessions (idle timeout, logout), CSRF and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from spinefx.errors import AuthFailure, NotAuthenticated
from spinefx.registry import auth, passwords
from spinefx.registry.models import ApiToken, AuditEntry, WebSession
from spinefx.registry.permissions import Actor

from .conftest import add_test_user

PASSWORD = "a long enough secret"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def user_email(registry):
    return add_test_user(registry, "nurse@example.org", password=PASSWORD)


def fail(registry, email, at):
    with pytest.raises(NotAuthenticated) as caught:
        auth.login(registry, email, "wrong password!!", now=at)
    return caught.value


def test_a_right_password_opens_a_session(registry, user_email):
    login = auth.login(registry, "Nurse@Example.org", PASSWORD, now=T0)
    assert login.actor.email == user_email and login.actor.role == "coordinator"
    with registry.transaction() as session:
        assert auth.session_actor(session, login.token, now=T0).actor.email == user_email
        stored = session.scalar(sa.select(WebSession))
        assert stored.id != login.token  # only the token's hash is stored


def test_unknown_email_and_wrong_password_read_the_same(registry, user_email):
    unknown, wrong = fail(registry, "nobody@example.org", T0), fail(registry, user_email, T0)
    assert str(unknown) == str(wrong)
    assert unknown.reason is wrong.reason is AuthFailure.WRONG_CREDENTIALS


def test_failures_slow_down_then_lock_the_account(registry, user_email):
    at = T0
    for _ in range(auth.THROTTLE_AFTER):
        assert fail(registry, user_email, at).retry_after is None
    # throttled: the next try within a second is refused without checking the password
    held = fail(registry, user_email, at)
    assert held.retry_after == 1 and held.reason is AuthFailure.THROTTLED
    with pytest.raises(NotAuthenticated):
        auth.login(registry, user_email, PASSWORD, now=at)  # even the right password waits
    for n in range(auth.THROTTLE_AFTER, auth.LOCK_AFTER):
        at += timedelta(seconds=2 ** (n - auth.THROTTLE_AFTER))
        fail(registry, user_email, at)
    locked = fail(registry, user_email, at + timedelta(seconds=120))
    assert locked.reason is AuthFailure.LOCKED
    assert locked.retry_after == auth.LOCK_MINUTES * 60 - 120
    with pytest.raises(NotAuthenticated) as still:
        auth.login(
            registry, user_email, PASSWORD, now=at + timedelta(minutes=auth.LOCK_MINUTES - 1)
        )
    assert still.value.reason is AuthFailure.LOCKED
    # after the lock the right password works again and the count starts over
    later = at + timedelta(minutes=auth.LOCK_MINUTES, seconds=1)
    assert auth.login(registry, user_email, PASSWORD, now=later).actor.email == user_email
    assert fail(registry, user_email, later).retry_after is None
    with registry.transaction() as session:
        failures = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "login-failed")
        )
    assert failures == auth.LOCK_AFTER + 1


def test_a_session_ends_after_the_idle_timeout_and_each_use_extends_it(registry, user_email):
    login = auth.login(registry, user_email, PASSWORD, now=T0)
    idle = timedelta(minutes=auth.IDLE_MINUTES)
    with registry.transaction() as session:
        auth.session_actor(session, login.token, now=T0 + idle)  # exactly at the limit: alive
    with registry.transaction() as session:
        auth.session_actor(session, login.token, now=T0 + 2 * idle)
    with pytest.raises(NotAuthenticated) as ended, registry.transaction() as session:
        auth.session_actor(session, login.token, now=T0 + 3 * idle + timedelta(seconds=1))
    assert ended.value.reason is AuthFailure.SESSION_ENDED


def test_logout_revokes_the_session_on_the_server(registry, user_email):
    login = auth.login(registry, user_email, PASSWORD, now=T0)
    with registry.transaction() as session:
        auth.end_session(session, login.token)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, login.token, now=T0)


def test_csrf_token_must_match_the_session(registry, user_email):
    login = auth.login(registry, user_email, PASSWORD, now=T0)
    auth.check_csrf(login, login.csrf_token)
    for wrong in (None, "", login.csrf_token[:-1] + "x", login.token):
        with pytest.raises(NotAuthenticated) as caught:
            auth.check_csrf(login, wrong)
        assert caught.value.reason is AuthFailure.FORM_EXPIRED


def test_api_tokens_are_stored_hashed_and_can_be_revoked(registry, user_email):
    from spinefx.registry.users import user_by_email

    with registry.transaction() as session:
        user = user_by_email(session, user_email)
        token = auth.create_token(session, user, label="scripts")
    assert token.startswith("sfx_") and len(token) > 40
    with registry.transaction() as session:
        assert token not in {row.token_hash for row in session.scalars(sa.select(ApiToken))}
        assert auth.token_actor(session, token).email == user_email
    for bad in ("", "sfx_nope", token + "x", "Bearer " + token):
        with pytest.raises(NotAuthenticated), registry.transaction() as session:
            auth.token_actor(session, bad)
    with registry.transaction() as session:
        auth.revoke_token(session, Actor.command_line("test"), token)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.token_actor(session, token)


def test_the_real_hasher_is_argon2id_with_at_least_owasps_parameters(monkeypatch):
    monkeypatch.undo()  # the module's own hasher, not the tests' quick one
    assert passwords._hasher.type.name == "ID"
    assert passwords._hasher.memory_cost >= 19 * 1024 and passwords._hasher.time_cost >= 2
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$v=19$m=65536")
