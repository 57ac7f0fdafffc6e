"""The reference patient end to end through the library: every part, in the order she meets them.

A 58-year-old nurse fell from knee height pulling a heavy tub, felt a pop, and an L2 compression
fracture was found two days later; she has diabetes, declined opioids, had balloon kyphoplasty,
and then saw an endocrinologist (calcium, a bisphosphonate). Here she answers the self-check,
reads the Learn pages on kyphoplasty and its risks, finds specialists near her ZIP code, is graded,
assessed for kyphoplasty and given a follow-up plan; then the fracture liaison service records her
in the registry (on SQLite and on PostgreSQL): the case, the tools' results saved to it, the
procedure, her scores, the FLS events, her next event on the worklist and the KPIs that count her.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

import spinefx
from spinefx.clinical.pathway import (
    REFERENCE_CANDIDACY,
    REFERENCE_FOLLOWUP,
    REFERENCE_FOLLOWUP_DATE,
    REFERENCE_FRACTURE_DATE,
    REFERENCE_HEIGHTS,
    REFERENCE_SCREENING,
    reference_patient_pathway,
)
from spinefx.clinical.screening import ScreeningInput, screen
from spinefx.directory.search import SearchQuery, search
from spinefx.directory.taxonomy import BKP_SPECIALTIES
from spinefx.learn import reference, topic
from spinefx.registry import auth, cases, kpi, rows, users
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.reference import REFERENCE_TODAY, month_of, reference_record
from spinefx.registry.schema import CaseIn, EventIn, FractureIn, OutcomeIn, ProcedureIn, parse
from spinefx.registry.seed import DEMO_SITE, REFERENCE_MRN, reference_case, seed_demo
from spinefx.registry.worklist import worklist
from spinefx.web import Settings, create_app


@pytest.fixture(autouse=True)
def _quick_hashing(quick_password_hashing: None) -> None:
    """The registry's tests' quick argon2id (the registry fixtures: tests.helpers.databases)."""


HER_ZIP = "02139"  # Cambridge, Massachusetts: where the demo directory has most providers
D = REFERENCE_FRACTURE_DATE
WEEK_12 = D + timedelta(weeks=12)
WEEK_16 = D + timedelta(weeks=16)
DONE_IN_TIME = {
    "risk-assessment",
    "dxa",
    "falls-assessment",
    "medication-recommended",
    "exercise-started",
    "medication-started",
}


# --- the patient side --------------------------------------------------------------------------


def test_her_self_check_on_day_1_sends_her_to_a_doctor_today_and_never_reassures() -> None:
    # the seed's story: she went to the emergency room on day 2; the self-check she would have
    # answered at home the day before says to see a doctor today
    assert REFERENCE_SCREENING["pain_days"] < 2 and REFERENCE_SCREENING["minor_trauma"] is True
    result = screen(ScreeningInput.model_validate(REFERENCE_SCREENING))
    assert result.outcome == "see-doctor"
    assert result.action == "See a doctor today."
    assert result.outcome not in {"not-indicated", "incomplete", "emergency", "urgent"}
    assert not result.unanswered_red_flags
    assert result.next_steps  # she is told what to do
    assert all(c.source for c in result.criteria)


@pytest.mark.parametrize("slug", ["kyphoplasty", "risks"])
def test_the_learn_pages_she_reads_cite_a_real_reference_for_every_fact(slug: str) -> None:
    page = topic(slug)
    assert page is not None
    assert page.facts
    for fact in page.facts:
        assert fact.refs
        for number in fact.refs:
            cited = reference(number)
            assert cited.number == number and cited.title and cited.citation


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo directory (fictional providers), shared by this module."""
    from spinefx.directory.demo import load_demo

    folder = tmp_path_factory.mktemp("web-data")
    load_demo(folder / "directory.duckdb", rows=2000)
    return folder


def test_the_finder_near_her_zip_lists_kyphoplasty_specialists_nearest_first(
    data_dir: Path,
) -> None:
    demo_directory = data_dir / "directory.duckdb"
    found = search(demo_directory, SearchQuery(zip=HER_ZIP, radius=25))
    assert found.total > 0
    miles = [hit.distance_miles for hit in found.results]
    assert miles == sorted(miles) and miles[-1] <= 25
    for hit in found.results:
        assert set(hit.specialties) & set(BKP_SPECIALTIES)
    doing_it = search(demo_directory, SearchQuery(zip=HER_ZIP, radius=50, performs_bkp=True))
    assert doing_it.total > 0
    assert all((hit.bkp_services or 0) > 0 for hit in doing_it.results)


