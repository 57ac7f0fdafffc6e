"""Ingest the NPPES main file (``npidata_pfile_*.csv``) into the directory database.

The file is about 11 GB with some 9.7 million rows of 330 quoted text columns. Only the columns
we need are read, by name, in byte ranges of about 64 MB, each parsed on every core while the
previous one is filtered (:func:`~spinefx.directory.csvstream.stream_ranges`); each range is
filtered with vectorised Arrow compute (valid NPI, active, entity type 1 or 2, at
least one of our taxonomy codes) and the few rows kept are shaped in Arrow (display name,
address, phone, ZIP code and its centroid, specialties; one row per taxonomy slot of ours) and
held in memory, or spilled to a Parquet file past :data:`SPILL_BYTES`. DuckDB reads them once,
in place, to build the final tables inside :func:`spinefx.directory.store.building`, so the
directory is replaced only by a complete new one.

>>> report = ingest(Path("npidata_pfile_20250602-20250608.csv"))  # doctest: +SKIP
>>> report.kept, report.per_specialty["neurosurgery"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from spinefx.directory import locations as locations_mod
from spinefx.directory import othernames as othernames_mod
from spinefx.directory import utilization as utilization_mod
from spinefx.directory.archive import CsvSource, file_period, is_archive, open_release
from spinefx.directory.csvstream import (
    ProgressFn,
    ReadAhead,
    check_file,
    read_header,
    stream_columns,
    stream_ranges,
    valid_utf8,
)
from spinefx.directory.geo import ZipLocator
from spinefx.directory.headers import missing_columns
from spinefx.directory.report import MAX_EXAMPLES, IngestReport, Problems
from spinefx.directory.store import (
    ROW_GROUP_SIZE,
    building,
    one,
    scalar,
    write_facts,
)
from spinefx.directory.taxonomy import SPECIALTIES, SPECIALTY_BITS, TAXONOMY_TO_SPECIALTY
from spinefx.errors import InputError

if TYPE_CHECKING:  # both imported where they are used: the reader starts before them
    import duckdb
    import pyarrow.parquet as pq

__all__ = ["REQUIRED_COLUMNS", "TAXONOMY_SLOTS", "check_nppes_header", "ingest"]

TAXONOMY_SLOTS = 15
# Kept rows are held in memory up to this many bytes of Arrow buffers, then spilled to Parquet.
SPILL_BYTES = 128 << 20
# Parsed blocks (a few thousand rows each) are filtered in groups of about this many rows: each
# Arrow compute call has a fixed cost, and a filter makes some 50 of them.
GROUP_ROWS = 32_768
# How the main file is read: "ranges" (byte ranges of 64 MB, each parsed on every core; the
# default) or "stream" (4 MB blocks parsed one after another on a reader thread, the earlier
# reader, kept for comparison in the benchmark and the tests).
READER = "ranges"
# Ranges (or groups of blocks) of the main file parsed ahead of the filtering, at most: at the
# start they are parsed while the database opens; then the filtering keeps up with the parse.
READ_AHEAD = 3
# Where a record of the main file starts: a line break, then the quoted 10-digit NPI.
RECORD_START = re.compile(rb'\n"[0-9]{10}","')
# Examples kept of one kind of malformed row (the report keeps five in all).
EXAMPLES_PER_REASON = 2

# short name -> column name in the NPPES header
_BASE_COLUMNS: dict[str, str] = {
    "npi": "NPI",
    "entity": "Entity Type Code",
    "org_name": "Provider Organization Name (Legal Business Name)",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "credential": "Provider Credential Text",
    "addr1": "Provider First Line Business Practice Location Address",
    "addr2": "Provider Second Line Business Practice Location Address",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "postal": "Provider Business Practice Location Address Postal Code",
    "country": "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "phone": "Provider Business Practice Location Address Telephone Number",
    "deactivated_on": "NPI Deactivation Date",
    "reactivated_on": "NPI Reactivation Date",
}
COLUMNS: dict[str, str] = dict(_BASE_COLUMNS)
for _i in range(1, TAXONOMY_SLOTS + 1):
    COLUMNS[f"tax{_i}"] = f"Healthcare Provider Taxonomy Code_{_i}"
    COLUMNS[f"sw{_i}"] = f"Healthcare Provider Primary Taxonomy Switch_{_i}"

# Not read, but its presence (under either name) tells an NPPES header from another CSV.
SEX_CODE_NAMES = ("Provider Sex Code", "Provider Gender Code")
REQUIRED_COLUMNS: tuple[str, ...] = tuple(COLUMNS.values())

_MAPPED_CODES = pa.array(sorted(TAXONOMY_TO_SPECIALTY), pa.string())
# Our specialties in name order (a provider's list is ordered by rank, then name), and for each
# mapped code (as ordered in _MAPPED_CODES) the index of its specialty and its bit.
_SPECIALTY_NAMES = pa.array(sorted(SPECIALTIES), pa.string())
_SPECIALTY_OF_CODE = pa.array(
    [sorted(SPECIALTIES).index(TAXONOMY_TO_SPECIALTY[c]) for c in _MAPPED_CODES.to_pylist()],
    pa.int64(),
)
_BIT_OF_CODE = pa.array(
    [SPECIALTY_BITS[TAXONOMY_TO_SPECIALTY[c]] for c in _MAPPED_CODES.to_pylist()], pa.int32()
)
_ENTITY_TYPES = pa.array(["1", "2"], pa.string())


def check_nppes_header(header: list[str], path: Path) -> None:
    """Raise :class:`InputError` naming every needed column the header lacks (names matched
    as :func:`~spinefx.directory.csvstream.header_key` reads them)."""
    missing = missing_columns(header, REQUIRED_COLUMNS)
    if len(missing_columns(header, SEX_CODE_NAMES)) == len(SEX_CODE_NAMES):
        missing.append(" or ".join(repr(name) for name in SEX_CODE_NAMES))
    if missing:
        shown = "; ".join(repr(m) if " or " not in m else m for m in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise InputError(
            "NPPES_CSV",
            str(path),
            f"the NPPES main file (npidata_pfile_*.csv) with its header; missing columns: "
            f"{shown}{more}",
        )


def ingest(
    nppes_csv: Path,
    *,
    db_path: Path,
    utilization_csv: Path | None = None,
    locations_csv: Path | None = None,
    other_names_csv: Path | None = None,
    progress: ProgressFn | None = None,
    timings: dict[str, float] | None = None,
    demo: bool = False,
    record_npis: bool = False,
) -> IngestReport:
    """Build the directory from the NPPES main file (and optional companions), atomically.

    ``nppes_csv`` is the main file (``npidata_pfile_*.csv``) or the monthly archive as CMS
    ships it (``NPPES_Data_Dissemination_<Month>_<Year>.zip``), whose main, practice-location
    and other-name files are then read straight from the archive (``locations_csv`` and
    ``other_names_csv``, when given, take the place of the archive's).

    Inputs are checked before anything is written: a missing file or a header without the
    needed columns is an :class:`InputError`. The database at ``db_path`` is replaced only when
    the build succeeds.
    ``timings``, when given, receives the seconds spent in each phase (for benchmarks).
    ``demo`` records in the database that its providers are fictional (see
    :func:`~spinefx.directory.store.directory_facts`); the Medicare data year is read from the
    utilization file's name when it carries one. ``record_npis`` keeps every valid NPI of the
    main file, with whether it is deactivated or reactivated, in a table ``seen`` (for
    :func:`spinefx.directory.update.update`, which removes or replaces each).
    """
    phases = _Phases(timings)
    started = time.perf_counter()
    main, locations, other_names, archive = _sources(nppes_csv, locations_csv, other_names_csv)
    check_nppes_header(read_header(main, "NPPES_CSV"), main.path)
    if utilization_csv is not None:
        utilization_csv = check_file(Path(utilization_csv), "--utilization")
        utilization_mod.check_header(read_header(utilization_csv, "--utilization"), utilization_csv)
    if locations is not None:
        locations_mod.check_header(read_header(locations, "--locations"), locations.path)
    if other_names is not None:
        othernames_mod.check_header(read_header(other_names, "--other-names"), other_names.path)

    target = Path(db_path).expanduser()
    report = IngestReport(db_path=str(target), source=str(main), archive=archive)
    phases.lap("checks")
    cut_rows = Problems()  # rows with the wrong number of fields, skipped by the reader
    # The main file is read from here on, on a thread of its own, up to READ_AHEAD ranges
    # ahead: its first ranges are parsed while DuckDB is imported and the database and the ZIP
    # centroids are made ready (on one core; Arrow's parse takes the others).
    with (
        ReadAhead(_read_nppes(main, cut_rows, progress), READ_AHEAD) as tables,
        building(target) as conn,
    ):
        _create_staging(conn)
        # The ZIP centroids (42,000 ZIP codes; cached in the data folder after first use).
        locator = ZipLocator()
        conn.register("zip_centroids", locator.table)  # for the practice locations
        phases.lap("open database, ZIP centroids")
        seen: list[pa.Table] | None = [] if record_npis else None
        kept = _stage_nppes(conn, tables, cut_rows, locator, report, seen)
        if seen is not None:
            _store_seen(conn, seen)
        phases.lap("read and filter the main file")
        if utilization_csv is not None:
            report.utilization = utilization_mod.stage(conn, utilization_csv, progress)
            phases.lap("read the Medicare file")
        if locations is not None:
            report.locations = locations_mod.stage(conn, locations, progress)
            phases.lap("read the locations file")
        if other_names is not None:
            report.other_names = othernames_mod.stage(conn, other_names, progress)
            phases.lap("read the other-name file")
        _build(conn, report, *kept)
        for rows in kept:
            rows.drop()
        phases.lap("build providers")
        if report.utilization is not None:
            utilization_mod.finish(conn, report.utilization)
        if report.locations is not None:
            locations_mod.finish(conn, report.locations)
        if report.other_names is not None:
            othernames_mod.finish(conn, report.other_names)
        conn.execute("DROP TABLE IF EXISTS util_raw")
        conn.execute("DROP TABLE IF EXISTS loc_raw")
        conn.execute("DROP TABLE IF EXISTS othername_raw")
        conn.unregister("zip_centroids")
        report.seconds = round(time.perf_counter() - started, 2)
        conn.execute(
            "INSERT INTO meta VALUES ('loaded_at', CAST(now() AS VARCHAR)), ('report', ?)",
            [report.model_dump_json()],
        )
        year = utilization_mod.data_year(utilization_csv) if utilization_csv else None
        write_facts(conn, demo=demo, medicare_year=year)
        built_from = Path(archive).name if archive is not None else main.name
        conn.execute("INSERT INTO meta VALUES ('built_from', ?)", [built_from])
        period = file_period(main.name) or file_period(built_from)
        if period is not None:
            conn.execute("INSERT INTO meta VALUES ('built_through', ?)", [period.end.isoformat()])
        phases.lap("finish companions")
    phases.lap("write to disk and swap in")
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _sources(
    nppes: Path, locations: Path | None, other_names: Path | None
) -> tuple[CsvSource, CsvSource | None, CsvSource | None, str | None]:
    """The main, locations and other-name files to read (checked to exist), and the archive
    they come from (``None`` for plain files)."""
    nppes = Path(nppes)
    archive: str | None = None
    if is_archive(nppes):
        release = open_release(nppes, "NPPES_FILE")
        main = release.main
        found_locations, found_other_names = release.locations, release.other_names
        archive = str(nppes)
    else:
        main = CsvSource.file(check_file(nppes, "NPPES_CSV"))
        found_locations = found_other_names = None
    if locations is not None:
        found_locations = CsvSource.file(check_file(Path(locations), "--locations"))
    if other_names is not None:
        found_other_names = CsvSource.file(check_file(Path(other_names), "--other-names"))
    return main, found_locations, found_other_names, archive


class _Phases:
    """Seconds per phase, recorded into ``sink`` when one is given."""

    def __init__(self, sink: dict[str, float] | None) -> None:
        self.sink = sink
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.sink is not None:
            self.sink[name] = self.sink.get(name, 0.0) + now - self.last
        self.last = now


def _create_staging(conn: duckdb.DuckDBPyConnection) -> None:
    utilization_mod.create_staging(conn)
    locations_mod.create_staging(conn)
    othernames_mod.create_staging(conn)


class _KeptRows:
    """Rows kept from the main file: in memory while small, spilled to Parquet beyond.

    After filtering and shaping, a block keeps a small share of its rows in a few narrow
    columns (about 7% of the real file's rows), so they usually stay in memory and DuckDB
    scans them once, in place, through Arrow. Past ``spill_bytes`` they are streamed to a
    Parquet file in the build's scratch folder instead, so memory stays bounded whatever the
    file holds.
    """

    def __init__(
        self, conn: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema, spill_bytes: int
    ) -> None:
        self.conn = conn
        self.name = name
        self.schema = schema
        self.spill_bytes = spill_bytes
        self.tables: list[pa.Table] = []
        self.nbytes = 0
        self.rows = 0
        self.writer: pq.ParquetWriter | None = None
        self.parquet: Path | None = None
        # After register(): all the rows as one Arrow table, unless they were spilled.
        self.table: pa.Table | None = None

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.rows += table.num_rows
        self.tables.append(table)
        self.nbytes += table.nbytes
        if self.nbytes >= self.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        table = pa.concat_tables(self.tables)
        if self.writer is None:
            import pyarrow.parquet as pq

            row = one(self.conn, "SELECT current_setting('temp_directory')")
            folder = Path(str(row[0]) if row else ".")
            folder.mkdir(parents=True, exist_ok=True)
            self.parquet = folder / f"{self.name}.parquet"
            # Plain pages: dictionaries and statistics would double the write's time, and
            # the file is read once, whole, by the build.
            self.writer = pq.ParquetWriter(
                self.parquet,
                self.schema,
                compression="none",
                use_dictionary=False,
                write_statistics=False,
            )
        self.writer.write_table(table, row_group_size=1 << 17)
        self.tables, self.nbytes = [], 0

    def register(self) -> None:
        """Make the rows readable in SQL under ``name`` (one Arrow table or the Parquet file)."""
        if self.writer is not None:
            if self.tables:
                self._spill()
            self.writer.close()
            self.writer = None
            quoted = str(self.parquet).replace("'", "''")  # a view cannot take parameters
            self.conn.execute(
                f"CREATE TEMP VIEW {self.name} AS SELECT * FROM read_parquet('{quoted}')"
            )
            return
        table = pa.concat_tables(self.tables) if self.tables else self.schema.empty_table()
        self.tables = []
        self.table = table
        self.conn.register(self.name, table)

    def drop(self) -> None:
        import duckdb

        self.table = None
        with contextlib.suppress(duckdb.Error):
            self.conn.unregister(self.name)
        self.conn.execute(f"DROP VIEW IF EXISTS {self.name}")


# What is kept of each provider row, shaped in Arrow as the rows are read: the providers
# table's own columns, specialties and ZIP centroid (the Medicare volume is joined at the end) ...
BASE_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),  # order of the row among those kept: picks one of duplicate NPIs
        ("npi", pa.string()),
        ("entity_type", pa.int8()),
        ("name", pa.string()),
        ("address", pa.string()),
        ("city", pa.string()),
        ("state", pa.string()),
        ("postal_code", pa.string()),
        ("country", pa.string()),
        ("zip5", pa.string()),
        ("phone", pa.string()),
        ("npi_int", pa.int64()),
        # our specialties of the row, by rank (primary first, then slot order), then by name
        ("specialties", pa.list_(pa.string())),
        ("specialty_mask", pa.int32()),
        # the ZIP code's centroid and unit vector (geo.ZipLocator), null without a known ZIP
        ("zip", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("ux", pa.float64()),
        ("uy", pa.float64()),
        ("uz", pa.float64()),
    ]
)
# ... and its taxonomy slots holding one of our codes, one row per slot.
SLOT_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("npi", pa.string()),
        ("position", pa.int8()),
        ("code", pa.string()),
        ("specialty", pa.string()),
        ("is_primary", pa.bool_()),
    ]
)


def _read_nppes(
    path: CsvSource, cut_rows: Problems, progress: ProgressFn | None
) -> Generator[pa.Table, None, None]:
    """The needed columns of the main file (by their short names), a table at a time, parsed
    on the calling thread (the ingest iterates this on a :class:`ReadAhead` thread).

    Rows with the wrong number of fields are skipped by the reader and counted in ``cut_rows``.
    """
    names = list(COLUMNS.values())
    shorts = list(COLUMNS)
    if READER == "ranges":
        for table in stream_ranges(
            path,
            names,
            malformed=cut_rows,
            label="NPPES",
            progress=progress,
            record_start=RECORD_START,
            prefetch=0,
        ):
            yield table.rename_columns(shorts)
        return
    group: list[pa.RecordBatch] = []
    group_rows = 0
    batches = stream_columns(
        path, names, malformed=cut_rows, label="NPPES", progress=progress, prefetch=0
    )
    for batch in batches:
        group.append(batch.rename_columns(shorts))
        group_rows += batch.num_rows
        if group_rows >= GROUP_ROWS:
            yield pa.Table.from_batches(group)
            group, group_rows = [], 0
    if group:
        yield pa.Table.from_batches(group)


def _stage_nppes(
    conn: duckdb.DuckDBPyConnection,
    tables: Iterable[pa.Table],
    cut_rows: Problems,
    locator: ZipLocator,
    report: IngestReport,
    seen: list[pa.Table] | None = None,
) -> tuple[_KeptRows, _KeptRows]:
    """Filter and shape ``tables`` (from :func:`_read_nppes`) into the kept rows (and, with
    ``seen``, every valid NPI with its deactivation state)."""
    base = _KeptRows(conn, "kept_base", BASE_SCHEMA, SPILL_BYTES)
    slots = _KeptRows(conn, "kept_slots", SLOT_SCHEMA, SPILL_BYTES // 4)
    for table in tables:
        # One chunk: the shaping below works on aligned arrays (the kept rows are few).
        kept = _valid_text(_filter_batch(table, report, seen)).combine_chunks()
        if not kept.num_rows:
            continue
        seq = pa.array(range(base.rows, base.rows + kept.num_rows), pa.int64())
        shaped_slots = _shape_slots(kept, seq)
        specialties, mask = _specialties(shaped_slots, base.rows, kept.num_rows)
        shaped = _shape_base(kept, seq)
        located = locator.locate(shaped.column("zip5"))
        base.add(
            pa.Table.from_arrays(
                [*shaped.columns, specialties, mask, *located.columns], schema=BASE_SCHEMA
            )
        )
        slots.add(shaped_slots.drop_columns(["specialty_index", "bit"]))
    base.register()
    slots.register()
    pa.default_memory_pool().release_unused()  # hand the read buffers back before the build
    report.rows_read += cut_rows.count  # rows skipped by the reader were read too
    report.malformed.add(cut_rows.count, cut_rows.examples)
    return base, slots


# Columns kept as text: read without the UTF-8 check, so checked (and mended) on kept rows only.
# The others are compared with fixed ASCII values (codes, switches, dates) or checked as digits.
_TEXT_COLUMNS = [
    "org_name",
    "last_name",
    "first_name",
    "credential",
    "addr1",
    "addr2",
    "city",
    "state",
    "postal",
    "country",
    "phone",
]


def _valid_text(kept: pa.Table) -> pa.Table:
    """``kept`` with its text columns made valid UTF-8 (see :func:`valid_utf8`)."""
    text = valid_utf8(kept.select(_TEXT_COLUMNS))
    for name in _TEXT_COLUMNS:
        kept = kept.set_column(kept.schema.get_field_index(name), name, text.column(name))
    return kept


_NULL_TEXT = pa.scalar(None, pa.string())


def _text(table: pa.Table, column: str) -> pa.ChunkedArray:
    """A column with spaces trimmed and empty text as null: SQL's ``nullif(trim(x), '')``."""
    trimmed = pc.utf8_trim(table.column(column), characters=" ")
    return pc.if_else(pc.equal(trimmed, ""), _NULL_TEXT, trimmed)


def _join_text(separator: str, first: pa.ChunkedArray, second: pa.ChunkedArray) -> pa.ChunkedArray:
    """SQL's ``concat_ws(separator, first, second)`` of non-empty text, null when both are.

    (Not ``binary_join_element_wise(..., null_handling="skip")``: pyarrow 26 drops the rows
    where every part is null from its result.)
    """
    both = pc.binary_join_element_wise(first, second, separator)
    return pc.coalesce(both, first, second)


def _is_digits(values: pa.ChunkedArray, *lengths: int) -> pa.ChunkedArray:
    """Whether each value is ASCII digits only, of one of ``lengths``."""
    length = pc.binary_length(values)
    right_length = pc.is_in(length, value_set=pa.array(lengths, pa.int32()))
    return pc.and_(pc.ascii_is_decimal(values), right_length)


# The base columns shaped from the row itself (the specialties come from its taxonomy slots).
_SHAPED_BASE = pa.schema(list(BASE_SCHEMA)[: BASE_SCHEMA.get_field_index("specialties")])
# The slot rows as shaped, with the index of the slot's specialty and its bit for _specialties.
_SHAPED_SLOTS = SLOT_SCHEMA.append(pa.field("specialty_index", pa.int64())).append(
    pa.field("bit", pa.int32())
)


def _shape_base(kept: pa.Table, seq: pa.Array) -> pa.Table:
    """The providers columns of the kept rows (vectorised; names, addresses, phone, ZIP)."""
    person = pc.binary_join_element_wise(
        _join_text(" ", _text(kept, "first_name"), _text(kept, "last_name")),
        pc.fill_null(pc.binary_join_element_wise(", ", _text(kept, "credential"), ""), ""),
        "",
    )
    organization = pc.equal(kept.column("entity"), "2")
    name = pc.if_else(organization, _text(kept, "org_name"), person)
    phone = kept.column("phone")
    formatted_phone = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(phone, 0, 3),
        pc.utf8_slice_codeunits(phone, 3, 6),
        pc.utf8_slice_codeunits(phone, 6, 10),
        "-",
    )
    postal = kept.column("postal")
    country = _text(kept, "country")
    us = pc.fill_null(pc.equal(country, "US"), True)
    zip5 = pc.if_else(
        pc.and_(us, _is_digits(postal, 5, 9)), pc.utf8_slice_codeunits(postal, 0, 5), _NULL_TEXT
    )
    return pa.table(
        [
            seq,
            kept.column("npi"),
            pc.cast(kept.column("entity"), pa.int8()),
            name,
            _join_text(", ", _text(kept, "addr1"), _text(kept, "addr2")),
            _text(kept, "city"),
            _text(kept, "state"),
            _text(kept, "postal"),
            pc.fill_null(country, "US"),
            zip5,
            pc.if_else(_is_digits(phone, 10), formatted_phone, _text(kept, "phone")),
            pc.cast(kept.column("npi"), pa.int64()),
        ],
        schema=_SHAPED_BASE,
    )


def _shape_slots(kept: pa.Table, seq: pa.Array) -> pa.Table:
    """One row per taxonomy slot of the kept rows that holds one of our codes."""
    parts = []
    for i in range(1, TAXONOMY_SLOTS + 1):
        code = kept.column(f"tax{i}")
        ours = pc.is_in(code, value_set=_MAPPED_CODES)
        if not pc.any(ours).as_py():
            continue
        rows = pc.indices_nonzero(ours)
        ours_code = code.take(rows)
        where = pc.index_in(ours_code, value_set=_MAPPED_CODES)
        specialty = _SPECIALTY_OF_CODE.take(where)
        parts.append(
            pa.table(
                [
                    seq.take(rows),
                    kept.column("npi").take(rows),
                    pa.repeat(pa.scalar(i, pa.int8()), len(rows)),
                    ours_code,
                    _SPECIALTY_NAMES.take(specialty),
                    pc.equal(kept.column(f"sw{i}").take(rows), "Y"),
                    specialty,
                    _BIT_OF_CODE.take(where),
                ],
                schema=_SHAPED_SLOTS,
            )
        )
    return pa.concat_tables(parts).combine_chunks() if parts else _SHAPED_SLOTS.empty_table()


def _specialties(slots: pa.Table, first: int, rows: int) -> tuple[pa.Array, pa.Array]:
    """Each kept row's specialties (ordered by rank, then name) and their mask, from its slots.

    ``slots`` are the rows ``first`` to ``first + rows - 1`` (by ``seq``) of a block's slot rows
    (every kept row has at least one). A specialty's rank is 0 when one of its slots is the
    primary taxonomy, else its first slot's position: SQL's ``list(specialty ORDER BY rank,
    specialty)`` over ``min(CASE WHEN is_primary THEN 0 ELSE position END)`` per specialty.
    """
    seq = slots.column("seq").combine_chunks()
    index = slots.column("specialty_index").combine_chunks()
    rank = pc.if_else(
        slots.column("is_primary").combine_chunks(),
        pa.scalar(0, pa.int8()),
        slots.column("position").combine_chunks(),
    )
    pairs = pa.RecordBatch.from_arrays(
        [
            pc.add(pc.multiply(seq, len(_SPECIALTY_NAMES)), index),  # row and specialty
            rank,
            seq,
            index,
            pc.cast(slots.column("bit").combine_chunks(), pa.int64()),
        ],
        names=["key", "rank", "seq", "index", "bit"],
    )
    # By row and specialty, lowest rank first: the first of each (row, specialty) is its rank.
    pairs = pairs.take(pc.sort_indices(pairs, [("key", "ascending"), ("rank", "ascending")]))
    key = pairs.column("key")
    if len(key):
        later = pc.equal(key.slice(1), key.slice(0, len(key) - 1))
        pairs = pairs.filter(pa.concat_arrays([pa.array([True]), pc.invert(later)]))
    pairs = pairs.take(
        pc.sort_indices(
            pairs, [("seq", "ascending"), ("rank", "ascending"), ("index", "ascending")]
        )
    )
    runs = pc.run_end_encode(pairs.column("seq"))
    if not runs.values.equals(pa.array(range(first, first + rows), pa.int64())):
        raise RuntimeError("a kept row without a taxonomy code of ours")  # kept rows have one
    ends = pc.cast(runs.run_ends, pa.int32())
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends])
    specialties = pa.ListArray.from_arrays(offsets, _SPECIALTY_NAMES.take(pairs.column("index")))
    # The mask: the sum of the row's (distinct) specialty bits, as a difference of running sums.
    running = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(pairs.column("bit"))])
    mask = pc.subtract(running.take(ends), running.take(offsets.slice(0, rows)))
    return specialties, pc.cast(mask, pa.int32())


