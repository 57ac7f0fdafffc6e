"""The login form under attack (issue 22, items 3 and 6), on SQLite and PostgreSQL: an unknown
e-mail is held back exactly like a known account, failures are also counted per client address
(behind a trusted proxy, the forwarded one), and the password is checked in the login pool,
never on the event loop, with a bounded queue."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import PASSWORD, csrf_of

from spinefx.registry import auth
from spinefx.web import Settings, create_app
from spinefx.web.logins import ADDRESS_THROTTLE_AFTER


def attempt(client: TestClient, email: str, password: str = "not the password", **headers: str):
    form = client.get("/registry/login")
    return client.post(
        "/registry/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        headers=headers,
    )


def answers(client, email, n):
    out = []
    for _ in range(n):
        got = attempt(client, email)
        out.append((got.status_code, got.headers.get("retry-after")))
    return out


def test_a_known_and_an_unknown_account_get_the_same_answers(client, world):
    """Before the fix the known account answered 429 after its failures, the unknown one 401."""
    n = auth.THROTTLE_AFTER + 2
    known = answers(client, world.email("coordinator"), n)
    unknown = answers(client, "nobody.here@example.org", n)
    assert known == unknown
    assert [status for status, _ in known] == [401] * auth.THROTTLE_AFTER + [429, 429]


def test_failures_are_counted_per_client_address(client, world):
    for i in range(ADDRESS_THROTTLE_AFTER):  # each e-mail new: no account count grows
        assert attempt(client, f"guess{i}@example.org").status_code == 401
    held = attempt(client, world.email("admin"), PASSWORD)  # even the right password waits
    assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1


@pytest.fixture
def proxied(db_url: str, tmp_path: Path, world):
    settings = Settings(data_dir=tmp_path, database_url=db_url, forwarded_allow_ips="testclient")
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(proxied, world):
    for i in range(ADDRESS_THROTTLE_AFTER):
        got = attempt(proxied, f"guess{i}@example.org", **{"x-forwarded-for": "203.0.113.9"})
        assert got.status_code == 401
    other = attempt(proxied, world.email("admin"), PASSWORD, **{"x-forwarded-for": "198.51.100.4"})
    assert other.status_code == 303  # another client behind the same proxy logs in
    proxied.cookies.clear()
    same = attempt(proxied, "guess@example.org", **{"x-forwarded-for": "203.0.113.9"})
    assert same.status_code == 429


def test_an_untrusted_peers_forwarded_header_is_ignored(client, world):
    for i in range(ADDRESS_THROTTLE_AFTER):
        spoofed = {"x-forwarded-for": f"192.0.2.{i}"}
        assert attempt(client, f"guess{i}@example.org", **spoofed).status_code == 401
    assert attempt(client, "guess@example.org").status_code == 429


def test_the_password_is_checked_in_the_login_pool_and_its_queue_is_bounded(
    client, world, monkeypatch
):
    threads: list[str] = []
    real = auth.login

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(auth, "login", spy)
    assert attempt(client, world.email("admin"), PASSWORD).status_code == 303
    assert threads and threads[0].startswith("spinefx-login")  # not the event loop's thread
    client.cookies.clear()
    client.app.state.resources.logins.capacity = 0  # as if MAX_WAITING logins were waiting
    busy = attempt(client, world.email("admin"), PASSWORD)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"


def test_setting_a_password_hashes_in_the_login_pool_too(
    client: TestClient, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A password change and an admin's reset hash with argon2 as a login does: in the pool,
    never on the event loop (a full pool: 503, nothing changed)."""
    from tests.helpers.registry_pages import log_in

    from spinefx.registry import users

    threads: list[str] = []
    for name in ("change_own_password", "reset_password"):
        real = getattr(users, name)

        def spy(*args, _real=real, **kwargs):
            threads.append(threading.current_thread().name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(users, name, spy)
    csrf = log_in(client, world.email("admin"))
    changed = client.post(
        "/registry/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "password": "a new long passphrase",
        },
    )
    assert changed.status_code == 303
    page = client.get("/registry/users")
    target = page.text.split('data-user="')[2].split('"')[0]  # someone else than the admin
    reset = client.post(
        f"/registry/users/{target}/password",
        data={"csrf_token": csrf, "password": "another long passphrase"},
    )
    assert reset.status_code == 303
    assert len(threads) == 2 and all(t.startswith("spinefx-login") for t in threads)
    client.app.state.resources.logins.capacity = 0
    busy = client.post(
        "/registry/password",
        data={
            "csrf_token": csrf,
            "current_password": "a new long passphrase",
            "password": "yet another passphrase",
        },
    )
    assert busy.status_code == 503 and "busy with other logins" in busy.text
