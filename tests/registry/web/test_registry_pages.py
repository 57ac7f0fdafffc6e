"""The registry's pages: login, roles and sites, CSRF, stale edits, the worklist, the case page."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import (
    EVIDENCE,
    PASSWORD,
    REPORT_TEXT,
    World,
    csrf_of,
    log_in,
    version_of,
)

import spinefx
from spinefx.clinical.pathway import REFERENCE_FOLLOWUP
from spinefx.registry.db import Registry
from spinefx.registry.models import Assessment, Case, Dismissal, Event, User, WebSession
from spinefx.web.registry.timeline import evidence_segments


def _version(registry: Registry, case_id: int) -> int:
    with registry.transaction() as session:
        return int(session.scalar(sa.select(Case.version).where(Case.id == case_id)) or 0)


def _events(registry: Registry, case_id: int) -> list[tuple[str, str]]:
    with registry.transaction() as session:
        rows = session.execute(
            sa.select(Event.type, Event.status).where(Event.case_id == case_id).order_by(Event.id)
        )
        return [(t, s) for t, s in rows]


def _event_form(csrf: str, version: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "version": str(version),
        "type": "falls-assessment",
        "status": "done",
        "date": date.today().isoformat(),
        "note": "Timed up-and-go done",
        **changes,
    }


def _outcome_form(csrf: str, version: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "version": str(version),
        "date": date.today().isoformat(),
        "instrument": "nrs",
        "score": "4",
        **changes,
    }


# --- login, cookies, sessions -------------------------------------------------------------------


def test_login_sets_a_strict_http_only_session_cookie_for_the_registry_only(
    client: TestClient, world: World
) -> None:
    form = client.get("/registry/login")
    login_cookie = form.headers["set-cookie"]
    assert "HttpOnly" in login_cookie and "SameSite=strict" in login_cookie
    answer = client.post(
        "/registry/login",
        data={
            "email": world.email("coordinator"),
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/registry",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/registry"
    cookies = answer.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("spinefx_registry="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=strict" in session_cookie
    assert "Path=/registry" in session_cookie
    assert "Secure" not in session_cookie
    # The patient pages never set a cookie, and the session cookie is not sent to them.
    for path in ("/", "/check", "/clinician/grading"):
        page = client.get(path)
        assert "set-cookie" not in page.headers, path


def test_the_cookie_is_secure_when_served_over_https(
    db_url: str, tmp_path: Any, world: World
) -> None:
    from spinefx.web import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path, database_url=db_url, https=True))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        form = c.get("/registry/login")
        assert "Secure" in form.headers["set-cookie"]
        answer = c.post(
            "/registry/login",
            data={
                "email": world.email("admin"),
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
        )
        assert answer.status_code == 303
        session_cookie = next(
            x for x in answer.headers.get_list("set-cookie") if x.startswith("spinefx_registry=")
        )
        assert "Secure" in session_cookie


def test_a_page_without_login_goes_to_the_login_page_and_back(
    client: TestClient, world: World
) -> None:
    answer = client.get(f"/registry/cases/{world.active}?x=1")
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == f"/registry/login?next=%2Fregistry%2Fcases%2F{world.active}%3Fx%3D1"
    )
    form = client.get(answer.headers["location"])
    assert f'name="next" value="/registry/cases/{world.active}?x=1"' in form.text
    done = client.post(
        "/registry/login",
        data={
            "email": world.email("clinician"),
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": f"/registry/cases/{world.active}?x=1",
        },
    )
    assert done.headers["location"] == f"/registry/cases/{world.active}?x=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/check", "/registry\\@x"]
)
def test_login_never_sends_anyone_off_the_registry(
    client: TestClient, world: World, target: str
) -> None:
    form = client.get("/registry/login")
    done = client.post(
        "/registry/login",
        data={
            "email": world.email("clinician"),
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": target,
        },
    )
    assert done.headers["location"] == "/registry"


def test_a_wrong_password_is_refused_with_one_message(client: TestClient, world: World) -> None:
    page = client.get("/registry/login").text
    for email in (world.email("admin"), "nobody@example.org"):
        answer = client.post(
            "/registry/login",
            data={"email": email, "password": "wrong password!", "csrf_token": csrf_of(page)},
        )
        page = answer.text  # each login form carries a new token
        assert answer.status_code == 401
        assert "Wrong e-mail address or password." in answer.text
        assert not any(
            c.startswith("spinefx_registry=") for c in answer.headers.get_list("set-cookie")
        )


def test_the_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    client.get("/registry/login")
    answer = client.post(
        "/registry/login",
        data={"email": world.email("admin"), "password": PASSWORD, "csrf_token": "forged"},
    )
    assert answer.status_code == 403
    assert "expired" in answer.text
    assert not any(c.startswith("spinefx_registry=") for c in answer.headers.get_list("set-cookie"))


def test_repeated_failures_slow_down_then_lock_with_the_wait_shown(
    client: TestClient, world: World, registry: Registry
) -> None:
    page = client.get("/registry/login").text
    data = {"email": world.email("coordinator"), "password": "not the password"}
    statuses = []
    for _ in range(3):
        answer = client.post("/registry/login", data={**data, "csrf_token": csrf_of(page)})
        statuses.append(answer.status_code)
        page = answer.text  # each login form carries a new token
    assert statuses == [401, 401, 401]
    held = client.post(
        "/registry/login", data={**data, "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    assert held.status_code == 429
    assert re.search(
        r"Too many failed logins in a row\. Wait \d+ seconds?, then try again\.", held.text
    )
    assert int(held.headers["retry-after"]) >= 1
    with registry.transaction() as session:
        user = session.scalar(sa.select(User).where(User.email == world.email("coordinator")))
        assert user is not None
        user.locked_until = datetime.now(UTC) + timedelta(minutes=15)
    locked = client.post(
        "/registry/login", data={**data, "password": PASSWORD, "csrf_token": csrf_of(held.text)}
    )
    assert locked.status_code == 429
    assert (
        "This account is locked after repeated failed logins. Try again in 15 minutes."
        in locked.text
    )


def test_logout_revokes_the_session_on_the_server(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("coordinator"))
    cookie = client.cookies.get("spinefx_registry")
    assert cookie
    out = client.post("/registry/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/registry/login?done=logout"
    # The old cookie value, sent again by hand, no longer opens anything.
    client.cookies.set("spinefx_registry", cookie, path="/registry")
    assert client.get("/registry").status_code == 303


def test_logout_needs_the_csrf_token(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    assert client.post("/registry/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/registry").status_code == 200


def test_a_session_idle_for_30_minutes_is_over(
    client: TestClient, world: World, registry: Registry
) -> None:
    log_in(client, world.email("coordinator"))
    assert client.get("/registry").status_code == 200
    with registry.transaction() as session:
        for row in session.scalars(sa.select(WebSession)):
            row.last_seen_at = row.last_seen_at - timedelta(minutes=31)
    answer = client.get("/registry")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/registry/login")


# --- CSRF on every form that writes -----------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_session_csrf_token_writes_nothing(
    client: TestClient, world: World, registry: Registry, token: str | None
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    before = _version(registry, world.active)
    form = _event_form(csrf, before)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token
    answer = client.post(f"/registry/cases/{world.active}/events", data=form)
    assert answer.status_code == 403
    assert "The form has expired" in answer.text
    assert _version(registry, world.active) == before
    for path, data in (
        (f"/registry/cases/{world.review}/accept", {"version": "1"}),
        (f"/registry/cases/{world.review}/dismiss", {"version": "1", "reason": "x"}),
        (f"/registry/cases/{world.active}", {"version": str(before), "name": "X"}),
    ):
        assert client.post(path, data=data).status_code == 403, path
    assert _version(registry, world.review) == 1


# --- roles and sites --------------------------------------------------------------------------

GET_PAGES = (
    "/registry",
    "/registry?status=to-review&found_by=case-finding&due=overdue",
    "/registry/cases/{active}",
    "/registry/cases/{active}/print",
    "/registry/cases/{review}",
    "/registry/kpi",
    "/registry/audit",
    "/registry/users",
    "/registry/users/new",
    "/registry/cases/{active}/events/new",
    "/registry/cases/{active}/outcomes/new",
    "/registry/cases/{active}/procedures/new",
    "/registry/cases/{active}/fractures/new",
)
# What each role gets on each page (200, or 403 for a right the role lacks).
ADMIN_ONLY = {"/registry/users": 403, "/registry/users/new": 403}
EXPECTED = {
    "admin": {},
    "clinician": {"/registry/audit": 403, **ADMIN_ONLY},
    "coordinator": {
        "/registry/audit": 403,
        "/registry/cases/{active}/procedures/new": 403,
        **ADMIN_ONLY,
    },
    "auditor": {
        **ADMIN_ONLY,
        "/registry/cases/{active}/events/new": 403,
        "/registry/cases/{active}/outcomes/new": 403,
        "/registry/cases/{active}/procedures/new": 403,
        "/registry/cases/{active}/fractures/new": 403,
    },
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_every_page_by_role_and_another_sites_case_is_404(
    client: TestClient, world: World, role: str
) -> None:
    log_in(client, world.email(role))
    ids = {"active": world.active, "review": world.review}
    for template in GET_PAGES:
        expected = EXPECTED[role].get(template, 200)
        answer = client.get(template.format(**ids))
        assert answer.status_code == expected, (role, template, answer.text[:300])
    for path in (
        f"/registry/cases/{world.south}",
        f"/registry/cases/{world.south}/print",
        f"/registry/cases/{world.south}/events/new",
        f"/registry/cases/{world.south}/events/1/edit",
        "/registry/cases/999999",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "S-1" not in answer.text


def test_without_login_every_page_goes_to_login_and_every_form_is_401(
    client: TestClient, world: World, registry: Registry
) -> None:
    ids = {"active": world.active, "review": world.review}
    for template in GET_PAGES:
        answer = client.get(template.format(**ids))
        assert answer.status_code == 303, template
        assert answer.headers["location"].startswith("/registry/login?next=")
    for path in (
        f"/registry/cases/{world.active}/events",
        f"/registry/cases/{world.review}/accept",
        f"/registry/cases/{world.review}/dismiss",
        "/registry/logout",
    ):
        answer = client.post(path, data={"version": "1", "csrf_token": "x"})
        assert answer.status_code == 401, path
        assert "log in again" in answer.text
    assert _version(registry, world.review) == 1


@pytest.mark.parametrize(
    ("role", "kind", "expected"),
    [
        ("coordinator", "events", 303),
        ("coordinator", "outcomes", 303),
        ("coordinator", "procedures", 403),
        ("clinician", "procedures", 303),
        ("clinician", "events", 303),
        ("admin", "fractures", 303),
        ("auditor", "events", 403),
        ("auditor", "outcomes", 403),
        ("auditor", "fractures", 403),
    ],
)
def test_writes_follow_the_role_rights(
    client: TestClient, world: World, registry: Registry, role: str, kind: str, expected: int
) -> None:
    csrf = log_in(client, world.email(role))
    version = _version(registry, world.active)
    forms = {
        "events": _event_form(csrf, version),
        "outcomes": _outcome_form(
            csrf, version, instrument="rdq", score="14", timepoint="3-months"
        ),
        "procedures": {
            "csrf_token": csrf,
            "version": str(version),
            "date": date.today().isoformat(),
            "kind": "vertebroplasty",
            "levels": "T12",
            "cement_ml": "T12: 3",
        },
        "fractures": {
            "csrf_token": csrf,
            "version": str(version),
            "date": date.today().isoformat(),
            "levels": "",
            "site": "wrist",
            "found_by": "clinical",
        },
    }
    answer = client.post(f"/registry/cases/{world.active}/{kind}", data=forms[kind])
    assert answer.status_code == expected, answer.text[:400]
    assert _version(registry, world.active) == version + (1 if expected == 303 else 0)


def test_a_write_to_another_sites_case_is_404(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    version = _version(registry, world.south)
    answer = client.post(f"/registry/cases/{world.south}/events", data=_event_form(csrf, version))
    assert answer.status_code == 404
    assert _version(registry, world.south) == version


def test_the_auditor_sees_no_form_that_writes(client: TestClient, world: World) -> None:
    log_in(client, world.email("auditor"))
    page = client.get(f"/registry/cases/{world.review}").text
    for action in ("/accept", "/dismiss", '/events"', '/outcomes"'):
        assert action not in page, action
    assert "Accept" not in client.get("/registry").text


# --- the worklist -----------------------------------------------------------------------------


def test_the_worklist_lists_open_cases_overdue_first_and_filters(
    client: TestClient, world: World
) -> None:
    log_in(client, world.email("coordinator"))
    page = client.get("/registry").text
    listed = [int(x) for x in re.findall(r'data-case="(\d+)"', page)]
    assert listed == [world.active, world.review]  # the older index fracture is due first
    assert "overdue" in page
    assert f"/registry/cases/{world.south}" not in page
    found = client.get("/registry?found_by=case-finding").text
    assert [int(x) for x in re.findall(r'data-case="(\d+)"', found)] == [world.review]
    active = client.get("/registry?status=active").text
    assert [int(x) for x in re.findall(r'data-case="(\d+)"', active)] == [world.active]
    bad = client.get("/registry?status=lost&due=soon&site=south")
    assert bad.status_code == 422
    assert "Choose one of the listed statuses." in bad.text


def test_a_fictional_sites_name_says_fictional_once_in_the_filters(
    client: TestClient, world: World
) -> None:
    # the site is named "North Hospital (fictional)" and marked fictional: one mark, not two
    log_in(client, world.email("coordinator"))
    for path in ("/registry", "/registry/kpi"):
        page = client.get(path).text
        options = re.findall(r'<option value="north"[^>]*>([^<]*)</option>', page)
        assert options == ["North Hospital (fictional)"], path
        assert "(fictional) (fictional)" not in page, path


def test_accept_from_the_worklist(client: TestClient, world: World, registry: Registry) -> None:
    csrf = log_in(client, world.email("coordinator"))
    page = client.get("/registry?found_by=case-finding").text
    assert f'action="/registry/cases/{world.review}/accept"' in page
    answer = client.post(
        f"/registry/cases/{world.review}/accept",
        data={"csrf_token": csrf, "version": "1", "next": "/registry?found_by=case-finding"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/registry?found_by=case-finding"
    with registry.transaction() as session:
        assert session.get(Case, world.review).status == "active"  # type: ignore[union-attr]


def test_dismissal_needs_a_reason_and_keeps_who_and_why(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    empty = client.post(
        f"/registry/cases/{world.review}/dismiss",
        data={"csrf_token": csrf, "version": "1", "reason": "  "},
    )
    assert empty.status_code == 422
    assert "Write a few words on why the case is dismissed." in empty.text
    assert _version(registry, world.review) == 1
    done = client.post(
        f"/registry/cases/{world.review}/dismiss",
        data={"csrf_token": csrf, "version": "1", "reason": "Old fracture, seen in 2019"},
    )
    assert done.status_code == 303
    with registry.transaction() as session:
        dismissal = session.scalar(sa.select(Dismissal).where(Dismissal.case_id == world.review))
        assert dismissal is not None
        assert dismissal.reason == "Old fracture, seen in 2019"
        assert dismissal.report_id == "RAD-77"
        user = session.get(User, dismissal.user_id)
        assert user is not None and user.email == world.email("coordinator")
    page = client.get(f"/registry/cases/{world.review}").text
    assert "Old fracture, seen in 2019" in page
    assert f'data-case="{world.review}"' not in client.get("/registry").text


# --- the case page ----------------------------------------------------------------------------


def test_the_case_page_shows_the_timeline_chart_and_evidence(
    client: TestClient, world: World
) -> None:
    log_in(client, world.email("clinician"))
    page = client.get(f"/registry/cases/{world.active}").text
    kinds = re.findall(r'class="tl tl-(\w+)"', page)
    assert kinds == ["fractures", "outcomes", "outcomes", "procedures", "outcomes", "events"]
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert 'data-y="8"' in page and 'data-y="3"' in page and 'data-y="62"' in page
    review = client.get(f"/registry/cases/{world.review}").text
    assert (
        '<mark class="ev ev-present" data-status="present">Acute compression fracture of L1'
        in review
    )
    assert '<mark class="ev ev-negated" data-status="negated">No fracture at T12' in review
    assert "Report RAD-77" in review
    assert "Bipedicular; cement L1 4.5 ml; complications: none; operator NPI 1234567893" in page


def test_the_print_summary_loads_only_a_local_script(client: TestClient, world: World) -> None:
    log_in(client, world.email("coordinator"))
    page = client.get(f"/registry/cases/{world.active}/print")
    assert page.status_code == 200
    assert re.findall(r'<script[^>]*src="([^"]+)"', page.text) == ["/static/js/print.js"]
    assert "Fracture liaison summary" in page.text
    assert "DXA bone density scan" in page.text
    assert (
        "Kyphoplasty L1; Bipedicular; cement L1 4.5 ml; complications: none; operator NPI "
        in page.text
    )
    assert "<h2>Saved assessments</h2>\n<ul><li>None saved.</li></ul>" in page.text
    assert client.get("/static/js/print.js").status_code == 200


def test_each_saved_assessment_reads_as_a_clinical_line_on_the_case_and_its_print(
    client: TestClient, world: World, registry: Registry
) -> None:
    from spinefx.clinical import pathway
    from spinefx.registry import cases
    from spinefx.registry.permissions import Actor
    from spinefx.validation import parse_input
    from spinefx.web.tools import rule_named as _rule

    answers = {
        "screening": pathway.REFERENCE_SCREENING,
        "grading": pathway.REFERENCE_HEIGHTS,
        "candidacy": {**pathway.REFERENCE_CANDIDACY, "pain_nrs": 3},
        "followup": pathway.REFERENCE_FOLLOWUP,
    }
    with registry.transaction() as session:
        for kind, data in answers.items():
            rule = _rule(kind)
            inp = parse_input(rule.input, data)
            version = cases.load_case(session, Actor.command_line("t"), world.active).version
            cases.save_assessment(
                session,
                Actor.command_line("t"),
                world.active,
                version,
                kind=kind,
                input=inp.model_dump(mode="json"),
                result=rule.run(inp).model_dump(mode="json"),
            )
    lines = [
        "Checklist not met, but reason enough to see a doctor (the self-check safety net): to "
        "be seen by a doctor today (pain 9 or 10 of 10). Checklist signs: 4 of 5 met. No red flag.",
        "L2: grade 2 wedge, 33 %. SDI 2.",
        "Does not meet the coverage criteria. Not met: pain NRS at least 8 in hospital, at "
        "least 5 otherwise.",
        "Very high fracture risk. First line: AACE 2020, very high risk (a fracture within the "
        "past 12 months): start one of AACE&#39;s initial therapies for very high risk: an "
        "anabolic agent (abaloparatide, teriparatide or romosozumab, then an antiresorptive to "
        "keep the gain) or an injected antiresorptive (denosumab or zoledronic acid). Next due "
        "by January 25, 2027: fracture risk assessed and treatment recommended (and 2 more "
        "that day).",
    ]
    log_in(client, world.email("coordinator"))
    page = client.get(f"/registry/cases/{world.active}").text
    printed = client.get(f"/registry/cases/{world.active}/print").text
    for line in lines:
        assert line in page
        assert line in printed
    assert "Possible vcf" not in page


def test_record_an_event_and_an_outcome(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    version = version_of(client.get(f"/registry/cases/{world.active}").text)
    added = client.post(f"/registry/cases/{world.active}/events", data=_event_form(csrf, version))
    assert added.status_code == 303
    assert ("falls-assessment", "done") in _events(registry, world.active)
    outcome = client.post(
        f"/registry/cases/{world.active}/outcomes",
        data=_outcome_form(csrf, version + 1, score="2", timepoint="3-months"),
    )
    assert outcome.status_code == 303
    page = client.get(f"/registry/cases/{world.active}").text
    assert "Falls risk assessment" in page
    assert 'data-y="2"' in page


def test_a_bad_entry_comes_back_with_the_message_and_what_was_typed(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    version = _version(registry, world.active)
    answer = client.post(
        f"/registry/cases/{world.active}/outcomes",
        data=_outcome_form(csrf, version, instrument="rdq", score="31"),
    )
    assert answer.status_code == 422
    assert "RDQ score: 0 to 24." in answer.text
    assert "Please check this entry" in answer.text  # the registry's words in the shared box
    assert '<a href="#score">' in answer.text
    assert 'value="31"' in answer.text
    assert version_of(answer.text) == version
    assert _version(registry, world.active) == version


def test_a_stale_edit_is_409_and_loses_nothing(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    with registry.transaction() as session:
        event_id = session.scalar(sa.select(Event.id).where(Event.case_id == world.active))
    form = client.get(f"/registry/cases/{world.active}/events/{event_id}/edit")
    assert form.status_code == 200
    seen = version_of(form.text)
    assert 'value="dxa" selected' in form.text
    # Someone else records an outcome meanwhile.
    other = client.post(
        f"/registry/cases/{world.active}/outcomes",
        data=_outcome_form(csrf, seen),
    )
    assert other.status_code == 303
    stale = client.post(
        f"/registry/cases/{world.active}/events/{event_id}",
        data=_event_form(csrf, seen, type="dxa", status="declined", note="Patient said no"),
    )
    assert stale.status_code == 409
    assert (
        "Someone else changed this case after you opened the form, so nothing was saved."
        in stale.text
    )
    assert "Patient said no" in stale.text  # the user's input is shown again
    assert 'value="declined" selected' in stale.text
    assert _events(registry, world.active) == [("dxa", "done")]
    # Saving again from the page that came back (it now carries the stored version) works.
    again = client.post(
        f"/registry/cases/{world.active}/events/{event_id}",
        data=_event_form(csrf, version_of(stale.text), type="dxa", status="declined"),
    )
    assert again.status_code == 303
    assert _events(registry, world.active) == [("dxa", "declined")]


def test_a_stale_case_status_change_is_409(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("admin"))
    answer = client.post(
        f"/registry/cases/{world.active}",
        data={"csrf_token": csrf, "version": "0", "name": "Renamed Patient", "status": "closed"},
    )
    assert answer.status_code == 409
    assert 'value="Renamed Patient"' in answer.text
    ok = client.post(
        f"/registry/cases/{world.active}",
        data={
            "csrf_token": csrf,
            "version": str(_version(registry, world.active)),
            "status": "closed",
        },
    )
    assert ok.status_code == 303
    with registry.transaction() as session:
        assert session.get(Case, world.active).status == "closed"  # type: ignore[union-attr]


# --- KPIs and the audit log -------------------------------------------------------------------


def test_the_kpi_page_shows_each_kpi_with_its_band_and_a_chart(
    client: TestClient, world: World
) -> None:
    log_in(client, world.email("coordinator"))
    today = date.today()
    start = (today - timedelta(days=200)).isoformat()
    page = client.get(
        f"/registry/kpi?from={start}&to={today.isoformat()}&as_of={today.isoformat()}"
    )
    assert page.status_code == 200
    assert len(re.findall(r'<tr data-kpi="', page.text)) == 8
    assert page.text.count('class="chart"') == 8
    # One case at north in the period; its DXA was done on day 20: 1 of 1, above 80 %.
    dxa = re.search(r'<tr data-kpi="dxa">(.*?)</tr>', page.text, re.S)
    assert dxa is not None
    assert "100.0 %" in dxa.group(1) and "&gt;80 %" in dxa.group(1)
    bad = client.get("/registry/kpi?from=2026-13-01")
    assert bad.status_code == 422
    assert "Enter a real date as month/day/year, from 01/01/1900 to 12/31/2199." in bad.text


def test_the_audit_log_is_read_only_for_admins_and_auditors(
    client: TestClient, world: World
) -> None:
    log_in(client, world.email("auditor"))
    client.get(f"/registry/cases/{world.active}")
    page = client.get(f"/registry/audit?case={world.active}")
    assert page.status_code == 200
    assert "auditor.north@example.org" in page.text
    assert (
        '<form method="post"'
        not in page.text.split("<main", 1)[1].replace('action="/registry/logout"', "")
        or 'method="post" action="/registry/logout"' in page.text
    )
    assert client.post("/registry/audit", data={}).status_code == 405


# --- save to case -----------------------------------------------------------------------------


def _followup_input() -> str:
    return json.dumps(REFERENCE_FOLLOWUP)


def test_save_to_case_after_logging_in(
    client: TestClient, world: World, registry: Registry
) -> None:
    payload = {"save_kind": "followup", "save_input": _followup_input()}
    start = client.post("/registry/save", data=payload)
    assert start.status_code == 200
    assert "Log in to the registry to save this result to a case." in start.text
    assert 'name="save_kind" value="followup"' in start.text
    chooser = client.post(
        "/registry/login",
        data={
            **payload,
            "email": world.email("clinician"),
            "password": PASSWORD,
            "csrf_token": csrf_of(start.text),
        },
    )
    assert chooser.status_code == 200
    assert f'value="{world.active}"' in chooser.text
    assert f'value="{world.south}"' not in chooser.text
    assert "Patient N-1 (fictional), MRN N-1" in chooser.text  # the mark once, not twice
    saved = client.post(
        "/registry/save/confirm",
        data={**payload, "case": str(world.active), "csrf_token": csrf_of(chooser.text)},
    )
    assert saved.status_code == 303
    with registry.transaction() as session:
        row = session.scalar(sa.select(Assessment).where(Assessment.case_id == world.active))
        assert row is not None
        assert row.kind == "followup"
        assert row.spinefx_version == spinefx.__version__
        assert row.result.get("risk_category") or row.result
    page = client.get(f"/registry/cases/{world.active}").text
    assert "Osteoporosis follow-up plan saved" in page


def test_save_to_case_is_for_clinicians_and_admins(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("coordinator"))
    payload = {"save_kind": "followup", "save_input": _followup_input(), "csrf_token": csrf}
    chooser = client.post("/registry/save", data=payload)
    assert "cannot save assessments" in chooser.text
    refused = client.post("/registry/save/confirm", data={**payload, "case": str(world.active)})
    assert refused.status_code == 403
    other_site = client.post("/registry/save/confirm", data={**payload, "case": str(world.south)})
    assert other_site.status_code == 404


def test_a_bad_save_payload_is_422(client: TestClient, world: World) -> None:
    assert (
        client.post("/registry/save", data={"save_kind": "x", "save_input": "{}"}).status_code
        == 422
    )
    assert (
        client.post("/registry/save", data={"save_kind": "followup", "save_input": "{"}).status_code
        == 422
    )


# --- evidence highlighting (pure) --------------------------------------------------------------


def test_evidence_segments_cut_the_report_at_each_span() -> None:
    pieces = evidence_segments(EVIDENCE)
    assert "".join(text for text, _ in pieces) == REPORT_TEXT
    assert [(t, s) for t, s in pieces if s] == [
        ("Acute compression fracture of L1", "present"),
        ("No fracture at T12", "negated"),
    ]


@pytest.mark.parametrize(
    "spans",
    [
        [{"text": "wrong words", "start": 10, "end": 21, "status": "present"}],
        [{"text": "x", "start": 500, "end": 501, "status": "present"}],
        [{"start": "a", "end": 3}],
        ["not a span"],
    ],
)
def test_spans_that_do_not_fit_the_text_are_not_highlighted(spans: list[Any]) -> None:
    pieces = evidence_segments({"report_text": REPORT_TEXT, "evidence": spans})
    assert pieces == [(REPORT_TEXT, None)]


def test_overlapping_spans_keep_the_first_and_no_text_lists_the_snippets() -> None:
    spans = [
        {"text": "Acute compression", "start": 10, "end": 27, "status": "present"},
        {"text": "compression fracture", "start": 16, "end": 36, "status": "uncertain"},
    ]
    pieces = evidence_segments({"report_text": REPORT_TEXT, "evidence": spans})
    assert [s for _, s in pieces if s] == ["present"]
    assert "".join(t for t, _ in pieces) == REPORT_TEXT
    assert evidence_segments({"evidence": spans}) == [
        ("Acute compression", "present"),
        ("compression fracture", "uncertain"),
    ]
    assert evidence_segments(None) == []


SAVE_FORM = re.compile(
    r'<form method="post" action="/registry/save".*?name="save_kind" value="(\w+)".*?'
    r'name="save_input" value="([^"]+)"',
    re.S,
)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (
            "/clinician/grading",
            {
                "L1.ha": "18",
                "L1.hm": "20",
                "L1.hp": "27",
                "L2.ha": "27",
                "L2.hm": "27",
                "L2.hp": "28",
            },
        ),
        (
            "/clinician/followup",
            {
                "sex": "female",
                "age": "58",
                "fracture_date": "2026-11-02",
                "vertebral_fractures": "1",
                "max_grade": "2",
                "egfr": "82",
                "on_osteoporosis_treatment": "no",
            },
        ),
    ],
)
def test_each_clinician_result_can_be_saved_to_a_case(
    client: TestClient, world: World, registry: Registry, path: str, form: dict[str, str]
) -> None:

    result = client.post(path, data=form)
    assert result.status_code == 200
    assert "set-cookie" not in result.headers
    found = SAVE_FORM.search(result.text)
    assert found, "no save-to-case form"
    kind, raw = found.group(1), html.unescape(found.group(2))
    assert kind == path.rsplit("/", 1)[1]
    csrf = log_in(client, world.email("clinician"))
    saved = client.post(
        "/registry/save/confirm",
        data={"save_kind": kind, "save_input": raw, "case": str(world.active), "csrf_token": csrf},
    )
    assert saved.status_code == 303
    with registry.transaction() as session:
        row = session.scalar(sa.select(Assessment).where(Assessment.case_id == world.active))
        assert row is not None and row.kind == kind
        assert row.input == json.loads(raw)


# --- Numbers and dates typed into a URL: a page or a 422, never a 500 -------------------------

HUGE = str(2**70)  # past SQLite's 64-bit integers: an OverflowError in the driver before


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/registry?page=¹", 200),  # "¹".isdigit() is true and int("¹") a ValueError before
        (f"/registry?page={HUGE}", 200),
        ("/registry/audit?page=¹", 200),
        (f"/registry/audit?page={HUGE}", 200),
        (f"/registry/audit?case={HUGE}", 200),
        ("/registry/audit?case=¹", 200),
        ("/registry/kpi?as_of=0001-01-01", 422),
        ("/registry/kpi?from=9999-01-01&to=9999-12-31", 422),
        (f"/registry/cases/{HUGE}", 422),
        (f"/registry/cases/{HUGE}/print", 422),
        ("/registry/cases/{active}/events/" + HUGE + "/edit", 422),
    ],
)
def test_a_number_or_date_out_of_range_in_a_url_is_never_a_500(
    client: TestClient, world: World, url: str, status: int
) -> None:
    log_in(client, world.email("admin"))
    answer = client.get(url.format(active=world.active))
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")


def test_a_kpi_date_out_of_range_names_the_range(client: TestClient, world: World) -> None:
    log_in(client, world.email("admin"))
    page = client.get("/registry/kpi?as_of=0001-01-01")
    assert page.status_code == 422
    assert "Enter a real date as month/day/year, from 01/01/1900 to 12/31/2199." in page.text


def test_a_form_version_in_other_digits_is_refused_naming_it(
    client: TestClient, world: World
) -> None:
    token = log_in(client, world.email("admin"))
    answer = client.post(
        f"/registry/cases/{world.review}/accept",
        data={"csrf_token": token, "version": "¹", "next": "/registry"},
    )
    assert answer.status_code == 422, answer.text[:300]
    assert "version" in answer.text


def test_the_login_page_words_its_limits_as_a_sentence_says_them(client: TestClient) -> None:
    page = " ".join(html.unescape(client.get("/registry/login").text).split())
    assert "From the third wrong password in a row" in page
    assert "3th" not in page
