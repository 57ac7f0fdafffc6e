"""The streamed ingest's machinery: the reader thread, spilling kept rows, duplicates, the
demo generator's share of our specialties, phase timings and the search warm-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from spinefx.directory import csvstream
from spinefx.directory import nppes as nppes_mod
from spinefx.directory.demo import write_demo_files
from spinefx.directory.nppes import ingest
from spinefx.directory.search import SearchQuery, provider_info, search, warm_up

TABLES = {
    "providers": "npi",
    "provider_taxonomies": "npi, position",
    "locations": "npi, address, city, phone",
    "utilization": "npi, hcpcs, place_of_service",
}


def table_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
            for name, order in TABLES.items()
        }
    finally:
        conn.close()


def stored_providers(db: Path) -> list[tuple[object, ...]]:
    """``lat, lon, bkp_services, npi`` of each provider, in the order they are stored."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute("SELECT lat, lon, bkp_services, npi FROM providers").fetchall()
    finally:
        conn.close()


def search_order(row: tuple[object, ...]) -> tuple[object, ...]:
    lat, lon, bkp, npi = row
    return (
        lat is None,
        lat or 0.0,
        lon or 0.0,
        bkp is None,
        -bkp if isinstance(bkp, int) else 0,
        npi,
    )


def test_the_reader_thread_hands_on_errors_and_stops_when_the_consumer_does() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("broken block")

    got: list[int] = []
    with pytest.raises(ValueError, match="broken block"):
        for item in csvstream._prefetched(failing(), depth=2):
            got.append(item)
    assert got == [1]

    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    stream = csvstream._prefetched(endless(), depth=2)
    assert isinstance(stream, Generator)
    assert [next(stream) for _ in range(3)] == [1, 2, 3]
    stream.close()  # the consumer stops early: the producer stops and closes its source
    assert closed.wait(5)


def test_read_ahead_starts_at_once_and_stops_when_closed_unread() -> None:
    """The ingest starts a ReadAhead on the main file before it opens its database: the items
    are produced before anyone asks, at most ``depth`` (and one in hand) ahead, and closing
    it without reading stops the producer and closes its source."""
    produced: list[int] = []
    closed = threading.Event()
    waiting = threading.Event()

    def counting() -> Iterator[int]:
        try:
            for n in range(100):
                produced.append(n)
                if len(produced) == 3:
                    waiting.set()
                yield n
        finally:
            closed.set()

    ahead = csvstream.ReadAhead(counting(), depth=2)
    assert waiting.wait(5)  # started without a first next()
    time.sleep(0.2)
    assert len(produced) <= 3  # two in the queue, one waiting to be put
    ahead.close()
    assert closed.wait(5) and len(produced) <= 3

    with csvstream.ReadAhead(iter(range(5)), depth=1) as items:
        assert list(items) == [0, 1, 2, 3, 4]
    assert list(items) == []  # done: stays done


