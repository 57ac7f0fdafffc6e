"""Cases in the data layer: optimistic locking, site visibility, audit entries, the document."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from spinefx.errors import InputError, NotFound, PermissionDenied, VersionConflict
from spinefx.registry import cases, rows
from spinefx.registry.models import AuditEntry, Event
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, CaseUpdate, EventIn, parse
from spinefx.registry.users import ensure_site
from spinefx.registry.vocab import Role

from .conftest import count_rows

CLI = Actor.command_line("test")


@pytest.fixture
def two_sites(registry, make_case):
    """A case at north and one at south; returns (north case id, south case id, north site id)."""
    with registry.transaction() as session:
        ensure_site(session, "north")
        ensure_site(session, "south")
        north = cases.create_case(session, CLI, parse(CaseIn, make_case("A-1")))
        south = cases.create_case(session, CLI, parse(CaseIn, make_case("B-1", site="south")))
        return north.id, south.id, north.site_id


def actor(role, *site_ids):
    return Actor(99, f"{role}@example.org", Role(role), frozenset(site_ids))


def test_an_edit_on_a_stale_version_is_refused_and_the_first_edit_kept(registry, two_sites):
    north, _, site = two_sites
    clinician = actor("clinician", site)
    with registry.transaction() as session:
        cases.update_case(session, clinician, north, 1, CaseUpdate(name="First Edit"))
    with (
        pytest.raises(VersionConflict, match=r"version 1.*now at version 2") as caught,
        registry.transaction() as session,
    ):
        cases.update_case(session, clinician, north, 1, CaseUpdate(name="Second Edit"))
    assert caught.value.current == 2
    with registry.transaction() as session:
        case = cases.load_case(session, clinician, north)
        assert (case.name, case.version) == ("First Edit", 2)


def test_a_stale_event_write_adds_nothing(registry, two_sites):
    north, _, site = two_sites
    coordinator = actor("coordinator", site)
    falls = EventIn(type="falls-assessment", status="done", date="2026-04-02")
    with registry.transaction() as session:
        rows.add_row(session, coordinator, "events", north, 1, falls)
    with pytest.raises(VersionConflict), registry.transaction() as session:
        rows.add_row(session, coordinator, "events", north, 1, falls)
    with registry.transaction() as session:
        assert len(rows.list_rows(session, coordinator, "events", north)) == 2  # dxa + falls


def test_another_sites_case_is_not_found_for_reads_and_writes(registry, two_sites):
    _, south, site = two_sites
    clinician = actor("clinician", site)
    with pytest.raises(NotFound), registry.transaction() as session:
        cases.get_case(session, clinician, south)
    with pytest.raises(NotFound), registry.transaction() as session:
        cases.update_case(session, clinician, south, 1, CaseUpdate(name="x"))
    with pytest.raises(NotFound), registry.transaction() as session:
        cases.get_case(session, clinician, 10_000)


def test_an_auditor_reads_but_may_not_write(registry, two_sites):
    north, _, site = two_sites
    auditor = actor("auditor", site)
    with registry.transaction() as session:
        assert cases.get_case(session, auditor, north).mrn == "A-1"
    with pytest.raises(PermissionDenied), registry.transaction() as session:
        cases.update_case(session, auditor, north, 1, CaseUpdate(name="x"))


def test_every_read_and_write_of_a_case_is_in_the_audit_log(registry, two_sites):
    north, _, site = two_sites
    clinician = actor("clinician", site)
    with registry.transaction() as session:
        cases.get_case(session, clinician, north)
        cases.update_case(session, clinician, north, 1, CaseUpdate(status="closed"))
    with registry.transaction() as session:
        rows = session.execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity)
            .where(AuditEntry.case_id == north)
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("command-line:test", "create", "case"),
        ("clinician@example.org", "read", "case"),
        ("clinician@example.org", "update", "case"),
    ]


def test_a_failed_write_leaves_no_row_and_no_audit_entry(registry, two_sites):
    north, _, site = two_sites
    with pytest.raises(VersionConflict), registry.transaction() as session:
        rows.add_row(
            session,
            actor("clinician", site),
            "events",
            north,
            7,
            EventIn(type="monitoring", status="done", date="2026-05-01"),
        )
    with registry.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == 2  # the imports'
        assert count_rows(session, AuditEntry, AuditEntry.entity == "event") == 0


def test_the_case_document_is_the_import_format_plus_id_and_version(registry, two_sites, make_case):
    north, _, site = two_sites
    with registry.transaction() as session:
        doc = cases.case_document(cases.get_case(session, actor("auditor", site), north))
    expected = make_case("A-1")
    assert doc["id"] == north and doc["version"] == 1
    for key in ("site", "mrn", "name", "birth_date", "sex", "status"):
        assert doc[key] == expected[key]
    assert doc["fractures"][0]["levels"] == ["L2"]
    assert doc["procedures"][0]["cement_ml"] == {"L2": 4.5}
    assert doc["outcomes"][0]["score"] == 9
    assert parse(CaseIn, {k: v for k, v in doc.items() if k not in ("id", "version", "index_date")})


def test_a_case_at_a_site_the_actor_lacks_cannot_be_created(registry, two_sites, make_case):
    _, _, site = two_sites
    with pytest.raises(InputError, match="site"), registry.transaction() as session:
        cases.create_case(
            session, actor("clinician", site), parse(CaseIn, make_case("Z", site="south"))
        )