def test_her_l2_is_graded_she_meets_coverage_and_her_plan_treats_osteoporosis() -> None:
    path = reference_patient_pathway()
    grades = {str(v.level): (v.grade, v.type) for v in path.grading.vertebrae}
    assert grades["L2"] == (2, "wedge")
    assert grades["L1"][0] == grades["L3"][0] == 0

    assert path.candidacy.outcome == "meets-criteria"
    assert [c.code for c in path.candidacy.codes.cpt] == ["22514"]
    assert [c.code for c in path.candidacy.codes.icd10cm] == ["M80.08XA"]
    height = next(c for c in path.candidacy.criteria if c.id == "height-loss-over-25")
    assert height.status == "met"  # the height loss measured at grading, handed on

    plan = path.followup
    assert plan.risk == "very-high"
    recent = next(c for c in plan.risk_reasons if c.id == "recent-fracture")
    assert recent.status == "met" and "AACE" in recent.source
    assert (REFERENCE_FOLLOWUP_DATE - D).days < 365
    assert plan.calcium_mg_per_day == 1200
    assert any(
        "zoledronic acid" in option for option in plan.medication.options
    )  # a bisphosphonate
    due = {item.weeks: item.due_date for item in plan.fls_checklist}
    assert due[12] == WEEK_12 and due[16] == WEEK_16


# --- the registry ------------------------------------------------------------------------------


def _staff(reg: Registry) -> tuple[Actor, Actor]:
    """A clinician and a coordinator of the demo site, as logged-in actors."""
    cli = Actor.command_line("test")
    with reg.transaction() as session:
        users.ensure_site(session, DEMO_SITE, name="Demo Hospital (fictional)", fictional=True)
        for email, role in (("spine@example.org", "clinician"), ("fls@example.org", "coordinator")):
            users.add_user(
                session, cli, email, role=role, sites=[DEMO_SITE], password="a long passphrase"
            )
    clinician = auth.login(reg, "spine@example.org", "a long passphrase").actor
    coordinator = auth.login(reg, "fls@example.org", "a long passphrase").actor
    return clinician, coordinator


def _on(record: dict[str, Any], kind: str, when: date) -> list[dict[str, Any]]:
    return [r for r in record[kind] if date.fromisoformat(r["date"]) == when]


