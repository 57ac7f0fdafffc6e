"""Organisations' other names from the NPPES companion file ``othername_pfile_*.csv``.

The main file names an organisation by its legal business name, often not the name on the door.
The other-name file lists every other name of organisation (type 2) NPIs, with a type code:
3 "doing business as", 4 former legal business name, 5 other name. The directory keeps the
names of types 3 and 5 (a former legal name is no longer the organisation's name), shows them
with the legal name and matches them in a name search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spinefx.directory.archive import CsvSource
from spinefx.directory.companion import CompanionFile
from spinefx.directory.csvstream import ProgressFn
from spinefx.directory.report import OtherNamesReport
from spinefx.directory.store import scalar

if TYPE_CHECKING:
    import duckdb

__all__ = ["COLUMNS", "KEPT_TYPES", "check_header", "finish", "stage"]

COLUMNS: dict[str, str] = {
    "npi": "NPI",
    "name": "Provider Other Organization Name",
    "type_code": "Provider Other Organization Name Type Code",
}
KEPT_TYPES = ("3", "5")  # doing business as, other name

FILE = CompanionFile(
    columns=COLUMNS,
    staging="othername_raw",
    option="--other-names",
    what="the NPPES other-name file (othername_pfile_*.csv)",
    label="Other names",
)


check_header = FILE.check_header
create_staging = FILE.create_staging


def stage(
    conn: duckdb.DuckDBPyConnection, source: CsvSource, progress: ProgressFn | None
) -> OtherNamesReport:
    report = OtherNamesReport(source=str(source))
    report.rows_read = FILE.stage(conn, source, report.malformed, progress)
    return report


def finish(conn: duckdb.DuckDBPyConnection, report: OtherNamesReport) -> None:
    """Store the kept other names of the directory's organisations and put them on each one."""
    types = ", ".join(f"'{t}'" for t in KEPT_TYPES)
    conn.execute(
        f"""
        INSERT INTO other_names
        SELECT DISTINCT npi, trim(name), trim(type_code) FROM othername_raw
        WHERE trim(type_code) IN ({types}) AND nullif(trim(name), '') IS NOT NULL
          AND npi IN (SELECT npi FROM providers WHERE entity_type = 2)
        """
    )
    apply(conn)
    report.kept = scalar(conn, "SELECT count(*) FROM other_names")
    report.organizations = scalar(conn, "SELECT count(DISTINCT npi) FROM other_names")
    conn.execute("DROP TABLE othername_raw")


def apply(conn: duckdb.DuckDBPyConnection) -> None:
    """Set each provider's ``other_names`` (sorted, without its legal name) from the table."""
    conn.execute(
        """
        UPDATE providers SET other_names = o.names
        FROM (
            SELECT n.npi, list(DISTINCT n.name ORDER BY n.name) AS names
            FROM other_names n JOIN providers p ON p.npi = n.npi
            WHERE n.name IS DISTINCT FROM p.name
            GROUP BY n.npi
        ) o
        WHERE providers.npi = o.npi
        """
    )
