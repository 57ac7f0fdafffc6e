"""The registry in a real browser, at a phone's and a desktop's width: log in, work the
worklist (filter the case-finding hits, accept one), open a case, record an FLS event and an
outcome score, see the KPI page; an admin invites a person, who makes their login from the
e-mailed link, then changes their role, locks and unlocks them. Every page passes the
accessibility checks, loads nothing from elsewhere, breaks no CSP rule and fits a 390 px screen.
No JavaScript is needed anywhere.

The session's app (tests/browser/conftest.py) reads the SQLite registry in its data folder,
which this module creates and fills (fictional patients only).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from tests.helpers.browser import submit_login

from spinefx.registry import cases
from spinefx.registry.db import Registry
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.users import add_user, ensure_site

PASSWORD = "browser test password"
EMAIL = "coordinator@example.org"
ADMIN = "admin@example.org"
WIDTHS = [390, 1280]


def _seed(url: str) -> None:
    cli = Actor.command_line("browser-test")
    registry = Registry.open(url)
    registry.init()
    today = date.today()
    with registry.transaction() as session:
        ensure_site(session, "demo", name="Demo Hospital (fictional)", fictional=True)
        add_user(session, cli, EMAIL, role="coordinator", sites=["demo"], password=PASSWORD)
        add_user(session, cli, ADMIN, role="admin", sites=["demo"], password=PASSWORD)
        for i, days in enumerate((150, 60, 20)):
            index = today - timedelta(days=days)
            cases.create_case(
                session,
                cli,
                parse(
                    CaseIn,
                    {
                        "site": "demo",
                        "mrn": f"D-{i + 1}",
                        "name": f"Ada Example {i + 1}",
                        "birth_date": "1948-03-09",
                        "sex": "female",
                        "fictional": True,
                        "fractures": [
                            {"date": index.isoformat(), "levels": ["T12"], "found_by": "clinical"}
                        ],
                        "outcomes": [
                            {"date": index.isoformat(), "instrument": "nrs", "score": 8},
                            {"date": index.isoformat(), "instrument": "odi", "score": 58},
                        ],
                    },
                ),
            )
        report = "CT CHEST: There is a new compression fracture of T8. No other fracture."
        phrase = "new compression fracture of T8"
        start = report.index(phrase)
        for mrn in ("D-8", "D-9"):  # one case-finding hit to accept per screen width
            cases.create_case(
                session,
                cli,
                parse(
                    CaseIn,
                    {
                        "site": "demo",
                        "mrn": mrn,
                        "name": f"Bea Sample {mrn}",
                        "birth_date": "1951-07-21",
                        "sex": "female",
                        "status": "to-review",
                        "fictional": True,
                        "fractures": [
                            {
                                "date": (today - timedelta(days=10)).isoformat(),
                                "levels": ["T8"],
                                "found_by": "case-finding",
                                "report_id": "CT-0042",
                                "evidence": {
                                    "report_text": report,
                                    "evidence": [
                                        {
                                            "text": phrase,
                                            "start": start,
                                            "end": start + len(phrase),
                                            "status": "present",
                                        }
                                    ],
                                },
                            }
                        ],
                    },
                ),
            )
    registry.dispose()


@pytest.fixture(scope="module", autouse=True)
def seeded(data_dir: Path) -> None:
    """The session's app reads the registry file in its data folder: create and fill it."""
    _seed(f"sqlite:///{data_dir / 'registry.sqlite3'}")


def _invitation_link(data_dir: Path, email: str) -> str:
    """The link of the invitation e-mailed to ``email`` (into the data folder's outbox)."""
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes())
        if message["To"] == email:
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(r"http://\S+/registry/invitation\?token=[\w-]+", body.decode())
            assert found, body
            return found.group(0)
    raise AssertionError(f"no invitation e-mailed to {email}")


def _clean(page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any) -> dict[str, Any]:
    found = {
        "console errors": traffic.console_errors,
        "uncaught errors": traffic.page_errors,
        "CSP violations": csp_violations(page),
        "accessibility": a11y_problems(page),
        "wider than the screen": not page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ),
    }
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("width", WIDTHS)
def test_a_coordinator_works_the_worklist_and_records_an_event_and_an_outcome(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/registry")
    assert page.url.endswith("/registry/login?next=%2Fregistry")
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    submit_login(page, EMAIL, PASSWORD)
    assert page.locator("h1").inner_text() == "Worklist"
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    rows = page.locator("table.worklist tbody tr")
    assert rows.count() >= 4
    assert "overdue" in rows.first.inner_text()

    # The case-finding hits, then accept one.
    page.select_option("#f-found_by", "case-finding")
    page.select_option("#f-status", "to-review")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**found_by=case-finding**")
    hits = page.locator("table.worklist tbody tr")
    waiting = hits.count()
    assert waiting >= 1
    assert "Bea Sample" in hits.first.inner_text()
    hits.first.locator("th a").click()
    page.wait_for_url("**/registry/cases/*")
    evidence = page.locator(".report-text mark.ev-present").inner_text()
    assert evidence.startswith("new compression fracture of T8")
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.locator("form[action$='/accept'] button").click()
    page.wait_for_url("**/registry/cases/*")
    assert "Active" in page.locator(".case-facts").inner_text()
    page.goto("/registry?found_by=case-finding&status=to-review")
    assert page.locator("table.worklist tbody tr").count() == waiting - 1

    # Open the longest-waiting case and record a DXA and a pain score.
    page.goto("/registry")
    page.locator("table.worklist tbody tr").first.locator("th a").click()
    page.wait_for_url("**/registry/cases/*")
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    events_form = page.locator("#add-events form")
    events_form.locator("[name=type]").select_option("dxa")
    events_form.locator("[name=status]").select_option("done")
    events_form.locator("[name=date]").fill(date.today().isoformat())
    events_form.locator("button[type=submit]").click()
    if width == WIDTHS[-1]:  # the case got its DXA at the other width: asked to confirm
        assert "already recorded" in page.locator("#repeat").inner_text()
        page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**saved=events#saved")
    assert "DXA bone density scan" in page.locator("#timeline").inner_text()
    page.locator("#add-outcomes summary").click()
    outcome_form = page.locator("#add-outcomes form")
    outcome_form.locator("[name=date]").fill(date.today().isoformat())
    outcome_form.locator("[name=instrument]").select_option("nrs")
    outcome_form.locator("[name=score]").fill("3")
    outcome_form.locator("button[type=submit]").click()
    page.wait_for_url("**saved=outcomes#saved")
    assert page.locator("#chart-nrs [data-y='3']").count() >= 1
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}

    # The KPI page.
    page.locator("nav a[href='/registry/kpi']").click()
    page.wait_for_url("**/registry/kpi")
    assert page.locator("table.kpis tbody tr").count() == 8
    assert page.locator("svg.chart").count() == 8
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}

    # Log out: the worklist asks for a login again.
    page.locator("form[action='/registry/logout'] button").click()
    page.wait_for_url("**/registry/login?done=logout")
    page.goto("/registry")
    assert "/registry/login" in page.url


