"""The synthetic sample: real file formats, determinism, and what it holds."""

from __future__ import annotations

import csv
from pathlib import Path

from spinefx.directory.demo import write_demo_files
from spinefx.directory.locations import COLUMNS as LOCATION_COLUMNS
from spinefx.directory.nppes_header import NPPES_COLUMNS
from spinefx.directory.othernames import COLUMNS as OTHER_NAME_COLUMNS
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.directory.store import read_connection


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


def test_the_other_name_file_is_in_the_cms_format_for_organisations_only(tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, rows=2000, seed=4)
    lines = files.other_names.read_text().splitlines()
    assert lines[0] == ",".join(f'"{c}"' for c in OTHER_NAME_COLUMNS.values())
    assert all(line.startswith('"') and line.endswith('"') for line in lines[1:])
    rows = list(csv.reader(lines[1:]))
    assert {len(r) for r in rows} == {3}
    assert {r[2] for r in rows} == {"3", "4", "5"}  # doing business as, former, other
    assert all(r[1].endswith("fictional)") for r in rows)
    with files.npidata.open(newline="") as handle:
        main = csv.DictReader(handle)
        entity = {r["NPI"]: r["Entity Type Code"] for r in main}
    assert {entity[r[0]] for r in rows} == {"2"}
    again = write_demo_files(tmp_path / "again", rows=2000, seed=4)
    assert again.other_names.read_bytes() == files.other_names.read_bytes()


def test_the_demo_finds_an_organisation_by_its_doing_business_as_name(demo_db: Path) -> None:
    with read_connection(demo_db) as conn:
        named = conn.execute(
            "SELECT count(*) FROM providers WHERE len(other_names) > 0 AND entity_type = 2"
        ).fetchall()[0][0]
        individuals = conn.execute(
            "SELECT count(*) FROM providers WHERE len(other_names) > 0 AND entity_type = 1"
        ).fetchall()[0][0]
        kinds = {
            t for (t,) in conn.execute("SELECT DISTINCT type_code FROM other_names").fetchall()
        }
    assert named > 20 and individuals == 0
    assert kinds == {"3", "5"}  # former legal names (type 4) are left out
    found = search(demo_db, SearchQuery(zip="02139", radius=25, name="kyphoplasty center"))
    assert found.total > 0
    for hit in found.results:
        assert "kyphoplasty center" not in (hit.name or "").lower()  # not in the legal name
        assert any("Kyphoplasty Center" in other for other in hit.other_names)
    first = provider_info(demo_db, found.results[0].npi)
    assert first.other_names == found.results[0].other_names
