"""``--into-registry`` from Bulk FHIR: the worklist gets what the same reports give as CSV.

The reports are written as a CSV (with name, birth date, sex and date columns) and as Bulk FHIR
(DiagnosticReports, and Patients holding the same name, birth date, sex and MRN); each goes
into its own registry and the two registries must hold the same cases and fracture records.
"""

from __future__ import annotations

import base64
import csv
import json

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference

from spinefx.casefind.text import join_sections
from spinefx.cli import run
from spinefx.fhir import codes
from spinefx.fhir.bulk import ndjson_line

REPORTS = [
    {"id": "r1", "mrn": "A-1", "name": "Ann Example", "dob": "1941-03-02", "sex": "female",
     "date": "2026-05-01", "findings": "Lungs clear.", "impression": "Mild T8 wedge deformity."},
    {"id": "r2", "mrn": "A-1", "name": "Ann Example", "dob": "1941-03-02", "sex": "female",
     "date": "2026-06-01", "findings": "Possible L1 compression fracture.", "impression": ""},
    {"id": "r3", "mrn": "B-2", "name": "Bob Example", "dob": "1950-01-01", "sex": "male",
     "date": "2026-06-02", "findings": "No compression fracture.", "impression": "Normal."},
    {"id": "r4", "mrn": "C-3", "name": "Cy Example", "dob": "1938-12-24", "sex": "male",
     "date": "2026-06-03", "findings": "Compression deformity of a midthoracic vertebra.",
     "impression": ""},
]  # fmt: skip
CSV_ARGS = [
    "--text-column", "findings", "--text-column", "impression", "--patient-column", "mrn",
    "--name-column", "name", "--birth-date-column", "dob", "--sex-column", "sex",
    "--date-column", "date",
]  # fmt: skip
COMMON = ["--into-registry", "--site", "north", "--workers", "1", "--quiet"]
MR = CodeableConcept(coding=[Coding(system=codes.V2_0203, code="MR")])


def _patient(row, **changes) -> str:
    patient = Patient(
        id=f"pat-{row['mrn']}",
        identifier=[
            Identifier(system="urn:oid:2.16.840.1.113883.19.5", value=f"other-{row['mrn']}"),
            Identifier(type=MR, system="urn:example:ehr:mrn", value=row["mrn"]),
        ],
        name=[HumanName(given=row["name"].split()[:1], family=row["name"].split()[1])],
        gender=row["sex"],
        birthDate=row["dob"],
    )
    return ndjson_line(patient.model_copy(update=changes))


def _report(row, **changes) -> str:
    text = join_sections([row["findings"], row["impression"]])
    report = DiagnosticReport(
        id=row["id"],
        status="final",
        code={"text": "XR"},
        subject=Reference(reference=f"Patient/pat-{row['mrn']}"),
        effectiveDateTime=f"{row['date']}T10:30:00+02:00",
        presentedForm=[Attachment(contentType="text/plain", data=base64.b64encode(text.encode()))],
    )
    return ndjson_line(report.model_copy(update=changes))


def _patients(rows):
    return [_patient(r) for r in {r["mrn"]: r for r in rows}.values()]


def _registry(tmp_path, name):
    from spinefx.registry.db import Registry

    url = f"sqlite:///{tmp_path / name}"
    Registry.open(url).init()
    return url


def _rows(url):
    from spinefx.registry.db import Registry
    from spinefx.registry.models import Case, Fracture

    with Registry.open(url).transaction() as session:
        cases = session.execute(
            sa.select(Case.mrn, Case.name, Case.birth_date, Case.sex, Case.status).order_by(
                Case.mrn
            )
        ).all()
        fractures = session.execute(
            sa.select(
                Fracture.report_id,
                Fracture.date,
                Fracture.found_by,
                Fracture.levels,
                Fracture.genant_grade,
                Fracture.evidence,
            ).order_by(Fracture.report_id)
        ).all()
    return [tuple(c) for c in cases], [tuple(f) for f in fractures]


@pytest.fixture
def files(tmp_path):
    reports_csv = tmp_path / "reports.csv"
    with reports_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(REPORTS[0]))
        writer.writeheader()
        writer.writerows(REPORTS)
    reports_fhir = tmp_path / "DiagnosticReport.ndjson"
    reports_fhir.write_text("\n".join(_report(r) for r in REPORTS) + "\n", encoding="utf-8")
    patients = tmp_path / "Patient.ndjson"
    patients.write_text("\n".join(_patients(REPORTS)) + "\n", encoding="utf-8")
    return reports_csv, reports_fhir, patients


