"""The worklist page for a coordinator with hundreds of patients: search, sort, 100 rows a
page, and the actions on ticked rows (each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import CLI, World, case_in, log_in

from spinefx.registry import cases
from spinefx.registry.db import Registry
from spinefx.registry.models import AuditEntry, Case, User


def _listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-case="(\d+)"', html)]


def _add_many(registry: Registry, count: int) -> None:
    index = date.today() - timedelta(days=30)
    fracture = [{"date": index.isoformat(), "levels": ["L1"], "found_by": "clinical"}]
    with registry.transaction() as session:
        for n in range(count):
            cases.create_case(
                session,
                CLI,
                case_in(
                    f"M-{n:03d}", "north", events=[], procedures=[], outcomes=[], fractures=fracture
                ),
            )


def test_search_by_name_or_mrn_and_sort_by_name(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    assert _listed(client.get("/registry?q=n-2").text) == [world.review]
    assert _listed(client.get("/registry?q=PATIENT+N-1").text) == [world.active]
    page = client.get("/registry?q=nobody")
    assert page.status_code == 200 and "No open case" in page.text
    named = client.get("/registry?sort=name").text
    assert _listed(named) == [world.active, world.review]  # Patient N-1, Patient N-2
    assert client.get("/registry?sort=age").status_code == 422


def test_a_page_holds_100_rows_and_the_next_page_the_rest(
    client: TestClient, world: World, registry: Registry
) -> None:
    _add_many(registry, 110)
    log_in(client, world.email("coordinator"))
    first = client.get("/registry?sort=name").text
    assert len(_listed(first)) == 100
    assert "Cases 1 to 100 of 112." in first
    assert 'href="/registry?sort=name&amp;page=2"' in first
    second = client.get("/registry?sort=name&page=2").text
    assert len(_listed(second)) == 12
    assert not set(_listed(first)) & set(_listed(second))


def _tick(client: TestClient, csrf: str, action: str, ids: list[int], **more: str):
    with_versions = [f"{i}:1" for i in ids]
    return client.post(
        "/registry/bulk",
        data={
            "csrf_token": csrf,
            "action": action,
            "case": with_versions,
            "next": "/registry",
            **more,
        },
    )


def test_ticked_rows_get_their_next_event_done_today(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    with registry.transaction() as session:
        due = session.get(Case, world.active).next_event  # type: ignore[union-attr]
    answer = _tick(client, csrf, "done", [world.active])
    assert answer.status_code == 303
    assert "Recorded+1+event+as+done" in answer.headers["location"]
    shown = client.get(answer.headers["location"]).text
    assert "Recorded 1 event as done." in shown
    with registry.transaction() as session:
        case = cases.get_case(session, CLI, world.active)
        assert any(e.type == due and e.date == date.today() for e in case.events)


def test_a_stale_tick_saves_nothing_and_says_so(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    _tick(client, csrf, "done", [world.active])
    again = _tick(client, csrf, "done", [world.active])  # version 1 is gone now
    shown = client.get(again.headers["location"]).text
    assert "nothing was saved" in shown


def test_ticked_rows_are_assigned_and_listed_as_mine(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    with registry.transaction() as session:
        me = session.scalar(sa.select(User.id).where(User.email == world.email("coordinator")))
    answer = _tick(client, csrf, "assign", [world.review], assignee=str(me))
    assert "Assigned+1+case" in answer.headers["location"]
    assert _listed(client.get("/registry?mine=1").text) == [world.review]
    nobody = _tick(client, csrf, "assign", [world.active], assignee="999")
    assert "Choose a colleague" in client.get(nobody.headers["location"]).text


def test_ticked_rows_export_as_csv_and_the_export_is_audited(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _tick(client, csrf, "export", [world.active, world.review])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:2] == ["mrn", "name"]
    assert [r[0] for r in rows[1:]] == ["N-1", "N-2"]
    with registry.transaction() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.detail["case_ids"] == [world.active, world.review]


def test_nothing_ticked_or_no_action_is_said_plainly(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("coordinator"))
    none = _tick(client, csrf, "done", [])
    assert "Tick+one+or+more+cases" in none.headers["location"]
    odd = _tick(client, csrf, "delete", [world.active])
    assert "Choose+what+to+do" in odd.headers["location"]


def test_the_auditor_can_export_but_not_mark_done(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("auditor"))
    page = client.get("/registry").text
    assert 'value="export"' in page and 'value="done"' not in page
    answer = _tick(client, csrf, "done", [world.active])
    assert answer.status_code == 403
