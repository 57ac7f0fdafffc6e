"""Stream selected columns of a large CSV file as Arrow record batches, in bounded memory.

Shared by the NPPES, Medicare and practice-location readers: every column is read as text,
by name; rows with the wrong number of fields are counted (with examples) and skipped instead
of failing the whole file; progress is reported in bytes read.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from queue import Full, Queue
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinefx.directory.report import Problems
from spinefx.errors import InputError

__all__ = ["BLOCK_SIZE", "ProgressFn", "check_file", "read_header", "stream_columns", "valid_utf8"]

# Bytes per parsed block: large enough for throughput, small enough to bound memory. Measured
# on a 1.1 GiB 330-column file: 4 MB parses faster than 16 or 64 MB (the block's columns stay
# in the CPU cache) and holds a third of the memory.
BLOCK_SIZE = 4 << 20
# Parsed batches held ahead of the consumer by the reader thread.
PREFETCH_BATCHES = 8

_T = TypeVar("_T")

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
    prefetch: int = PREFETCH_BATCHES,
) -> Iterator[pa.RecordBatch]:
    """Yield record batches holding ``columns`` (all text, empty stays ``""``).

    Rows with too many or too few fields are counted in ``malformed`` and skipped. The file is
    parsed on a background thread, up to ``prefetch`` batches ahead of the caller (Arrow
    releases the GIL while parsing), so the caller's work on one batch overlaps the parsing of
    the next ones; ``prefetch=0`` parses on the calling thread.
    """
    total = path.stat().st_size
    batches = _read_batches(path, columns, malformed, block_size)
    if prefetch > 0:
        batches = _prefetched(batches, prefetch)
    for batch, position in batches:
        yield batch
        if progress is not None:
            progress(label, min(position, total), total)
    if progress is not None:
        progress(label, total, total)


def _read_batches(
    path: Path, columns: Sequence[str], malformed: Problems, block_size: int
) -> Iterator[tuple[pa.RecordBatch, int]]:
    """The batches of ``columns``, each with the file position reached after it."""

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
            yield batch, source.tell()
    except pa.ArrowInvalid as exc:
        raise InputError("FILE", str(path), f"a readable CSV file ({exc})") from exc
    finally:
        source.close()


class _End:
    """Marks the end of a prefetched stream, carrying the producer's error if it failed."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def _prefetched(items: Iterator[_T], depth: int) -> Iterator[_T]:
    """Iterate ``items`` on a background thread, holding at most ``depth`` items ahead.

    Errors raised by ``items`` are raised to the consumer; when the consumer stops early (an
    error of its own, or ``close()``), the producer stops at its next item and closes ``items``.
    """
    queue: Queue[_T | _End] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: _T | _End) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        error: BaseException | None = None
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            error = exc
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put(_End(error))

    thread = threading.Thread(target=produce, name="spinefx-csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        thread.join()


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
