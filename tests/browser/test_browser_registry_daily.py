"""A coordinator's day with 300 patients, in a real browser at 390 px and 1280 px: the worklist
searched, sorted and worked a page of rows at a time (ticked rows marked done, assigned,
exported); an event recorded from the preset form, saved, back to the worklist, a repeat asked
about and a contradiction refused; contacts and a letter with its PDF; the calendar page; an
admin's letter templates, filtered audit log, downloads and KPI page. Every page: axe-core's
WCAG 2.2 AA rules and the a11y.js checks pass, no CSP breach, nothing wider than the screen.

The session's app reads the SQLite registry in its data folder; this module adds its own site
and people (fictional) beside tests/browser/test_browser_registry.py's.
"""

from __future__ import annotations

from datetime import date, timedelta
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
NURSE = "daily.nurse@example.org"
BOSS = "daily.admin@example.org"
WIDTHS = [390, 1280]
PATIENTS = 300


def _seed(url: str) -> None:
    cli = Actor.command_line("browser-test")
    registry = Registry.open(url)
    registry.init()
    today = date.today()
    with registry.transaction() as session:
        ensure_site(session, "daily", name="Daily Clinic (fictional)", fictional=True)
        add_user(session, cli, NURSE, role="coordinator", sites=["daily"], password=PASSWORD)
        add_user(session, cli, BOSS, role="admin", sites=["daily"], password=PASSWORD)
        for n in range(PATIENTS):
            index = today - timedelta(days=20 + n % 200)
            cases.create_case(
                session,
                cli,
                parse(
                    CaseIn,
                    {
                        "site": "daily",
                        "mrn": f"DY-{n:04d}",
                        "name": f"Flo Daily {n:04d} (fictional)",
                        "birth_date": "1949-02-11",
                        "sex": "female",
                        "fictional": True,
                        "fractures": [
                            {"date": index.isoformat(), "levels": ["L1"], "found_by": "clinical"}
                        ],
                    },
                ),
            )
    registry.dispose()


@pytest.fixture(scope="module", autouse=True)
def seeded(data_dir: Path) -> None:
    _seed(f"sqlite:///{data_dir / 'registry.sqlite3'}")


def _clean(page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any) -> dict:
    found = {
        "console errors": [e for e in traffic.console_errors if "status of 4" not in e],
        "uncaught errors": traffic.page_errors,
        "CSP violations": csp_violations(page),
        "a11y.js": a11y_problems(page),
        "axe-core AA": axe(page),
        "wider than the screen": not page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ),
    }
    traffic.console_errors.clear()
    return {k: v for k, v in found.items() if v}


