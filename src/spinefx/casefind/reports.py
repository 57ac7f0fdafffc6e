"""Reading reports and writing findings: CSV, JSON Lines or Parquet, chosen by extension.

Input is streamed in Arrow record batches through DuckDB (bounded memory whatever the file's
size); each batch has the columns ``id``, ``patient`` and ``text_0``..``text_n`` (the text
columns in the order given, joined later by :func:`spinefx.casefind.text.join_sections`).
A Bulk FHIR NDJSON file (lines with a ``resourceType``) is read by :class:`FhirReportSource`
instead, line by line, into batches of the same shape plus the report's ``date``.
Output goes to a temporary file beside ``OUT`` that is renamed over it only once every record
is written: a failed run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from spinefx.casefind.record import ARROW_SCHEMA, DATED_ARROW_SCHEMA
from spinefx.errors import InputError
from spinefx.fhir.reports import ReportRecord, SkipCounter, is_fhir_ndjson, iter_fhir_reports
from spinefx.spreadsheet import neutralise_cell, restore

__all__ = [
    "FHIR_BATCH_SCHEMA",
    "FORMATS",
    "FhirReportSource",
    "ReportSource",
    "ResultWriter",
    "fhir_batch",
    "format_of",
    "is_fhir_reports",
    "open_fhir_reports",
    "open_reports",
    "read_findings",
]

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ALLOWED = "a file ending in .csv, .jsonl (or .ndjson, .json) or .parquet"


def format_of(path: Path, field: str) -> str:
    """csv, jsonl or parquet from the extension of ``path``; InputError naming ``field``."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(field, str(path), _ALLOWED)
    return fmt


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan(fmt: str) -> str:
    if fmt == "csv":
        return "read_csv($path, header = true, all_varchar = true)"
    if fmt == "jsonl":
        return "read_json($path, format = 'newline_delimited')"
    return "read_parquet($path)"


@dataclass(frozen=True)
class ReportSource:
    """An opened report file: its columns checked, ready to stream."""

    path: Path
    fmt: str
    id_column: str
    text_columns: tuple[str, ...]
    patient_column: str | None
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...] = ()
    output_schema: ClassVar[pa.Schema] = ARROW_SCHEMA

    def query(self) -> str:
        cols = [f"CAST({_quote(self.id_column)} AS VARCHAR) AS id"]
        patient = (
            f"CAST({_quote(self.patient_column)} AS VARCHAR)" if self.patient_column else "NULL"
        )
        cols.append(f"{patient}::VARCHAR AS patient")
        cols += [
            f"CAST({_quote(c)} AS VARCHAR) AS text_{i}" for i, c in enumerate(self.text_columns)
        ]
        cols += [f"{_quote(c)} AS {_quote('extra_' + c)}" for c in self.extra_columns]
        return f"SELECT {', '.join(cols)} FROM {_scan(self.fmt)}"

    def batches(self, rows: int = 2048) -> Iterator[pa.RecordBatch]:
        """The reports as Arrow batches of at most ``rows`` rows, in file order."""
        import duckdb

        con = duckdb.connect()
        try:
            con.execute("SET preserve_insertion_order = true")
            try:
                reader = con.sql(self.query(), params={"path": str(self.path)}).to_arrow_reader(
                    rows
                )
                row = 0
                for batch in reader:
                    _check_ids(batch, self.id_column, row)
                    row += batch.num_rows
                    yield batch
            except duckdb.Error as exc:
                raise InputError(
                    "REPORTS", str(self.path), f"a readable {self.fmt} file ({exc})"
                ) from exc
        finally:
            con.close()

    def count(self) -> int | None:
        """The number of reports where it is cheap to know (Parquet metadata), else None."""
        if self.fmt != "parquet":
            return None
        return int(pq.ParquetFile(self.path).metadata.num_rows)


def _check_ids(batch: pa.RecordBatch, id_column: str, first_row: int) -> None:
    ids = batch.column(0)
    if ids.null_count:
        index = next(i for i, v in enumerate(ids.to_pylist()) if v is None)
        raise InputError(
            id_column, None, f"an id on every report (row {first_row + index + 1} has none)"
        )


