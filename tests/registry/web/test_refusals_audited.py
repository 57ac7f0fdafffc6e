"""A refused request by a logged-in caller is in the audit log (issue 22, item 2): a 404 for
another site's case under both sites (the other site's auditor sees who asked), a 403 and a 409
under the caller's sites. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from tests.helpers.registry_pages import log_in

from spinefx.registry import auth
from spinefx.registry.models import AuditEntry, Site
from spinefx.registry.users import user_by_email


def refusals(registry) -> list[tuple[str, int, str, str]]:
    with registry.transaction() as session:
        rows = session.execute(
            sa.select(AuditEntry.actor, AuditEntry.detail, Site.code)
            .join(Site, Site.id == AuditEntry.site_id)
            .where(AuditEntry.action == "refused")
            .order_by(AuditEntry.id)
        ).all()
    return [(a, d["status"], d["path"], code) for a, d, code in rows]


def test_another_sites_case_is_a_404_audited_under_both_sites(client, world, registry):
    log_in(client, world.email("clinician"))
    assert client.get(f"/registry/cases/{world.south}").status_code == 404
    path = f"/registry/cases/{world.south}"
    assert refusals(registry) == [
        (world.email("clinician"), 404, path, "north"),
        (world.email("clinician"), 404, path, "south"),
    ]


def test_a_403_and_a_409_are_audited_under_the_callers_site(client, world, registry):
    log_in(client, world.email("auditor"))
    assert client.get("/registry/users").status_code == 403
    with registry.transaction() as session:
        user = user_by_email(session, world.email("coordinator"))
        token = auth.create_token(session, user)
    answer = client.patch(
        f"/api/v1/registry/cases/{world.active}",
        json={"version": 999, "name": "Stale"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 409
    assert refusals(registry) == [
        (world.email("auditor"), 403, "/registry/users", "north"),
        (world.email("coordinator"), 409, f"/api/v1/registry/cases/{world.active}", "north"),
    ]


def test_a_stale_form_on_the_case_page_is_a_409_audited(client, world, registry):
    csrf = log_in(client, world.email("coordinator"))
    answer = client.post(
        f"/registry/cases/{world.active}",
        data={
            "csrf_token": csrf,
            "version": "999",
            "name": "Stale Edit",
            "sex": "female",
            "birth_date": "1950-04-02",
            "status": "active",
        },
    )
    assert answer.status_code == 409
    path = f"/registry/cases/{world.active}"
    assert refusals(registry) == [(world.email("coordinator"), 409, path, "north")]
