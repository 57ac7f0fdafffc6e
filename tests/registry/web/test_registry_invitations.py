"""Inviting a person (issue 22, item 6): the admin's answer never tells whether the address has
a login at another site; only the mailbox's reader learns it, and a login's role never changes
at a site the inviting admin does not administer. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry import audit_trail
from tests.helpers.registry_pages import PASSWORD, World, csrf_of, log_in
from tests.helpers.smtp import free_port, smtp_sink

from spinefx.registry.db import Registry
from spinefx.registry.models import Invitation, User, utcnow
from spinefx.registry.users import user_by_email
from spinefx.web import Settings, create_app

SOUTH = "coordinator.south@example.org"  # a login at south only, which admin.north cannot see
UNKNOWN = "nobody.yet@example.org"
NEW_PASSWORD = "a brand new passphrase"


def invite(client: TestClient, csrf: str, email: str, role: str = "coordinator") -> httpx.Response:
    return client.post(
        "/registry/users", data={"csrf_token": csrf, "email": email, "role": role, "sites": "north"}
    )


def outbox(data_dir: Path) -> list[Message]:
    return [message_from_bytes(p.read_bytes()) for p in sorted((data_dir / "outbox").glob("*.eml"))]


def text_of(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def link_in(message: Message) -> str:
    body = text_of(message)
    found = re.search(r"http://testserver(/registry/invitation\?token=[\w-]+)", body)
    assert found, body
    return found.group(1)


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def person(registry: Registry, email: str) -> tuple[str, list[str], int] | None:
    with registry.transaction() as session:
        user = user_by_email(session, email)
        if user is None:
            return None
        return user.role, sorted(s.code for s in user.sites), user.failed_logins


def accept(
    client: TestClient, link: str, password: str, again: str | None = None
) -> httpx.Response:
    """Open the link, then send its form (a page without a form: the form sent anyway, with the
    CSRF token of the login form, which shares its cookie)."""
    page = client.get(link).text
    csrf = csrf_of(page if "csrf_token" in page else client.get("/registry/login").text)
    data = {"csrf_token": csrf, "token": token_of(link), "password": password}
    if again is not None:
        data["password_again"] = again
    return client.post("/registry/invitation", data=data)


def emailed_link(
    client: TestClient, world: World, data_dir: Path, email: str, role: str = "coordinator"
) -> str:
    """admin.north invites ``email`` as ``role`` and logs out; the link e-mailed (the outbox)."""
    csrf = log_in(client, world.email("admin"))
    invite(client, csrf, email, role=role)
    client.post("/registry/logout", data={"csrf_token": csrf})
    (message,) = outbox(data_dir)
    return link_in(message)


def invitation_row(html: str, email: str) -> str:
    """The open invitations' row of ``email``, the address and the id taken out."""
    rows = re.findall(r"<tr data-invitation=.*?</tr>", html, flags=re.S)
    (row,) = [r for r in rows if email in r]
    return re.sub(r"\d+", "N", row.replace(email, "ADDRESS"))


