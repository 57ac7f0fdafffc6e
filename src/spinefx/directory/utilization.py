"""Medicare vertebral augmentation volume per provider, from the CMS file "Medicare Physician &
Other Practitioners - by Provider and Service" (``MUP_PHY_*_Prov_Svc.csv``).

Columns are matched by name (older years carry extra ones), with runs of spaces collapsed and
case folded. Only rows for the six procedure
codes are kept: BKP (kyphoplasty) 22513, 22514, 22515 and vertebroplasty 22510, 22511, 22512.
CMS suppresses any row from 10 or fewer beneficiaries, and the file covers Medicare
fee-for-service patients only: a provider without volume here may still perform the procedure.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from spinefx.directory.csvstream import (
    ProgressFn,
    read_header,
    require_columns,
    stream_columns,
    valid_utf8,
)
from spinefx.directory.headers import missing_columns
from spinefx.directory.report import UtilizationReport
from spinefx.directory.store import one, scalar

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "BKP_CODES",
    "CODE_NAMES",
    "COLUMNS",
    "VERTEBROPLASTY_CODES",
    "check_header",
    "data_year",
    "stage",
]

BKP_CODES: tuple[str, ...] = ("22513", "22514", "22515")
VERTEBROPLASTY_CODES: tuple[str, ...] = ("22510", "22511", "22512")
# Each code said in a few words, for the places that show counts per code.
CODE_NAMES: dict[str, str] = {
    "22510": "vertebroplasty, first thoracic (or cervical) body",
    "22511": "vertebroplasty, first lumbar (or sacral) body",
    "22512": "vertebroplasty, each further body",
    "22513": "kyphoplasty, first thoracic body",
    "22514": "kyphoplasty, first lumbar body",
    "22515": "kyphoplasty, each further body",
}
# CMS names the file for its data year: ``..._D23_Prov_Svc.csv`` holds 2023 services.
_DATA_YEAR = re.compile(r"_D(\d{2})_", re.IGNORECASE)
_CODES = pa.array([*BKP_CODES, *VERTEBROPLASTY_CODES], pa.string())

COLUMNS: dict[str, str] = {
    "npi": "Rndrng_NPI",
    "hcpcs": "HCPCS_Cd",
    "benes": "Tot_Benes",
    "srvcs": "Tot_Srvcs",
}
OPTIONAL_COLUMNS: dict[str, str] = {"pos": "Place_Of_Srvc"}


def data_year(path: Path) -> int | None:
    """The year of service a CMS file name says (``MUP_PHY_R25_P05_V20_D23_Prov_Svc.csv``: 2023).

    >>> data_year(Path("MUP_PHY_R25_P05_V20_D23_Prov_Svc.csv"))
    2023
    >>> data_year(Path("volume.csv")) is None
    True
    """
    match = _DATA_YEAR.search(Path(path).name)
    return 2000 + int(match.group(1)) if match else None


def check_header(header: list[str], path: Path) -> None:
    require_columns(
        header,
        list(COLUMNS.values()),
        option="--utilization",
        path=path,
        what="the Medicare by Provider and Service CSV",
    )


def create_staging(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "CREATE TEMP TABLE util_raw (npi VARCHAR, hcpcs VARCHAR, pos VARCHAR, "
        "benes VARCHAR, srvcs VARCHAR)"
    )


def stage(
    conn: duckdb.DuckDBPyConnection, path: Path, progress: ProgressFn | None
) -> UtilizationReport:
    """Read the procedure rows of the Medicare file into the staging table."""
    report = UtilizationReport(source=str(path))
    header = read_header(path, "--utilization")
    wanted = dict(COLUMNS)
    wanted.update({k: v for k, v in OPTIONAL_COLUMNS.items() if not missing_columns(header, [v])})
    names = list(wanted.values())
    for batch in stream_columns(
        path, names, malformed=report.malformed, label="Medicare", progress=progress
    ):
        report.rows_read += batch.num_rows
        batch = batch.rename_columns(list(wanted))
        codes = pc.utf8_trim_whitespace(batch.column("hcpcs"))
        rows = batch.filter(pc.is_in(codes, value_set=_CODES))
        if not rows.num_rows:
            continue
        pos = rows.column("pos") if "pos" in wanted else pa.nulls(rows.num_rows, pa.string())
        table = pa.table(
            {
                "npi": pc.utf8_trim_whitespace(rows.column("npi")),
                "hcpcs": pc.utf8_trim_whitespace(rows.column("hcpcs")),
                "pos": pos,
                "benes": rows.column("benes"),
                "srvcs": rows.column("srvcs"),
            }
        )
        conn.register("util_batch", valid_utf8(table))
        conn.execute("INSERT INTO util_raw SELECT * FROM util_batch")
        conn.unregister("util_batch")
    report.rows_read += report.malformed.count
    bad = conn.execute(
        """
        SELECT npi, hcpcs, benes, srvcs FROM util_raw
        WHERE NOT regexp_full_match(npi, '[0-9]{10}')
           OR try_cast(replace(benes, ',', '') AS DOUBLE) IS NULL
           OR try_cast(replace(srvcs, ',', '') AS DOUBLE) IS NULL
        """
    ).fetchall()
    report.malformed.add(
        len(bad),
        [f"NPI {n!r}, code {c}: beneficiaries {b!r}, services {s!r}" for n, c, b, s in bad],
    )
    report.procedure_rows = scalar(conn, "SELECT count(*) FROM util_raw") - len(bad)
    return report


# Per-NPI volume, joined into the providers table. Services add up across codes and places of
# service; beneficiaries do not (one patient may have several codes), so the largest
# per-row count is kept: a lower bound on distinct Medicare patients.
VOLUME_SQL = """
    SELECT npi,
        CAST(round(sum(srv) FILTER (WHERE hcpcs IN ('22513', '22514', '22515'))) AS BIGINT)
            AS bkp_services,
        CAST(max(ben) FILTER (WHERE hcpcs IN ('22513', '22514', '22515')) AS BIGINT)
            AS bkp_beneficiaries,
        CAST(round(sum(srv) FILTER (WHERE hcpcs IN ('22510', '22511', '22512'))) AS BIGINT)
            AS vertebroplasty_services,
        CAST(max(ben) FILTER (WHERE hcpcs IN ('22510', '22511', '22512')) AS BIGINT)
            AS vertebroplasty_beneficiaries
    FROM (
        SELECT npi, hcpcs,
            try_cast(replace(benes, ',', '') AS DOUBLE) AS ben,
            try_cast(replace(srvcs, ',', '') AS DOUBLE) AS srv
        FROM util_raw
        WHERE regexp_full_match(npi, '[0-9]{10}')
    )
    GROUP BY npi
"""


def finish(conn: duckdb.DuckDBPyConnection, report: UtilizationReport) -> None:
    """Keep the procedure rows of directory providers and count the rest."""
    conn.execute(
        """
        INSERT INTO utilization
        SELECT u.npi, u.hcpcs, nullif(trim(u.pos), ''),
            CAST(round(try_cast(replace(u.benes, ',', '') AS DOUBLE)) AS BIGINT),
            CAST(round(try_cast(replace(u.srvcs, ',', '') AS DOUBLE)) AS BIGINT)
        FROM util_raw u
        WHERE regexp_full_match(u.npi, '[0-9]{10}')
          AND u.npi IN (SELECT npi FROM providers)
        ORDER BY u.npi, u.hcpcs
        """
    )
    row = one(
        conn,
        """
        SELECT count(DISTINCT npi) FILTER (WHERE npi IN (SELECT npi FROM providers)),
               count(DISTINCT npi) FILTER (WHERE npi NOT IN (SELECT npi FROM providers))
        FROM util_raw WHERE regexp_full_match(npi, '[0-9]{10}')
        """,
    ) or (0, 0)
    report.providers_with_volume, report.npis_not_in_directory = int(row[0]), int(row[1])
    conn.execute("DROP TABLE util_raw")
