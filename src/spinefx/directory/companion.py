"""The NPPES companion files (practice locations, other names), read the same way.

Each is a CSV file beside the main one whose columns are matched by name: its header is
checked for the columns the directory reads, and its rows are streamed, as text, into a
staging table of the ingest's database, which the file's own module then turns into the
directory's rows.

>>> NAMES = CompanionFile(
...     columns={"npi": "NPI", "name": "Provider Other Organization Name"},
...     staging="names_raw",
...     option="--other-names",
...     what="the NPPES other-name file (othername_pfile_*.csv)",
...     label="Other names",
... )
>>> NAMES.check_header(["NPI"], Path("othername_pfile.csv"))
Traceback (most recent call last):
...
spinefx.errors.InputError: --other-names: ...missing columns: 'Provider Other Organization Name'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spinefx.directory.archive import CsvSource
from spinefx.directory.csvstream import ProgressFn, require_columns, stream_columns, valid_utf8
from spinefx.directory.report import Problems

if TYPE_CHECKING:
    import duckdb

__all__ = ["CompanionFile"]


@dataclass(frozen=True)
class CompanionFile:
    """One companion file: its columns (short name -> header name), the staging table its
    rows go to, the command-line option that names it, and words for errors and progress."""

    columns: dict[str, str]
    staging: str
    option: str
    what: str
    label: str

    def check_header(self, header: list[str], path: Path) -> None:
        """Raise an :class:`~spinefx.errors.InputError` naming every column ``header`` lacks."""
        require_columns(
            header, list(self.columns.values()), option=self.option, path=path, what=self.what
        )

    def create_staging(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Create the (temporary) staging table, one text column per short name."""
        cols = ", ".join(f"{short} VARCHAR" for short in self.columns)
        conn.execute(f"CREATE TEMP TABLE {self.staging} ({cols})")

    def stage(
        self,
        conn: duckdb.DuckDBPyConnection,
        source: Path | CsvSource,
        malformed: Problems,
        progress: ProgressFn | None,
    ) -> int:
        """Stream the file's rows into the staging table; returns the rows read, those with
        the wrong number of fields included (counted, with examples, in ``malformed``)."""
        rows = 0
        batch_name = f"{self.staging}_batch"
        for batch in stream_columns(
            source,
            list(self.columns.values()),
            malformed=malformed,
            label=self.label,
            progress=progress,
        ):
            rows += batch.num_rows
            conn.register(batch_name, valid_utf8(batch.rename_columns(list(self.columns))))
            conn.execute(f"INSERT INTO {self.staging} SELECT * FROM {batch_name}")
            conn.unregister(batch_name)
        return rows + malformed.count
