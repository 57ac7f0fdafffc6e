"""Forms check where they were sent from besides the CSRF token, and a busy SQLite registry is
reported as the registry being busy (issue 22, item 10). SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from tests.helpers.registry_pages import PASSWORD, csrf_of, log_in

from spinefx.registry import cases, users

EVIL = "https://evil.example"


@pytest.mark.parametrize(
    "headers",
    [{"origin": EVIL}, {"referer": f"{EVIL}/page"}, {"origin": "null"}],
)
def test_a_form_from_another_origin_is_refused_even_with_the_csrf_token(
    client, world, registry, headers
):
    csrf = log_in(client, world.email("admin"))
    target = users_id(registry, world.email("coordinator"))
    answer = client.post(
        f"/registry/users/{target}/lock", data={"csrf_token": csrf}, headers=headers
    )
    assert answer.status_code == 403
    assert is_active(registry, world.email("coordinator"))  # nothing applied
    same = client.post(
        f"/registry/users/{target}/lock",
        data={"csrf_token": csrf},
        headers={"origin": "http://testserver", "referer": "http://testserver/registry"},
    )
    assert same.status_code == 303
    assert not is_active(registry, world.email("coordinator"))


def test_the_login_form_from_another_origin_is_refused(client, world):
    form = client.get("/registry/login")
    data = {"email": world.email("admin"), "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    assert client.post("/registry/login", data=data, headers={"origin": EVIL}).status_code == 403
    again = client.get("/registry/login")  # the refusal gave the form a new token
    data["csrf_token"] = csrf_of(again.text)
    assert client.post("/registry/login", data=data).status_code == 303


def test_a_locked_sqlite_database_is_the_registry_busy_not_the_directory(
    client, world, monkeypatch
):
    def locked(*args, **kwargs):
        raise sa.exc.OperationalError(
            "UPDATE cases", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(cases, "list_cases", locked)
    with registry_token(client, world) as token:
        api = client.get("/api/v1/registry/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503 and api.headers["retry-after"] == "2"
    assert api.json()["title"] == "Registry busy" and "directory" not in api.text


def users_id(registry, email: str) -> int:
    with registry.transaction() as session:
        user = users.user_by_email(session, email)
        assert user is not None
        return user.id


def is_active(registry, email: str) -> bool:
    with registry.transaction() as session:
        user = users.user_by_email(session, email)
        assert user is not None
        return user.active


class registry_token:
    def __init__(self, client, world) -> None:
        from spinefx.registry import auth

        registry = client.app.state.resources.registry
        with registry.transaction() as session:
            user = users.user_by_email(session, world.email("admin"))
            self.token = auth.create_token(session, user)

    def __enter__(self) -> str:
        return self.token

    def __exit__(self, *exc: object) -> None:
        return None


def test_registry_pages_let_the_browser_send_their_origin(client, world):
    """With no-referrer a browser sends "Origin: null" on a form's POST, which the check above
    refuses (every login failed in Chromium): the registry's pages say same-origin instead;
    the patient pages keep no-referrer."""
    assert client.get("/registry/login").headers["referrer-policy"] == "same-origin"
    assert client.get("/").headers["referrer-policy"] == "no-referrer"