def test_her_record_is_built_along_her_path_and_counted_by_the_kpis(registry: Registry) -> None:
    clinician, coordinator = _staff(registry)
    path = reference_patient_pathway()
    record = reference_case()  # her whole record, as the demo site holds it
    days = sorted(
        {
            date.fromisoformat(r["date"])
            for k in ("events", "procedures", "outcomes")
            for r in record[k]
        }
    )

    # The spine clinic opens her case with the fracture, and saves the tools' results to it.
    with registry.transaction() as session:
        first = {**record, "events": [], "procedures": [], "outcomes": []}
        case = cases.create_case(session, clinician, parse(CaseIn, first))
        case_id, version = case.id, case.version
        for kind, result in (
            ("screening", path.screening),
            ("grading", path.grading),
            ("candidacy", path.candidacy),
            ("followup", path.followup),
        ):
            cases.save_assessment(
                session,
                clinician,
                case_id,
                version,
                kind=kind,
                input={},
                result=result.model_dump(mode="json"),
            )
            version += 1
    # Then each visit adds its rows on the version it saw: the procedure and scores by the
    # clinician, the FLS events and the later scores by the coordinator.
    for day in days:
        with registry.transaction() as session:
            for p in _on(record, "procedures", day):
                rows.add_row(
                    session, clinician, "procedures", case_id, version, parse(ProcedureIn, p)
                )
                version += 1
            for o in _on(record, "outcomes", day):
                who = clinician if o["timepoint"] == "baseline" else coordinator
                rows.add_row(session, who, "outcomes", case_id, version, parse(OutcomeIn, o))
                version += 1
            for e in _on(record, "events", day):
                rows.add_row(session, coordinator, "events", case_id, version, parse(EventIn, e))
                version += 1

    with registry.transaction() as session:
        saved = cases.get_case(session, coordinator, case_id)
        document = cases.case_document(saved)
        assert document["version"] == version
        assert document["fictional"] and "(fictional)" in document["name"]
        (fracture,) = document["fractures"]
        assert fracture["levels"] == ["L2"] and fracture["found_by"] == "clinical"
        assert fracture["index"] and document["index_date"] == D.isoformat()  # her L2: the index
        assert fracture["genant_grade"] == 2 == path.grading.sdi
        assert [a.kind for a in saved.assessments] == [
            "screening",
            "grading",
            "candidacy",
            "followup",
        ]
        by_kind = {a.kind: a for a in saved.assessments}
        assert by_kind["followup"].result == path.followup.model_dump(mode="json")
        assert by_kind["candidacy"].result["outcome"] == "meets-criteria"
        assert {a.spinefx_version for a in saved.assessments} == {spinefx.__version__}

        (bkp,) = document["procedures"]
        assert bkp["kind"] == "kyphoplasty" and bkp["levels"] == ["L2"]
        assert bkp["approach"] == "bipedicular" and bkp["anaesthesia"] == "local"
        assert bkp["cement_ml"] == {"L2": 4.8} and bkp["complications"] == []
        assert bkp["operator_npi"] and len(bkp["operator_npi"]) == 10

        scores = {(o["timepoint"], o["instrument"]): o["score"] for o in document["outcomes"]}
        assert [scores[(t, "nrs")] for t in ("baseline", "2-weeks", "3-months")] == [8, 3, 2]
        assert scores[("baseline", "rdq")] == 19  # the RDQ that candidacy read
        assert scores[("3-months", "odi")] < scores[("baseline", "odi")]

        kinds = {e["type"]: e for e in document["events"]}
        assert set(kinds) == DONE_IN_TIME
        assert "bisphosphonate" in kinds["medication-started"]["note"]
        assert "diabetes" in kinds["risk-assessment"]["note"]

        # The coordinator's worklist: her next event is the 16-week monitoring contact.
        page = worklist(session, coordinator, today=REFERENCE_TODAY, site=DEMO_SITE)
        (row,) = [r for r in page.items if r.case_id == case_id]
        assert (row.next_event, row.due_from, row.due_by) == ("monitoring", D, WEEK_16)
        assert not row.overdue
        late = worklist(session, coordinator, today=WEEK_16 + timedelta(days=1), overdue_only=True)
        assert [(r.case_id, r.days_overdue) for r in late.items] == [(case_id, 1)]

        # The KPIs of her fracture's month: six numerators count her, monitoring only in its
        # denominator, and the 52-week one not yet.
        start, end = month_of(D)
        report = kpi.kpi_report(session, coordinator, start=start, end=end, as_of=WEEK_16)
        assert report.cases == 1
        counts = {k.id: (k.numerator, k.denominator) for k in report.kpis}
        assert counts == {
            **dict.fromkeys(DONE_IN_TIME, (1, 1)),
            "monitoring": (0, 1),
            "on-medication-at-52-weeks": (0, 0),
        }
        assert report.identification["spine_fracture_cases"] == 1
        assert report.identification["found_radiologically_or_by_case_finding"] == 0  # clinical
        assert (report.completeness_percent, report.completeness_pairs) == (85.7, 7)  # 6 of 7
        # A day before week 16, the 16-week KPIs do not count her yet; the 12-week ones do.
        earlier = kpi.kpi_report(
            session, coordinator, start=start, end=end, as_of=WEEK_16 - timedelta(days=1)
        )
        before = {k.id: (k.numerator, k.denominator) for k in earlier.kpis}
        assert before["dxa"] == (1, 1) and before["medication-started"] == (0, 0)

    # The record built visit by visit is the one the demo site seeds.
    assert _rows(document) == _rows(reference_case())


ROW_MODELS: dict[str, type[BaseModel]] = {
    "fractures": FractureIn,
    "events": EventIn,
    "procedures": ProcedureIn,
    "outcomes": OutcomeIn,
}


def _rows(record: dict[str, Any]) -> dict[str, list[str]]:
    """Each kind of row, read through its input model and without ids, in a stable order."""
    return {
        kind: sorted(
            parse(model, {k: v for k, v in row.items() if k != "id"}).model_dump_json()
            for row in record[kind]
        )
        for kind, model in ROW_MODELS.items()
    }


