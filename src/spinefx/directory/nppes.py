"""Ingest the NPPES main file (``npidata_pfile_*.csv``) into the directory database.

The file is about 11 GB with some 9.7 million rows of 330 quoted text columns. Only the columns
we need are read, by name, in blocks of a few megabytes; each block is filtered with vectorised
Arrow compute (valid NPI, active, entity type 1 or 2, at least one of our taxonomy codes), and
the few rows kept are appended to a staging table in DuckDB. The final tables are built in SQL
once the whole file is read, inside :func:`spinefx.directory.store.building`, so the directory
is replaced only by a complete new one.

>>> report = ingest(Path("npidata_pfile_20250602-20250608.csv"))  # doctest: +SKIP
>>> report.kept, report.per_specialty["neurosurgery"]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from spinefx.directory import locations as locations_mod
from spinefx.directory import utilization as utilization_mod
from spinefx.directory.csvstream import (
    ProgressFn,
    check_file,
    read_header,
    stream_columns,
    valid_utf8,
)
from spinefx.directory.geo import centroid_table
from spinefx.directory.report import IngestReport, Problems
from spinefx.directory.store import building, resolve_db_path, scalar
from spinefx.directory.taxonomy import SPECIALTIES, SPECIALTY_BITS, TAXONOMY_TO_SPECIALTY
from spinefx.errors import InputError

__all__ = ["REQUIRED_COLUMNS", "TAXONOMY_SLOTS", "check_nppes_header", "ingest"]

TAXONOMY_SLOTS = 15
# Kept rows are buffered up to this many before one INSERT (bounded: about 50 MB of text).
FLUSH_ROWS = 100_000

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
_ENTITY_TYPES = pa.array(["1", "2"], pa.string())


def check_nppes_header(header: list[str], path: Path) -> None:
    """Raise :class:`InputError` naming every needed column the header lacks."""
    present = set(header)
    missing = [name for name in REQUIRED_COLUMNS if name not in present]
    if not present.intersection(SEX_CODE_NAMES):
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
    db_path: Path | None = None,
    utilization_csv: Path | None = None,
    locations_csv: Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Build the directory from the NPPES main file (and optional companions), atomically.

    Inputs are checked before anything is written: a missing file or a header without the
    needed columns is an :class:`InputError`. The database at ``db_path`` (default
    :func:`~spinefx.directory.store.default_db_path`) is replaced only when the build succeeds.
    """
    started = time.perf_counter()
    nppes_csv = check_file(Path(nppes_csv), "NPPES_CSV")
    check_nppes_header(read_header(nppes_csv, "NPPES_CSV"), nppes_csv)
    if utilization_csv is not None:
        utilization_csv = check_file(Path(utilization_csv), "--utilization")
        utilization_mod.check_header(read_header(utilization_csv, "--utilization"), utilization_csv)
    if locations_csv is not None:
        locations_csv = check_file(Path(locations_csv), "--locations")
        locations_mod.check_header(read_header(locations_csv, "--locations"), locations_csv)

    target = resolve_db_path(db_path)
    report = IngestReport(db_path=str(target), source=str(nppes_csv))
    with building(target) as conn:
        _create_staging(conn)
        _stage_nppes(conn, nppes_csv, report, progress)
        if utilization_csv is not None:
            report.utilization = utilization_mod.stage(conn, utilization_csv, progress)
        if locations_csv is not None:
            report.locations = locations_mod.stage(conn, locations_csv, progress)
        _build(conn, report)
        if report.utilization is not None:
            utilization_mod.finish(conn, report.utilization)
        if report.locations is not None:
            locations_mod.finish(conn, report.locations)
        conn.execute("DROP TABLE IF EXISTS util_raw")
        conn.execute("DROP TABLE IF EXISTS loc_raw")
        report.seconds = round(time.perf_counter() - started, 2)
        conn.execute(
            "INSERT INTO meta VALUES ('loaded_at', CAST(now() AS VARCHAR)), ('report', ?)",
            [report.model_dump_json()],
        )
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _create_staging(conn: duckdb.DuckDBPyConnection) -> None:
    cols = ", ".join(f"{short} VARCHAR" for short in COLUMNS)
    conn.execute(f"CREATE TEMP TABLE raw ({cols})")
    utilization_mod.create_staging(conn)
    locations_mod.create_staging(conn)
    conn.register("zip_centroids_arrow", centroid_table())
    conn.execute(
        """
        CREATE TEMP TABLE zip_centroids AS
        SELECT zip, lat, lon,
            cos(radians(lat)) * cos(radians(lon)) AS ux,
            cos(radians(lat)) * sin(radians(lon)) AS uy,
            sin(radians(lat)) AS uz
        FROM zip_centroids_arrow
        """
    )
    conn.unregister("zip_centroids_arrow")
    codes = sorted(TAXONOMY_TO_SPECIALTY)
    taxmap = pa.table(
        {
            "code": pa.array(codes, pa.string()),
            "specialty": pa.array([TAXONOMY_TO_SPECIALTY[c] for c in codes], pa.string()),
            "bit": pa.array([SPECIALTY_BITS[TAXONOMY_TO_SPECIALTY[c]] for c in codes], pa.int32()),
        }
    )
    conn.register("taxmap_arrow", taxmap)
    conn.execute("CREATE TEMP TABLE taxmap AS SELECT * FROM taxmap_arrow")
    conn.unregister("taxmap_arrow")


