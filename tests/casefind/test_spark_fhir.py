"""Bulk FHIR reports on Spark (local[2]): the local engine's records, counts and errors.

Needs Java: skipped without it, except where SPINEFX_REQUIRE_SPARK=1 (CI), where a missing
Java fails the test.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.reference import Reference

from spinefx.cli import run
from spinefx.fhir.bulk import ndjson_line
from spinefx.fhir.report_demo import demo_resources

DEV = Path(__file__).resolve().parent.parent / "data" / "casefind_dev.jsonl"
ROWS = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
TEXT = ["--text-column", "findings", "--text-column", "impression", "--patient-column", "patient"]


@pytest.fixture(scope="module")
def spark_conf(tmp_path_factory):
    if shutil.which("java") is None:
        if os.environ.get("SPINEFX_REQUIRE_SPARK") == "1":
            pytest.fail("SPINEFX_REQUIRE_SPARK=1 but no java on PATH: install default-jre-headless")
        pytest.skip("no Java: the Spark engine cannot run here")
    base = tmp_path_factory.mktemp("spark")
    return base, {
        "spark.local.dir": str(base / "local"),
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        "spark.default.parallelism": "2",
    }


def _lines() -> list[str]:
    """The development set as FHIR: every 4th report a DocumentReference, Patients first, one
    report whose text is only at a url in the middle."""
    by_type = demo_resources(ROWS)
    lines = [ndjson_line(p) for p in by_type["Patient"]]
    for i, report in enumerate(by_type["DiagnosticReport"]):
        assert isinstance(report, DiagnosticReport)
        if i % 4 == 3:
            report = DocumentReference(
                id=report.id,
                status="current",
                subject=report.subject,
                date=report.effectiveDateTime,
                content=[DocumentReferenceContent(attachment=report.presentedForm[0])],
            )
        lines.append(ndjson_line(report))
        if i == 200:
            url_only = DiagnosticReport(
                id="x-url",
                status="final",
                code={"text": "CT"},
                subject=Reference(reference="Patient/p0001"),
                presentedForm=[Attachment(contentType="text/plain", url="https://ehr.example/1")],
            )
            lines.append(ndjson_line(url_only))
    return lines


def test_spark_reads_bulk_fhir_as_the_local_engine_and_csv_do(spark_conf, tmp_path, monkeypatch):
    from spinefx.casefind.reports import open_fhir_reports
    from spinefx.casefind.spark import run_spark

    base, conf = spark_conf
    monkeypatch.chdir(base)  # anything Spark leaves in the working folder stays under tmp
    reports_fhir = tmp_path / "reports.ndjson"
    reports_fhir.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    reports_csv = tmp_path / "reports.csv"
    with reports_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "patient", "findings", "impression"])
        writer.writeheader()
        for row in ROWS:
            writer.writerow({k: row.get(k) for k in writer.fieldnames})
    local_fhir, local_csv = tmp_path / "local-fhir.parquet", tmp_path / "local-csv.parquet"
    assert run(["casefind", str(reports_fhir), "--out", str(local_fhir), "--quiet"]) == 0
    assert run(["casefind", str(reports_csv), "--out", str(local_csv), *TEXT, "--quiet"]) == 0

    source = open_fhir_reports(reports_fhir)
    spark_out = tmp_path / "spark.parquet"
    assert run_spark(source, spark_out, master="local[2]", conf=conf) == len(ROWS)
    spark = sorted(pq.read_table(spark_out).to_pylist(), key=lambda r: r["id"])
    local = sorted(pq.read_table(local_fhir).to_pylist(), key=lambda r: r["id"])
    from_csv = sorted(pq.read_table(local_csv).to_pylist(), key=lambda r: r["id"])
    assert len(spark) == len(ROWS)
    assert spark == local  # the date included
    assert [{k: v for k, v in r.items() if k != "date"} for r in spark] == from_csv
    assert dict(source.skipped) == {
        "other-resource-type": len(demo_resources(ROWS)["Patient"]),
        "url-only-attachment": 1,
    }
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_malformed_line_on_spark_is_named_with_exit_2(spark_conf, tmp_path, monkeypatch, capsys):
    base, _ = spark_conf
    monkeypatch.chdir(base)
    good = ndjson_line(
        DiagnosticReport(
            id="a1",
            status="final",
            code={"text": "XR"},
            conclusion="Acute L1 compression fracture.",
        )
    )
    path = tmp_path / "reports.ndjson"
    path.write_text("\n".join([good, good, good, '{"resourceType": ', good]) + "\n")
    out = tmp_path / "found.parquet"
    args = ["casefind", str(path), "--out", str(out), "--engine", "spark", "--master", "local[2]"]
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: reports.ndjson line 4: got '{\"resourceType\": '")
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_into_registry_from_fhir_on_spark(spark_conf, tmp_path, monkeypatch, capsys):
    from spinefx.registry.db import Registry

    base, _ = spark_conf
    monkeypatch.chdir(base)
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    Registry.open(url).init()
    folder = tmp_path / "demo"
    assert run(["casefind", "demo-fhir", str(folder)]) == 0
    reports = folder / "DiagnosticReport.ndjson"
    out = tmp_path / "found.parquet"
    args = ["casefind", str(reports), "--out", str(out), "--engine", "spark"]
    args += ["--master", "local[2]", "--into-registry"]
    args += ["--patients", str(folder / "Patient.ndjson")]
    assert run([*args, "--site", "north", "--registry-url", url]) == 0
    printed = capsys.readouterr().out
    found = sum(1 for r in ROWS if r["label"] != "absent")
    assert f"registry, site north: {found} found reports: " in printed
    assert "0 already-recorded, 0 dismissed" in printed


def test_a_bad_line_of_a_cluster_path_is_shown_by_its_start():
    """A file the driver cannot read again (on HDFS, say) is named with the bad line's start."""
    from collections import Counter

    from spinefx.casefind.reports import FhirReportSource
    from spinefx.casefind.spark import _BAD_LINE, _bad_line

    source = FhirReportSource(Path("hdfs:///archive/DiagnosticReport.ndjson"))
    assert _bad_line(source, Counter({"other-resource-type": 3})) is None
    error = _bad_line(source, Counter({_BAD_LINE + '{"resourceType": ': 1}))
    assert error is not None
    assert str(error) == (
        "DiagnosticReport.ndjson: a line: got '{\"resourceType\": '; "
        "allowed: one FHIR resource as JSON"
    )
