"""The index fracture and the date of death through the JSON API, the import and the export
(issue 20, item 6), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.helpers.registry import case_data

from spinefx.cli import run
from spinefx.registry import auth
from spinefx.registry.permissions import Actor
from spinefx.registry.users import add_user
from spinefx.web import Settings, create_app

PREFIX = "/api/v1/registry"
D = date(2025, 3, 3)
PRIOR = {"date": "2014-05-06", "levels": [], "site": "hip", "found_by": "clinical"}
INDEX = {"date": D.isoformat(), "levels": ["L1"], "found_by": "radiological", "index": True}


@pytest.fixture
def api(db_url: str, registry: Any, tmp_path: Path) -> Iterator[Any]:
    with registry.transaction() as session:
        user = add_user(
            session,
            Actor.command_line("test"),
            "nurse@example.org",
            role="coordinator",
            sites=["north"],
            password="a long enough secret",
        )
        token = auth.create_token(session, user)
    settings = Settings(data_dir=tmp_path, database_url=db_url)
    with TestClient(create_app(settings)) as client:

        def call(method: str, path: str, body: Any = None) -> Any:
            headers = {"Authorization": f"Bearer {token}"}
            return client.request(method, PREFIX + path, headers=headers, json=body)

        yield call


def _case(mrn: str, **changes: Any) -> dict[str, Any]:
    return case_data(mrn, events=[], procedures=[], outcomes=[], **changes)


def test_the_api_registers_shows_and_moves_the_index_and_records_a_death(api: Any) -> None:
    died = D + timedelta(days=100)
    line = _case("I-1", fractures=[PRIOR, INDEX], death_date=str(died))
    del line["status"]  # not said: a date of death makes the case deceased
    made = api("POST", "/cases", line)
    assert made.status_code == 201, made.text
    doc = made.json()
    assert [f["index"] for f in doc["fractures"]] == [False, True]
    assert (doc["index_date"], doc["death_date"], doc["status"]) == (
        D.isoformat(),
        died.isoformat(),
        "deceased",  # a date of death, no status said
    )
    case, version = doc["id"], doc["version"]
    later = {**INDEX, "date": (D + timedelta(days=20)).isoformat(), "levels": ["T11"]}
    moved = api("POST", f"/cases/{case}/fractures", {**later, "version": version})
    assert moved.status_code == 201, moved.text
    doc = moved.json()
    assert [(f["date"], f["index"]) for f in doc["fractures"]] == [
        (PRIOR["date"], False),
        (D.isoformat(), False),
        (later["date"], True),
    ]
    assert doc["index_date"] == later["date"]
    after_death = {**later, "date": (died + timedelta(days=1)).isoformat(), "index": None}
    refused = api("POST", f"/cases/{case}/fractures", {**after_death, "version": doc["version"]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "date"
    future = (date.today() + timedelta(days=1)).isoformat()
    refused = api("PATCH", f"/cases/{case}", {"version": doc["version"], "death_date": future})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "death_date"
    cleared = api(
        "PATCH",
        f"/cases/{case}",
        {"version": doc["version"], "death_date": None, "status": "active"},
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["death_date"], cleared.json()["status"]) == (None, "active")


def test_the_last_fracture_of_a_case_cannot_be_removed(api: Any) -> None:
    doc = api("POST", "/cases", _case("I-2", fractures=[INDEX])).json()
    (only,) = doc["fractures"]
    answer = api("DELETE", f"/cases/{doc['id']}/fractures/{only['id']}?version={doc['version']}")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "id"


def test_import_and_export_carry_the_index_and_the_date_of_death(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    died = D + timedelta(days=30)
    lines = [
        _case("E-1", fractures=[PRIOR, INDEX]),
        _case("E-2", fractures=[INDEX], status="deceased", death_date=died.isoformat()),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert run(["registry", "import", str(path)]) == 0, capsys.readouterr().err
    assert run(["registry", "export", str(tmp_path / "out")]) == 0
    with (tmp_path / "out" / "fractures.csv").open(encoding="utf-8") as f:
        fractures = [(r["date"], r["is_index"]) for r in csv.DictReader(f)]
    assert fractures == [(PRIOR["date"], "false"), (INDEX["date"], "true"), (INDEX["date"], "true")]
    with (tmp_path / "out" / "cases.csv").open(encoding="utf-8") as f:
        kept = [(r["mrn"], r["index_date"], r["death_date"]) for r in csv.DictReader(f)]
    assert kept == [("E-1", D.isoformat(), ""), ("E-2", D.isoformat(), died.isoformat())]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            _case("X-1", fractures=[INDEX, {**INDEX, "levels": ["L2"]}]),
            "line 1: fractures[1].index",
        ),
        (_case("X-1", fractures=[INDEX], death_date="2025-03-02"), "line 1: death_date"),
        (
            _case("X-1", fractures=[INDEX], death_date="2025-04-01", status="active"),
            "line 1: status",
        ),
    ],
)
def test_an_import_line_with_two_index_fractures_or_a_bad_death_is_refused_whole(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: Any, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert run(["registry", "import", str(path)]) == 2
    assert message in capsys.readouterr().err