def _examples(
    mask: pa.ChunkedArray | pa.Array, table: pa.Table, describe: str, problems: Problems
) -> None:
    """Count the rows under ``mask`` in ``problems``, describing the first few of this kind.

    At most :data:`EXAMPLES_PER_REASON` examples of one kind are kept, so that the report's
    examples show each reason; the table is filtered for them only while they are wanted.
    """
    count = pc.sum(mask).as_py() or 0
    if not count:
        return
    kind = describe.rsplit("}", 1)[-1]  # the fixed text after the last field
    shown = sum(1 for e in problems.examples if e.endswith(kind))
    room = min(EXAMPLES_PER_REASON - shown, MAX_EXAMPLES - len(problems.examples))
    examples: list[str] = []
    if room > 0:
        rows = table.filter(mask).slice(0, room).to_pylist()
        examples = [describe.format(**row) for row in rows]
    problems.add(count, examples)


def _store_seen(conn: duckdb.DuckDBPyConnection, seen: list[pa.Table]) -> None:
    schema = pa.schema(
        [("npi", pa.string()), ("deactivated", pa.bool_()), ("reactivated", pa.bool_())]
    )
    table = pa.concat_tables(seen) if seen else schema.empty_table()
    conn.register("seen_rows", table)
    conn.execute(
        "CREATE TABLE seen AS SELECT npi, bool_or(deactivated) AS deactivated, "
        "bool_or(reactivated) AS reactivated FROM seen_rows GROUP BY npi"
    )
    conn.unregister("seen_rows")


