"""``--json`` on every command that prints a result: one JSON document on stdout, nothing else,
with the same figures as the lines a person reads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.helpers.registry import case_data

from spinefx.cli import app, run

# Commands that print no result: the server runs until stopped.
NO_RESULT = {("serve",)}


def leaves(command: Any = None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    command = command or typer.main.get_command(app)
    subs = getattr(command, "commands", None)
    if not subs:
        return [path]
    return [leaf for name, sub in subs.items() for leaf in leaves(sub, (*path, name))]


def json_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    status = run(argv)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.parametrize("path", leaves(), ids=" ".join)
def test_every_command_that_prints_a_result_takes_json(path: tuple[str, ...]) -> None:
    command: Any = typer.main.get_command(app)
    for word in path:
        command = command.commands[word]
    has_json = any("--json" in getattr(p, "opts", ()) for p in command.params)
    assert has_json == (path not in NO_RESULT), path


@pytest.fixture
def registry_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_password_hashing: None
) -> str:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    monkeypatch.setenv("SPINEFX_DATABASE_URL", url)
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    return url


def test_the_registry_commands_answer_in_json(
    registry_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert json_of(["registry", "init", "--json"], capsys) == {
        "registry": registry_url,
        "ready": True,
    }
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    added = json_of(
        ["registry", "user", "add", "fls@example.org", "--role", "coordinator", "--site", "north",
         "--password-stdin", "--json"],
        capsys,
    )  # fmt: skip
    assert added == {"email": "fls@example.org", "role": "coordinator", "sites": ["north"]}
    made = json_of(
        ["registry", "token", "create", "fls@example.org", "--label", "ehr", "--json"], capsys
    )
    assert made["email"] == "fls@example.org" and made["label"] == "ehr"
    assert made["token"].startswith("sfx_")
    listed = json_of(["registry", "token", "list", "fls@example.org", "--json"], capsys)
    (token,) = listed["tokens"]
    assert token["label"] == "ehr" and token["revoked_at"] is None
    assert made["token"] not in json.dumps(listed)  # the secret is shown once, at creation
    revoked = json_of(["registry", "token", "revoke", str(token["id"]), "--json"], capsys)
    assert revoked["id"] == token["id"] and revoked["revoked_at"] is not None
    assert revoked["email"] == "fls@example.org"
    exported = json_of(["registry", "export", str(tmp_path / "csv"), "--json"], capsys)
    assert {Path(t["path"]).name for t in exported["tables"]} >= {"cases.csv"}
    assert all(Path(t["path"]).is_file() for t in exported["tables"])


def test_registry_demo_and_import_answer_in_json(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = json_of(["registry", "demo", "--json"], capsys)
    assert demo["cases"] > 0 and demo["login"]["email"] and demo["login"]["password"]
    exported = tmp_path / "cases.jsonl"
    case = case_data("J-1", site="east")
    exported.write_text(json.dumps(case) + "\n", encoding="utf-8")
    imported = json_of(["registry", "import", str(exported), "--json"], capsys)
    assert imported == {"cases": 1, "sites": ["east"]}


def test_the_demo_answers_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    demo = json_of(["demo", "--json"], capsys)
    assert set(demo) == {"pathway", "registry", "record"}
    assert demo["registry"]["temporary"] is True
    assert demo["record"]["case"]["mrn"]
    assert demo["record"]["her_kpis"]["cases"] == 1


def test_a_case_finding_run_answers_in_json(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("spacy")
    json_of(["registry", "init", "--json"], capsys)
    reports = tmp_path / "reports.csv"
    with reports.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "mrn", "name", "dob", "sex", "date", "text"])
        writer.writerow(["r1", "A-1", "Ann Example", "1941-03-02", "F", "2026-05-01",
                         "Acute L2 compression fracture."])  # fmt: skip
        writer.writerow(["r2", "B-2", "Bob Example", "1950-01-01", "M", "2026-05-02",
                         "No fracture."])  # fmt: skip
    out = tmp_path / "found.jsonl"
    told = json_of(
        ["casefind", str(reports), "--out", str(out), "--patient-column", "mrn",
         "--name-column", "name", "--birth-date-column", "dob", "--sex-column", "sex",
         "--date-column", "date", "--into-registry", "--site", "north", "--workers", "1",
         "--json"],
        capsys,
    )  # fmt: skip
    assert told["reports"] == 2 and told["out"] == str(out)
    assert told["registry"] == {"site": "north", "outcomes": {"created": 1}}


def test_the_fhir_demo_answers_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    told = json_of(["casefind", "demo-fhir", str(tmp_path / "fhir"), "--json"], capsys)
    kinds = {f["resource_type"]: f for f in told["files"]}
    assert {"DiagnosticReport", "Patient"} <= set(kinds)
    assert all(Path(f["path"]).is_file() and f["count"] > 0 for f in told["files"])