def _stage_nppes(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    report: IngestReport,
    progress: ProgressFn | None,
) -> None:
    names = list(COLUMNS.values())
    shorts = list(COLUMNS)
    pending: list[pa.Table] = []
    pending_rows = 0
    cut_rows = Problems()  # rows with the wrong number of fields, skipped by the reader
    for batch in stream_columns(path, names, malformed=cut_rows, label="NPPES", progress=progress):
        kept = _filter_batch(batch.rename_columns(shorts), report)
        if kept.num_rows:
            pending.append(kept)
            pending_rows += kept.num_rows
        if pending_rows >= FLUSH_ROWS:
            _append(conn, pending)
            pending, pending_rows = [], 0
    _append(conn, pending)
    pa.default_memory_pool().release_unused()  # hand the read buffers back before the build
    report.rows_read += cut_rows.count  # rows skipped by the reader were read too
    report.malformed.add(cut_rows.count, cut_rows.examples)


def _append(conn: duckdb.DuckDBPyConnection, tables: list[pa.Table]) -> None:
    """Insert kept rows in large groups: each INSERT has a fixed cost of some milliseconds."""
    if not tables:
        return
    conn.register("nppes_batch", valid_utf8(pa.concat_tables(tables)))
    conn.execute("INSERT INTO raw SELECT * FROM nppes_batch")
    conn.unregister("nppes_batch")


def _examples(mask: pa.Array, batch: pa.RecordBatch, describe: str) -> tuple[int, list[str]]:
    count = pc.sum(mask).as_py() or 0
    if not count:
        return 0, []
    rows = batch.filter(mask).slice(0, 5).to_pylist()
    return count, [describe.format(**row) for row in rows]


def _filter_batch(batch: pa.RecordBatch, report: IngestReport) -> pa.Table:
    """Count the batch's rows by fate and return those kept (vectorised, no per-row Python)."""
    report.rows_read += batch.num_rows
    npi = batch.column("npi")
    good_npi = pc.match_substring_regex(npi, r"^[0-9]{10}$")
    bad_npi = pc.invert(good_npi)
    n, ex = _examples(bad_npi, batch, "NPI {npi!r} is not 10 digits")
    report.malformed.add(n, ex)

    deactivated_on = pc.strptime(
        batch.column("deactivated_on"), format="%m/%d/%Y", unit="s", error_is_null=True
    )
    reactivated_on = pc.strptime(
        batch.column("reactivated_on"), format="%m/%d/%Y", unit="s", error_is_null=True
    )
    has_deactivation = pc.not_equal(batch.column("deactivated_on"), "")
    reactivated_later = pc.fill_null(pc.greater_equal(reactivated_on, deactivated_on), False)
    deactivated = pc.and_(good_npi, pc.and_(has_deactivation, pc.invert(reactivated_later)))
    report.deactivated += pc.sum(deactivated).as_py() or 0
    alive = pc.and_(good_npi, pc.invert(deactivated))
    report.reactivated += pc.sum(pc.and_(alive, has_deactivation)).as_py() or 0

    good_entity = pc.is_in(batch.column("entity"), value_set=_ENTITY_TYPES)
    bad_entity = pc.and_(alive, pc.invert(good_entity))
    n, ex = _examples(bad_entity, batch, "NPI {npi}: entity type {entity!r} is not 1 or 2")
    report.malformed.add(n, ex)
    candidate = pc.and_(alive, good_entity)

    ours = pc.is_in(batch.column("tax1"), value_set=_MAPPED_CODES)
    for i in range(2, TAXONOMY_SLOTS + 1):
        ours = pc.or_(ours, pc.is_in(batch.column(f"tax{i}"), value_set=_MAPPED_CODES))
    keep = pc.and_(candidate, ours)
    report.not_our_specialties += pc.sum(pc.and_(candidate, pc.invert(ours))).as_py() or 0
    return pa.Table.from_batches([batch.filter(keep)])


