"""The index fracture and the date of death on the case page and its forms (issue 20, item 6),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry_pages import World, log_in, version_of

from spinefx.dates import plain_date
from spinefx.registry.db import Registry
from spinefx.registry.models import Case, Fracture


def _fractures(registry: Registry, case_id: int) -> list[tuple[date, bool]]:
    with registry.transaction() as session:
        rows = session.execute(
            sa.select(Fracture.date, Fracture.is_index)
            .where(Fracture.case_id == case_id)
            .order_by(Fracture.date)
        ).all()
        return [(day, bool(flag)) for day, flag in rows]


def _case(registry: Registry, case_id: int) -> tuple[date | None, date | None, str]:
    with registry.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.index_date, case.death_date, case.status


def _fracture_form(csrf: str, version: int, day: date, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "version": str(version),
        "date": day.isoformat(),
        "levels": "T8",
        "site": "",
        "found_by": "clinical",
        "genant_grade": "",
        "index": "",
        **changes,
    }


def _details_form(csrf: str, version: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "version": str(version),
        "name": "Patient N-1 (fictional)",
        "birth_date": "1950-04-02",
        "sex": "female",
        "status": "active",
        "death_date": "",
        **changes,
    }


def test_the_case_page_names_the_index_fracture_and_a_prior_one_does_not_move_it(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    page = client.get(f"/registry/cases/{world.active}").text
    ((index_day, _),) = _fractures(registry, world.active)
    assert "Index fracture L1" in page  # the timeline says which one it is
    assert f"{plain_date(index_day)}</time>, L1" in page  # and so do the case's facts
    assert 'name="index"' in page and 'value="True"' in page  # the add form can mark one
    prior = date(2015, 6, 1)  # a fracture years before, entered now: history
    added = client.post(
        f"/registry/cases/{world.active}/fractures",
        data=_fracture_form(csrf, version_of(page), prior, index="False"),
    )
    assert added.status_code == 303, added.text
    assert _fractures(registry, world.active) == [(prior, False), (index_day, True)]
    assert _case(registry, world.active)[0] == index_day


def test_marking_a_fracture_as_the_index_on_its_form_moves_it_and_unmarking_is_refused(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    ((index_day, _),) = _fractures(registry, world.active)
    later = index_day + timedelta(days=10)
    page = client.get(f"/registry/cases/{world.active}").text
    added = client.post(
        f"/registry/cases/{world.active}/fractures",
        data=_fracture_form(csrf, version_of(page), later),
    )
    assert added.status_code == 303
    assert _fractures(registry, world.active) == [(index_day, True), (later, False)]
    with registry.transaction() as session:
        new_id = session.scalar(
            sa.select(Fracture.id).where(Fracture.case_id == world.active, Fracture.date == later)
        )
        old_id = session.scalar(
            sa.select(Fracture.id).where(
                Fracture.case_id == world.active, Fracture.date == index_day
            )
        )
    edit = client.get(f"/registry/cases/{world.active}/fractures/{old_id}/edit").text
    assert 'value="True" selected' in edit  # the form shows which is the index
    refused = client.post(
        f"/registry/cases/{world.active}/fractures/{old_id}",
        data=_fracture_form(csrf, version_of(edit), index_day, levels="L1", index="False"),
    )
    assert refused.status_code == 422
    assert "mark another fracture as the index" in refused.text
    moved = client.post(
        f"/registry/cases/{world.active}/fractures/{new_id}",
        data=_fracture_form(csrf, version_of(edit), later, index="True"),
    )
    assert moved.status_code == 303, moved.text
    assert _fractures(registry, world.active) == [(index_day, False), (later, True)]
    assert _case(registry, world.active)[0] == later


def test_the_case_form_records_checks_and_clears_a_date_of_death(
    client: TestClient, world: World, registry: Registry
) -> None:
    csrf = log_in(client, world.email("coordinator"))
    page = client.get(f"/registry/cases/{world.active}").text
    assert 'name="death_date"' in page
    version = version_of(page)
    died = date.today() - timedelta(days=3)
    # With the status still "active": refused, naming the status, with what was typed kept.
    kept_active = client.post(
        f"/registry/cases/{world.active}", data=_details_form(csrf, version, death_date=str(died))
    )
    assert kept_active.status_code == 422
    assert "has status deceased" in kept_active.text
    assert f'value="{died.isoformat()}"' in kept_active.text
    tomorrow = date.today() + timedelta(days=1)
    future = client.post(
        f"/registry/cases/{world.active}",
        data=_details_form(csrf, version, status="deceased", death_date=str(tomorrow)),
    )
    assert future.status_code == 422
    assert "not in the future" in future.text
    assert _case(registry, world.active)[1:] == (None, "active")
    saved = client.post(
        f"/registry/cases/{world.active}",
        data=_details_form(csrf, version, status="deceased", death_date=str(died)),
    )
    assert saved.status_code == 303
    assert _case(registry, world.active)[1:] == (died, "deceased")
    shown = client.get(f"/registry/cases/{world.active}").text
    assert f'Date of death</dt><dd><time datetime="{died.isoformat()}">' in shown
    assert f'name="death_date" id="death_date" value="{died.isoformat()}"' in shown
    cleared = client.post(
        f"/registry/cases/{world.active}", data=_details_form(csrf, version_of(shown))
    )
    assert cleared.status_code == 303  # entered in error: a blank date and another status
    assert _case(registry, world.active)[1:] == (None, "active")