def open_reports(
    path: Path,
    id_column: str = "id",
    text_columns: Sequence[str] = ("text",),
    patient_column: str | None = None,
    extra_columns: Sequence[str] = (),
) -> ReportSource:
    """Check ``path`` and the named columns; raise InputError naming the bad one."""
    import duckdb

    fmt = format_of(path, "REPORTS")
    if not path.is_file():
        raise InputError("REPORTS", str(path), "an existing file")
    if not text_columns:
        raise InputError("--text-column", None, "at least one text column")
    con = duckdb.connect()
    try:
        rel = con.execute(f"DESCRIBE SELECT * FROM {_scan(fmt)}", {"path": str(path)})
        columns = tuple(str(row[0]) for row in rel.fetchall())
    except duckdb.Error as exc:
        raise InputError("REPORTS", str(path), f"a readable {fmt} file ({exc})") from exc
    finally:
        con.close()
    listed = ", ".join(columns) or "none"
    named = [("--id-column", id_column)]
    named += [("--text-column", c) for c in text_columns]
    if patient_column:
        named.append(("--patient-column", patient_column))
    named += [("column", c) for c in extra_columns]
    for option, column in named:
        if column not in columns:
            raise InputError(option, column, f"a column of {path.name} (it has: {listed})")
    return ReportSource(
        path, fmt, id_column, tuple(text_columns), patient_column, columns, tuple(extra_columns)
    )


FHIR_BATCH_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("patient", pa.string()),
        pa.field("text_0", pa.string()),
        pa.field("date", pa.string()),
    ]
)
"""The batches of FHIR input: a report source's (one text column), plus the report's date."""


def fhir_batch(records: Sequence[ReportRecord]) -> pa.RecordBatch:
    """One input batch of FHIR report records."""
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r.id for r in records], pa.string()),
            pa.array([r.patient for r in records], pa.string()),
            pa.array([r.text for r in records], pa.string()),
            pa.array([r.date for r in records], pa.string()),
        ],
        schema=FHIR_BATCH_SCHEMA,
    )


def _first_line(path: Path) -> bytes:
    """The first line that is not blank (at most the first MiB of the file is looked at)."""
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                return line
            if handle.tell() > 1 << 20:
                break
    return b""


def is_fhir_reports(path: Path) -> bool:
    """Whether ``path`` is Bulk FHIR NDJSON: a ``.ndjson``/``.jsonl``/``.json`` file whose first
    line is a resource (has a ``resourceType``), not a flat report row."""
    if FORMATS.get(path.suffix.lower()) != "jsonl" or not path.is_file():
        return False
    return is_fhir_ndjson(_first_line(path).decode("utf-8", errors="replace"))


@dataclass
class FhirReportSource:
    """A Bulk FHIR NDJSON file of reports, streamed line by line in the batches of
    :class:`ReportSource` (``id``, ``patient``, ``text_0``) plus the report's ``date``.

    ``DiagnosticReport`` and ``DocumentReference`` lines give reports
    (:func:`spinefx.fhir.reports.iter_fhir_reports`); the others, and reports without text, are
    counted in ``skipped`` as they are passed. A line that is not a JSON object, or not UTF-8,
    is an :class:`InputError` naming the file and the line.
    """

    path: Path
    skipped: SkipCounter = field(default_factory=SkipCounter)
    fmt: ClassVar[str] = "fhir"
    id_column: ClassVar[str] = "id"
    text_columns: ClassVar[tuple[str, ...]] = ("text",)
    patient_column: ClassVar[str] = "patient"
    output_schema: ClassVar[pa.Schema] = DATED_ARROW_SCHEMA

    def lines(self) -> Iterator[str]:
        """The file's lines as text; a line that is not UTF-8 is an InputError naming it."""
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    yield raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{self.path.name} line {number}", raw[:60], f"UTF-8 text ({exc.reason})"
                    ) from None

    def records(self) -> Iterator[ReportRecord]:
        """The report records in file order; ``skipped`` counts the rest (reset first)."""
        self.skipped.clear()
        return iter_fhir_reports(self.lines(), self.skipped, source=self.path.name)

    def batches(self, rows: int = 2048) -> Iterator[pa.RecordBatch]:
        """The reports as Arrow batches of at most ``rows`` rows, in file order."""
        chunk: list[ReportRecord] = []
        for record in self.records():
            chunk.append(record)
            if len(chunk) == rows:
                yield fhir_batch(chunk)
                chunk = []
        if chunk:
            yield fhir_batch(chunk)

    def count(self) -> int | None:
        """Not known before the file is read."""
        return None


