"""Input the database cannot hold is a 422 naming it on both databases, never a 500: numbers
past a 32-bit INTEGER and NUL characters (PostgreSQL refuses both inside the driver, SQLite
did not, so a schemathesis run against PostgreSQL found 139 server errors before the fix)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.helpers.databases import empty_database_url
from tests.helpers.registry import case_data
from tests.helpers.registry_pages import PASSWORD, csrf_of, log_in

from spinefx.registry import auth, cases
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user
from spinefx.web import Settings, create_app

PREFIX = "/api/v1/registry"
PAST_INT = 2**31  # one past PostgreSQL's INTEGER


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    url = empty_database_url(request, request.param, tmp_path_factory.mktemp("hygiene"))
    registry = Registry.open(url)
    cli = Actor.command_line("test")
    with registry.transaction() as session:
        admin = add_user(
            session,
            cli,
            "admin.north@example.org",
            role="admin",
            sites=["north"],
            password=PASSWORD,
        )
        token = auth.create_token(session, admin)
        case = cases.create_case(session, cli, parse(CaseIn, case_data("A-1")))
        full = cases.load_case(session, cli, case.id, full=True)
        ids = {"case": case.id, "event": full.events[0].id}
    registry.dispose()
    data_dir = tmp_path_factory.mktemp("hygiene-data")
    with TestClient(
        create_app(Settings(data_dir=data_dir, database_url=url)), follow_redirects=False
    ) as client:
        yield {"client": client, "token": token, "ids": ids}


def api(world, method, path, json=None):
    headers = {"Authorization": f"Bearer {world['token']}"}
    return world["client"].request(method, PREFIX + path, headers=headers, json=json)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/cases/{PAST_INT}", None),
        ("GET", f"/cases/{PAST_INT}/events", None),
        ("GET", f"/cases/-{PAST_INT}", None),
        ("GET", "/cases?mrn=%00", None),
        ("GET", "/cases?site=n%00rth", None),
        ("GET", "/worklist?site=n%00rth", None),
        ("GET", "/kpis?from=2026-01-01&to=2026-12-31&site=n%00", None),
        ("POST", "/cases", {**case_data("N-1"), "mrn": "N\x00-1"}),
        ("POST", "/cases", {**case_data("N-2"), "name": "Ann\x00a"}),
        ("POST", "/cases", {**case_data("N-3"), "site": "north\x00"}),
        ("PATCH", "/cases/{case}", {"version": 1, "name": "A\x00"}),
        (
            "POST",
            "/cases/{case}/events",
            {"version": 1, "type": "dxa", "status": "done", "date": "2026-04-01", "note": "x\x00y"},
        ),
        ("POST", "/cases/{case}/dismiss", {"version": 1, "reason": "no\x00"}),
    ],
)
def test_an_id_past_the_integers_or_a_nul_is_a_422_on_both_databases(world, method, path, body):
    answer = api(world, method, path.format(**world["ids"]), json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"], answer.text


def test_a_nul_in_the_login_form_is_a_422_page_not_a_500(world):
    client = world["client"]
    client.cookies.clear()
    form = client.get("/registry/login")
    csrf = csrf_of(form.text)
    answer = client.post(
        "/registry/login",
        data={"email": "a\x00b@example.org", "password": "x", "csrf_token": csrf},
    )
    assert answer.status_code == 422, answer.text
    assert "NUL" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        f"/registry/cases/{PAST_INT}",
        "/registry?mrn=%00",
        "/registry/users/2147483648",
        "/registry/cases/1/events/new?x=%00",
        "/registry/audit?case_id=%00",
    ],
)
def test_pages_refuse_a_nul_or_a_huge_id_with_a_422(world, path):
    client = world["client"]
    client.cookies.clear()
    log_in(client, "admin.north@example.org")
    answer = client.get(path)
    assert answer.status_code == 422, (answer.status_code, answer.headers.get("location"))