def test_the_demo_site_shows_her_record_next_event_and_kpis(registry: Registry) -> None:
    login = seed_demo(registry, today=REFERENCE_TODAY)
    actor = auth.login(registry, login.email, login.password).actor
    with registry.transaction() as session:
        shown = reference_record(session, actor, today=REFERENCE_TODAY)
    assert shown.case["mrn"] == REFERENCE_MRN and shown.case["fictional"]
    assert [a["kind"] for a in shown.assessments] == [
        "screening",
        "grading",
        "candidacy",
        "followup",
    ]
    assert shown.next_event is not None and shown.next_event.next_event == "monitoring"
    mine = {k.id: (k.numerator, k.denominator) for k in shown.her_kpis.kpis}
    assert {k for k, (n, _) in mine.items() if n} == DONE_IN_TIME
    assert shown.her_kpis.cases == 1 and shown.site_kpis.cases >= 1
    site = {k.id: k for k in shown.site_kpis.kpis}
    for kind, (numerator, denominator) in mine.items():  # the site's counts include hers
        assert site[kind].numerator >= numerator and site[kind].denominator >= denominator


def test_before_today_her_seeded_record_has_no_rows_from_the_future() -> None:
    on_the_day = reference_case(today=D + timedelta(days=21))
    assert [p["date"] for p in on_the_day["procedures"]] == [(D + timedelta(days=21)).isoformat()]
    assert [o["timepoint"] for o in on_the_day["outcomes"]] == ["baseline"] * 3
    assert on_the_day["events"] == []


# --- the demo ----------------------------------------------------------------------------------


def test_spinefx_demo_shows_her_registry_record_without_touching_the_data_folder(
    capsys: pytest.CaptureFixture[str], _isolated_data_dir: Path
) -> None:
    from spinefx.cli import run

    assert run(["demo"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for shown in (
        "see-doctor",
        "meets-criteria",
        "very-high",
        f"MRN {REFERENCE_MRN}",
        "(fictional patient, demo site)",
        "Fracture: 2026-11-02 L2, found by clinical, Genant grade 2",
        "kyphoplasty of L2, bipedicular, cement L2 4.8 ml, local anaesthesia, complications: none",
        "3-months",
        "medication-started",
        "Zoledronic",
        f"next monitoring, due {D} to {WEEK_16}",
        "temporary, removed now",
    ):
        assert shown in out, shown
    assert "counted, done in time" in out and "counted, not done" in out
    assert not _isolated_data_dir.exists() or not any(_isolated_data_dir.iterdir())


def test_spinefx_demo_can_seed_a_registry_named_by_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from spinefx.cli import run

    url = f"sqlite:///{tmp_path / 'mine.sqlite3'}"
    assert run(["demo", "--registry", url]) == 0
    assert run(["demo", "--registry", url]) == 0  # again: the same record, nothing twice
    assert "removed" not in capsys.readouterr().out
    reg = Registry.open(url)
    try:
        with reg.transaction() as session:
            page = cases.list_cases(
                session,
                Actor.command_line("test"),
                cases.CaseQuery(site=DEMO_SITE, mrn=REFERENCE_MRN),
            )
            assert page.total == 1
    finally:
        reg.dispose()


# --- the web app: JSON API, pages, registry API ---------------------------------------------

API = "/api/v1"
REG = "/api/v1/registry"


@pytest.fixture(scope="module")
def site(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The web app without a registry behind it: her patient pages and the rules' API."""
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('no-registry')}/r.sqlite3",
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def client(data_dir: Path, db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=data_dir, database_url=db_url))) as c:
        yield c


