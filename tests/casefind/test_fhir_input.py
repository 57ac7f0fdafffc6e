"""``spinefx casefind REPORTS.ndjson``: Bulk FHIR reports give the findings CSV gives.

The development set is written twice, as a CSV of findings and impression and as Bulk FHIR
(DiagnosticReports with the same text as a base64 attachment, some as DocumentReferences or
with the text only in ``conclusion``, among Patients and resources that give no report), and
every finding must be the same. Also: what is left out is counted and printed, bad lines are
named, and the CSV path's records do not change.
"""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.reference import Reference

from spinefx.casefind.record import ARROW_SCHEMA, DATED_ARROW_SCHEMA
from spinefx.cli import run
from spinefx.fhir.bulk import ndjson_line
from spinefx.fhir.report_demo import demo_resources

DEV = Path(__file__).resolve().parent.parent / "data" / "casefind_dev.jsonl"
ROWS = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
TEXT = ["--text-column", "findings", "--text-column", "impression", "--patient-column", "patient"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _as_document_reference(report: DiagnosticReport) -> DocumentReference:
    """The same report as a DocumentReference (``content[].attachment``, ``date``)."""
    return DocumentReference(
        id=report.id,
        status="current",
        subject=report.subject,
        date=report.effectiveDateTime,
        content=[DocumentReferenceContent(attachment=report.presentedForm[0])],
    )


def _as_conclusion_only(report: DiagnosticReport) -> DiagnosticReport:
    text = report.presentedForm[0].data.decode("utf-8")  # fhir.resources holds it decoded
    return report.model_copy(update={"presentedForm": None, "conclusion": text})


def _left_out() -> list[str]:
    """Resources that give no report: 1 other type, 1 url only, 1 without text."""
    url_only = DiagnosticReport(
        id="x-url",
        status="final",
        code={"text": "CT"},
        subject=Reference(reference="Patient/p0001"),
        presentedForm=[Attachment(contentType="application/pdf", url="https://ehr.example/r.pdf")],
    )
    no_text = DiagnosticReport(id="x-none", status="final", code={"text": "XR"})
    other = Observation(id="o1", status="final", code={"text": "Height"})
    return [ndjson_line(r) for r in (url_only, no_text, other)]


def fhir_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as Bulk FHIR lines: every 3rd a DocumentReference, every 7th with the text only
    in ``conclusion``, the Patients and three resources that give no report among them."""
    by_type = demo_resources(rows)
    lines = []
    for i, report in enumerate(by_type["DiagnosticReport"]):
        assert isinstance(report, DiagnosticReport)
        if i % 3 == 1:
            lines.append(ndjson_line(_as_document_reference(report)))
        elif i % 7 == 2:
            lines.append(ndjson_line(_as_conclusion_only(report)))
        else:
            lines.append(ndjson_line(report))
    patients = [ndjson_line(p) for p in by_type["Patient"]]
    return patients[:5] + lines[:100] + _left_out() + lines[100:] + patients[5:]


@pytest.fixture(scope="module")
def dev_files(tmp_path_factory):
    base = tmp_path_factory.mktemp("dev")
    reports_csv = base / "reports.csv"
    with reports_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "patient", "findings", "impression"])
        writer.writeheader()
        for row in ROWS:
            writer.writerow({k: row.get(k) for k in writer.fieldnames})
    reports_fhir = base / "reports.ndjson"
    reports_fhir.write_text("\n".join(fhir_lines(ROWS)) + "\n", encoding="utf-8")
    return reports_csv, reports_fhir


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def both_outputs(dev_files, tmp_path_factory):
    reports_csv, reports_fhir = dev_files
    base = tmp_path_factory.mktemp("out")
    from_csv, from_fhir = base / "csv.jsonl", base / "fhir.jsonl"
    assert run(["casefind", str(reports_csv), "--out", str(from_csv), *TEXT, "--quiet"]) == 0
    assert run(["casefind", str(reports_fhir), "--out", str(from_fhir), "--quiet"]) == 0
    return _jsonl(from_csv), _jsonl(from_fhir)


def test_every_report_gives_the_same_finding_as_csv_and_as_fhir(both_outputs):
    from_csv, from_fhir = both_outputs
    assert len(from_fhir) == len(from_csv) == len(ROWS)
    assert {r["vcf"] for r in from_csv} == {"present", "uncertain", "absent"}
    without_date = [{k: v for k, v in r.items() if k != "date"} for r in from_fhir]
    assert without_date == from_csv  # same ids, patients, findings, evidence spans, in order


def test_fhir_records_keep_the_report_date(both_outputs):
    from_csv, from_fhir = both_outputs
    reports = demo_resources(ROWS)["DiagnosticReport"]
    dates = {r.id: r.effectiveDateTime.isoformat().replace("+00:00", "Z") for r in reports}
    assert list(from_fhir[0]) == DATED_ARROW_SCHEMA.names
    assert {r["id"]: r["date"] for r in from_fhir} == dates
    assert list(from_csv[0]) == ARROW_SCHEMA.names  # CSV input's records as before: no date


def test_what_was_left_out_is_counted_and_printed(dev_files, tmp_path, capsys):
    _, reports_fhir = dev_files
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(reports_fhir), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{len(ROWS)} reports -> ")
    assert printed[1:] == [
        "1 skipped: no text: no attachment with text and no conclusion",
        f"{len(demo_resources(ROWS)['Patient']) + 1} skipped: not a DiagnosticReport or "
        "DocumentReference",
        "1 skipped: the text is only at a url (not fetched)",
    ]


def test_a_pdf_attachment_is_counted_apart(tmp_path, capsys):
    report = DiagnosticReport(
        id="u1",
        status="final",
        code={"text": "CT"},
        presentedForm=[Attachment(contentType="application/pdf", data=_b64("%PDF-1.7"))],
    )
    path = tmp_path / "reports.ndjson"
    path.write_text(ndjson_line(report) + "\n", encoding="utf-8")
    assert run(["casefind", str(path), "--out", str(tmp_path / "o.jsonl"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "1 skipped: the attachment is not text/plain or text/html (e.g. a PDF)" in printed


def _one_report(rid: str, text: str, date: str = "2026-04-01") -> str:
    return ndjson_line(
        DiagnosticReport(
            id=rid,
            status="final",
            code={"text": "XR spine"},
            subject=Reference(reference=f"Patient/{rid}-p"),
            effectiveDateTime=date,
            presentedForm=[Attachment(contentType="text/plain", data=_b64(text))],
        )
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_output_carry_the_date(tmp_path, suffix):
    path = tmp_path / "reports.ndjson"
    path.write_text(_one_report("a1", "Acute L1 compression fracture.") + "\n", encoding="utf-8")
    out = tmp_path / f"found{suffix}"
    assert run(["casefind", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    if suffix == ".csv":
        with out.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == DATED_ARROW_SCHEMA.names
    else:
        rows = pq.read_table(out).to_pylist()
    assert (rows[0]["id"], rows[0]["patient"], rows[0]["vcf"], rows[0]["date"]) == (
        "a1",
        "a1-p",
        "present",
        "2026-04-01",
    )


def test_html_attachment_is_read_as_text(tmp_path):
    html = "<html><body><p>FINDINGS:</p><p>Compression fracture of T12.</p></body></html>"
    report = DiagnosticReport(
        id="h1",
        status="final",
        code={"text": "CT"},
        presentedForm=[Attachment(contentType="text/html", data=_b64(html))],
    )
    path = tmp_path / "reports.ndjson"
    path.write_text(ndjson_line(report) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    (record,) = _jsonl(out)
    assert (record["vcf"], record["levels"], record["patient"]) == ("present", ["T12"], None)


@pytest.mark.parametrize(
    ("bad", "allowed"),
    [
        ('{"resourceType": "DiagnosticReport", "id": ', "one FHIR resource as JSON"),
        ('["a", "list"]', "one FHIR resource as a JSON object"),
    ],
)
def test_a_malformed_line_names_its_number_and_writes_nothing(tmp_path, capsys, bad, allowed):
    path = tmp_path / "reports.ndjson"
    lines = [_one_report("a1", "No fracture."), "", bad, _one_report("a2", "No fracture.")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: reports.ndjson line 3: got ")
    assert allowed in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [path]  # no output, no temp file left


def test_a_line_that_is_not_utf8_is_named(tmp_path, capsys):
    path = tmp_path / "reports.ndjson"
    path.write_bytes(
        (_one_report("a1", "No fracture.") + "\n").encode() + b'{"resourceType": "\xff"}\n'
    )
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: reports.ndjson line 2" in err
    assert "UTF-8" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "option",
    [
        ["--text-column", "findings"],
        ["--patient-column", "mrn"],
        ["--id-column", "accession"],
        ["--date-column", "date"],
    ],
)
def test_column_options_are_refused_with_fhir_input(tmp_path, capsys, option):
    path = tmp_path / "reports.ndjson"
    path.write_text(_one_report("a1", "No fracture.") + "\n", encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), *option]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option[0]}: got '{option[1]}'; allowed: nothing: ")
    assert "Bulk FHIR" in err
    assert not out.exists()


def test_patients_without_into_registry_is_refused(tmp_path, capsys):
    path = tmp_path / "reports.ndjson"
    path.write_text(_one_report("a1", "No fracture.") + "\n", encoding="utf-8")
    args = ["--out", str(tmp_path / "o.jsonl"), "--patients", str(path)]
    assert run(["casefind", str(path), *args]) == 2
    assert "error: --patients" in capsys.readouterr().err


def test_a_bundle_is_refused_with_a_clear_message(tmp_path, capsys):
    path = tmp_path / "bundle.json"
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}\n')
    assert run(["casefind", str(path), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "(this is a Bundle)" in capsys.readouterr().err


def test_flat_jsonl_rows_are_still_read_by_their_columns(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Acute T12 compression fracture."}) + "\n")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    (record,) = _jsonl(out)
    assert list(record) == ARROW_SCHEMA.names
    assert record["levels"] == ["T12"]


def test_a_file_with_no_report_writes_an_empty_output(tmp_path, capsys):
    path = tmp_path / "Patient.ndjson"
    path.write_text('{"resourceType": "Patient", "id": "1"}\n', encoding="utf-8")
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(path), "--out", str(out), "--quiet"]) == 0
    assert out.read_text() == ""
    assert "1 skipped: not a DiagnosticReport or DocumentReference" in capsys.readouterr().out


def test_demo_fhir_writes_valid_bulk_files(tmp_path, capsys):
    from fhir.resources.R4B import get_fhir_model_class

    folder = tmp_path / "demo"
    assert run(["casefind", "demo-fhir", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert f"{len(ROWS)} DiagnosticReport -> " in printed
    assert sorted(p.name for p in folder.iterdir()) == ["DiagnosticReport.ndjson", "Patient.ndjson"]
    for file in folder.iterdir():
        for line in file.read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            assert resource["resourceType"] == file.stem
            get_fhir_model_class(file.stem).model_validate(resource)
    patients = [json.loads(x) for x in (folder / "Patient.ndjson").read_text().splitlines()]
    assert all(p["meta"]["security"][0]["code"] == "HTEST" for p in patients)
    assert all(p["name"][0]["text"].endswith("(fictional)") for p in patients)


def test_demo_fhir_names_a_missing_rows_file(tmp_path, capsys):
    args = ["casefind", "demo-fhir", str(tmp_path / "d"), "--from", str(tmp_path / "none.jsonl")]
    assert run(args) == 2
    assert "error: --from" in capsys.readouterr().err