def test_the_ingest_opens_the_database_while_the_main_file_is_read(
    tmp_path: Path, files: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader does not wait for the database, nor the database for the reader's first
    range: here the reader hands over its first table only once the database is being opened,
    which an ingest that waited for that table before opening would never do."""
    opening = threading.Event()
    real_read, real_building = nppes_mod._read_nppes, nppes_mod.building

    def reading(*args: object, **kwargs: object) -> Iterator[pa.Table]:
        for table in real_read(*args, **kwargs):  # type: ignore[arg-type]
            assert opening.wait(10), "the database was not opened while the file was read"
            yield table

    def building(target: Path) -> object:
        opening.set()
        return real_building(target)

    monkeypatch.setattr(nppes_mod, "_read_nppes", reading)
    monkeypatch.setattr(nppes_mod, "building", building)
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    assert ingest(nppes, db_path=tmp_path / "d.duckdb").kept == 1


def test_a_file_that_is_not_csv_is_still_an_input_error_through_the_thread(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    with nppes.open("a", encoding="utf-8") as handle:
        handle.write('"unterminated\n')
    report = ingest(nppes, db_path=tmp_path / "d.duckdb")  # a bad last row is skipped, counted
    assert report.kept == 1


def test_spilling_kept_rows_to_parquet_gives_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = write_demo_files(tmp_path / "files", rows=3_000, seed=11)

    def load(db: Path) -> None:
        ingest(
            demo.npidata,
            db_path=db,
            utilization_csv=demo.utilization,
            locations_csv=demo.locations,
        )

    load(tmp_path / "memory.duckdb")
    monkeypatch.setattr(nppes_mod, "SPILL_BYTES", 1)  # every group goes to the Parquet file
    monkeypatch.setattr(nppes_mod, "GROUP_ROWS", 500)
    load(tmp_path / "spilled.duckdb")
    assert table_rows(tmp_path / "spilled.duckdb") == table_rows(tmp_path / "memory.duckdb")
    # Both are stored in the search index's order: by latitude (unknown last), longitude, most
    # BKP services first (none last), NPI.
    stored = [stored_providers(tmp_path / name) for name in ("memory.duckdb", "spilled.duckdb")]
    assert stored[0] == stored[1]
    assert stored[0] == sorted(stored[0], key=search_order)
    assert stored[0][-1][0] is None  # the demo has providers without a known ZIP code
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["files", "memory.duckdb", "spilled.duckdb"]


def test_a_duplicate_npi_keeps_its_first_row_with_that_rows_taxonomies(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    rows = [
        files.provider("1000000001", tax1="207T00000X", city="CAMBRIDGE"),
        files.provider("1000000002"),
        files.provider("1000000001", tax1="207RR0500X", city="ELSEWHERE"),
    ]
    db = tmp_path / "d.duckdb"
    report = ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=db)
    assert report.kept == 2
    assert report.malformed.count == 1
    assert "NPI 1000000001 appears more than once" in report.malformed.examples[0]
    detail = provider_info(db, "1000000001")
    assert detail.city == "CAMBRIDGE"
    assert [t.code for t in detail.taxonomies] == ["207T00000X"]
    assert report.per_specialty["rheumatology"] == 0


def test_examples_show_each_kind_of_malformed_row(tmp_path: Path, files: SimpleNamespace) -> None:
    rows = [files.provider(f"12345{i}") for i in range(6)]
    rows += [files.provider(f"100000000{i}", entity="3") for i in range(3)]
    report = ingest(files.write_nppes(tmp_path / "n.csv", rows), db_path=tmp_path / "d.duckdb")
    assert report.malformed.count == 9
    text = " ".join(report.malformed.examples)
    assert text.count("is not 10 digits") == nppes_mod.EXAMPLES_PER_REASON
    assert "entity type '3'" in text


def test_an_ingest_reports_its_phases_when_asked(tmp_path: Path, files: SimpleNamespace) -> None:
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    timings: dict[str, float] = {}
    ingest(nppes, db_path=tmp_path / "d.duckdb", timings=timings)
    assert "read and filter the main file" in timings
    assert "build providers" in timings
    assert all(seconds >= 0 for seconds in timings.values())


@pytest.mark.parametrize("share", [0.1, 0.5])
def test_the_demo_generator_gives_the_share_of_rows_with_our_codes(
    tmp_path: Path, share: float
) -> None:
    demo = write_demo_files(tmp_path, rows=4_000, seed=5, our_share=share)
    report = ingest(demo.npidata, db_path=tmp_path / "d.duckdb")
    # A few rows are deactivated or malformed (about 3%), so the kept share sits a little lower.
    assert share * 0.85 <= report.kept / 4_000 <= share * 1.1
    table = pacsv.read_csv(
        demo.npidata, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip")
    )
    assert table.num_rows == 4_000


def test_the_demo_share_must_be_a_fraction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        write_demo_files(tmp_path, rows=10, our_share=1.5)


def test_warm_up_opens_the_directory_and_tolerates_none(tmp_path: Path, demo_db: Path) -> None:
    assert warm_up(tmp_path / "missing.duckdb") is False
    assert warm_up(demo_db) is True
    assert search(demo_db, SearchQuery(zip="02139")).total >= 1


def test_the_zip_table_is_cached_in_the_folder_given_and_rebuilt_when_damaged(
    tmp_path: Path,
) -> None:
    from spinefx.directory import geo

    cache = tmp_path / "cache"
    path = geo.zip_cache_file(cache)
    geo.forget_zip_table()
    try:
        built = geo.load_zip_table(cache)
        assert path.exists()
        geo.forget_zip_table()
        assert geo.load_zip_table(cache).equals(built)  # read back from the file
        path.write_bytes(b"not an arrow file")
        geo.forget_zip_table()
        assert geo.load_zip_table(cache).equals(built)  # rebuilt from the package
        assert geo.centroid("02139") is not None
        geo.forget_zip_table()
        assert geo.load_zip_table().equals(built)  # no folder given: no file read or written
    finally:
        geo.forget_zip_table()


def test_the_zip_locator_gives_centroids_and_the_searchs_own_unit_vectors() -> None:
    from spinefx.directory import geo

    located = geo.ZipLocator().locate(pa.array(["02139", "10001", None, "00000", "99999"]))
    rows = located.to_pylist()
    cambridge = geo.centroid("02139")
    assert cambridge is not None
    assert (rows[0]["zip"], rows[0]["lat"], rows[0]["lon"]) == ("02139", *cambridge[1:3])
    for row in rows[:2]:
        # Bit for bit: the radius test compares these with a query's vector.
        assert (row["ux"], row["uy"], row["uz"]) == geo.unit_vector(row["lat"], row["lon"])
    assert all(value is None for row in rows[2:] for value in row.values())