def test_fhir_reports_fill_the_worklist_as_the_same_csv_does(tmp_path, files, capsys):
    reports_csv, reports_fhir, patients = files
    csv_url, fhir_url = _registry(tmp_path, "csv.sqlite3"), _registry(tmp_path, "fhir.sqlite3")
    out = tmp_path / "found.jsonl"
    args = ["casefind", str(reports_csv), "--out", str(out), *CSV_ARGS, *COMMON]
    assert run([*args, "--registry-url", csv_url]) == 0
    from_csv = capsys.readouterr().out
    args = ["casefind", str(reports_fhir), "--out", str(out), "--patients", str(patients)]
    assert run([*args, *COMMON, "--registry-url", fhir_url]) == 0
    from_fhir = capsys.readouterr().out
    summary = "3 found reports: 2 created, 1 added, 0 already-recorded, 0 dismissed"
    assert summary in from_csv
    assert summary in from_fhir
    cases, fractures = _rows(fhir_url)
    assert [c[0] for c in cases] == ["A-1", "C-3"]  # the MR identifier, not the resource id
    assert [f[0] for f in fractures] == ["r1", "r2", "r4"]
    assert str(fractures[0][1]) == "2026-05-01"  # the report's date, as the fracture's
    assert (cases, fractures) == _rows(csv_url)

    args = ["casefind", str(reports_fhir), "--out", str(out), "--patients", str(patients)]
    assert run([*args, *COMMON, "--registry-url", fhir_url]) == 0
    assert "0 created, 0 added, 3 already-recorded" in capsys.readouterr().out
    assert _rows(fhir_url) == (cases, fractures)


def test_patients_may_come_in_the_reports_file_itself(tmp_path, capsys):
    url = _registry(tmp_path, "r.sqlite3")
    mixed = tmp_path / "export.ndjson"
    lines = [_report(r) for r in REPORTS] + _patients(REPORTS)  # Patients after the reports
    mixed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "found.parquet"
    assert run(["casefind", str(mixed), "--out", str(out), *COMMON, "--registry-url", url]) == 0
    printed = capsys.readouterr().out
    assert "3 skipped: not a DiagnosticReport or DocumentReference" in printed
    assert "3 found reports: 2 created, 1 added" in printed


def test_a_fictional_patient_gives_a_fictional_case(tmp_path, capsys):
    from spinefx.registry.db import Registry
    from spinefx.registry.models import Case

    url = _registry(tmp_path, "r.sqlite3")
    row = REPORTS[0]
    test_data = {"meta": {"security": [{"system": codes.ACT_REASON, "code": "HTEST"}]}}
    path = tmp_path / "export.ndjson"
    patient = json.loads(_patient(row)) | test_data
    path.write_text(_report(row) + "\n" + json.dumps(patient) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), *COMMON, "--registry-url", url]) == 0
    with Registry.open(url).transaction() as session:
        assert session.execute(sa.select(Case.mrn, Case.fictional)).all() == [("A-1", True)]


def test_a_report_without_its_patient_adds_nothing(tmp_path, files, capsys):
    _, reports_fhir, _ = files
    url = _registry(tmp_path, "r.sqlite3")
    patients = tmp_path / "some.ndjson"
    patients.write_text(_patients(REPORTS)[0] + "\n", encoding="utf-8")  # only A-1's
    out = tmp_path / "found.jsonl"
    args = ["casefind", str(reports_fhir), "--out", str(out), "--patients", str(patients)]
    assert run([*args, *COMMON, "--registry-url", url]) == 2
    err = capsys.readouterr().err
    where = "error: DiagnosticReport.ndjson line 4: subject: "
    assert err.startswith(where + "got {'reference': 'Patient/pat-C-3'}")
    assert "a Patient in the reports file or a patients file" in err
    assert _rows(url) == ([], [])  # all or nothing


@pytest.mark.parametrize(
    ("change", "element", "allowed"),
    [
        ({"birthDate": "1941"}, "birthDate", "the full birth date YYYY-MM-DD"),
        ({"gender": "unknown"}, "gender", "female or male"),
        ({"name": None}, "name", "the patient's name"),
    ],
)
def test_a_patient_without_what_a_case_needs_is_named(tmp_path, capsys, change, element, allowed):
    url = _registry(tmp_path, "r.sqlite3")
    reports = tmp_path / "DiagnosticReport.ndjson"
    reports.write_text("\n".join(_report(r) for r in REPORTS) + "\n", encoding="utf-8")
    patients = tmp_path / "Patient.ndjson"
    lines = _patients(REPORTS)
    lines[2] = json.dumps({k: v for k, v in (json.loads(lines[2]) | change).items() if v})
    patients.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    args = ["casefind", str(reports), "--out", str(out), "--patients", str(patients)]
    assert run([*args, *COMMON, "--registry-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Patient.ndjson line 3: {element}: ")
    assert allowed in err
    assert _rows(url) == ([], [])


def test_a_report_without_a_full_date_is_named(tmp_path, capsys):
    url = _registry(tmp_path, "r.sqlite3")
    path = tmp_path / "export.ndjson"
    lines = [_report(REPORTS[0], effectiveDateTime="2026-05"), _patients(REPORTS)[0]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), *COMMON, "--registry-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: export.ndjson line 1: effectiveDateTime: got '2026-05'")
    assert _rows(url) == ([], [])


def test_patients_from_a_bulk_export_folder(tmp_path, files, capsys):
    _, reports_fhir, patients = files
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(patients.read_text(), encoding="utf-8")
    url = _registry(tmp_path, "r.sqlite3")
    out = tmp_path / "found.jsonl"
    args = ["casefind", str(reports_fhir), "--out", str(out), "--patients", str(folder)]
    assert run([*args, *COMMON, "--registry-url", url]) == 0
    assert "3 found reports: 2 created, 1 added" in capsys.readouterr().out