def test_the_print_summary_and_the_audit_page_refusal(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any
) -> None:
    page.goto("/registry/login")
    submit_login(page, EMAIL, PASSWORD)
    page.locator("table.worklist tbody tr").first.locator("th a").click()
    page.wait_for_url("**/registry/cases/*")
    page.locator("a[href$='/print']").click()
    page.wait_for_url("**/print")
    assert page.locator("button[data-print]").is_visible()  # shown by the local script
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    response = page.goto("/registry/audit")
    assert response is not None and response.status == 403


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_invites_a_user_changes_the_role_and_locks_and_unlocks_the_account(
    page: Any,
    traffic: Any,
    csp_violations: Any,
    a11y_problems: Any,
    width: int,
    tmp_path: Path,
    data_dir: Path,
) -> None:
    import os

    shots = Path(os.environ.get("SPINEFX_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    new = f"new.user.{width}@example.org"
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/registry/login")
    submit_login(page, ADMIN, PASSWORD)
    page.locator("nav a[href='/registry/users']").click()
    page.wait_for_url("**/registry/users")
    assert page.locator("h1").inner_text() == "Users"
    assert EMAIL in page.locator("table.users").inner_text()
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.screenshot(path=str(shots / f"registry-users-{width}.png"), full_page=True)

    # Invite a person: a bad address comes back with the message, then the invitation goes.
    page.locator("a[href='/registry/users/new']").click()
    page.wait_for_url("**/registry/users/new")
    page.fill("#email", "not-an-address")
    page.select_option("#role", "coordinator")
    page.locator("main form button[type=submit]").click()
    assert "an e-mail address such as" in page.locator(".error-summary").inner_text()
    # the browser reports the 422 answer itself as an error: that one, and no other
    assert [e for e in traffic.console_errors if "status of 422" not in e] == []
    traffic.console_errors.clear()
    assert page.locator("#sites-demo").is_checked()  # the admin's one site, kept as ticked
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.screenshot(path=str(shots / f"registry-user-new-error-{width}.png"), full_page=True)
    page.fill("#email", new)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/registry/users?done=invited")
    assert "Invitation sent" in page.locator(".notice").inner_text()
    assert new in page.locator("table.invitations").inner_text()
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.screenshot(path=str(shots / f"registry-users-invited-{width}.png"), full_page=True)

    # The person opens the e-mail's link (no mail server here: the outbox) and makes a login.
    page.context.clear_cookies()
    page.goto(_invitation_link(data_dir, new))
    assert "Choose the password of your new login" in page.locator("main").inner_text()
    page.fill("#password", "a good initial password")
    page.fill("#password_again", "a good initial password")
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.screenshot(path=str(shots / f"registry-invitation-{width}.png"), full_page=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/registry/login?done=joined")
    assert "Invitation accepted" in page.locator("#login-message").inner_text()

    # The admin, logged in again, finds them in the list.
    submit_login(page, ADMIN, PASSWORD)
    page.goto("/registry/users")
    page.locator("table.users a", has_text=new).click()
    page.wait_for_url("**/registry/users/*")

    # Make them a clinician, then lock and unlock the account.
    page.select_option("#role", "clinician")
    page.locator("main form[action^='/registry/users/'] button[type=submit]").first.click()
    page.wait_for_url("**?done=saved")
    assert page.locator("#role").input_value() == "clinician"
    page.locator("form[action$='/lock'] button").click()
    page.wait_for_url("**?done=locked")
    assert "locked by an admin" in page.locator("#account-state").inner_text()
    assert _clean(page, traffic, csp_violations, a11y_problems) == {}
    page.screenshot(path=str(shots / f"registry-user-locked-{width}.png"), full_page=True)
    page.locator("form[action$='/unlock'] button").click()
    page.wait_for_url("**?done=unlocked")
    assert "active" in page.locator("#account-state").inner_text()

    # Every change is in the audit log.
    page.goto("/registry/audit")
    log = page.locator("table.audit").inner_text()
    for action in ("invite invitation", "create user", "update user", "lock user", "unlock user"):
        assert action in log, action
