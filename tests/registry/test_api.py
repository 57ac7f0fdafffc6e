"""``/api/v1/registry``: bearer tokens, the role and site matrix for every route, locking, audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.helpers.databases import empty_database_url
from tests.helpers.registry import case_data, count_rows

from spinefx.registry import auth, cases
from spinefx.registry.db import Registry
from spinefx.registry.models import AuditEntry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user
from spinefx.web import Settings, create_app

ROLES = ("admin", "clinician", "coordinator", "auditor")
STAFF = {"admin", "clinician", "coordinator"}
CLINICAL = {"admin", "clinician"}
EVERYONE = set(ROLES)
PREFIX = "/api/v1/registry"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """One registry per backend for the whole module: two sites, a user of each role at north."""
    url = empty_database_url(request, request.param, tmp_path_factory.mktemp("api"))
    registry = Registry.open(url)
    cli = Actor.command_line("test")
    tokens: dict[str, str] = {}
    with registry.transaction() as session:
        for role in ROLES:
            user = add_user(
                session,
                cli,
                f"{role}@example.org",
                role=role,
                sites=["north"],
                password="a long enough secret",
            )
            tokens[role] = auth.create_token(session, user)
        other = add_user(
            session,
            cli,
            "south@example.org",
            role="admin",
            sites=["south"],
            password="a long enough secret",
        )
        tokens["south-admin"] = auth.create_token(session, other)
        north = cases.create_case(session, cli, parse(CaseIn, case_data("A-1")))
        south = cases.create_case(session, cli, parse(CaseIn, case_data("B-1", site="south")))
        ids = {
            "north": north.id,
            "south": south.id,
        }
    with registry.transaction() as session:
        full = cases.load_case(session, cli, north.id, full=True)
        ids.update(
            event=full.events[0].id,
            procedure=full.procedures[0].id,
            outcome=full.outcomes[0].id,
            fracture=full.fractures[0].id,
        )
    registry.dispose()
    data_dir = tmp_path_factory.mktemp("api-data")
    with TestClient(create_app(Settings(data_dir=data_dir, database_url=url))) as client:
        yield {"client": client, "tokens": tokens, "ids": ids, "url": url}


def call(world, method, path, *, role=None, token=None, json=None):
    headers = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {world['tokens'][role]}"
    if token is not None:
        headers["Authorization"] = token
    return world["client"].request(method, PREFIX + path, headers=headers, json=json)


STALE = {"version": 999}  # every write below is made on a version that never was: nothing changes
EVENT = {"type": "monitoring", "status": "done", "date": "2026-05-01"}
PROCEDURE = {"date": "2026-03-10", "kind": "vertebroplasty", "levels": ["L2"]}
OUTCOME = {"date": "2026-06-01", "instrument": "odi", "score": 42.5}
FRACTURE = {"date": "2026-04-01", "levels": ["T12"], "found_by": "clinical", "index": True}

# (method, path with {case}/{row}, body, roles allowed, row kind)
ROUTES: list[tuple[str, str, Any, set[str], str | None]] = [
    ("GET", "/cases", None, EVERYONE, None),
    ("POST", "/cases", case_data("A-1"), STAFF, None),  # A-1 is taken: 422 once allowed
    ("GET", "/cases/{case}", None, EVERYONE, None),
    ("PATCH", "/cases/{case}", {**STALE, "name": "Changed"}, STAFF, None),
    ("POST", "/cases/{case}/accept", STALE, STAFF, None),
    ("POST", "/cases/{case}/dismiss", {**STALE, "reason": "not a fracture"}, STAFF, None),
    ("GET", "/cases/{case}/fractures", None, EVERYONE, None),
    ("POST", "/cases/{case}/fractures", {**STALE, **FRACTURE}, STAFF, None),
    ("PUT", "/cases/{case}/fractures/{row}", {**STALE, **FRACTURE}, STAFF, "fracture"),
    ("DELETE", "/cases/{case}/fractures/{row}?version=999", None, STAFF, "fracture"),
    ("GET", "/cases/{case}/events", None, EVERYONE, None),
    ("POST", "/cases/{case}/events", {**STALE, **EVENT}, STAFF, None),
    ("PUT", "/cases/{case}/events/{row}", {**STALE, **EVENT}, STAFF, "event"),
    ("DELETE", "/cases/{case}/events/{row}?version=999", None, STAFF, "event"),
    ("GET", "/cases/{case}/procedures", None, EVERYONE, None),
    ("POST", "/cases/{case}/procedures", {**STALE, **PROCEDURE}, CLINICAL, None),
    ("PUT", "/cases/{case}/procedures/{row}", {**STALE, **PROCEDURE}, CLINICAL, "procedure"),
    ("DELETE", "/cases/{case}/procedures/{row}?version=999", None, CLINICAL, "procedure"),
    ("GET", "/cases/{case}/outcomes", None, EVERYONE, None),
    ("POST", "/cases/{case}/outcomes", {**STALE, **OUTCOME}, STAFF, None),
    ("PUT", "/cases/{case}/outcomes/{row}", {**STALE, **OUTCOME}, STAFF, "outcome"),
    ("DELETE", "/cases/{case}/outcomes/{row}?version=999", None, STAFF, "outcome"),
    ("GET", "/worklist?today=2026-06-01", None, EVERYONE, None),
    ("GET", "/kpis?from=2026-01-01&to=2026-12-31&as_of=2027-12-31", None, EVERYONE, None),
    ("GET", "/audit", None, {"admin", "auditor"}, None),
]
ROUTE_IDS = [f"{m} {p}" for m, p, *_ in ROUTES]


def fill(world, path, row, case="north"):
    ids = world["ids"]
    return path.format(case=ids[case], row=ids[row] if row else 0)


@pytest.mark.parametrize(("method", "path", "body", "roles", "row"), ROUTES, ids=ROUTE_IDS)
def test_no_token_or_a_bad_one_is_401(world, method, path, body, roles, row):
    url = fill(world, path, row)
    for header in (None, "Bearer sfx_not-a-token", "Basic dXNlcjpwdw==", "Bearer "):
        answer = call(world, method, url, token=header, json=body)
        assert answer.status_code == 401, (header, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "roles", "row"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_exactly_what_its_rights_say(world, method, path, body, roles, row, role):
    answer = call(world, method, fill(world, path, row), role=role, json=body)
    if role in roles:
        assert answer.status_code not in (401, 403, 404), answer.text
        if body is not None and "version" in body:
            assert answer.status_code == 409, answer.text  # allowed, but on a stale version
    else:
        assert answer.status_code == 403, answer.text
        assert answer.json()["status"] == 403


@pytest.mark.parametrize(
    ("method", "path", "body", "roles", "row"),
    [r for r in ROUTES if "{case}" in r[1]],
    ids=[i for i, r in zip(ROUTE_IDS, ROUTES, strict=True) if "{case}" in r[1]],
)
@pytest.mark.parametrize("role", ROLES)
def test_another_sites_case_is_404_for_every_role(world, method, path, body, roles, row, role):
    answer = call(world, method, fill(world, path, row, case="south"), role=role, json=body)
    assert answer.status_code == 404, answer.text
    missing = call(world, method, path.format(case=10**9, row=1), role=role, json=body)
    assert missing.status_code == 404
    assert answer.json()["detail"].replace(str(world["ids"]["south"]), "N") == missing.json()[
        "detail"
    ].replace(str(10**9), "N")


def test_the_case_list_shows_only_the_callers_sites(world):
    north = call(world, "GET", "/cases", role="auditor").json()
    assert [c["mrn"] for c in north["items"]] == ["A-1"] and north["total"] == 1
    assert set(north["items"][0]) >= {"id", "site", "mrn", "name", "status", "version"}
    south = call(world, "GET", "/cases", role="south-admin").json()
    assert [c["site"] for c in south["items"]] == ["south"]


def test_a_case_is_the_import_format_plus_id_and_version(world):
    doc = call(world, "GET", f"/cases/{world['ids']['north']}", role="clinician").json()
    assert doc["id"] == world["ids"]["north"] and isinstance(doc["version"], int)
    expected = case_data("A-1")
    for key in ("site", "mrn", "name", "birth_date", "sex", "status"):
        assert doc[key] == expected[key]
    assert doc["fractures"][0]["genant_grade"] == 2


def test_edits_on_a_stale_version_are_409_and_the_first_edit_is_kept(world):
    # a case of its own, so the matrix above keeps its state
    created = call(world, "POST", "/cases", role="clinician", json=case_data("L-1"))
    assert created.status_code == 201, created.text
    case = created.json()
    first = call(
        world,
        "POST",
        f"/cases/{case['id']}/events",
        role="coordinator",
        json={"version": case["version"], **EVENT},
    )
    assert first.status_code == 201 and first.json()["version"] == case["version"] + 1
    second = call(
        world,
        "PATCH",
        f"/cases/{case['id']}",
        role="clinician",
        json={"version": case["version"], "name": "Late Edit"},
    )
    assert second.status_code == 409
    problem = second.json()
    assert problem["current_version"] == case["version"] + 1
    assert "reload" in problem["detail"]
    now = call(world, "GET", f"/cases/{case['id']}", role="clinician").json()
    assert now["name"] == case["name"] and len(now["events"]) == 2


def test_a_bad_body_is_a_problem_naming_the_field(world):
    case_id = world["ids"]["north"]
    answer = call(
        world,
        "POST",
        f"/cases/{case_id}/outcomes",
        role="clinician",
        json={"version": 1, "date": "2026-06-01", "instrument": "rdq", "score": 30},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "score"
    no_version = call(world, "POST", f"/cases/{case_id}/events", role="clinician", json=EVENT)
    assert no_version.status_code == 422 and no_version.json()["errors"][0]["field"] == "version"
    bad_id = call(world, "GET", "/cases/abc", role="clinician")
    assert bad_id.status_code == 422  # not a case number at all (issue 22: no longer a 404)
    assert bad_id.json()["errors"][0]["field"] == "case_id"


def test_reads_and_writes_through_the_api_are_audited_with_the_user(world):
    case_id = world["ids"]["north"]
    call(world, "GET", f"/cases/{case_id}", role="coordinator")
    entries = call(world, "GET", f"/audit?case_id={case_id}", role="auditor").json()["items"]
    assert entries[0]["actor"] == "coordinator@example.org"
    assert entries[0]["action"] == "read" and entries[0]["case_id"] == case_id
    registry = Registry.open(world["url"])
    with registry.transaction() as session:
        assert (
            count_rows(session, AuditEntry, AuditEntry.action == "update") == 0
        )  # every stale write of the matrix wrote nothing
    registry.dispose()


def test_kpis_and_worklist_answer_json(world):
    kpis = call(
        world, "GET", "/kpis?from=2026-01-01&to=2026-12-31&as_of=2027-12-31", role="auditor"
    ).json()
    assert kpis["cases"] >= 1 and len(kpis["kpis"]) == 8
    items = call(world, "GET", "/worklist?today=2026-06-01", role="coordinator").json()["items"]
    assert items and items[0]["next_event"] == "risk-assessment"


def test_the_registry_routes_are_in_the_openapi_document(world):
    schema = world["client"].get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/cases", "/cases/{case_id}", "/cases/{case_id}/events", "/kpis", "/worklist"):
        assert PREFIX + path in paths
    components = schema["components"]["schemas"]
    assert "CaseIn" in components
    for write in ("EventInWrite", "ProcedureInWrite", "OutcomeInWrite", "CaseUpdateWrite"):
        assert "version" in components[write]["required"]  # every write names its version
    body = paths[PREFIX + "/cases/{case_id}/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EventInWrite")


# --- What the schemathesis run of the registry API found (tests/web/test_openapi_registry.py) --

HUGE = 2**70  # past SQLite's 64-bit integers: an OverflowError in the driver before the fix


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "allowed"),
    [
        ("GET", f"/cases?offset={HUGE}", None, "offset", "an integer from 0 to 2147483647"),
        ("GET", f"/audit?offset={HUGE}", None, "offset", "an integer from 0 to 2147483647"),
        ("GET", f"/audit?case_id={HUGE}", None, "case_id", "an integer from 1 to 2147483647"),
        ("GET", f"/worklist?offset={HUGE}", None, "offset", "an integer from 0 to 2147483647"),
        ("PUT", f"/cases/{{case}}/events/{HUGE}", {"version": 1, **EVENT}, "row_id", "2147483647"),
        ("DELETE", f"/cases/{{case}}/events/{HUGE}?version=1", None, "row_id", "2147483647"),
        ("DELETE", f"/cases/{{case}}/events/1?version={HUGE}", None, "version", "2147483647"),
        ("PATCH", "/cases/{case}", {"version": HUGE}, "version", "1 to 2147483647"),
        ("POST", "/cases/{case}/accept", {"version": HUGE}, "version", "1 to 2147483647"),
    ],
)
def test_a_number_past_the_databases_integers_is_a_422_naming_it(
    world, method, path, body, field, allowed
):
    url = path.format(case=world["ids"]["north"])
    answer = call(world, method, url, role="admin", json=body)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert errors[0]["field"] == field
    assert allowed in errors[0]["allowed"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/worklist?today=0", "today"),  # a number read as a Unix timestamp before the fix
        ("/worklist?today=9999-12-31", "today"),
        ("/worklist?due_after=0001-01-01", "due_after"),
        ("/worklist?due_before=20260601", "due_before"),
        ("/kpis?from=2026-01-01&to=2026-12-31&as_of=0001-01-01", "as_of"),  # was a 500
        ("/kpis?from=0&to=2026-12-31", "from"),
        ("/kpis?from=2026-01-01&to=9999-12-31", "to"),
    ],
)
def test_a_query_date_is_yyyy_mm_dd_within_the_years_the_rules_take(world, query, field):
    answer = call(world, "GET", query, role="admin")
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == field
    assert error["allowed"] == "a date as YYYY-MM-DD from 1900-01-01 to 2199-12-31"


@pytest.mark.parametrize(
    ("query", "field", "allowed"),
    [
        ("/kpis?from=2026-01-01&to=2025-12-31", "to", "on or after the start of the period"),
        (
            "/kpis?from=2026-01-01&to=2026-12-31&site=nowhere",
            "site",
            "the code of one of your sites",
        ),
    ],
)
def test_a_kpi_problem_names_the_query_parameter_not_a_cli_option(world, query, field, allowed):
    answer = call(world, "GET", query, role="admin")
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == field
    assert allowed in error["allowed"]


def test_the_document_declares_the_bearer_token_and_the_413_of_a_write(world):
    schema = world["client"].get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["registryToken"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            registry = path.startswith(PREFIX + "/")
            assert (operation.get("security") == [{"registryToken": []}]) is registry, path
            if registry and method in ("post", "put", "patch", "delete"):
                assert "413" in operation["responses"], (method, path)
    too_big = call(world, "POST", "/cases", role="admin", json={"note": "x" * (2 * 1024 * 1024)})
    assert too_big.status_code == 413


def test_the_worklist_api_searches_and_sorts_and_names_a_bad_sort(world):
    every = call(world, "GET", "/worklist?today=2026-06-01", role="coordinator").json()["items"]
    mrn = every[0]["mrn"]
    found = call(
        world, "GET", f"/worklist?today=2026-06-01&q={mrn.lower()}", role="coordinator"
    ).json()["items"]
    assert [i["mrn"] for i in found] == [mrn]
    named = call(world, "GET", "/worklist?today=2026-06-01&sort=name", role="coordinator")
    names = [i["name"] for i in named.json()["items"]]
    assert names == sorted(names)
    bad = call(world, "GET", "/worklist?sort=age", role="coordinator")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"
