"""The audit page filtered by user, action and date; one save and the page it leads to write one
read; the KPI page on the last 12 months; CSV and XLSX downloads for admins and auditors (each
test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import date, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import World, log_in

from spinefx.dates import plain_date
from spinefx.registry.db import Registry
from spinefx.registry.models import AuditEntry, Case


def _rows(page: str) -> list[str]:
    return re.findall(r'<td data-label="Who">([^<]*)</td>\s*<td data-label="What">([^<]*)', page)


def test_the_audit_page_filters_by_user_action_and_date(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    client.get(f"/registry/cases/{world.active}")
    client.cookies.clear()
    log_in(client, world.email("auditor"))
    page = client.get("/registry/audit").text
    assert '<option value="coordinator.north@example.org">' in page
    mine = client.get("/registry/audit?who=coordinator.north%40example.org&action=read").text
    shown = _rows(mine)
    assert shown and all(
        who == "coordinator.north@example.org" and what.startswith("read") for who, what in shown
    )
    today = date.today()
    assert _rows(client.get(f"/registry/audit?from={today}&to={today}").text)
    past = today - timedelta(days=400)
    assert not _rows(client.get(f"/registry/audit?from={past}&to={past}").text)
    bad = client.get("/registry/audit?from=2026-02-30")
    assert bad.status_code == 422 and "Enter a real date as month/day/year." in bad.text


def test_one_save_and_the_page_it_leads_to_write_one_read(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))

    def count() -> dict[str, int]:
        with registry.transaction() as session:
            found = session.execute(
                sa.select(AuditEntry.action, sa.func.count())
                .where(AuditEntry.case_id == world.active)
                .group_by(AuditEntry.action)
            ).all()
        return {action: n for action, n in found}

    before = count()
    answer = client.post(
        f"/registry/cases/{world.active}/events",
        data={
            "csrf_token": csrf,
            "version": "1",
            "type": "risk-assessment",
            "status": "done",
            "date": date.today().isoformat(),
        },
    )
    client.get(answer.headers["location"])
    after = count()
    assert after.get("read", 0) - before.get("read", 0) == 1
    assert after.get("create", 0) - before.get("create", 0) == 1


def test_the_kpi_page_shows_the_last_12_months_by_default(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    page = client.get("/registry/kpi").text
    today = date.today()
    assert f'name="to" id="k-to" value="{today.isoformat()}"' in page
    start = re.search(r'name="from" id="k-from" value="([0-9-]+)"', page)
    assert start is not None
    first = date.fromisoformat(start.group(1))
    assert 364 <= (today - first).days <= 365
    assert f'to <time datetime="{today.isoformat()}">{plain_date(today)}</time>' in page


def test_admins_and_auditors_download_cases_as_csv_and_xlsx(
    client: TestClient, world: World, registry: Registry
) -> None:
    with registry.transaction() as session:
        case = session.get(Case, world.active)
        assert case is not None
        case.name = '=HYPERLINK("http://x") (fictional)'
    log_in(client, world.email("auditor"))
    as_csv = client.get("/registry/export/cases?format=csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:3] == ["site", "mrn", "name"]
    assert [r[1] for r in rows[1:]] == ["N-1", "N-2"]  # north only: the auditor's site
    as_xlsx = client.get("/registry/export/cases?format=xlsx")
    assert as_xlsx.status_code == 200
    sheet = zipfile.ZipFile(io.BytesIO(as_xlsx.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet  # the name that looks like a formula is text
    assert html.escape('=HYPERLINK("http://x")', quote=False).encode() in sheet
    audit_csv = client.get("/registry/audit/export?action=read&format=csv")
    assert audit_csv.status_code == 200
    entries = list(csv.reader(io.StringIO(audit_csv.text)))
    assert entries[0][:3] == ["at", "actor", "action"] and all(r[2] == "read" for r in entries[1:])
    with registry.transaction() as session:
        exports = session.scalars(
            sa.select(AuditEntry.entity).where(AuditEntry.action == "export")
        ).all()
        assert sorted(exports) == ["audit-log", "cases", "cases"]


def test_a_coordinator_cannot_download_and_a_bad_format_is_named(
    client: TestClient, world: World
) -> None:
    log_in(client, world.email("coordinator"))
    assert client.get("/registry/export/cases?format=csv").status_code == 403
    assert client.get("/registry/audit/export?format=csv").status_code == 403
    client.cookies.clear()
    log_in(client, world.email("admin"))
    bad = client.get("/registry/export/cases?format=pdf")
    assert bad.status_code == 422
