"""The synthetic sample: real file formats, determinism, and what it holds."""

from __future__ import annotations

import csv
from pathlib import Path

from spinefx.directory.demo import write_demo_files
from spinefx.directory.locations import COLUMNS as LOCATION_COLUMNS
from spinefx.directory.nppes_header import NPPES_COLUMNS


def test_the_main_file_has_the_exact_header_and_quotes_every_value(tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, rows=500, seed=3)
    with files.npidata.open(newline="") as handle:
        header = next(csv.reader(handle))
        lines = handle.read().splitlines()
    assert tuple(header) == NPPES_COLUMNS
    first = lines[0]
    assert first.startswith('"') and first.endswith('"')
    assert first.count('","') == 329
    rows = list(csv.reader(lines))
    full = [r for r in rows if len(r) == 330]
    assert len(full) == len(rows) == 500  # no row cut short unless a test asks for one
    dates = [r[NPPES_COLUMNS.index("Provider Enumeration Date")] for r in full if r[1]]
    assert all(len(d) == 10 and d[2] == "/" and d[5] == "/" for d in dates)
    postal = [r[NPPES_COLUMNS.index("Provider Business Practice Location Address Postal Code")]
              for r in full]  # fmt: skip
    assert any(len(p) == 9 and p.isdigit() for p in postal)
    assert all("Demo" in (r[5] + r[4]) or not r[1] or r[1] == "X" for r in full)


def test_the_sample_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = write_demo_files(tmp_path / "a", rows=300, seed=9)
    b = write_demo_files(tmp_path / "b", rows=300, seed=9)
    c = write_demo_files(tmp_path / "c", rows=300, seed=10)
    assert a.npidata.read_bytes() == b.npidata.read_bytes()
    assert a.utilization.read_bytes() == b.utilization.read_bytes()
    assert a.npidata.read_bytes() != c.npidata.read_bytes()


def test_the_location_file_repeats_some_rows_byte_for_byte(tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, rows=2000, seed=4)
    lines = files.locations.read_text().splitlines()
    assert lines[0] == ",".join(f'"{c}"' for c in LOCATION_COLUMNS.values())
    assert len(set(lines[1:])) < len(lines[1:])