def _token(registry: Registry, email: str, role: str) -> dict[str, str]:
    with registry.transaction() as session:
        user = users.add_user(
            session,
            Actor.command_line("test"),
            email,
            role=role,
            sites=[DEMO_SITE],
            password="a long passphrase",
        )
        return {"Authorization": f"Bearer {auth.create_token(session, user, label='e2e')}"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_her_four_rules_through_the_json_api(site: TestClient) -> None:
    screening = _ok(site.post(f"{API}/screening", json=REFERENCE_SCREENING))
    assert screening["outcome"] == "see-doctor"
    grading = _ok(site.post(f"{API}/grading", json=REFERENCE_HEIGHTS))
    l2 = next(v for v in grading["vertebrae"] if v["level"] == "L2")
    assert (l2["grade"], l2["type"]) == (2, "wedge")
    candidacy = _ok(
        site.post(
            f"{API}/candidacy",
            json={**REFERENCE_CANDIDACY, "height_loss_pct": l2["height_loss_pct"]},
        )
    )
    assert candidacy["outcome"] == "meets-criteria"
    assert [c["code"] for c in candidacy["codes"]["cpt"]] == ["22514"]
    plan = _ok(site.post(f"{API}/followup", json={**REFERENCE_FOLLOWUP, "max_grade": l2["grade"]}))
    assert plan["risk"] == "very-high" and plan["calcium_mg_per_day"] == 1200
    assert any("zoledronic acid" in o for o in plan["medication"]["options"])


@pytest.mark.parametrize("slug", ["kyphoplasty", "risks"])
def test_the_learn_pages_she_reads_link_each_fact_to_its_reference(
    site: TestClient, slug: str
) -> None:
    page = site.get(f"/learn/{slug}")
    assert page.status_code == 200
    cited = set(re.findall(r'href="/learn/references#ref-(\d+)"', page.text))
    assert cited
    references = site.get("/learn/references").text
    for number in cited:
        assert f'id="ref-{number}"' in references


def test_specialists_near_her_zip_do_kyphoplasty(site: TestClient) -> None:
    body = _ok(site.get(f"{API}/specialists", params={"zip": HER_ZIP, "radius": 25}))
    assert body["total"] > 0
    for hit in body["results"]:
        assert set(hit["specialties"]) & set(BKP_SPECIALTIES)
    provider = body["results"][0]["npi"]
    assert site.get(f"/find/provider/{provider}").status_code == 200


def test_the_registry_api_records_her_path_with_a_bearer_token(
    client: TestClient, registry: Registry
) -> None:
    clinician = _token(registry, "spine@example.org", "clinician")
    coordinator = _token(registry, "fls@example.org", "coordinator")
    record = reference_case()
    assert client.get(f"{REG}/cases").status_code == 401  # no token, no registry

    grading = _ok(client.post(f"{API}/grading", json=REFERENCE_HEIGHTS))
    grade = max(v["grade"] for v in grading["vertebrae"])
    fracture = {**record["fractures"][0], "genant_grade": grade}
    opened = {**record, "fractures": [fracture], "events": [], "procedures": [], "outcomes": []}
    case = _ok(client.post(f"{REG}/cases", json=opened, headers=clinician), 201)
    case_id, version = case["id"], case["version"]

    for kind, who in (
        ("procedures", clinician),
        ("outcomes", clinician),
        ("events", coordinator),
    ):
        for row in record[kind]:
            case = _ok(
                client.post(
                    f"{REG}/cases/{case_id}/{kind}", json={**row, "version": version}, headers=who
                ),
                201,
            )
            assert case["version"] == version + 1
            version = case["version"]
    stale = client.post(
        f"{REG}/cases/{case_id}/events",
        json={"type": "monitoring", "status": "done", "date": "2027-02-20", "version": 1},
        headers=coordinator,
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == version

    found = _ok(client.get(f"{REG}/cases", params={"mrn": record["mrn"]}, headers=coordinator))
    assert [c["id"] for c in found["items"]] == [case_id]
    assert found["items"][0]["next_event"] == "monitoring"
    shown = _ok(client.get(f"{REG}/cases/{case_id}", headers=coordinator))
    assert shown["version"] == version and shown["fictional"]
    assert shown["fractures"][0]["genant_grade"] == 2 and shown["fractures"][0]["levels"] == ["L2"]
    (bkp,) = shown["procedures"]
    assert (bkp["kind"], bkp["approach"], bkp["anaesthesia"]) == (
        "kyphoplasty",
        "bipedicular",
        "local",
    )
    assert len(shown["outcomes"]) == 9 and len(shown["events"]) == 6

    start, end = month_of(D)
    items = _ok(
        client.get(
            f"{REG}/worklist", params={"today": REFERENCE_TODAY.isoformat()}, headers=coordinator
        )
    )["items"]
    mine = [i for i in items if i["id"] == case_id]
    assert len(mine) == 1 and mine[0]["next_event"] == "monitoring"
    assert mine[0]["due_by"] == WEEK_16.isoformat() and not mine[0]["overdue"]

    kpis = _ok(
        client.get(
            f"{REG}/kpis",
            params={"from": str(start), "to": str(end), "as_of": str(WEEK_16)},
            headers=coordinator,
        )
    )
    counts = {k["id"]: (k["numerator"], k["denominator"]) for k in kpis["kpis"]}
    assert kpis["cases"] == 1
    assert counts["medication-started"] == counts["dxa"] == (1, 1)
    assert counts["monitoring"] == (0, 1) and counts["on-medication-at-52-weeks"] == (0, 0)
