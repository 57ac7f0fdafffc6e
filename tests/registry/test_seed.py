"""The demo site: fictional patients led by the reference patient, and a demo login that works."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

import spinefx
from spinefx.registry import auth, cases
from spinefx.registry.models import Case
from spinefx.registry.permissions import Actor
from spinefx.registry.seed import REFERENCE_MRN, seed_demo
from spinefx.registry.worklist import worklist

TODAY = date(2027, 2, 22)  # her visit 3 months after kyphoplasty: her whole path is recorded


def test_the_demo_is_fictional_led_by_the_reference_patient_and_seeded_once(registry):
    first = seed_demo(registry, today=TODAY)
    second = seed_demo(registry, today=TODAY)
    assert first.cases == second.cases == 25
    assert first.password != second.password
    login = auth.login(registry, second.email, second.password)
    with registry.transaction() as session:
        everyone = session.scalars(sa.select(Case)).all()
        assert all(c.fictional and "(fictional)" in c.name for c in everyone)
        ref_id = session.scalar(sa.select(Case.id).where(Case.mrn == REFERENCE_MRN))
        ref = cases.get_case(session, login.actor, ref_id)
        assert ref.fractures[0].levels == ["L2"] and ref.fractures[0].genant_grade == 2
        assert ref.procedures[0].kind == "kyphoplasty"
        assert "bisphosphonate" in " ".join(e.note or "" for e in ref.events)
        assert "diabetes" in " ".join(e.note or "" for e in ref.events)
        assert [a.kind for a in ref.assessments] == [
            "screening",
            "grading",
            "candidacy",
            "followup",
        ]
        assert {a.spinefx_version for a in ref.assessments} == {spinefx.__version__}
        assert ref.assessments[0].result["outcome"]
        page = worklist(session, login.actor, today=TODAY, found_by="case-finding")
        assert [r.status for r in page.items] == ["to-review"]
        assert worklist(session, login.actor, today=TODAY).total > 5


def test_the_demo_login_is_a_coordinator_and_a_separate_demo_admin_exists(registry):
    login = seed_demo(registry, today=TODAY)
    actor = auth.login(registry, login.email, login.password).actor
    assert actor.role == "coordinator" and len(actor.site_ids or ()) == 1
    admin = auth.login(registry, login.admin_email, login.admin_password).actor
    assert admin.role == "admin" and admin.site_ids == actor.site_ids
    assert admin.email != actor.email
    assert Actor.command_line().site_ids is None


def test_registry_demo_prints_the_page_address_beside_both_logins(cli_env, monkeypatch, capsys):
    from spinefx.cli import run

    monkeypatch.setenv("SPINEFX_HOST", "127.0.0.1")
    monkeypatch.setenv("SPINEFX_PORT", "8123")
    assert run(["registry", "demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "registry page: http://127.0.0.1:8123/registry" in lines
    at = lines.index("registry page: http://127.0.0.1:8123/registry")
    assert lines[at + 1].startswith("demo login, coordinator (new each run): demo@example.org / ")
    assert lines[at + 2].startswith("demo login, admin (new each run): demo-admin@example.org / ")