def _build(conn: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """Turn the staged rows into the final, search-ordered tables."""
    total = scalar(conn, "SELECT count(*) FROM raw")
    distinct = scalar(conn, "SELECT count(DISTINCT npi) FROM raw")
    if total != distinct:
        dupes = conn.execute(
            "SELECT npi FROM raw GROUP BY npi HAVING count(*) > 1 ORDER BY npi LIMIT 5"
        ).fetchall()
        report.malformed.add(
            total - distinct,
            [f"NPI {npi} appears more than once; one row kept" for (npi,) in dupes],
        )
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE raw AS "
            "SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY npi) = 1"
        )

    slots = " UNION ALL ".join(
        f"SELECT npi, {i} AS position, tax{i} AS code, sw{i} = 'Y' AS is_primary "
        f"FROM raw WHERE tax{i} <> ''"
        for i in range(1, TAXONOMY_SLOTS + 1)
    )
    conn.execute(
        f"""
        INSERT INTO provider_taxonomies
        SELECT t.npi, t.position, t.code, m.specialty, t.is_primary
        FROM ({slots}) t JOIN taxmap m USING (code)
        """
    )
    conn.execute(
        """
        CREATE TEMP TABLE provider_specialties AS
        WITH ranked AS (
            SELECT npi, specialty,
                   min(CASE WHEN is_primary THEN 0 ELSE position END) AS rank
            FROM provider_taxonomies GROUP BY npi, specialty
        )
        SELECT r.npi,
               list(r.specialty ORDER BY r.rank, r.specialty) AS specialties,
               bit_or(m.bit) AS mask
        FROM ranked r
        JOIN (SELECT DISTINCT specialty, bit FROM taxmap) m USING (specialty)
        GROUP BY r.npi
        """
    )
    volume = utilization_mod.VOLUME_SQL
    conn.execute(
        f"""
        INSERT INTO providers
        WITH base AS (
            SELECT *,
                CASE WHEN trim(country) IN ('', 'US')
                          AND regexp_full_match(postal, '[0-9]{{5}}([0-9]{{4}})?')
                     THEN left(postal, 5) END AS zip5
            FROM raw
        )
        SELECT
            b.npi,
            CAST(b.entity AS TINYINT),
            CASE WHEN b.entity = '2' THEN nullif(trim(b.org_name), '')
                 ELSE nullif(concat_ws(' ', nullif(trim(b.first_name), ''),
                                       nullif(trim(b.last_name), '')), '')
                      || coalesce(', ' || nullif(trim(b.credential), ''), '')
            END,
            nullif(concat_ws(', ', nullif(trim(b.addr1), ''), nullif(trim(b.addr2), '')), ''),
            nullif(trim(b.city), ''),
            nullif(trim(b.state), ''),
            nullif(trim(b.postal), ''),
            coalesce(nullif(trim(b.country), ''), 'US'),
            z.zip,
            CASE WHEN regexp_full_match(b.phone, '[0-9]{{10}}')
                 THEN b.phone[1:3] || '-' || b.phone[4:6] || '-' || b.phone[7:10]
                 ELSE nullif(trim(b.phone), '') END,
            z.lat,
            z.lon,
            z.ux,
            z.uy,
            z.uz,
            CAST(b.npi AS BIGINT),
            s.mask,
            s.specialties,
            s.specialties[1],
            v.bkp_services,
            v.bkp_beneficiaries,
            v.vertebroplasty_services,
            v.vertebroplasty_beneficiaries
        FROM base b
        JOIN provider_specialties s USING (npi)
        LEFT JOIN zip_centroids z ON z.zip = b.zip5
        LEFT JOIN ({volume}) v ON v.npi = b.npi
        ORDER BY z.lat NULLS LAST, z.lon, b.npi
        """
    )
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
    conn.execute("DROP TABLE raw")
