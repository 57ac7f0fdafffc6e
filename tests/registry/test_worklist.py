"""The worklist: each open case's next FLS event, overdue first, with its filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from spinefx.errors import InputError
from spinefx.registry import cases, rows
from spinefx.registry.cases import next_event
from spinefx.registry.findings import CaseFindingHit, record_case_finding
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, EventIn, parse
from spinefx.registry.worklist import worklist

CLI = Actor.command_line("test")
TODAY = date(2026, 6, 1)


def add(registry, make_case, mrn, fracture_day, *, site="north", status="active", events=()):
    data = make_case(
        mrn,
        site=site,
        status=status,
        fractures=[
            {
                "date": fracture_day.isoformat(),
                "levels": ["T12"],
                "site": None,
                "found_by": "clinical",
            }
        ],
        events=list(events),
        procedures=[],
        outcomes=[],
    )
    with registry.transaction() as session:
        return cases.create_case(session, CLI, parse(CaseIn, data), create_site=True).id


def page(registry, actor=CLI, **filters):
    with registry.transaction() as session:
        return worklist(session, actor, today=TODAY, **filters)


def test_next_event_is_the_earliest_due_of_those_not_yet_recorded():
    d = date(2026, 1, 1)
    assert next_event(d, set(), "active") == ("risk-assessment", d, d + timedelta(weeks=12))
    done_12 = {"risk-assessment", "dxa", "falls-assessment"}
    assert next_event(d, done_12, "active")[0] == "medication-recommended"
    everything_but_52 = done_12 | {
        "medication-recommended",
        "exercise-started",
        "monitoring",
        "medication-started",
    }
    assert next_event(d, everything_but_52, "active") == (
        "on-medication-at-52-weeks",
        d + timedelta(weeks=48),
        d + timedelta(weeks=56),
    )
    assert next_event(d, set(), "closed") is None
    assert next_event(None, set(), "active") is None


def test_overdue_cases_come_first_and_closed_cases_not_at_all(registry, make_case):
    recent = add(registry, make_case, "recent", TODAY - timedelta(days=10))
    old = add(registry, make_case, "old", TODAY - timedelta(days=200))
    add(registry, make_case, "closed", TODAY - timedelta(days=300), status="closed")
    result = page(registry)
    assert [r.case_id for r in result.items] == [old, recent]
    assert result.total == 2
    first = result.items[0]
    assert first.overdue and first.days_overdue == 200 - 84
    assert first.next_event == "risk-assessment"
    assert not result.items[1].overdue and result.items[1].days_overdue == 0


def test_recording_an_event_moves_the_case_to_its_next_event(registry, make_case):
    case_id = add(registry, make_case, "m", TODAY - timedelta(days=30))
    with registry.transaction() as session:
        for version, kind in enumerate(["risk-assessment", "dxa", "falls-assessment"], start=1):
            rows.add_row(
                session,
                CLI,
                "events",
                case_id,
                version,
                EventIn(type=kind, status="done", date=TODAY.isoformat()),
            )
    item = page(registry).items[0]
    assert item.next_event == "medication-recommended"
    assert item.due_by == TODAY - timedelta(days=30) + timedelta(weeks=16)
    assert item.version == 4


def test_filters_site_status_due_window_and_found_by(registry, make_case):
    north = add(registry, make_case, "n", TODAY - timedelta(days=100))
    south = add(registry, make_case, "s", TODAY - timedelta(days=50), site="south")
    with registry.transaction() as session:
        hit = record_case_finding(
            session,
            CLI,
            CaseFindingHit(
                site="north",
                mrn="cf",
                name="Hit Patient",
                birth_date=date(1950, 1, 1),
                sex="male",
                fracture_date=TODAY - timedelta(days=5),
                levels=["L1"],
                report_id="R-1",
                evidence={"text": "compression deformity of L1"},
            ),
        )
    assert [r.case_id for r in page(registry, site="south").items] == [south]
    assert [r.case_id for r in page(registry, statuses=["to-review"]).items] == [hit.case_id]
    assert [r.case_id for r in page(registry, found_by="case-finding").items] == [hit.case_id]
    assert [r.case_id for r in page(registry, overdue_only=True).items] == [north]
    due_by_south = TODAY - timedelta(days=50) + timedelta(weeks=12)
    window = page(registry, due_after=due_by_south, due_before=due_by_south)
    assert [r.case_id for r in window.items] == [south]
    only_north = Actor(5, "c@example.org", "coordinator", frozenset({cases_site(registry, north)}))
    assert {r.site for r in page(registry, only_north).items} == {"north"}
    with pytest.raises(InputError):
        page(registry, statuses=["closed"])


def cases_site(registry, case_id):
    with registry.transaction() as session:
        return cases.load_case(session, CLI, case_id).site_id


def test_paging_keeps_the_order(registry, make_case):
    ids = [add(registry, make_case, f"p{i}", TODAY - timedelta(days=100 - i)) for i in range(5)]
    first = page(registry, limit=2)
    second = page(registry, limit=2, offset=2)
    assert [r.case_id for r in first.items + second.items] == ids[:4]
    assert first.total == 5
