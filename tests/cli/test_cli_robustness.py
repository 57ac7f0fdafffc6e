"""Inputs a probe found that gave the CLI a traceback, each pinned: one error line, exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from spinefx.cli import run
from spinefx.clinical.pathway import REFERENCE_FOLLOWUP, REFERENCE_SCREENING

SCREENING = json.dumps(REFERENCE_SCREENING).encode()


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[" * 5000 + b"]" * 5000, "nested deeper than 64 levels"),
        (b'{"age": ' + b"7" * 5000 + b"}", "5000 digits is too long"),
        (b'{"age": 58, "sex": "\xff\xfe"}', "not UTF-8"),
        (b"\xff\xfe" + '{"age": 58}'.encode("utf-16-le"), "not UTF-8"),
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "line 1, column 1"),  # a second BOM is not JSON
        (b'{"age": NaN}', "NaN is not a JSON number"),
        (b'{"age": 1e999}', "too large"),
        (b'{"age": "\\ud800"}', "age"),
    ],
)
def test_a_bad_json_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, says: str
) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    assert run(["screen", str(path)]) == 2
    assert says in one_error_line(capsys)


def test_the_same_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"age": "\xff"}'), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    assert run(["screen", "-"]) == 2
    assert "standard input" in one_error_line(capsys)


def test_a_utf8_byte_order_mark_is_read_as_text_editors_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(b"\xef\xbb\xbf" + SCREENING)
    assert run(["screen", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"]


@pytest.mark.parametrize("day", ["9999-12-31", "2200-01-01"])
def test_a_fracture_date_at_the_far_end_is_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], day: str
) -> None:
    path = tmp_path / "in.json"
    body = {**REFERENCE_FOLLOWUP, "fracture_date": day, "as_of": day}
    path.write_text(json.dumps(body), encoding="utf-8")
    assert run(["followup", str(path)]) == 2
    assert "fracture_date: got" in one_error_line(capsys)


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (b'"NPI","Entity Type Code"\r"1","2"\n', "carriage return"),
        (b'"NPI\r","Entity Type Code"\n', "carriage return"),
        (b'"NPI","Entity\x00"\n', "NUL"),
        (b'"NPI,"Entity Type Code"\n', "well-formed header"),
        (b'\xff\xfe"NPI"\n', "UTF-8"),
        (b"\n\n", "empty"),
    ],
)
def test_directory_ingest_on_a_malformed_header_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: bytes, says: str
) -> None:
    path = tmp_path / "npidata_pfile.csv"
    path.write_bytes(header)
    assert run(["directory", "ingest", str(path), "--db", str(tmp_path / "d.duckdb")]) == 2
    assert says in one_error_line(capsys)
    assert not (tmp_path / "d.duckdb").exists()
