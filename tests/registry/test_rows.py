"""The rows under a case, one table of kinds: each kind is added, replaced, listed and removed
the same way, on the case's version, audited, and only within its own case."""

from __future__ import annotations

import pytest
from tests.helpers.registry import count_rows

from spinefx.errors import NotFound, VersionConflict
from spinefx.registry import cases, rows
from spinefx.registry.models import AuditEntry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import ensure_site

CLI = Actor.command_line("test")
NEW = {
    "fractures": {"date": "2026-04-02", "levels": ["T12"], "found_by": "radiological"},
    "events": {"type": "falls-assessment", "status": "done", "date": "2026-04-02"},
    "procedures": {"date": "2026-04-02", "kind": "vertebroplasty", "levels": ["T12"]},
    "outcomes": {"date": "2026-04-02", "instrument": "rdq", "score": 12},
}
CHANGED = {
    "fractures": {"date": "2026-04-03"},
    "events": {"status": "declined"},
    "procedures": {"levels": ["T12", "L1"]},
    "outcomes": {"score": 10},
}


@pytest.fixture
def case_id(registry, make_case):
    with registry.transaction() as session:
        ensure_site(session, "north")
        return cases.create_case(session, CLI, parse(CaseIn, make_case("A-1"))).id


def _audit(registry):
    with registry.transaction() as session:
        return [(e.action, e.entity) for e in session.query(AuditEntry).order_by(AuditEntry.id)]


@pytest.mark.parametrize("kind", sorted(rows.ROW_KINDS))
def test_each_kind_is_added_replaced_and_removed_on_the_cases_version(registry, case_id, kind):
    spec = rows.ROW_KINDS[kind]
    with registry.transaction() as session:
        before = count_rows(session, spec.table)
        row = rows.add_row(session, CLI, kind, case_id, 1, parse(spec.schema, NEW[kind]))
        row_id = row.id
    with registry.transaction() as session:
        changed = parse(spec.schema, {**NEW[kind], **CHANGED[kind]})
        rows.update_row(session, CLI, kind, case_id, row_id, 2, changed)
    with pytest.raises(VersionConflict), registry.transaction() as session:
        rows.delete_row(session, CLI, kind, case_id, row_id, 2)  # made on an old version
    with registry.transaction() as session:
        rows.delete_row(session, CLI, kind, case_id, row_id, 3)
        assert count_rows(session, spec.table) == before
        assert cases.load_case(session, CLI, case_id).version == 4
    assert _audit(registry)[-3:] == [
        ("create", spec.entity),
        ("update", spec.entity),
        ("delete", spec.entity),
    ]


def test_an_update_names_the_fields_it_changed_and_a_removal_keeps_the_row(registry, case_id):
    spec = rows.ROW_KINDS["events"]
    with registry.transaction() as session:
        row_id = rows.add_row(
            session, CLI, "events", case_id, 1, parse(spec.schema, NEW["events"])
        ).id
    with registry.transaction() as session:
        changed = parse(spec.schema, {**NEW["events"], "status": "declined"})
        rows.update_row(session, CLI, "events", case_id, row_id, 2, changed)
        rows.delete_row(session, CLI, "events", case_id, row_id, 3)
    with registry.transaction() as session:
        details = [
            e.detail
            for e in session.query(AuditEntry).filter(AuditEntry.entity == "event")
            if e.action in ("update", "delete")
        ]
    assert details[0] == {  # the changed fields, each before and after (issue 22)
        "fields": ["status"],
        "before": {"status": NEW["events"]["status"]},
        "after": {"status": "declined"},
    }
    assert details[1]["row"]["status"] == "declined" and details[1]["row"]["id"] == row_id


def test_a_row_of_another_case_is_not_found(registry, make_case, case_id):
    with registry.transaction() as session:
        other = cases.create_case(session, CLI, parse(CaseIn, make_case("A-2")))
        event_id = other.events[0].id
    with pytest.raises(NotFound), registry.transaction() as session:
        rows.delete_row(session, CLI, "events", case_id, event_id, 1)


def test_a_spine_fracture_is_stored_with_no_other_site(registry, case_id):
    spec = rows.ROW_KINDS["fractures"]
    data = parse(spec.schema, {**NEW["fractures"], "site": "spine"})
    with registry.transaction() as session:
        assert rows.add_row(session, CLI, "fractures", case_id, 1, data).site is None
