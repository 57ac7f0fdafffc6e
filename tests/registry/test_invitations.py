"""Invitations in the data layer (issue 22, item 6): an admin of some sites invites, never adds;
the invitation is the same whether or not the address has a login elsewhere; each admin sees
and withdraws only their sites' invitations. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.helpers.registry import PASSWORD, add_test_user

from spinefx.errors import InputError, NotAuthenticated, NotFound, PermissionDenied
from spinefx.registry import invitations
from spinefx.registry.db import Registry
from spinefx.registry.models import User, utcnow
from spinefx.registry.permissions import Actor
from spinefx.registry.users import actor_for, add_user, user_by_email


@pytest.fixture
def admins(registry: Registry) -> tuple[Actor, Actor]:
    """admin.north and admin.south, and a coordinator at south only."""
    add_test_user(registry, "admin.north@example.org", role="admin", sites=("north",))
    add_test_user(registry, "admin.south@example.org", role="admin", sites=("south",))
    add_test_user(registry, "coord.south@example.org", sites=("south",))
    with registry.transaction() as session:
        north = user_by_email(session, "admin.north@example.org")
        south = user_by_email(session, "admin.south@example.org")
        assert north is not None and south is not None
        return actor_for(north), actor_for(south)


def link_for(
    registry: Registry, actor: Actor, email: str = "new@example.org", role: str = "clinician"
) -> str:
    """``actor`` invites ``email`` as ``role`` to north; the link's token."""
    with registry.transaction() as session:
        _, token = invitations.invite(session, actor, email, role=role, sites=["north"])
    return token


def test_an_admin_of_some_sites_cannot_add_a_user_outright(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    with pytest.raises(PermissionDenied), registry.transaction() as session:
        add_user(
            session, north, "x@example.org", role="auditor", sites=["north"], password="p" * 20
        )


def test_an_invitation_is_the_same_for_a_login_elsewhere_and_an_unknown_address(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    made = []
    with registry.transaction() as session:
        for email in ("coord.south@example.org", "nobody@example.org"):
            row, token = invitations.invite(
                session, north, email, role="coordinator", sites=["north"]
            )
            assert len(row.token_hash) == 64 and token not in row.token_hash  # only its SHA-256
            made.append((row.role, row.site_ids, row.invited_by, row.accepted_at))
        coordinator = user_by_email(session, "coord.south@example.org")
        assert coordinator is not None
        assert [s.code for s in coordinator.sites] == ["south"]
    assert made[0] == made[1]


def test_each_admin_sees_and_withdraws_only_their_sites_invitations(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, south = admins
    link_for(registry, north)
    with registry.transaction() as session:
        (row,) = invitations.pending(session, north)
        invited = row.id
        assert invitations.pending(session, south) == []
    with pytest.raises(NotFound), registry.transaction() as session:
        invitations.withdraw(session, south, invited)
    with registry.transaction() as session:
        invitations.withdraw(session, north, invited)
        assert invitations.pending(session, north) == []


def test_an_admin_invites_only_to_their_own_sites(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        invitations.invite(session, north, "new@example.org", role="clinician", sites=["south"])
    assert caught.value.field == "sites"


def test_inviting_again_replaces_the_earlier_link(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    first, second = link_for(registry, north), link_for(registry, north)
    with registry.transaction() as session:
        with pytest.raises(NotFound):
            invitations.open_invitation(session, first)
        assert invitations.open_invitation(session, second).email == "new@example.org"


def test_a_link_expires_after_seven_days(registry: Registry, admins: tuple[Actor, Actor]) -> None:
    north, _ = admins
    now = utcnow()
    with registry.transaction() as session:
        _, token = invitations.invite(
            session, north, "new@example.org", role="clinician", sites=["north"], now=now
        )
    week = timedelta(days=invitations.INVITATION_DAYS)
    with registry.transaction() as session:
        view = invitations.open_invitation(session, token, now=now + week - timedelta(seconds=1))
        assert view.has_login is False
        with pytest.raises(NotFound):
            invitations.open_invitation(session, token, now=now + week)


def test_accepting_with_a_login_needs_its_password_and_keeps_its_role(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    same = link_for(registry, north, "coord.south@example.org", "coordinator")
    with registry.transaction() as session:
        view = invitations.open_invitation(session, same)
        assert (view.has_login, view.role_differs) == (True, False)
        wrong = invitations.accept(session, same, "not the right password")
        assert isinstance(wrong, NotAuthenticated)
    with registry.transaction() as session:
        user = invitations.accept(session, same, PASSWORD)
        assert isinstance(user, User)
        assert sorted(s.code for s in user.sites) == ["north", "south"]
        assert user.role == "coordinator"
    # an invitation as admin never makes south's coordinator an admin anywhere
    add_test_user(registry, "lone.south@example.org", sites=("south",))
    boss = link_for(registry, north, "lone.south@example.org", "admin")
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        invitations.accept(session, boss, PASSWORD)
    assert caught.value.field == "invitation"
    with registry.transaction() as session:
        lone = user_by_email(session, "lone.south@example.org")
        assert lone is not None and lone.role == "coordinator"
        assert [s.code for s in lone.sites] == ["south"]


def test_the_e_mail_holds_the_link_and_no_secret_but_it(
    registry: Registry, admins: tuple[Actor, Actor]
) -> None:
    north, _ = admins
    with registry.transaction() as session:
        row, token = invitations.invite(
            session, north, "new@example.org", role="auditor", sites=["north"]
        )
        subject, body = invitations.invitation_email(
            row, token, ["North (fictional)"], "https://fls.example.org/"
        )
    assert subject == "Invitation to the spinefx fracture registry (North (fictional))"
    assert f"https://fls.example.org/registry/invitation?token={token}\n" in body
    assert "as auditor" in body and "admin.north@example.org" in body
