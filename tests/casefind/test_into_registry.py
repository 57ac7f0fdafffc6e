"""``--into-registry``: found reports become to-review cases; running twice adds nothing twice."""

import csv

import pytest
import sqlalchemy as sa

from spinefx.cli import run

REPORTS = [
    {"id": "r1", "mrn": "A-1", "name": "Ann Example", "dob": "1941-03-02", "sex": "F",
     "date": "2026-05-01", "findings": "Lungs clear.", "impression": "Mild T8 wedge deformity."},
    {"id": "r2", "mrn": "A-1", "name": "Ann Example", "dob": "1941-03-02", "sex": "F",
     "date": "2026-06-01", "findings": "Possible L1 compression fracture.", "impression": ""},
    {"id": "r3", "mrn": "B-2", "name": "Bob Example", "dob": "1950-01-01", "sex": "M",
     "date": "2026-06-02", "findings": "No compression fracture.", "impression": "Normal."},
    {"id": "r4", "mrn": "C-3", "name": "Cy Example", "dob": "1938-12-24", "sex": "male",
     "date": "2026-06-03", "findings": "Compression deformity of a midthoracic vertebra.",
     "impression": ""},
]  # fmt: skip
ARGS = [
    "--text-column", "findings", "--text-column", "impression", "--patient-column", "mrn",
    "--name-column", "name", "--birth-date-column", "dob", "--sex-column", "sex",
    "--date-column", "date", "--into-registry", "--site", "north", "--workers", "1", "--quiet",
]  # fmt: skip


@pytest.fixture
def registry_url(tmp_path, monkeypatch):
    from spinefx.registry.db import Registry

    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    Registry.open(url).init()
    monkeypatch.setenv("SPINEFX_DATABASE_URL", url)
    return url


@pytest.fixture
def reports_csv(tmp_path):
    path = tmp_path / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(REPORTS[0]))
        writer.writeheader()
        writer.writerows(REPORTS)
    return path


def _rows(url):
    from spinefx.registry.db import Registry
    from spinefx.registry.models import Case, Fracture

    with Registry.open(url).transaction() as session:
        cases = session.execute(sa.select(Case.mrn, Case.status).order_by(Case.mrn)).all()
        fractures = session.execute(
            sa.select(
                Fracture.report_id, Fracture.found_by, Fracture.levels, Fracture.evidence
            ).order_by(Fracture.report_id)
        ).all()
    return [tuple(c) for c in cases], fractures


def test_running_twice_adds_nothing_twice(tmp_path, reports_csv, registry_url, capsys):
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(reports_csv), "--out", str(out), *ARGS]) == 0
    first = capsys.readouterr().out
    assert "3 found reports: 2 created, 1 added, 0 already-recorded, 0 dismissed" in first
    cases, fractures = _rows(registry_url)
    assert [(mrn, str(getattr(status, "value", status))) for mrn, status in cases] == [
        ("A-1", "to-review"),
        ("C-3", "to-review"),
    ]
    assert [f.report_id for f in fractures] == ["r1", "r2", "r4"]
    assert {str(getattr(f.found_by, "value", f.found_by)) for f in fractures} == {"case-finding"}
    r1 = fractures[0]
    assert r1.evidence["evidence"][0]["text"] == "wedge deformity"
    start, end = r1.evidence["evidence"][0]["start"], r1.evidence["evidence"][0]["end"]
    assert r1.evidence["report_text"][start:end] == "wedge deformity"
    assert r1.evidence["vcf"] == "present"
    assert fractures[1].evidence["vcf"] == "uncertain"

    assert run(["casefind", str(reports_csv), "--out", str(out), *ARGS]) == 0
    second = capsys.readouterr().out
    assert "3 found reports: 0 created, 0 added, 3 already-recorded, 0 dismissed" in second
    assert _rows(registry_url) == (cases, fractures)


def test_into_registry_names_a_missing_column_option(tmp_path, reports_csv, registry_url, capsys):
    out = tmp_path / "found.jsonl"
    args = [a for a in ARGS if a not in ("--sex-column", "sex")]
    assert run(["casefind", str(reports_csv), "--out", str(out), *args]) == 2
    assert "error: --sex-column" in capsys.readouterr().err
    assert _rows(registry_url) == ([], [])


def test_a_bad_birth_date_adds_nothing(tmp_path, registry_url, capsys):
    path = tmp_path / "reports.csv"
    rows = [dict(r) for r in REPORTS]
    rows[3]["dob"] = "24/12/1938"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), *ARGS]) == 2
    assert "error: --birth-date-column: got '24/12/1938'" in capsys.readouterr().err
    assert _rows(registry_url) == ([], [])  # one transaction: all or nothing
