"""The importer's update of a case already registered (``Existing.UPDATE``, the FHIR import's
choice): which rows are the same row, what is kept, the checks over the case as it would be,
the version and the audit log. On SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from tests.helpers.registry import case_data, count_rows

from spinefx.errors import InputError
from spinefx.registry.db import Registry
from spinefx.registry.importer import Existing, ImportItem, import_cases
from spinefx.registry.models import AuditEntry, Case
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse

CLI = Actor.command_line("test")


def run_import(registry: Registry, *cases: dict[str, Any], existing: Existing) -> Any:
    items = [ImportItem(f"line {n}", parse(CaseIn, c)) for n, c in enumerate(cases, start=1)]
    with registry.transaction() as session:
        return import_cases(session, CLI, items, existing=existing)


def stored(registry: Registry) -> dict[str, Any]:
    with registry.transaction() as session:
        (case,) = session.scalars(sa.select(Case)).all()
        return {
            "version": case.version,
            "name": case.name,
            "fractures": sorted((f.date.isoformat(), f.genant_grade) for f in case.fractures),
            "events": sorted((e.type, e.date.isoformat(), e.status) for e in case.events),
            "procedures": sorted(
                (p.date.isoformat(), p.kind, p.cement_ml.get("L2")) for p in case.procedures
            ),
            "outcomes": sorted(
                (o.date.isoformat(), o.timepoint or "", float(o.score)) for o in case.outcomes
            ),
            "updates": count_rows(
                session, AuditEntry, AuditEntry.action == "update", AuditEntry.case_id == case.id
            ),
        }


FIRST = case_data("A-1")


@pytest.mark.parametrize(
    ("kind", "row", "result"),
    [
        # the same date, levels and site: the same fracture, its grade changed
        (
            "fractures",
            {**FIRST["fractures"][0], "genant_grade": 3},
            [("2026-03-02", 3)],
        ),
        # another date: another fracture, added
        (
            "fractures",
            {**FIRST["fractures"][0], "date": "2026-03-03"},
            [("2026-03-02", 2), ("2026-03-03", 2)],
        ),
        # the same type and date: the same event
        (
            "events",
            {**FIRST["events"][0], "status": "declined"},
            [("dxa", "2026-04-01", "declined")],
        ),
        (
            "events",
            {**FIRST["events"][0], "date": "2026-04-02"},
            [("dxa", "2026-04-01", "done"), ("dxa", "2026-04-02", "done")],
        ),
        # the same date, kind and levels: the same procedure
        (
            "procedures",
            {**FIRST["procedures"][0], "cement_ml": {"L2": 5.0}},
            [("2026-03-10", "kyphoplasty", 5.0)],
        ),
        (
            "procedures",
            {**FIRST["procedures"][0], "kind": "vertebroplasty"},
            [("2026-03-10", "kyphoplasty", 4.5), ("2026-03-10", "vertebroplasty", 4.5)],
        ),
        # the same date, instrument and timepoint: the same score
        ("outcomes", {**FIRST["outcomes"][0], "score": 6}, [("2026-03-09", "", 6.0)]),
        (
            "outcomes",
            {**FIRST["outcomes"][0], "timepoint": "baseline"},
            [("2026-03-09", "", 9.0), ("2026-03-09", "baseline", 9.0)],
        ),
    ],
)
def test_a_row_with_the_same_key_is_changed_another_is_added(
    registry: Registry, kind: str, row: dict[str, Any], result: list[Any]
) -> None:
    run_import(registry, FIRST, existing=Existing.REFUSE)
    report = run_import(registry, {**FIRST, kind: [row]}, existing=Existing.UPDATE)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    after = stored(registry)
    assert after[kind] == result
    assert (after["version"], after["updates"]) == (2, 1)


def test_rows_the_import_does_not_send_are_kept(registry: Registry) -> None:
    run_import(registry, FIRST, existing=Existing.REFUSE)
    before = stored(registry)
    partial = {
        **FIRST,
        "name": "Renamed (fictional)",
        "events": [],
        "procedures": [],
        "outcomes": [],
    }
    run_import(registry, partial, existing=Existing.UPDATE)
    after = stored(registry)
    assert after["name"] == "Renamed (fictional)"
    assert {k: after[k] for k in ("fractures", "events", "procedures", "outcomes")} == {
        k: before[k] for k in ("fractures", "events", "procedures", "outcomes")
    }


def test_an_unchanged_case_is_not_touched(registry: Registry) -> None:
    run_import(registry, FIRST, existing=Existing.REFUSE)
    report = run_import(registry, FIRST, existing=Existing.UPDATE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert (stored(registry)["version"], stored(registry)["updates"]) == (1, 0)


def test_refuse_still_refuses_a_registered_mrn(registry: Registry) -> None:
    run_import(registry, FIRST, existing=Existing.REFUSE)
    with pytest.raises(InputError) as caught:
        run_import(registry, case_data("B-1"), FIRST, existing=Existing.REFUSE)
    assert [p.field for p in caught.value.problems] == ["line 2: mrn"]


def test_a_rule_broken_with_a_registered_row_names_it_and_nothing_is_written(
    registry: Registry,
) -> None:
    """A birth date after a fracture the registry holds and the import does not send."""
    early = {**FIRST["fractures"][0], "date": "2001-01-01"}
    run_import(
        registry, {**FIRST, "fractures": [*FIRST["fractures"], early]}, existing=Existing.REFUSE
    )
    before = stored(registry)
    with pytest.raises(InputError) as caught:
        run_import(
            registry,
            case_data("B-1"),
            {**FIRST, "birth_date": "2005-01-01"},
            existing=Existing.UPDATE,
        )
    (problem,) = caught.value.problems
    assert problem.field == "line 2: fractures"
    assert problem.value == "2001-01-01"
    assert "the fracture registered as id" in problem.allowed and "date" in problem.allowed
    assert stored(registry) == before  # B-1 was not created either
    with registry.transaction() as session:
        assert count_rows(session, Case) == 1
