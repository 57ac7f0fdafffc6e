"""``spinefx casefind REPORTS --out OUT``: formats, columns, bad input, no half-written files."""

import csv
import json

import pyarrow.parquet as pq
import pytest

from spinefx.cli import run

REPORTS = [
    {
        "id": "r1",
        "patient": "p1",
        "findings": "Lungs clear. There is a mild anterior wedge deformity of the",
        "impression": "T8 vertebral body, age-indeterminate.",
    },
    {
        "id": "r2",
        "patient": "p2",
        "findings": "Lungs clear.",
        "impression": "No compression fracture.",
    },
    {
        "id": "r3",
        "patient": "p1",
        "findings": "Healed left rib fractures.",
        "impression": "Normal.",
    },
    {
        "id": "r4",
        "patient": "p3",
        "findings": None,
        "impression": "Possible L1 compression fracture.",
    },
]
TEXT = ["--text-column", "findings", "--text-column", "impression"]


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def reports_csv(tmp_path):
    path = tmp_path / "reports.csv"
    _write_csv(path, REPORTS)
    return path


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_csv_in_jsonl_out(tmp_path, reports_csv, capsys):
    out = tmp_path / "found.jsonl"
    args = ["casefind", str(reports_csv), "--out", str(out), *TEXT]
    assert run([*args, "--patient-column", "patient", "--workers", "1", "--quiet"]) == 0
    records = _jsonl(out)
    assert [r["id"] for r in records] == ["r1", "r2", "r3", "r4"]
    assert [r["vcf"] for r in records] == ["present", "absent", "absent", "uncertain"]
    first = records[0]
    assert first == {
        "id": "r1",
        "patient": "p1",
        "vcf": "present",
        "levels": ["T8"],
        "regions": ["thoracic"],
        "acuity": "indeterminate",
        "severity": "mild",
        "treated": False,
        "evidence": [{"text": "wedge deformity", "start": 38, "end": 53, "status": "present"}],
    }
    joined = REPORTS[0]["findings"] + " " + REPORTS[0]["impression"]
    assert joined[38:53] == "wedge deformity"
    assert records[1]["evidence"][0]["status"] == "negated"
    assert "4 reports" in capsys.readouterr().out


def test_jsonl_in_parquet_and_csv_out_give_the_same_records(tmp_path):
    src = tmp_path / "reports.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    pq_out, csv_out = tmp_path / "found.parquet", tmp_path / "found.csv"
    base = ["casefind", str(src), *TEXT, "--workers", "1", "--quiet"]
    assert run([*base, "--out", str(pq_out)]) == 0
    assert run([*base, "--out", str(csv_out)]) == 0
    table = pq.read_table(pq_out).to_pylist()
    assert [r["vcf"] for r in table] == ["present", "absent", "absent", "uncertain"]
    assert table[0]["evidence"][0]["text"] == "wedge deformity"
    with csv_out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["levels"] == "T8"
    assert json.loads(rows[0]["evidence"]) == table[0]["evidence"]
    assert rows[0]["patient"] == ""  # no --patient-column


def test_parquet_in_with_a_worker_pool(tmp_path):
    import pyarrow as pa

    src = tmp_path / "reports.parquet"
    pq.write_table(pa.Table.from_pylist(REPORTS * 3), src)
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(src), "--out", str(out), *TEXT, "--workers", "2"]) == 0
    assert [r["vcf"] for r in _jsonl(out)] == ["present", "absent", "absent", "uncertain"] * 3


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--text-column", "body"], "--text-column"),
        (["--id-column", "accession"], "--id-column"),
        ([*TEXT, "--patient-column", "mrn"], "--patient-column"),
    ],
)
def test_a_missing_column_exits_2_naming_it(tmp_path, reports_csv, capsys, extra, field):
    out = tmp_path / "found.jsonl"
    assert run(["casefind", str(reports_csv), "--out", str(out), *extra, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}: got ")
    assert "it has: id, patient, findings, impression" in err
    assert not out.exists()


def test_unknown_extensions_exit_2(tmp_path, reports_csv, capsys):
    assert run(["casefind", str(reports_csv), "--out", str(tmp_path / "x.txt")]) == 2
    assert "error: --out" in capsys.readouterr().err
    other = tmp_path / "reports.xlsx"
    other.write_text("x")
    assert run(["casefind", str(other), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "error: REPORTS" in capsys.readouterr().err


def test_a_missing_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "none.csv"
    assert run(["casefind", str(missing), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "an existing file" in capsys.readouterr().err


def test_a_report_without_an_id_leaves_no_output_at_all(tmp_path, capsys):
    rows = [dict(r, id=r["id"]) for r in REPORTS]
    rows[3]["id"] = ""  # CSV: an empty id is read as missing
    src = tmp_path / "reports.csv"
    _write_csv(src, rows)
    out = tmp_path / "found.jsonl"
    out.write_text("an older result\n", encoding="utf-8")
    code = run(["casefind", str(src), "--out", str(out), *TEXT, "--workers", "1", "--quiet"])
    assert code == 2
    assert "row 4 has none" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "an older result\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["found.jsonl", "reports.csv"]


def test_help_lists_the_commands(capsys):
    assert run(["casefind", "--help"]) == 0
    text = capsys.readouterr().out
    assert "evaluate" in text
    assert "run" in text


def test_csv_out_makes_formulas_inert_and_reads_them_back(tmp_path):
    """A patient id a spreadsheet would run (=, +, -, @) is quoted in the CSV (OWASP CSV
    injection; verbatim before the fix) and comes back unchanged when the file is read."""
    from spinefx.casefind.reports import read_findings

    src = tmp_path / "reports.jsonl"
    patients = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(1+1)"]
    rows = [{**REPORTS[0], "id": f"r{i}", "patient": p} for i, p in enumerate(patients)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "found.csv"
    args = ["casefind", str(src), *TEXT, "--patient-column", "patient", "--out", str(out)]
    assert run([*args, "--workers", "1", "--quiet"]) == 0
    with out.open(encoding="utf-8", newline="") as f:
        written = [r["patient"] for r in csv.DictReader(f)]
    assert written == ["'" + p for p in patients]
    assert [r["patient"] for r in read_findings(out)] == patients
