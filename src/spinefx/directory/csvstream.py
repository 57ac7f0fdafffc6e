"""Stream selected columns of a large CSV file as Arrow record batches, in bounded memory.

Shared by the NPPES, Medicare and practice-location readers: every column is read as text,
by name; rows with the wrong number of fields are counted (with examples) and skipped instead
of failing the whole file; progress is reported in bytes read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinefx.directory.report import Problems
from spinefx.errors import InputError

__all__ = ["BLOCK_SIZE", "ProgressFn", "check_file", "read_header", "stream_columns", "valid_utf8"]

# Bytes per parsed block: large enough for throughput, small enough to bound memory.
BLOCK_SIZE = 4 << 20

ProgressFn = Callable[[str, int, int], None]  # (label, bytes done, bytes total)


def check_file(path: Path, option: str) -> Path:
    """An existing regular file, or an :class:`InputError` naming ``option``."""
    path = Path(path)
    if not path.exists():
        raise InputError(option, str(path), "an existing CSV file")
    if not path.is_file():
        raise InputError(option, str(path), "a CSV file, not a folder")
    return path


def read_header(path: Path, option: str) -> list[str]:
    """The column names on the first line of ``path``."""
    try:
        with path.open("rb") as raw:
            first = raw.readline(1 << 20)
    except OSError as exc:
        raise InputError(option, str(path), f"a readable CSV file ({exc})") from exc
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not text:
        raise InputError(option, str(path), "a CSV file with a header line; this one is empty")
    return next(csv.reader(io.StringIO(text)))


def stream_columns(
    path: Path,
    columns: Sequence[str],
    *,
    malformed: Problems,
    label: str,
    progress: ProgressFn | None = None,
    block_size: int = BLOCK_SIZE,
) -> Iterator[pa.RecordBatch]:
    """Yield record batches holding ``columns`` (all text, empty stays ``""``).

    Rows with too many or too few fields are counted in ``malformed`` and skipped.
    """
    total = path.stat().st_size

    def on_invalid(row: pacsv.InvalidRow) -> str:
        where = f"line {row.number}" if row.number is not None else "a row"
        malformed.add(
            1,
            [
                f"{where}: {row.actual_columns} fields instead of {row.expected_columns}: "
                f"{row.text[:80]!r}"
            ],
        )
        return "skip"

    source = pa.OSFile(str(path), "rb")
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=block_size, use_threads=True),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(columns),
                column_types={name: pa.string() for name in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
        for batch in reader:
            yield batch
            if progress is not None:
                progress(label, min(source.tell(), total), total)
        if progress is not None:
            progress(label, total, total)
    except pa.ArrowInvalid as exc:
        raise InputError("FILE", str(path), f"a readable CSV file ({exc})") from exc
    finally:
        source.close()


def valid_utf8(batch: pa.Table) -> pa.Table:
    """``batch`` with any text that is not valid UTF-8 decoded leniently (rare in NPPES).

    Batches are read without the UTF-8 check (it costs time on every column); call this on the
    few rows kept, before they reach the database.
    """
    try:
        batch.validate(full=True)
        return batch
    except pa.ArrowInvalid:
        arrays = []
        for column in batch.columns:
            as_bytes = pc.cast(column, pa.large_binary())
            fixed = [
                None if b is None else b.decode("utf-8", errors="replace")
                for b in as_bytes.to_pylist()
            ]
            arrays.append(pa.array(fixed, pa.string()))
        return pa.Table.from_arrays(arrays, names=batch.schema.names)
