"""Each coordinator's daily reminders: the e-mail digest (sent to a local SMTP sink, aiosmtpd)
and the same list as a private iCalendar feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from tests.helpers import smtp as helpers_smtp

from spinefx.cli import run
from spinefx.registry import bulk, cases, reminders
from spinefx.registry.models import AuditEntry, Site
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import actor_for, add_user, ensure_site

CLI = Actor.command_line("test")
TODAY = date(2026, 6, 1)
PASSWORD = "a long enough password"


def _case(session, make_case, mrn, days_ago, site="north"):
    day = (TODAY - timedelta(days=days_ago)).isoformat()
    data = make_case(
        mrn,
        site=site,
        fractures=[{"date": day, "levels": ["L1"], "found_by": "clinical"}],
        events=[],
        procedures=[],
        outcomes=[],
    )
    return cases.create_case(session, CLI, parse(CaseIn, data), create_site=True).id


@pytest.fixture
def people(registry, make_case):
    """Risk assessment due 12 weeks after the fracture: 100 days ago is overdue (16 days),
    75 days ago due in 9 days, 30 days ago not due within two weeks."""
    with registry.transaction() as session:
        ensure_site(session, "north")
        ensure_site(session, "south")
        ids = {
            "overdue": _case(session, make_case, "N-OVER", 100),
            "soon": _case(session, make_case, "N-SOON", 75),
            "later": _case(session, make_case, "N-LATER", 30),
            "south": _case(session, make_case, "S-OVER", 100, site="south"),
            "theirs": _case(session, make_case, "N-THEIRS", 100),
        }
        ann = add_user(
            session, CLI, "ann@example.org", role="coordinator", sites=["north"], password=PASSWORD
        )
        bob = add_user(
            session, CLI, "bob@example.org", role="coordinator", sites=["north"], password=PASSWORD
        )
        add_user(
            session, CLI, "sue@example.org", role="coordinator", sites=["south"], password=PASSWORD
        )
        add_user(
            session, CLI, "doc@example.org", role="clinician", sites=["north"], password=PASSWORD
        )
        bulk.assign(session, CLI, [(ids["theirs"], 1)], bob.id)
        return ids, actor_for(ann), actor_for(bob)


def test_a_coordinators_reminders_are_overdue_and_soon_due_cases_of_theirs_or_nobodys(
    registry, people
):
    _ids, ann, bob = people
    with registry.transaction() as session:
        mine = reminders.due_items(session, ann, TODAY)
        bobs = reminders.due_items(session, bob, TODAY)
    assert [(i.mrn, i.overdue) for i in mine] == [("N-OVER", True), ("N-SOON", False)]
    assert [i.mrn for i in bobs] == ["N-OVER", "N-THEIRS", "N-SOON"]
    assert mine[0].due_by == TODAY - timedelta(days=16)


def test_the_digest_names_mrn_and_event_never_the_patient(registry, people):
    _, ann, _ = people
    with registry.transaction() as session:
        items = reminders.due_items(session, ann, TODAY)
    subject, body = reminders.digest(items, TODAY, "https://fls.example.org")
    assert subject == "Registry: 1 overdue, 1 due within 14 days (June 1, 2026)"
    assert "- OVERDUE 16 days: Fracture risk assessment, MRN N-OVER (north)" in body
    assert "- Fracture risk assessment, MRN N-SOON (north), due by June 10, 2026" in body
    assert "https://fls.example.org/registry" in body
    assert "Test Patient" not in body


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[Any]]]:
    with helpers_smtp.smtp_sink() as sink:
        yield sink


def test_each_coordinator_with_something_due_gets_one_e_mail(registry, people, smtp_sink):
    port, received = smtp_sink
    server = reminders.SmtpServer("127.0.0.1", port, sender="FLS <fls@example.org>")
    with registry.transaction() as session:
        sent = reminders.send_digests(session, server, TODAY)
    assert sent == [("ann@example.org", 2), ("bob@example.org", 3), ("sue@example.org", 1)]
    assert sorted(e.rcpt_tos[0] for e in received) == [
        "ann@example.org",
        "bob@example.org",
        "sue@example.org",
    ]
    ann = next(e for e in received if e.rcpt_tos == ["ann@example.org"])
    message = message_from_bytes(ann.content)
    assert message["From"] == "FLS <fls@example.org>"
    assert message["Subject"].startswith("Registry: 1 overdue, 1 due")
    assert "MRN N-OVER" in message.get_payload(decode=True).decode()
    with registry.transaction() as session:
        logged = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "remind")).all()
        assert sorted(e.detail["to"] for e in logged) == [
            "ann@example.org",
            "bob@example.org",
            "sue@example.org",
        ]
        # each digest is filed under the site of the cases it named: that site's auditor sees it
        code = dict(session.execute(sa.select(Site.id, Site.code)).tuples().all())
        sites = {e.detail["to"]: code[e.site_id] for e in logged if e.site_id is not None}
    assert sites == {
        "ann@example.org": "north",
        "bob@example.org": "north",
        "sue@example.org": "south",
    }


def test_the_cli_sends_through_the_configured_server(
    registry, people, smtp_sink, cli_env, monkeypatch, capsys
):
    port, received = smtp_sink
    monkeypatch.setenv("SPINEFX_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPINEFX_SMTP_PORT", str(port))
    assert run(["registry", "remind", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "sent ann@example.org: 2 events due" in out and "reminders: 3 digests sent" in out
    assert len(received) == 3


def test_the_cli_without_an_smtp_host_says_so_and_sends_nothing(
    registry, people, cli_env, monkeypatch, capsys
):
    monkeypatch.delenv("SPINEFX_SMTP_HOST", raising=False)
    assert run(["registry", "remind"]) == 2
    err = capsys.readouterr().err
    assert "SPINEFX_SMTP_HOST" in err and len(err.strip().splitlines()) == 1


def test_the_cli_dry_run_prints_each_digest(registry, people, cli_env, capsys):
    assert run(["registry", "remind", "--dry-run", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "To: ann@example.org\nSubject: Registry: 1 overdue, 1 due" in out


def test_an_unreachable_smtp_server_is_one_message_not_a_traceback(
    registry, people, cli_env, monkeypatch, capsys
):
    port = helpers_smtp.free_port()  # nothing listens here
    monkeypatch.setenv("SPINEFX_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPINEFX_SMTP_PORT", str(port))
    code = run(["registry", "remind", "--today", TODAY.isoformat()])
    err = capsys.readouterr().err
    assert code != 0 and "could not send through SPINEFX_SMTP_HOST" in err
    assert "Traceback" not in err


def test_the_calendar_feed_lists_the_same_events_by_mrn(registry, people):
    _, ann, _ = people
    with registry.transaction() as session:
        token = reminders.new_feed_token(session, ann)
    with registry.transaction() as session:
        who = reminders.feed_actor(session, token)
        assert who is not None and who.email == "ann@example.org"
        content = reminders.calendar_ics(session, who, TODAY, base_url="https://fls.example.org")
    events = Calendar.from_ical(content).walk("VEVENT")
    assert [(str(e["summary"]), e["dtstart"].dt) for e in events] == [
        ("OVERDUE: Fracture risk assessment, MRN N-OVER", TODAY),
        ("Fracture risk assessment, MRN N-SOON", date(2026, 6, 10)),
    ]
    assert str(events[0]["url"]).startswith("https://fls.example.org/registry/cases/")
    # the feed read names north's cases: north's auditor sees it, filed under north
    with registry.transaction() as session:
        read = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "calendar-feed")
        ).all()
        north = session.scalar(sa.select(Site.id).where(Site.code == "north"))
    assert [(e.action, e.site_id) for e in read] == [("create", north), ("list", north)]


def test_a_new_calendar_token_replaces_the_old_and_a_wrong_one_is_nobody(registry, people):
    _, ann, _ = people
    with registry.transaction() as session:
        old = reminders.new_feed_token(session, ann)
    with registry.transaction() as session:
        new = reminders.new_feed_token(session, ann)
    with registry.transaction() as session:
        assert reminders.feed_actor(session, old) is None
        assert reminders.feed_actor(session, new) is not None
        assert reminders.feed_actor(session, "cal_wrong") is None
        assert reminders.feed_actor(session, "") is None