def _log_in(page: Any, email: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/registry/login")
    submit_login(page, email, PASSWORD)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_worklist_is_searched_sorted_paged_and_worked_in_bulk(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any, width: int
) -> None:
    clean = (page, traffic, csp_violations, a11y_problems, axe)
    _log_in(page, NURSE, width)
    rows = page.locator("table.worklist tbody tr")
    assert rows.count() == 100
    assert "Cases 1 to 100 of 300." in page.locator("#worklist-count").inner_text()
    assert _clean(*clean) == {}
    page.locator("a[rel=next]").click()
    page.wait_for_url("**page=2**")
    assert "Cases 101 to 200 of 300." in page.locator("#worklist-count").inner_text()

    # Search by MRN part, sorted by name.
    page.goto("/registry")
    page.fill("#f-q", f"DY-00{width % 7}")
    page.select_option("#f-sort", "name")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**q=DY-00**")
    names = page.locator("table.worklist tbody th a").all_inner_texts()
    assert names and names == sorted(names)
    assert all(f"DY-00{width % 7}" in t for t in page.locator(".mrn").all_inner_texts())
    assert _clean(*clean) == {}

    # Tick two rows: mark their next event done today.
    page.locator("table.worklist tbody tr input[type=checkbox]").nth(0).check()
    page.locator("table.worklist tbody tr input[type=checkbox]").nth(1).check()
    page.select_option("#bulk-action", "done")
    page.locator("#bulk button[type=submit]").click()
    page.wait_for_url("**done=**")
    assert "Recorded 2 events as done." in page.locator(".notice.saved").inner_text()
    assert _clean(*clean) == {}

    # Assign one to me, then list only mine.
    page.locator("table.worklist tbody tr input[type=checkbox]").nth(2).check()
    page.select_option("#bulk-action", "assign")
    page.locator("#bulk button[type=submit]").click()
    page.wait_for_url("**done=**")
    assert "Assigned 1 case." in page.locator(".notice.saved").inner_text()
    page.goto("/registry?mine=1")
    assert page.locator("table.worklist tbody tr").count() >= 1
    assert NURSE in page.locator("table.worklist tbody").inner_text()

    # Export the ticked rows as CSV.
    page.locator("table.worklist tbody tr input[type=checkbox]").first.check()
    page.select_option("#bulk-action", "export")
    with page.expect_download() as download:
        page.locator("#bulk button[type=submit]").click()
    saved = Path(download.value.path())
    assert saved.read_text(encoding="utf-8").startswith("mrn,name,site,status")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_event_is_recorded_from_the_preset_form_and_rules_are_explained(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any, width: int
) -> None:
    clean = (page, traffic, csp_violations, a11y_problems, axe)
    _log_in(page, NURSE, width)
    page.goto(f"/registry?q=DY-01{WIDTHS.index(width)}0")
    page.locator("table.worklist tbody tr").first.locator("th a").click()
    page.wait_for_url("**/registry/cases/*")
    form = page.locator("#add-events form")
    due = page.locator(".case-facts").inner_text()
    chosen = form.locator("[name=type] option:checked").inner_text()
    assert chosen and chosen in due  # the next due event is preset
    assert form.locator("[name=date]").input_value() == date.today().isoformat()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**saved=events**")
    saved = page.locator("#saved")
    assert "Saved:" in saved.inner_text()
    assert saved.locator("a", has_text="Back to the worklist").is_visible()
    saved_url = page.url
    assert _clean(*clean) == {}

    # The same event again: asked first.
    page.locator("#add-events [name=type]").select_option(label=chosen)
    page.locator("#add-events button[type=submit]").click()
    assert "is already recorded for this case" in page.locator("#repeat").inner_text()
    assert _clean(*clean) == {}
    page.locator("a", has_text="Cancel").click()

    # A contradiction: still on medication at 52 weeks, never started.
    page.locator("#add-events [name=type]").select_option("on-medication-at-52-weeks")
    page.locator("#add-events button[type=submit]").click()
    summary = page.locator(".error-summary").inner_text()
    assert "never recorded as started" in summary
    assert _clean(*clean) == {}

    # A bad date and no event chosen, in the form's words.
    page.locator("main form.form [name=type]").select_option("")
    page.locator("main form.form [name=date]").fill("")
    page.locator("main form.form button[type=submit]").click()
    summary = page.locator(".error-summary").inner_text()
    assert "Choose an event." in summary and "month/day/year" in summary
    assert _clean(*clean) == {}

    # Back to the worklist from the saved message.
    page.goto(saved_url)
    page.locator("#saved a", has_text="Back to the worklist").click()
    page.wait_for_url("**/registry")


@pytest.mark.parametrize("width", WIDTHS)
def test_contacts_a_letter_and_its_pdf_and_the_calendar_page(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any, width: int
) -> None:
    clean = (page, traffic, csp_violations, a11y_problems, axe)
    _log_in(page, NURSE, width)
    page.goto(f"/registry?q=DY-02{WIDTHS.index(width)}0")
    page.locator("table.worklist tbody tr").first.locator("th a").click()
    page.wait_for_url("**/registry/cases/*")
    page.locator("#contacts summary").click()
    page.fill("#phone", "(617) 555-0101")
    page.fill("#address", "1 Main St\nSpringfield, MA 01101")
    page.fill("#pcp_name", "Dr. Rosa Diaz")
    page.fill("#pcp_practice", "Elm Street Family Practice")
    page.fill("#pcp_fax", "617-555-0199")
    page.fill("#pcp_email", "not an address")
    page.locator("#contacts button[type=submit]").click()
    assert "Practice e-mail: an e-mail address" in page.locator(".error-summary").inner_text()
    assert _clean(*clean) == {}
    page.fill("#pcp_email", "front@elm.example.org")
    page.locator("#contacts button[type=submit]").click()
    page.wait_for_url("**saved=contacts**")
    assert "Dr. Rosa Diaz, Elm Street Family Practice" in page.locator("#contacts").inner_text()

    page.locator("a.button", has_text="Letter to the primary care clinician").click()
    page.wait_for_url("**/letters/new/pcp")
    assert "Findings:" in page.locator(".letter-body").inner_text()
    assert _clean(*clean) == {}
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**saved=1")
    assert _clean(*clean) == {}
    with page.expect_download() as download:
        page.locator("a", has_text="Download the PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    page.goto("/registry/calendar")
    assert _clean(*clean) == {}
    page.locator("main form button[type=submit]").click()
    address = page.locator("#feed-address").input_value()
    assert address.endswith(".ics") and "/registry/calendar/cal_" in address
    assert _clean(*clean) == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_edits_a_letter_template_filters_the_audit_log_and_downloads(
    page: Any, traffic: Any, csp_violations: Any, a11y_problems: Any, axe: Any, width: int
) -> None:
    clean = (page, traffic, csp_violations, a11y_problems, axe)
    _log_in(page, BOSS, width)
    page.locator("nav a[href='/registry/letter-templates']").click()
    page.wait_for_url("**/letter-templates")
    assert _clean(*clean) == {}
    page.fill("#patient-body", "Dear $patient_name, see $nobody.")
    page.locator("form[action$='/patient'] button[type=submit]").click()
    assert "placeholders among" in page.locator(".error-summary").inner_text()
    assert _clean(*clean) == {}
    page.fill("#patient-body", "Dear $patient_name,\n\n$tests_due\n\n$site_name")
    page.locator("form[action$='/patient'] button[type=submit]").click()
    page.wait_for_url("**saved=patient")

    page.locator("nav a[href='/registry/audit']").click()
    page.wait_for_url("**/registry/audit")
    page.select_option("#a-who", NURSE)
    page.select_option("#a-action", "read")
    page.fill("#a-from", date.today().isoformat())
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**who=**")
    whos = page.locator("td[data-label=Who]").all_inner_texts()
    assert whos and set(whos) == {NURSE}
    assert _clean(*clean) == {}
    with page.expect_download() as download:
        page.locator(".downloads a", has_text="Excel (XLSX)").first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"PK")

    page.locator("nav a[href='/registry/kpi']").click()
    page.wait_for_url("**/registry/kpi")
    assert page.locator("#k-to").input_value() == date.today().isoformat()
    assert _clean(*clean) == {}
