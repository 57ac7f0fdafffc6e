"""Password rules (issue 22, item 8; NIST SP 800-63B 5.1.1.2) on every path that sets one, and
the password changes of item 7 (the owner's, with the current one; an admin's reset), each
ending the user's other sessions. Data layer, CLI and pages; SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from tests.helpers.registry_pages import csrf_of, log_in

from spinefx.cli import run
from spinefx.errors import InputError, NotAuthenticated
from spinefx.registry import auth, users
from spinefx.registry.passwords import MIN_PASSWORD_LENGTH, password_problem, verify_password
from spinefx.registry.permissions import Actor

CLI = Actor.command_line("test")
PASSWORD = "a long enough secret"
NEW = "seven orange kites at dusk"


@pytest.mark.parametrize(
    ("password", "email", "refused"),
    [
        ("x" * (MIN_PASSWORD_LENGTH - 1), "", "at least 12"),
        ("abcdefgh jk", "", "at least 12"),  # 11
        ("xkcd horse a", "", None),  # 12: long enough, nothing else against it
        ("aaaaaaaaaaaa", "", "repeated"),
        ("abcabcabcabc", "", "repeated"),
        ("123456789012", "", "run"),
        ("qwertyuiopas", "", "run"),
        ("Password2024!", "", "common"),
        ("P@ssw0rd2024!!", "", "common"),  # symbols for letters
        ("passwordpassword", "", "common"),
        ("Liverpool1234!", "", "common"),
        ("correct horse battery staple", "", "common"),
        ("nurse.smith2026!", "nurse.smith@example.org", "e-mail"),
        ("smith nurse 1999", "nurse.smith@example.org", "e-mail"),
        ("northclinic12345", "a@northclinic.org", "e-mail"),
        ("nurse smith walks her dog", "nurse.smith@example.org", None),
        ("a long enough secret", "admin.north@example.org", None),
    ],
)
def test_the_rules_of_a_new_password(password, email, refused):
    problem = password_problem(password, email=email)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem


@pytest.mark.parametrize("password", ["Password2024!", "aaaaaaaaaaaa", "nurse.smith2026!"])
def test_a_new_user_with_a_weak_password_is_refused(registry, password):
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        users.add_user(
            session,
            CLI,
            "nurse.smith@example.org",
            role="coordinator",
            sites=["north"],
            password=password,
        )
    assert caught.value.field == "password" and caught.value.value == "(hidden)"


@pytest.fixture
def nurse(registry) -> int:
    with registry.transaction() as session:
        return users.add_user(
            session,
            CLI,
            "nurse@example.org",
            role="coordinator",
            sites=["north", "south"],
            password=PASSWORD,
        ).id


def test_the_owner_changes_the_password_with_the_current_one_and_other_logins_end(registry, nurse):
    here, elsewhere = (auth.login(registry, "nurse@example.org", PASSWORD) for _ in range(2))
    with pytest.raises(InputError) as wrong, registry.transaction() as session:
        users.change_own_password(session, nurse, "not my password", NEW)
    assert wrong.value.field == "current_password"
    with pytest.raises(InputError) as weak, registry.transaction() as session:
        users.change_own_password(session, nurse, PASSWORD, "Password2024!")
    assert weak.value.field == "password"
    with registry.transaction() as session:
        users.change_own_password(
            session, nurse, PASSWORD, NEW, keep_session=auth.session_id(here.token)
        )
    with registry.transaction() as session:
        auth.session_actor(session, here.token)  # the one it was done from goes on
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, elsewhere.token)
    auth.login(registry, "nurse@example.org", NEW)


def test_an_admin_resets_a_password_only_for_a_user_of_their_sites(registry, nurse):
    with registry.transaction() as session:
        admin = users.add_user(
            session, CLI, "admin@example.org", role="admin", sites=["north"], password=PASSWORD
        )
        north_admin = users.actor_for(admin)
    # the nurse also works at south: resetting would let the north admin log in as them there
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        users.reset_password(session, north_admin, nurse, NEW)
    assert caught.value.field == "user"
    with registry.transaction() as session:
        users.update_user(session, CLI, nurse, role="coordinator", sites=["north"])
    login = auth.login(registry, "nurse@example.org", PASSWORD)
    with registry.transaction() as session:
        users.reset_password(session, north_admin, nurse, NEW)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, login.token)
    auth.login(registry, "nurse@example.org", NEW)


def test_the_command_line_resets_a_password_with_the_same_rules(
    cli_env, registry, nurse, monkeypatch, capsys
):
    def reset(password: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        return run(["registry", "user", "password", "nurse@example.org", "--password-stdin"])

    assert reset("Password2024!") == 2
    assert "password" in capsys.readouterr().err
    assert reset(NEW) == 0
    with registry.transaction() as session:
        user = users.user_by_email(session, "nurse@example.org")
        assert verify_password(user.password_hash, NEW)


def test_the_password_page_changes_it_and_ends_other_logins(registry, nurse, tmp_path, db_url):
    from fastapi.testclient import TestClient

    from spinefx.web import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path, database_url=db_url))
    with (
        TestClient(app, follow_redirects=False) as mine,
        TestClient(app, follow_redirects=False) as other,
    ):
        csrf = log_in(mine, "nurse@example.org", PASSWORD)
        log_in(other, "nurse@example.org", PASSWORD)
        form = {"csrf_token": csrf, "current_password": PASSWORD, "password": "aaaaaaaaaaaa"}
        refused = mine.post("/registry/password", data=form)
        assert refused.status_code == 422 and "repeated" in refused.text
        answer = mine.post("/registry/password", data={**form, "password": NEW})
        assert answer.status_code == 303
        assert mine.get("/registry/password?done=changed").status_code == 200
        assert other.get("/registry").status_code in (303, 401)  # back to the login
        assert csrf_of(mine.get("/registry").text)