def _filter_batch(
    table: pa.Table, report: IngestReport, seen: list[pa.Table] | None = None
) -> pa.Table:
    """Count the rows by fate and return those kept (vectorised, no per-row Python)."""
    report.rows_read += table.num_rows
    npi = table.column("npi")
    # 10 ASCII digits (as the pattern ^[0-9]{10}$, but faster).
    good_npi = pc.and_(pc.ascii_is_decimal(npi), pc.equal(pc.binary_length(npi), 10))
    _examples(pc.invert(good_npi), table, "NPI {npi!r} is not 10 digits", report.malformed)

    has_deactivation = pc.not_equal(table.column("deactivated_on"), "")
    # The dates are parsed only where there is a deactivation date (a few rows in a hundred).
    dated = table.select(["deactivated_on", "reactivated_on"]).filter(has_deactivation)
    deactivated_on = pc.strptime(
        dated.column("deactivated_on"), format="%m/%d/%Y", unit="s", error_is_null=True
    )
    reactivated_on = pc.strptime(
        dated.column("reactivated_on"), format="%m/%d/%Y", unit="s", error_is_null=True
    )
    reactivated_later = pc.fill_null(pc.greater_equal(reactivated_on, deactivated_on), False)
    still_off = pc.replace_with_mask(
        pa.repeat(pa.scalar(False), table.num_rows),
        has_deactivation.combine_chunks(),
        pc.invert(reactivated_later).combine_chunks(),
    )
    deactivated = pc.and_(good_npi, still_off)
    report.deactivated += pc.sum(deactivated).as_py() or 0
    alive = pc.and_(good_npi, pc.invert(deactivated))
    reactivated = pc.and_(alive, has_deactivation)
    report.reactivated += pc.sum(reactivated).as_py() or 0
    if seen is not None:
        rows = pc.indices_nonzero(good_npi)
        seen.append(
            pa.table(
                {
                    "npi": npi.take(rows),
                    "deactivated": deactivated.take(rows),
                    "reactivated": reactivated.take(rows),
                }
            )
        )

    good_entity = pc.is_in(table.column("entity"), value_set=_ENTITY_TYPES)
    bad_entity = pc.and_(alive, pc.invert(good_entity))
    _examples(
        bad_entity, table, "NPI {npi}: entity type {entity!r} is not 1 or 2", report.malformed
    )
    candidate = pc.and_(alive, good_entity)

    ours = pc.is_in(table.column("tax1"), value_set=_MAPPED_CODES)
    for i in range(2, TAXONOMY_SLOTS + 1):
        ours = pc.or_(ours, pc.is_in(table.column(f"tax{i}"), value_set=_MAPPED_CODES))
    keep = pc.and_(candidate, ours)
    report.not_our_specialties += pc.sum(pc.and_(candidate, pc.invert(ours))).as_py() or 0
    return table.take(pc.indices_nonzero(keep))  # (faster than filter here)


