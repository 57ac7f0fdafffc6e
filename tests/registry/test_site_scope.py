"""Issue 22, items 1, 2, 6 and 7 in the data layer (each on SQLite and PostgreSQL): no admin
reaches a site they do not administer, every entry about a site's patients or users is filed
under that site (its auditor sees it), another site's code reads as an unknown one, and a lock
or a failed-login hold ends the account's sessions and tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from spinefx.errors import InputError, NotAuthenticated
from spinefx.registry import audit, auth, cases, kpi, users
from spinefx.registry.models import AuditEntry, Site
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, CaseUpdate, parse

CLI = Actor.command_line("test")
PASSWORD = "a long enough secret"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(registry, make_case) -> dict[str, int]:
    """Admins and auditors of north and of south, a coordinator at both, a case at each."""
    ids: dict[str, int] = {}
    with registry.transaction() as session:
        for email, role, sites in [
            ("admin.north@example.org", "admin", ["north"]),
            ("admin.south@example.org", "admin", ["south"]),
            ("auditor.north@example.org", "auditor", ["north"]),
            ("auditor.south@example.org", "auditor", ["south"]),
            ("both@example.org", "coordinator", ["north", "south"]),
        ]:
            user = users.add_user(session, CLI, email, role=role, sites=sites, password=PASSWORD)
            ids[email.split("@")[0]] = user.id
        for code in ("north", "south"):
            ids[code] = session.scalar(sa.select(Site.id).where(Site.code == code))
        ids["case.north"] = cases.create_case(session, CLI, parse(CaseIn, make_case("N-1"))).id
        ids["case.south"] = cases.create_case(
            session, CLI, parse(CaseIn, make_case("S-1", site="south"))
        ).id
    return ids


def actor(registry, email: str) -> Actor:
    with registry.transaction() as session:
        user = users.user_by_email(session, email)
        assert user is not None
        return users.actor_for(user)


def entries_for(registry, email: str, action: str) -> list[AuditEntry]:
    """What the auditor ``email`` sees of ``action`` (through the audit reader itself)."""
    with registry.transaction() as session:
        page = audit.entries(session, actor(registry, email), audit.AuditQuery(limit=500))
        return [e for e in page.items if e.action == action]


# --- item 1: an admin changes a user only within the sites they administer --------------------


@pytest.mark.parametrize("role", ["admin", "clinician", "auditor"])
def test_an_admin_cannot_give_a_role_that_reaches_another_site(registry, people, role):
    """Before the fix admin.north made a north+south coordinator admin at south too."""
    north_admin = actor(registry, "admin.north@example.org")
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        users.update_user(session, north_admin, people["both"], role=role, sites=["north"])
    assert caught.value.field == "role"
    assert "sites you do not administer" in caught.value.allowed
    with registry.transaction() as session:
        both = session.get(users.User, people["both"])
        assert both.role == "coordinator"
        assert sorted(s.code for s in both.sites) == ["north", "south"]


def test_an_admin_of_all_the_users_sites_may_change_the_role(registry, people):
    with registry.transaction() as session:
        users.update_user(
            session, CLI, people["admin.north"], role="admin", sites=["north", "south"]
        )
    both_admin = actor(registry, "admin.north@example.org")
    with registry.transaction() as session:
        users.update_user(session, both_admin, people["both"], role="clinician", sites=["north"])
        assert session.get(users.User, people["both"]).role == "clinician"


def test_a_lock_and_an_edit_are_audited_under_every_site_of_the_user(registry, people):
    north_admin = actor(registry, "admin.north@example.org")
    with registry.transaction() as session:
        users.set_locked(session, north_admin, people["both"], True)
    with registry.transaction() as session:
        users.set_locked(session, north_admin, people["both"], False)
    with registry.transaction() as session:  # leaves north: south still sees the change
        users.update_user(session, north_admin, people["both"], role="coordinator", sites=[])
    for action in ("lock", "unlock", "update"):
        for auditor in ("auditor.north@example.org", "auditor.south@example.org"):
            seen = [e for e in entries_for(registry, auditor, action) if e.entity == "user"]
            assert [e.entity_id for e in seen] == [people["both"]], (action, auditor)


# --- item 2: list reads, logins, audit and KPI reads, edits ------------------------------------


def test_a_list_read_is_filed_under_each_site_whose_cases_it_showed(registry, people):
    with registry.transaction() as session:
        users.update_user(
            session, CLI, people["both"], role="coordinator", sites=["north", "south"]
        )
        cases.list_cases(session, actor(registry, "both@example.org"))
    north = entries_for(registry, "auditor.north@example.org", "list")
    south = entries_for(registry, "auditor.south@example.org", "list")
    assert [e.detail["case_ids"] for e in north] == [[people["case.north"]]]
    assert [e.detail["case_ids"] for e in south] == [[people["case.south"]]]


def test_logins_and_failures_appear_under_each_site_of_the_account(registry, people):
    auth.login(registry, "both@example.org", PASSWORD, now=T0)
    with pytest.raises(NotAuthenticated):
        auth.login(registry, "both@example.org", "a wrong password!", now=T0)
    for auditor in ("auditor.north@example.org", "auditor.south@example.org"):
        assert len(entries_for(registry, auditor, "login")) == 1
        assert len(entries_for(registry, auditor, "login-failed")) == 1


def test_reading_the_audit_log_and_the_kpis_is_audited(registry, people):
    south_auditor = actor(registry, "auditor.south@example.org")
    with registry.transaction() as session:
        audit.entries(session, south_auditor)
        kpi.kpi_report(
            session, south_auditor, start=date(2026, 1, 1), end=date(2026, 12, 31), as_of=T0.date()
        )
    reads = entries_for(registry, "auditor.south@example.org", "read")
    assert {(e.entity, e.site_id) for e in reads} >= {
        ("audit-log", people["south"]),
        ("kpi", people["south"]),
    }
    assert not [
        e
        for e in entries_for(registry, "auditor.north@example.org", "read")
        if e.actor == "auditor.south@example.org"
    ]


def test_an_edit_records_the_values_before_and_after(registry, people):
    with registry.transaction() as session:
        cases.update_case(
            session, CLI, people["case.north"], 1, CaseUpdate(name="New Name", sex="female")
        )
    (entry,) = [
        e
        for e in entries_for(registry, "auditor.north@example.org", "update")
        if e.entity == "case"
    ]
    assert entry.detail == {
        "fields": ["name"],  # sex was sent as it was: not a change
        "before": {"name": "Test Patient (fictional)"},
        "after": {"name": "New Name"},
    }


# --- item 6: another site's code reads as an unknown one ---------------------------------------


def test_kpis_for_another_sites_code_read_as_an_unknown_code(registry, people):
    north_auditor = actor(registry, "auditor.north@example.org")
    answers = []
    for code in ("south", "nowhere"):
        with pytest.raises(InputError) as caught, registry.transaction() as session:
            kpi.kpi_report(
                session,
                north_auditor,
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                as_of=T0.date(),
                site=code,
            )
        answers.append((caught.value.field, caught.value.allowed))
    assert answers[0] == answers[1]


# --- item 7: a lock and a hold end sessions and tokens -----------------------------------------


def test_a_lock_ends_sessions_and_revokes_tokens_for_good(registry, people):
    login = auth.login(registry, "both@example.org", PASSWORD)
    with registry.transaction() as session:
        token = auth.create_token(session, session.get(users.User, people["both"]))
    north_admin = actor(registry, "admin.north@example.org")
    for locked in (True, False):  # before the fix both worked again after the unlock
        with registry.transaction() as session:
            users.set_locked(session, north_admin, people["both"], locked)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, login.token)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.token_actor(session, token)


def test_a_failed_login_hold_ends_the_sessions_already_open(registry, people):
    login = auth.login(registry, "both@example.org", PASSWORD, now=T0)
    at = T0
    for n in range(auth.LOCK_AFTER):
        at += timedelta(seconds=2 ** max(0, n - auth.THROTTLE_AFTER + 1))
        with pytest.raises(NotAuthenticated):
            auth.login(registry, "both@example.org", "a wrong password!", now=at)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, login.token, now=at)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(registry, people):
    login = auth.login(registry, "both@example.org", PASSWORD, now=T0)
    at = T0
    lifetime = timedelta(hours=auth.SESSION_HOURS)
    while at + timedelta(minutes=20) <= T0 + lifetime:  # used every 20 minutes: never idle
        at += timedelta(minutes=20)
        with registry.transaction() as session:
            auth.session_actor(session, login.token, now=at)
    with pytest.raises(NotAuthenticated), registry.transaction() as session:
        auth.session_actor(session, login.token, now=T0 + lifetime + timedelta(minutes=1))
