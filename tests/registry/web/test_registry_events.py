"""Recording an FLS event as a coordinator does it many times a day: the form starts on the
case's next due event and today, says it saved and leads back to the worklist, asks before a
second event of the same type, refuses one that contradicts the others with the reason, and
words every refusal in the form's own terms (each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import html
import re
from datetime import date

from fastapi.testclient import TestClient
from tests.helpers.registry_pages import CLI, World, log_in

from spinefx.registry import cases
from spinefx.registry.db import Registry


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no {name} select"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else None


def _events(registry: Registry, case_id: int) -> list[tuple[str, str]]:
    with registry.transaction() as session:
        return [(e.type, e.status) for e in cases.get_case(session, CLI, case_id).events]


def _post(client: TestClient, case_id: int, csrf: str, version: int = 1, **fields: str):
    data = {"csrf_token": csrf, "version": str(version), "status": "done", **fields}
    return client.post(f"/registry/cases/{case_id}/events", data=data)


def test_the_new_event_form_starts_on_the_next_due_event_and_today(
    client: TestClient, world: World, registry: Registry
) -> None:
    log_in(client, world.email("coordinator"))
    with registry.transaction() as session:
        due = cases.get_case(session, CLI, world.active).next_event
    for path in (f"/registry/cases/{world.active}/events/new", f"/registry/cases/{world.active}"):
        page = client.get(path).text
        assert _selected(page, "type") == due, path
        field_id = "events-date" if path.endswith(str(world.active)) else "date"
        today = date.today().isoformat()
        assert f'name="date" id="{field_id}" value="{today}"' in page, path


def test_after_saving_the_case_says_saved_and_links_back_to_the_worklist(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _post(
        client, world.active, csrf, type="risk-assessment", date=date.today().isoformat()
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/registry/cases/{world.active}?saved=events#saved"
    page = client.get(answer.headers["location"]).text
    assert "Saved:" in page and "the FLS event is recorded below" in page
    assert '<a href="/registry" class="button">Back to the worklist</a>' in page
    assert ("risk-assessment", "done") in _events(registry, world.active)


def test_the_same_event_twice_asks_first_then_saves_on_confirming(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    today = date.today().isoformat()
    first = _post(client, world.active, csrf, type="dxa", date=today)  # the case has a DXA
    assert first.status_code == 200  # a question, not an error
    assert "DXA bone density scan is already recorded for this case" in html.unescape(first.text)
    assert 'name="repeat" value="yes"' in first.text
    assert _events(registry, world.active).count(("dxa", "done")) == 1
    again = _post(client, world.active, csrf, type="dxa", date=today, repeat="yes")
    assert again.status_code == 303
    assert _events(registry, world.active).count(("dxa", "done")) == 2


def test_on_medication_at_52_weeks_is_refused_while_never_started(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _post(
        client, world.active, csrf, type="on-medication-at-52-weeks", date=date.today().isoformat()
    )
    assert answer.status_code == 422
    assert "the medication was never recorded as started" in html.unescape(answer.text)
    assert ("on-medication-at-52-weeks", "done") not in _events(registry, world.active)
    started = _post(
        client, world.active, csrf, type="medication-started", date=date.today().isoformat()
    )
    assert started.status_code == 303
    after = _post(
        client,
        world.active,
        csrf,
        version=2,
        type="on-medication-at-52-weeks",
        date=date.today().isoformat(),
    )
    assert after.status_code == 303


def test_form_errors_are_in_the_forms_words(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.email("coordinator"))
    answer = _post(client, world.active, csrf, type="", date="2026-02-30")
    text = html.unescape(answer.text)
    assert answer.status_code == 422
    assert "Choose an event." in text
    assert "Date: a real date as month/day/year, from 01/01/1900 to 12/31/2199." in text
    assert 'one of "risk-assessment"' not in text
    assert "Allowed:" not in text and "YYYY-MM-DD" not in text
    rdq = client.post(
        f"/registry/cases/{world.active}/outcomes",
        data={
            "csrf_token": csrf,
            "version": "1",
            "date": date.today().isoformat(),
            "instrument": "rdq",
            "score": "30",
        },
    )
    assert rdq.status_code == 422
    assert "RDQ score: 0 to 24." in html.unescape(rdq.text)
