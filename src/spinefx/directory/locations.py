"""Secondary practice locations from the NPPES companion file ``pl_pfile_*.csv``.

The primary practice location stays in the main file. The companion file holds byte-identical
duplicate rows; identical rows are stored once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from spinefx.directory.archive import CsvSource
from spinefx.directory.companion import CompanionFile
from spinefx.directory.csvstream import ProgressFn
from spinefx.directory.report import LocationsReport
from spinefx.directory.store import scalar

if TYPE_CHECKING:
    import duckdb

__all__ = ["COLUMNS", "check_header", "stage"]

_P = "Provider Secondary Practice Location Address"
COLUMNS: dict[str, str] = {
    "npi": "NPI",
    "addr1": f"{_P}- Address Line 1",
    "addr2": f"{_P}-  Address Line 2",  # two spaces, as in the real file (see headers.py)
    "city": f"{_P} - City Name",
    "state": f"{_P} - State Name",
    "postal": f"{_P} - Postal Code",
    "country": f"{_P} - Country Code (If outside U.S.)",
    "phone": f"{_P} - Telephone Number",
    "ext": f"{_P} - Telephone Extension",
    "fax": "Provider Practice Location Address - Fax Number",
}

FILE = CompanionFile(
    columns=COLUMNS,
    staging="loc_raw",
    option="locations",  # the field; the CLI names it --locations
    what="the NPPES practice location file (pl_pfile_*.csv)",
    label="Locations",
)


check_header = FILE.check_header
create_staging = FILE.create_staging


def stage(
    conn: duckdb.DuckDBPyConnection, path: Path | CsvSource, progress: ProgressFn | None
) -> LocationsReport:
    report = LocationsReport(source=str(path))
    report.rows_read = FILE.stage(conn, path, report.malformed, progress)
    bad = conn.execute(
        "SELECT npi FROM loc_raw WHERE NOT regexp_full_match(npi, '[0-9]{10}') LIMIT 5"
    ).fetchall()
    n_bad = scalar(
        conn, "SELECT count(*) FROM loc_raw WHERE NOT regexp_full_match(npi, '[0-9]{10}')"
    )
    report.malformed.add(n_bad, [f"NPI {npi!r} is not 10 digits" for (npi,) in bad])
    return report


def finish(conn: duckdb.DuckDBPyConnection, report: LocationsReport) -> None:
    """Store each distinct location of a directory provider, with its ZIP centroid."""
    report.duplicates = scalar(
        conn,
        "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM loc_raw)) FROM loc_raw",
    )
    conn.execute(
        """
        INSERT INTO locations
        WITH d AS (
            SELECT DISTINCT * FROM loc_raw
            WHERE regexp_full_match(npi, '[0-9]{10}')
              AND npi IN (SELECT npi FROM providers)
        ), b AS (
            SELECT *,
                CASE WHEN trim(country) IN ('', 'US')
                          AND regexp_full_match(postal, '[0-9]{5}([0-9]{4})?')
                     THEN left(postal, 5) END AS zip5
            FROM d
        )
        SELECT b.npi,
            nullif(concat_ws(', ', nullif(trim(b.addr1), ''), nullif(trim(b.addr2), '')), ''),
            nullif(trim(b.city), ''),
            nullif(trim(b.state), ''),
            nullif(trim(b.postal), ''),
            coalesce(nullif(trim(b.country), ''), 'US'),
            z.zip,
            CASE WHEN regexp_full_match(b.phone, '[0-9]{10}')
                 THEN b.phone[1:3] || '-' || b.phone[4:6] || '-' || b.phone[7:10]
                      || coalesce(' ext. ' || nullif(trim(b.ext), ''), '')
                 ELSE nullif(trim(b.phone), '') END,
            z.lat, z.lon, z.ux, z.uy, z.uz
        FROM b LEFT JOIN zip_centroids z ON z.zip = b.zip5
        ORDER BY b.npi
        """
    )
    report.kept = scalar(conn, "SELECT count(*) FROM locations")
    conn.execute("DROP TABLE loc_raw")