def open_fhir_reports(path: Path) -> FhirReportSource:
    """A Bulk FHIR NDJSON report file, checked for what can be checked before reading it."""
    if not is_fhir_reports(path):
        raise InputError("REPORTS", str(path), "Bulk FHIR NDJSON: one FHIR resource a line")
    first = json.loads(_first_line(path).decode("utf-8", errors="replace").lstrip("\ufeff"))
    if first.get("resourceType") == "Bundle":
        raise InputError(
            "REPORTS", str(path), "Bulk FHIR NDJSON: one resource a line (this is a Bundle)"
        )
    return FhirReportSource(path)


class ResultWriter:
    """Writes findings to ``path`` atomically: a temp file beside it, renamed when closed.

    ``schema`` is the records' (:data:`~spinefx.casefind.record.DATED_ARROW_SCHEMA` for FHIR
    input, whose records carry the report's date).
    """

    def __init__(self, path: Path, schema: pa.Schema = ARROW_SCHEMA) -> None:
        self.path = path
        self.schema = schema
        self.fmt = format_of(path, "--out")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InputError("--out", str(path), "a file in an existing folder")
        self._tmp = parent / f".{path.name}.{os.getpid()}.tmp"
        self._file: IO[Any] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._csv: Any = None
        self.rows = 0

    def __enter__(self) -> ResultWriter:
        if self.fmt == "parquet":
            self._parquet = pq.ParquetWriter(self._tmp, self.schema)
        else:
            self._file = open(self._tmp, "w", encoding="utf-8", newline="")
            if self.fmt == "csv":
                self._csv = csv.DictWriter(self._file, fieldnames=self.schema.names)
                self._csv.writeheader()
        return self

    def write(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        if self._parquet is not None:
            self._parquet.write_batch(batch)
            return
        assert self._file is not None
        for record in batch.to_pylist():
            if self._csv is not None:
                self._csv.writerow(_flat(record))
            else:
                self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record for one CSV row: lists joined by ';', evidence as JSON, booleans as words, and
    text that a spreadsheet would run as a formula made inert (:mod:`spinefx.spreadsheet`)."""
    row = {key: neutralise_cell(value) for key, value in record.items()}
    row["levels"] = ";".join(record["levels"] or [])
    row["regions"] = ";".join(record["regions"] or [])
    row["evidence"] = json.dumps(record["evidence"] or [], ensure_ascii=False)
    row["treated"] = "true" if record["treated"] else "false"
    return row


def read_findings(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a findings file written by ``spinefx casefind`` (or a Spark dataset)."""
    import duckdb

    if path.is_dir():
        scan = "read_parquet($path || '/*.parquet')"
        fmt = "parquet"
    else:
        fmt = format_of(path, "--out")
        scan = _scan(fmt)
    con = duckdb.connect()
    try:
        reader = con.sql(f"SELECT * FROM {scan}", params={"path": str(path)}).to_arrow_reader(1024)
        for batch in reader:
            for record in batch.to_pylist():
                if fmt == "csv":
                    record = _unflat(record)
                yield record
    finally:
        con.close()


def _unflat(row: dict[str, Any]) -> dict[str, Any]:
    record = {key: restore(v) if isinstance(v, str) else v for key, v in row.items()}
    record["levels"] = [x for x in (row.get("levels") or "").split(";") if x]
    record["regions"] = [x for x in (row.get("regions") or "").split(";") if x]
    record["evidence"] = json.loads(row.get("evidence") or "[]")
    record["treated"] = str(row.get("treated")).lower() == "true"
    return record
