"""The worklist searched and sorted, and what a coordinator does to several rows at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from spinefx.errors import InputError, NotFound, VersionConflict
from spinefx.registry import bulk, cases
from spinefx.registry.models import AuditEntry, Case
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import actor_for, add_user, ensure_site
from spinefx.registry.worklist import worklist

CLI = Actor.command_line("test")
TODAY = date(2026, 6, 1)
PASSWORD = "a long enough password"


def _case(session, make_case, mrn, name, days_ago, site="north"):
    data = make_case(
        mrn,
        site=site,
        name=name,
        fractures=[
            {
                "date": (TODAY - timedelta(days=days_ago)).isoformat(),
                "levels": ["L1"],
                "found_by": "clinical",
            }
        ],
        events=[],
        procedures=[],
        outcomes=[],
    )
    return cases.create_case(session, CLI, parse(CaseIn, data), create_site=True)


@pytest.fixture
def three(registry, make_case):
    with registry.transaction() as session:
        ensure_site(session, "north")
        ensure_site(session, "south")
        ids = [
            _case(session, make_case, "N-100", "Zelda Quill (fictional)", 10).id,
            _case(session, make_case, "N-200", "Abe 50%_Off (fictional)", 80).id,
            _case(session, make_case, "S-300", "Mia Moss (fictional)", 40, site="south").id,
        ]
        nurse = add_user(
            session,
            CLI,
            "nurse@example.org",
            role="coordinator",
            sites=["north"],
            password=PASSWORD,
        )
        add_user(
            session, CLI, "far@example.org", role="coordinator", sites=["south"], password=PASSWORD
        )
        add_user(
            session, CLI, "eyes@example.org", role="auditor", sites=["north"], password=PASSWORD
        )
        return ids, actor_for(nurse)


def _mrns(registry, **how):
    with registry.transaction() as session:
        return [r.mrn for r in worklist(session, CLI, today=TODAY, **how).items]


def test_search_finds_a_name_or_an_mrn_part_in_any_case(registry, three):
    assert _mrns(registry, search="zELDa") == ["N-100"]
    assert _mrns(registry, search="s-3") == ["S-300"]
    assert _mrns(registry, search="nobody") == []


def test_search_matches_like_wildcards_as_typed(registry, three):
    assert _mrns(registry, search="50%_") == ["N-200"]
    assert _mrns(registry, search="%") == ["N-200"]
    assert _mrns(registry, search="_") == ["N-200"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["N-200", "S-300", "N-100"]),
        ("name", ["N-200", "S-300", "N-100"]),
        ("site", ["N-200", "N-100", "S-300"]),
    ],
)
def test_the_worklist_sorts_by_due_date_name_or_site(registry, three, sort, expected):
    assert _mrns(registry, sort=sort) == expected


def test_an_unknown_sort_is_refused_naming_the_orders(registry, three):
    with pytest.raises(InputError) as caught:
        _mrns(registry, sort="age")
    assert caught.value.problems[0].field == "sort"
    assert "due, site, status, name" in caught.value.problems[0].allowed


def test_marking_done_records_each_cases_next_event_and_moves_it_on(registry, three):
    (a, b, _), nurse = three
    with registry.transaction() as session:
        versions = {i: session.get(Case, i).version for i in (a, b)}
        due_before = {i: session.get(Case, i).next_event for i in (a, b)}
        done = bulk.mark_next_done(session, nurse, [(a, versions[a]), (b, versions[b])], TODAY)
    assert done == [due_before[a], due_before[b]]
    with registry.transaction() as session:
        for i in (a, b):
            case = cases.get_case(session, CLI, i)
            assert [(e.type, e.status, e.date) for e in case.events] == [
                (due_before[i], "done", TODAY)
            ]
            assert case.next_event != due_before[i]


def test_a_stale_row_in_a_batch_leaves_every_case_as_it_was(registry, three):
    (a, b, _), nurse = three
    with pytest.raises(VersionConflict), registry.transaction() as session:
        bulk.mark_next_done(session, nurse, [(a, 1), (b, 99)], TODAY)
    with registry.transaction() as session:
        assert session.get(Case, a).version == 1
        assert not cases.get_case(session, CLI, a).events


def test_another_sites_case_cannot_be_marked_or_assigned(registry, three):
    (_, _, south), nurse = three
    with pytest.raises(NotFound), registry.transaction() as session:
        bulk.mark_next_done(session, nurse, [(south, 1)], TODAY)
    with pytest.raises(NotFound), registry.transaction() as session:
        bulk.assign(session, nurse, [(south, 1)], nurse.user_id)


def test_assign_to_a_colleague_at_the_site_then_filter_mine(registry, three):
    (a, _b, _), nurse = three
    with registry.transaction() as session:
        assert bulk.assign(session, nurse, [(a, 1)], nurse.user_id) == 1
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "assign")).one()
        assert entry.case_id == a and entry.detail == {"user_id": nurse.user_id}
    with registry.transaction() as session:
        mine = worklist(session, nurse, today=TODAY, assigned_user_id=nurse.user_id)
        assert [r.case_id for r in mine.items] == [a]
        assert mine.items[0].assigned_user_id == nurse.user_id


def test_assign_refuses_someone_not_at_the_site_or_not_staff(registry, three):
    (a, _, _), nurse = three
    with registry.transaction() as session:
        far = session.scalar(sa.text("SELECT id FROM users WHERE email = 'far@example.org'"))
        eyes = session.scalar(sa.text("SELECT id FROM users WHERE email = 'eyes@example.org'"))
    for who in (far, eyes):
        with pytest.raises(InputError) as caught, registry.transaction() as session:
            bulk.assign(session, nurse, [(a, 1)], who)
        assert caught.value.problems[0].field == "assignee"


def test_nothing_chosen_is_an_input_error(registry, three):
    _, nurse = three
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        bulk.mark_next_done(session, nurse, [], TODAY)
    assert caught.value.problems[0].field == "cases"