# The providers table's columns, from the kept rows and their Medicare volume.
_PROVIDER_COLUMNS = """
    npi, entity_type, name, address, city, state, postal_code, country, zip, phone,
    lat, lon, ux, uy, uz, npi_int, specialty_mask, specialties, specialties[1],
    bkp_services, bkp_beneficiaries, vertebroplasty_services, vertebroplasty_beneficiaries,
    CAST(NULL AS VARCHAR[])
"""
# The order the providers table is stored in: by ZIP centroid (latitude, then longitude: search
# skips row groups by their latitude), then most BKP services first, then NPI, which is the
# order of the search index (spinefx.directory.index), so it loads without sorting.
_SEARCH_ORDER = [
    ("lat", "ascending"),
    ("lon", "ascending"),
    ("bkp_services", "descending"),
    ("npi_int", "ascending"),
]


def _build(
    conn: duckdb.DuckDBPyConnection, report: IngestReport, base: _KeptRows, slots: _KeptRows
) -> None:
    """Turn the kept rows (``kept_base``, ``kept_slots``) into the final, search-ordered tables.

    The rows were shaped in Arrow while the file was read (with each provider's specialties
    and ZIP centroid), so what is left is joining NPIs to their Medicare volume and writing
    the providers sorted by latitude. Rows held in memory are sorted in Arrow and handed to
    DuckDB a row group at a time, which it writes in parallel and in order; spilled rows are
    sorted by DuckDB, which spills to disk as it needs.
    """
    base_name, slots_name = base.name, slots.name  # scanned in place, never copied first
    total = scalar(conn, f"SELECT count(*) FROM {base_name}")
    distinct = scalar(conn, f"SELECT count(DISTINCT npi) FROM {base_name}")
    if total != distinct:
        dupes = conn.execute(
            f"SELECT npi FROM {base_name} GROUP BY npi HAVING count(*) > 1 ORDER BY npi LIMIT 5"
        ).fetchall()
        report.malformed.add(
            total - distinct,
            [f"NPI {npi} appears more than once; one row kept" for (npi,) in dupes],
        )
        # The first row of each NPI is kept, with its own taxonomy slots.
        conn.execute(
            f"CREATE TEMP TABLE unique_base AS SELECT * FROM {base_name} "
            "QUALIFY row_number() OVER (PARTITION BY npi ORDER BY seq) = 1"
        )
        conn.execute(
            f"CREATE TEMP TABLE unique_slots AS SELECT * FROM {slots_name} "
            "WHERE seq IN (SELECT seq FROM unique_base)"
        )
        base_name, slots_name = "unique_base", "unique_slots"

    conn.execute(
        f"INSERT INTO provider_taxonomies "
        f"SELECT npi, position, code, specialty, is_primary FROM {slots_name}"
    )
    volume = utilization_mod.VOLUME_SQL
    if base.table is None:  # spilled to Parquet
        conn.execute(
            f"""
            INSERT INTO providers
            SELECT {_PROVIDER_COLUMNS}
            FROM {base_name} LEFT JOIN ({volume}) USING (npi)
            ORDER BY lat NULLS LAST, lon, bkp_services DESC NULLS LAST, npi_int
            """
        )
    else:
        rows = base.table if base_name == base.name else _arrow(conn, f"FROM {base_name}")
        volumes = _arrow(conn, volume)
        where = pc.index_in(rows.column("npi"), value_set=volumes.column("npi"))
        for name in volumes.column_names[1:]:
            rows = rows.append_column(name, volumes.column(name).take(where))
        ordered = rows.take(pc.sort_indices(rows, sort_keys=_SEARCH_ORDER))  # nulls last
        # One batch a row group: DuckDB writes the groups in parallel, keeping their order.
        batches = ordered.to_batches(max_chunksize=ROW_GROUP_SIZE)
        conn.register("ordered_base", pa.Table.from_batches(batches, ordered.schema))
        conn.execute("SET preserve_insertion_order = true")
        try:
            conn.execute(f"INSERT INTO providers SELECT {_PROVIDER_COLUMNS} FROM ordered_base")
        finally:
            conn.execute("SET preserve_insertion_order = false")
            conn.unregister("ordered_base")
    report.kept = scalar(conn, "SELECT count(*) FROM providers")
    counts = dict(
        conn.execute(
            "SELECT specialty, count(DISTINCT npi) FROM provider_taxonomies GROUP BY specialty"
        ).fetchall()
    )
    report.per_specialty = {sid: int(counts.get(sid, 0)) for sid in SPECIALTIES}
    no_zip = conn.execute(
        "SELECT npi, postal_code, country FROM providers WHERE lat IS NULL ORDER BY npi LIMIT 5"
    ).fetchall()
    report.no_us_zip = Problems()
    report.no_us_zip.add(
        scalar(conn, "SELECT count(*) FROM providers WHERE lat IS NULL"),
        [
            f"NPI {npi}: postal code {postal!r}, country {country}"
            for npi, postal, country in no_zip
        ],
    )
    conn.execute("DROP TABLE IF EXISTS unique_base")
    conn.execute("DROP TABLE IF EXISTS unique_slots")


def _arrow(conn: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    """The result of ``query`` as an Arrow table (DuckDB 1.x returns one, 2.x a reader)."""
    result = conn.sql(query).arrow()
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result