def test_the_admin_cannot_tell_a_login_elsewhere_from_an_unknown_address(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    csrf = log_in(client, world.email("admin"))
    answers = []
    for email in (SOUTH, UNKNOWN):
        answer = invite(client, csrf, email)
        answers.append((answer.status_code, answer.headers["location"], answer.text))
    assert answers[0] == answers[1] == (303, "/registry/users?done=invited", "")
    listed = client.get("/registry/users?done=invited").text
    assert "Invitation sent." in listed
    assert invitation_row(listed, SOUTH) == invitation_row(listed, UNKNOWN)
    # the login at south is untouched: no site, no role, no password change
    assert person(registry, SOUTH) == ("coordinator", ["south"], 0)
    assert person(registry, UNKNOWN) is None
    # each address got the same e-mail but for its link
    sent = outbox(tmp_path)
    assert [m["To"] for m in sent] == [SOUTH, UNKNOWN] or [m["To"] for m in sent] == [
        UNKNOWN,
        SOUTH,
    ]
    bodies = {m["To"]: re.sub(r"token=[\w-]+|until [^:]+:\d\d:\d\d", "", text_of(m)) for m in sent}
    assert bodies[SOUTH] == bodies[UNKNOWN]
    # and the audit entries are alike: one invitation each, filed under north
    invited = [(a, who, d) for a, who, d in audit_trail(registry, "invitation")]
    assert invited == [
        (
            "invite",
            world.email("admin"),
            {"email": SOUTH, "role": "coordinator", "sites": ["north"]},
        ),
        (
            "invite",
            world.email("admin"),
            {"email": UNKNOWN, "role": "coordinator", "sites": ["north"]},
        ),
    ]


def test_a_new_person_chooses_a_password_and_logs_in(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    link = emailed_link(client, world, tmp_path, UNKNOWN, "clinician")
    page = client.get(link)
    assert page.status_code == 200
    assert "Choose the password of your new login" in page.text
    assert 'autocomplete="new-password"' in page.text
    assert accept(client, link, NEW_PASSWORD, "another passphrase!").status_code == 422
    short = accept(client, link, "short", "short")
    assert short.status_code == 422
    assert "at least 12 characters" in short.text
    assert person(registry, UNKNOWN) is None
    done = accept(client, link, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303
    assert done.headers["location"] == "/registry/login?done=joined"
    assert "Invitation accepted" in client.get("/registry/login?done=joined").text
    assert person(registry, UNKNOWN) == ("clinician", ["north"], 0)
    log_in(client, UNKNOWN, NEW_PASSWORD)
    # the link worked once
    again = client.get(link)
    assert again.status_code == 404
    assert "not valid" in again.text
    actions = [(a, who) for a, who, _ in audit_trail(registry, "invitation")]
    assert actions == [("invite", world.email("admin")), ("accept", UNKNOWN)]


def test_a_login_elsewhere_adds_the_site_with_its_own_password(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    link = emailed_link(client, world, tmp_path, SOUTH)
    page = client.get(link)
    assert "This address already has a login" in page.text
    assert 'autocomplete="current-password"' in page.text
    wrong = accept(client, link, "not the password at all")
    assert wrong.status_code == 401
    assert "Wrong password" in wrong.text
    assert person(registry, SOUTH) == ("coordinator", ["south"], 1)  # counted as a failed login
    assert accept(client, link, PASSWORD).status_code == 303
    assert person(registry, SOUTH) == ("coordinator", ["north", "south"], 0)
    # the south auditor's log shows it too: the join is filed under both sites
    with registry.transaction() as session:
        from spinefx.registry.models import AuditEntry, Site

        sites = session.scalars(
            sa.select(Site.code)
            .join(AuditEntry, AuditEntry.site_id == Site.id)
            .where(AuditEntry.action == "join")
        ).all()
    assert sorted(sites) == ["north", "south"]


def test_an_invitation_with_another_role_never_changes_the_login(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    """admin.north cannot make south's coordinator an admin (at south too) by inviting them."""
    link = emailed_link(client, world, tmp_path, SOUTH, "admin")
    page = client.get(link)
    assert 'id="role-differs"' in page.text
    assert "<form" not in page.text.split('id="role-differs"')[1].split("</main>")[0]
    refused = accept(client, link, PASSWORD)
    assert refused.status_code == 422
    assert "one role at all its sites" in refused.text
    assert person(registry, SOUTH) == ("coordinator", ["south"], 0)


def test_an_address_already_at_the_admins_site_is_refused_at_once(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    csrf = log_in(client, world.email("admin"))
    answer = invite(client, csrf, world.email("coordinator"))
    assert answer.status_code == 422
    assert "not yet a user of your sites" in answer.text
    assert outbox(tmp_path) == []


def test_a_withdrawn_or_expired_link_does_not_work(
    client: TestClient, world: World, registry: Registry, tmp_path: Path
) -> None:
    csrf = log_in(client, world.email("admin"))
    invite(client, csrf, UNKNOWN)
    invite(client, csrf, "second@example.org")
    first, second = (link_in(m) for m in outbox(tmp_path))
    listed = client.get("/registry/users")
    assert UNKNOWN in listed.text and "Open invitations" in listed.text
    with registry.transaction() as session:
        rows = {i.email: i.id for i in session.scalars(sa.select(Invitation))}
    answer = client.post(
        f"/registry/users/invitations/{rows[UNKNOWN]}/withdraw", data={"csrf_token": csrf}
    )
    assert answer.status_code == 303
    assert "Invitation withdrawn" in client.get(answer.headers["location"]).text
    with registry.transaction() as session:
        late = session.get(Invitation, rows["second@example.org"])
        assert late is not None
        late.expires_at = utcnow() - timedelta(seconds=1)
    client.post("/registry/logout", data={"csrf_token": csrf})
    for link in (first, second):
        assert client.get(link).status_code == 404
        assert accept(client, link, "x" * 20).status_code == 404
    assert client.get("/registry/invitation?token=made-up").status_code == 404
    with registry.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 5


@pytest.mark.parametrize("role", ["clinician", "coordinator", "auditor"])
def test_only_an_admin_invites(client: TestClient, world: World, role: str) -> None:
    csrf = log_in(client, world.email(role))
    assert invite(client, csrf, UNKNOWN).status_code == 403


def test_the_invitation_goes_through_the_mail_server_when_there_is_one(
    db_url: str, world: World, registry: Registry, tmp_path: Path
) -> None:
    with smtp_sink() as (port, received):
        settings = Settings(
            data_dir=tmp_path,
            database_url=db_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_from="FLS <fls@example.org>",
            public_url="https://fls.example.org",
        )
        with TestClient(create_app(settings), follow_redirects=False) as client:
            csrf = log_in(client, world.email("admin"))
            assert invite(client, csrf, UNKNOWN).status_code == 303
    assert [e.rcpt_tos for e in received] == [[UNKNOWN]]
    message = message_from_bytes(received[0].content)
    assert message["From"] == "FLS <fls@example.org>"
    assert "https://fls.example.org/registry/invitation?token=" in text_of(message)
    assert not (tmp_path / "outbox").exists()


def test_a_mail_server_that_does_not_answer_leaves_no_invitation(
    db_url: str, world: World, registry: Registry, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, smtp_host="127.0.0.1", smtp_port=free_port()
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = log_in(client, world.email("admin"))
        answer = invite(client, csrf, UNKNOWN)
    assert answer.status_code == 503
    assert "nothing was saved" in answer.text
    with registry.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert audit_trail(registry, "invitation") == []
