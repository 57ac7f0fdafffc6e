"""Case-finding hits: to-review cases with their report and evidence; re-runs change nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from tests.helpers.registry import new_user_actor

from spinefx.errors import InputError
from spinefx.registry import cases
from spinefx.registry.findings import CaseFindingHit, record_case_finding
from spinefx.registry.models import Case, Dismissal, Fracture
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse

CLI = Actor.command_line("case-finding")


def hit(report="R-1", mrn="M-1", **changes):
    values = dict(
        site="north",
        mrn=mrn,
        name="Found Patient",
        birth_date=date(1949, 2, 3),
        sex="female",
        fracture_date=date(2026, 5, 4),
        report_id=report,
        levels=["T11"],
        evidence={"sentence": "wedge fracture of T11", "start": 10},
    )
    values.update(changes)
    return CaseFindingHit(**values)


def record(registry, h):
    with registry.transaction() as session:
        return record_case_finding(session, CLI, h)


def test_a_new_patient_becomes_a_to_review_case_with_report_and_evidence(registry):
    result = record(registry, hit())
    assert result.outcome == "created"
    with registry.transaction() as session:
        case = cases.load_case(session, CLI, result.case_id, full=True)
        assert case.status == "to-review"
        fracture = case.fractures[0]
        assert (fracture.found_by, fracture.report_id) == ("case-finding", "R-1")
        assert fracture.evidence == {"sentence": "wedge fracture of T11", "start": 10}


def test_the_same_report_again_changes_nothing(registry):
    first = record(registry, hit())
    again = record(registry, hit())
    assert (again.case_id, again.outcome) == (first.case_id, "already-recorded")
    with registry.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Fracture)) == 1


def test_a_new_report_of_a_registered_patient_adds_a_fracture(registry, make_case):
    with registry.transaction() as session:
        existing = cases.create_case(
            session, CLI, parse(CaseIn, make_case("M-1")), create_site=True
        )
    result = record(registry, hit(report="R-2"))
    assert (result.case_id, result.outcome) == (existing.id, "added")
    with registry.transaction() as session:
        case = cases.load_case(session, CLI, existing.id, full=True)
        assert case.status == "active" and case.version == 2
        assert [f.found_by for f in case.fractures] == ["clinical", "case-finding"]


def test_a_dismissed_hit_stays_dismissed_with_who_and_why(registry):
    person = new_user_actor(registry, "fls@example.org")
    created = record(registry, hit())
    with registry.transaction() as session:
        cases.dismiss(session, person, created.case_id, 1, "old fracture, already treated")
    again = record(registry, hit())
    assert (again.case_id, again.outcome) == (created.case_id, "dismissed")
    with registry.transaction() as session:
        dismissal = session.scalar(sa.select(Dismissal))
        assert (dismissal.report_id, dismissal.reason) == ("R-1", "old fracture, already treated")
        assert dismissal.user_id == person.user_id
        assert session.get(Case, created.case_id).status == "closed"


def test_accepting_makes_the_case_active(registry):
    created = record(registry, hit())
    with registry.transaction() as session:
        assert cases.accept(session, CLI, created.case_id, 1).status == "active"
    with pytest.raises(InputError), registry.transaction() as session:
        cases.accept(session, CLI, created.case_id, 2)


def test_a_bad_hit_is_an_input_error(registry):
    with pytest.raises(InputError, match="levels"):
        record(registry, hit(levels=["L9"]))
