"""The NPPES releases as CMS ships them: the monthly archive read in place, and other names."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from spinefx.directory import csvstream
from spinefx.directory.demo import write_demo_files
from spinefx.directory.index import DirectoryIndex
from spinefx.directory.nppes import ingest
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.directory.store import read_connection
from spinefx.errors import InputError

MONTH = "20050523-20260308"


def organization(files: SimpleNamespace, npi: str, name: str, **fields: str) -> dict[str, str]:
    return files.provider(npi, entity="2", org=name, first="", last="", credential="", **fields)


@pytest.fixture
def monthly(tmp_path: Path, files: SimpleNamespace) -> Path:
    rows = [
        files.provider("1000000001"),
        organization(files, "1000000002", "HARBOR SPINE HOLDINGS LLC"),
        files.provider("1000000003", postal="10001"),  # New York; a second office in Cambridge
    ]
    locations = [
        ["1000000003", "5 SECOND ST", "", "CAMBRIDGE", "MA", "021394307", "", "6175550199", "", ""],
    ]
    other_names = [
        ["1000000002", "Harbor Spine Center", "3"],  # doing business as
        ["1000000002", "Old Harbor Inc", "4"],  # former legal business name: not kept
        ["1000000002", "Harbor Kypho", "5"],  # other name
        ["1000000001", "Not An Organization", "3"],  # type 1 NPIs have no other names
        ["1999999999", "Not In The Directory", "3"],
    ]
    return files.write_release(
        tmp_path / "NPPES_Data_Dissemination_March_2026_V2.zip",
        MONTH,
        rows,
        locations,
        other_names,
    )


def test_ingest_reads_the_monthly_archive_without_extracting_it(
    tmp_path: Path, monthly: Path
) -> None:
    db = tmp_path / "directory.duckdb"
    report = ingest(monthly, db_path=db)
    assert report.archive == str(monthly)
    assert report.source.endswith(f"npidata_pfile_{MONTH}.csv")
    assert (report.rows_read, report.kept) == (3, 3)
    assert report.locations is not None and report.locations.kept == 1
    assert report.other_names is not None
    assert (report.other_names.rows_read, report.other_names.kept) == (5, 2)
    assert report.other_names.organizations == 1
    # Nothing was written beside the archive but the database (data/ is the test's data folder).
    written = sorted(p.name for p in tmp_path.iterdir() if p.name != "data")
    assert written == [monthly.name, db.name]
    detail = provider_info(db, "1000000002")
    assert detail.name == "HARBOR SPINE HOLDINGS LLC"
    assert detail.other_names == ["Harbor Kypho", "Harbor Spine Center"]
    assert [loc.postal_code for loc in provider_info(db, "1000000003").locations] == ["021394307"]


@pytest.mark.parametrize("with_index", [False, True], ids=["sql", "index"])
def test_organisations_are_found_by_their_other_names(
    tmp_path: Path, monthly: Path, with_index: bool
) -> None:
    db = tmp_path / "directory.duckdb"
    ingest(monthly, db_path=db)
    index = None
    if with_index:
        with read_connection(db) as conn:
            index = DirectoryIndex.load(conn)

    def found(name: str) -> list[str]:
        result = search(db, SearchQuery(zip="02139", name=name), index=index)
        assert result.total == len(result.results)
        return [hit.npi for hit in result.results]

    assert found("spine center") == ["1000000002"]  # doing business as, any case
    assert found("KYPHO") == ["1000000002"]  # other name
    assert found("holdings") == ["1000000002"]  # the legal name still
    assert found("old harbor") == []  # a former legal name is not the organisation's name
    assert found("demo-001") == ["1000000001"]  # individuals by their names
    assert found("  harbor   spine ") == ["1000000002"]  # spaces as typed do not matter
    hit = search(db, SearchQuery(zip="02139", name="harbor"), index=index).results[0]
    assert hit.other_names == ["Harbor Kypho", "Harbor Spine Center"]


@pytest.mark.parametrize("with_index", [False, True], ids=["sql", "index"])
def test_a_provider_is_found_once_at_its_nearest_practice_location(
    tmp_path: Path, monthly: Path, with_index: bool
) -> None:
    db = tmp_path / "directory.duckdb"
    ingest(monthly, db_path=db)
    index = None
    if with_index:
        with read_connection(db) as conn:
            index = DirectoryIndex.load(conn)
    # From Cambridge: C (whose primary office is in New York) at its Cambridge office.
    near = search(db, SearchQuery(zip="02139", radius=10), index=index)
    assert [h.npi for h in near.results] == ["1000000001", "1000000002", "1000000003"]
    second = near.results[2]
    assert (second.secondary_location, second.distance_miles) == (True, 0.0)
    assert (second.address, second.city, second.zip) == ("5 SECOND ST", "CAMBRIDGE", "02139")
    # Both offices in range: counted and shown once, at the nearer one.
    wide = search(db, SearchQuery(zip="02139", radius=500), index=index)
    assert wide.total == 3 and [h.npi for h in wide.results].count("1000000003") == 1
    from_new_york = search(db, SearchQuery(zip="10001", radius=500), index=index).results
    first = from_new_york[0]
    assert (first.npi, first.secondary_location, first.distance_miles) == ("1000000003", False, 0.0)
    assert first.city == "CAMBRIDGE" and first.zip == "10001"  # the test's main file says so


def test_an_archive_whose_file_disagrees_with_its_header_file_is_refused(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    archive = files.write_release(
        tmp_path / "NPPES_Data_Dissemination_March_2026_V2.zip",
        MONTH,
        [files.provider("1000000001")],
        header_override={f"npidata_pfile_{MONTH}_fileheader.csv": '"NPI","Something Else"\n'},
    )
    db = tmp_path / "directory.duckdb"
    with pytest.raises(InputError, match=r"fileheader\.csv; they differ"):
        ingest(archive, db_path=db)
    assert not db.exists()


def test_an_archive_without_a_main_file_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "NPPES_Data_Dissemination_March_2026_V2.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("NPPES_Data_Dissemination_Readme.pdf", b"%PDF")
    with pytest.raises(InputError, match="holding npidata_pfile"):
        ingest(archive, db_path=tmp_path / "directory.duckdb")


def table_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("providers", "provider_taxonomies", "locations")
        }
    finally:
        conn.close()


def test_the_archive_gives_the_directory_its_extracted_files_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = write_demo_files(tmp_path / "files", rows=3_000, seed=5)
    archive = tmp_path / "NPPES_Data_Dissemination_March_2026_V2.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.write(demo.npidata, f"npidata_pfile_{MONTH}.csv")
        handle.write(demo.locations, f"pl_pfile_{MONTH}.csv")
    ingest(demo.npidata, db_path=tmp_path / "files.duckdb", locations_csv=demo.locations)
    # Small pieces: many cuts between records, each at a record start.
    monkeypatch.setattr(csvstream, "RANGE_BYTES", 50_000)
    report = ingest(archive, db_path=tmp_path / "archive.duckdb")
    assert report.kept > 1_000
    assert table_rows(tmp_path / "archive.duckdb") == table_rows(tmp_path / "files.duckdb")
