"""Stream selected columns of a large CSV file as Arrow record batches, in bounded memory.

Shared by the NPPES, Medicare and practice-location readers: every column is read as text,
by name; rows with the wrong number of fields are counted (with examples) and skipped instead
of failing the whole file; progress is reported in bytes read.

Column names are matched as :func:`header_key` reads them, with runs of white space as one
space and case folded: the real practice-location file says ``Provider Secondary Practice
Location Address-  Address Line 2`` with two spaces where the CMS layout document prints one
(``docs/directory.md``). A column comes out under the name it was asked for, whatever the
file's spelling.
"""

from __future__ import annotations

import contextlib
import csv
import io
import mmap
import os
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from queue import Full, Queue
from typing import BinaryIO, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinefx.directory.archive import CsvSource
from spinefx.directory.headers import header_key, missing_columns
from spinefx.directory.report import Problems
from spinefx.errors import InputError

__all__ = [
    "BLOCK_SIZE",
    "RANGE_BYTES",
    "ProgressFn",
    "ReadAhead",
    "check_file",
    "match_columns",
    "read_header",
    "require_columns",
    "stream_columns",
    "stream_ranges",
    "valid_utf8",
]

# Bytes per parsed block: large enough for throughput, small enough to bound memory. Measured
# on a 1.1 GiB 330-column file: 4 MB parses faster than 16 or 64 MB (the block's columns stay
# in the CPU cache) and holds a third of the memory.
BLOCK_SIZE = 4 << 20
# Parsed batches held ahead of the consumer by the reader thread.
PREFETCH_BATCHES = 8

# Bytes of the file parsed at once by :func:`stream_ranges`, on every core, and the block size
# each core parses in turn. See docs/performance.md for the measurements behind them.
RANGE_BYTES = 64 << 20
RANGE_BLOCK_SIZE = 8 << 20
# A stream (an archive's member) is read this much at a time: a zipfile stream's read(n)
# builds its answer by appending, so one read of 64 MB took far longer than eight of 8 MB.
STREAM_PIECE_BYTES = 8 << 20
# How far past a range's nominal end to look for a record start before settling for any newline.
_BOUNDARY_WINDOW = 1 << 20
# A record start in a file whose every value is quoted (as NPPES): a newline, then a quote.
QUOTED_RECORD_START = re.compile(rb'\n"')

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


def _source(path: Path | CsvSource) -> CsvSource:
    return path if isinstance(path, CsvSource) else CsvSource.file(Path(path))


def read_header(path: Path | CsvSource, option: str) -> list[str]:
    """The column names on the first line of ``path`` (a file, or a file in an archive)."""
    try:
        with _source(path).open() as raw:
            first = raw.readline(1 << 20)
    except OSError as exc:
        raise InputError(option, str(path), f"a readable CSV file ({exc})") from exc
    if not first.strip():
        raise InputError(option, str(path), "a CSV file with a header line; this one is empty")
    try:
        text = first.decode("utf-8-sig").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise InputError(option, str(path), "a CSV file in UTF-8; its header is not") from None
    if "\r" in text or "\x00" in text:  # a bare carriage return or a NUL inside the header
        raise InputError(
            option,
            str(path),
            "a CSV file whose header is one line ending in a line break; this one has a "
            "carriage return or NUL byte inside it",
        )
    try:
        return next(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (csv.Error, StopIteration):
        raise InputError(
            option, str(path), "a CSV file with a well-formed header (check its quotes)"
        ) from None


def require_columns(
    header: Sequence[str], required: Sequence[str], *, option: str, path: Path, what: str
) -> None:
    """Raise an :class:`InputError` for ``option`` naming each required column ``header`` lacks."""
    missing = missing_columns(header, required)
    if missing:
        raise InputError(
            option, str(path), f"{what}; missing columns: " + ", ".join(repr(m) for m in missing)
        )


def match_columns(
    header: Sequence[str], wanted: Sequence[str], *, option: str, path: Path | CsvSource
) -> list[str]:
    """``header`` with each column of ``wanted`` renamed to its name there, for the reader's
    ``column_names``; the other names are kept as they are.

    Raises an :class:`InputError` for a wanted column the header lacks, or holds twice (two
    names that differ only in spacing or case).

    >>> match_columns(["npi", "A  b", "c"], ["NPI", "a b"], option="FILE", path=Path("f.csv"))
    ['NPI', 'a b', 'c']
    """
    keys = [header_key(name) for name in header]
    names = list(header)
    missing = []
    for name in wanted:
        key = header_key(name)
        where = [i for i, k in enumerate(keys) if k == key]
        if not where:
            missing.append(name)
            continue
        if len(where) > 1:
            twice = " and ".join(repr(header[i]) for i in where)
            raise InputError(
                option, str(path), f"a header that names each column once; it has {twice}"
            )
        names[where[0]] = name
    if missing:
        raise InputError(
            option, str(path), "a header with the columns " + ", ".join(repr(m) for m in missing)
        )
    return names


def stream_columns(
    path: Path | CsvSource,
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
    source = _source(path)
    total = source.size
    names = match_columns(read_header(source, "FILE"), columns, option="FILE", path=source)
    batches = _read_batches(source, names, columns, malformed, block_size)
    if prefetch > 0:
        batches = _prefetched(batches, prefetch)
    for batch, position in batches:
        yield batch
        if progress is not None:
            progress(label, min(position, total), total)
    if progress is not None:
        progress(label, total, total)


def _skipping_malformed(malformed: Problems) -> pacsv.ParseOptions:
    """Parse options that skip rows with the wrong number of fields, counting them (with
    examples) in ``malformed``."""
    lock = threading.Lock()  # the handler may be called from Arrow's worker threads

    def on_invalid(row: pacsv.InvalidRow) -> str:
        where = f"line {row.number}" if row.number is not None else "a row"
        example = (
            f"{where}: {row.actual_columns} fields instead of {row.expected_columns}: "
            f"{row.text[:80]!r}"
        )
        with lock:
            malformed.add(1, [example])
        return "skip"

    return pacsv.ParseOptions(invalid_row_handler=on_invalid)


def _as_text(columns: Sequence[str]) -> pacsv.ConvertOptions:
    """Convert options reading only ``columns``, all as text (empty stays ``""``), without the
    UTF-8 check (see :func:`valid_utf8`)."""
    return pacsv.ConvertOptions(
        include_columns=list(columns),
        column_types={name: pa.string() for name in columns},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=False,
    )


def _read_batches(
    path: CsvSource,
    header: Sequence[str],
    columns: Sequence[str],
    malformed: Problems,
    block_size: int,
) -> Iterator[tuple[pa.RecordBatch, int]]:
    """The batches of ``columns``, each with the file position reached after it; ``header``
    names the file's columns (its header line, which is skipped)."""
    if path.member is None:
        source: pa.NativeFile = pa.OSFile(str(path.path), "rb")
    else:  # decompressed as Arrow reads it
        source = pa.PythonFile(path.open(), mode="r")
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=list(header), skip_rows=1, block_size=block_size, use_threads=True
            ),
            parse_options=_skipping_malformed(malformed),
            convert_options=_as_text(columns),
        )
        for batch in reader:
            yield batch, source.tell()
    except pa.ArrowInvalid as exc:
        raise InputError("FILE", str(path), f"a readable CSV file ({exc})") from exc
    finally:
        source.close()


def stream_ranges(
    path: Path | CsvSource,
    columns: Sequence[str],
    *,
    malformed: Problems,
    label: str,
    progress: ProgressFn | None = None,
    record_start: re.Pattern[bytes] = QUOTED_RECORD_START,
    range_bytes: int | None = None,
    block_size: int | None = None,
    prefetch: int = 1,
) -> Iterator[pa.Table]:
    """Yield tables holding ``columns`` (all text, empty stays ``""``), one per byte range.

    Like :func:`stream_columns`, but the file is cut after its header into ranges of about
    ``range_bytes`` (default :data:`RANGE_BYTES`) that end at a line break, and each range is
    parsed by all cores at once (:func:`pyarrow.csv.read_csv` over a memory map of that range
    alone, in blocks of ``block_size``), on a background thread up to ``prefetch`` ranges
    ahead of the caller. Memory holds about two ranges of
    file bytes and their parsed columns, however large the file.

    A range ends just before a match of ``record_start`` (its first byte must be the newline
    that ends the previous record), looked for from the nominal end on; where none is found
    within a megabyte, at the first line break. The file is read as :func:`stream_columns`
    reads it, where every line break ends a row (no line breaks inside values), so the rows
    come out the same wherever the ranges fall. Rows with too many or too few fields are
    counted in ``malformed`` and skipped.

    The file must not change while it is read: before each range is mapped, the open file's
    size and modification time are checked against those it had when it was opened, and a
    change (a truncation, an append, a rewrite in place) is an :class:`InputError` instead of
    a crash when a mapped page past the new end of the file is touched (SIGBUS). The check
    runs between ranges, so a truncation that happens while one range is parsed can still end
    the process; either way an ingest's new database is never swapped in and the old
    directory is left untouched. A file replaced by a new one (renamed over) is no change:
    the old one is read to the end.
    """
    source = _source(path)
    header = match_columns(read_header(source, "FILE"), columns, option="FILE", path=source)
    total = source.size
    reader = _read_ranges if source.member is None else _read_stream_ranges
    if range_bytes is None:
        range_bytes = RANGE_BYTES if source.member is None else STREAM_PIECE_BYTES
    parser = _RangeParser(
        source, header, columns, malformed, RANGE_BLOCK_SIZE if block_size is None else block_size
    )
    ranges = reader(parser, record_start, range_bytes)
    if prefetch > 0:
        ranges = _prefetched(ranges, prefetch)
    for table, position in ranges:
        yield table
        if progress is not None:
            progress(label, position, total)
    if progress is not None:
        progress(label, total, total)


def _read_at(source: BinaryIO, offset: int, size: int) -> bytes:
    source.seek(offset)
    return source.read(size)


def range_bounds(
    source: BinaryIO, size: int, range_bytes: int, record_start: re.Pattern[bytes]
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` byte offsets of the ranges after the header line, each ending at a
    line break (the last one at the end of the file, with or without a final line break)."""
    first = _read_at(source, 0, _BOUNDARY_WINDOW)
    newline = first.find(b"\n")
    while newline < 0 and len(first) < size:  # a header longer than the window
        first = _read_at(source, 0, 2 * len(first))
        newline = first.find(b"\n")
    start = size if newline < 0 else newline + 1
    while start < size:
        target = start + max(1, range_bytes)
        if target >= size:
            yield start, size
            return
        end = _boundary(source, size, target, record_start)
        yield start, end
        start = end


def _boundary(source: BinaryIO, size: int, target: int, record_start: re.Pattern[bytes]) -> int:
    """The offset just after the first line break at or after ``target - 1`` that begins a
    match of ``record_start`` (within a window), else after the first line break; or ``size``."""
    window = _read_at(source, target - 1, _BOUNDARY_WINDOW)
    found = record_start.search(window)
    if found is not None:
        return target + found.start()
    offset = target - 1
    while offset < size:
        newline = window.find(b"\n")
        if newline >= 0:
            return offset + newline + 1
        offset += len(window)
        window = _read_at(source, offset, _BOUNDARY_WINDOW)
        if not window:
            break
    return size


class _RangeParser:
    """Parses one range (or piece) of a CSV file's bytes into a table of the wanted columns,
    all as text, counting and skipping malformed rows."""

    def __init__(
        self,
        source: CsvSource,
        header: list[str],
        columns: Sequence[str],
        malformed: Problems,
        block_size: int,
    ) -> None:
        self.source = source
        self._read = pacsv.ReadOptions(column_names=header, block_size=block_size, use_threads=True)
        self._parse = _skipping_malformed(malformed)
        self._convert = _as_text(columns)

    def parse(self, buffer: pa.Buffer) -> pa.Table:
        try:
            return pacsv.read_csv(
                pa.BufferReader(buffer),
                read_options=self._read,
                parse_options=self._parse,
                convert_options=self._convert,
            )
        except pa.ArrowInvalid as exc:
            raise InputError("FILE", str(self.source), f"a readable CSV file ({exc})") from exc


def _read_ranges(
    parser: _RangeParser, record_start: re.Pattern[bytes], range_bytes: int
) -> Iterator[tuple[pa.Table, int]]:
    """Each range's table, with the file offset where the range ends."""
    path = parser.source.path
    try:
        source = path.open("rb")
    except OSError as exc:
        raise InputError("FILE", str(path), f"a readable CSV file ({exc})") from exc
    try:
        opened = os.fstat(source.fileno())
        size = opened.st_size
        for start, end in range_bounds(source, size, range_bytes, record_start):
            _check_unchanged(source, path, opened, end)
            # Map this range alone (from the page boundary below it): its pages leave the
            # process when the map is dropped, so memory does not grow with the file. The
            # map is unmapped once Arrow lets go of it; the table holds copies, not views.
            aligned = start - start % mmap.ALLOCATIONGRANULARITY
            mapped = mmap.mmap(
                source.fileno(), end - aligned, offset=aligned, access=mmap.ACCESS_READ
            )
            try:
                table = parser.parse(pa.py_buffer(mapped).slice(start - aligned))
            finally:
                with contextlib.suppress(BufferError):  # Arrow may hold it a moment longer
                    mapped.close()
            yield table, end
    finally:
        source.close()


def _read_stream_ranges(
    parser: _RangeParser, record_start: re.Pattern[bytes], range_bytes: int
) -> Iterator[tuple[pa.Table, int]]:
    """:func:`_read_ranges` for a file read as a stream (a member of a ZIP archive).

    The stream is read (and decompressed) ``range_bytes`` at a time; each piece is cut after
    the last line break that begins a match of ``record_start`` (else after its last line
    break), the rest carried into the next piece, and each piece parsed on every core as a
    range of a file is. The next piece is decompressed on a thread of its own while this one
    is parsed (zlib and Arrow's parser both let go of the GIL): one after the other, the
    decompression alone took as long as the parse. Memory holds about three pieces, whatever
    the file's size.
    """
    source_file = parser.source
    try:
        stream = source_file.open()
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError("FILE", str(source_file), f"a readable archive ({exc})") from exc
    pieces = _prefetched(_stream_pieces(stream, source_file, record_start, range_bytes), 1)
    try:
        for piece, position in pieces:
            # Arrow's own copy of the piece: Arrow's threads may let go of a buffer after
            # read_csv returns, and one holding Python's bytes must take the GIL to free them,
            # which at interpreter exit aborted the process (3 exits in 8, "terminate called
            # without an active exception"; none in 10 with the copy).
            copy = pa.BufferOutputStream()
            copy.write(piece)
            owned = copy.getvalue()
            del piece
            yield parser.parse(owned), position
    finally:
        pieces.close()


def _stream_pieces(
    stream: BinaryIO, source_file: CsvSource, record_start: re.Pattern[bytes], range_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """The pieces of ``stream`` after its header line, each ending where a record ends, with
    the stream's position just after it; closes the stream when done or closed."""
    try:
        stream.readline(1 << 30)  # the header line
        carry = b""
        while True:
            try:
                data = stream.read(max(1, range_bytes))
            except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise InputError(
                    "FILE", str(source_file), f"an archive that decompresses whole ({exc})"
                ) from exc
            piece = carry + data if carry else data
            if not piece:
                return
            if data:
                cut = _last_record_start(piece, record_start)
                piece, carry = piece[:cut], piece[cut:]
            else:
                carry = b""
            position = stream.tell() - len(carry)
            if piece:
                yield piece, position
    finally:
        stream.close()


def _last_record_start(piece: bytes, record_start: re.Pattern[bytes]) -> int:
    """The offset just after the last line break of ``piece`` that begins a match of
    ``record_start``, else after its last line break; 0 when it has none (all is carried)."""
    window = _BOUNDARY_WINDOW
    while True:
        start = max(0, len(piece) - window)
        found = list(record_start.finditer(piece, start))
        if found:
            return found[-1].start() + 1
        if start == 0:
            newline = piece.rfind(b"\n")
            return newline + 1
        window *= 2


def _check_unchanged(source: BinaryIO, path: Path, opened: os.stat_result, end: int) -> None:
    """Raise an :class:`InputError` if the open file changed since ``opened`` was taken, or is
    now shorter than ``end`` (mapping pages past the end of a file and touching them kills
    the process with SIGBUS)."""
    now = os.fstat(source.fileno())
    if now.st_size < end or now.st_size != opened.st_size or now.st_mtime_ns != opened.st_mtime_ns:
        raise InputError(
            "FILE",
            str(path),
            "a file that does not change while it is read; it changed during the ingest "
            f"(size was {opened.st_size} bytes, now {now.st_size})",
        )


class _End:
    """Marks the end of a prefetched stream, carrying the producer's error if it failed."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class ReadAhead(Iterator[_T]):
    """Iterate ``items`` on a background thread, started at once, holding at most ``depth``
    items ahead of the caller.

    The ingest starts one on the main file before it opens its database, so that the first
    ranges are parsed while the database is made ready. Errors raised by ``items`` are raised
    to the caller; :meth:`close` (or leaving the ``with`` block) stops the producer at its next
    item, closes ``items`` and waits for the thread, whether the items were read or not.
    """

    def __init__(self, items: Iterator[_T], depth: int) -> None:
        self._items = items
        self._queue: Queue[_T | _End] = Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._produce, name="spinefx-csv-reader", daemon=True
        )
        self._thread.start()

    def _put(self, item: _T | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def _produce(self) -> None:
        error: BaseException | None = None
        try:
            for item in self._items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            error = exc
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
        self._put(_End(error))

    def __iter__(self) -> ReadAhead[_T]:
        return self

    def __next__(self) -> _T:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if isinstance(item, _End):
            self._done = True
            self.close()
            if item.error is not None:
                raise item.error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the producer (at its next item) and wait for its thread to end."""
        self._done = True
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ReadAhead[_T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _prefetched(items: Iterator[_T], depth: int) -> Generator[_T, None, None]:
    """Iterate ``items`` on a background thread (:class:`ReadAhead`), started when the first
    item is asked for, holding at most ``depth`` items ahead.

    Errors raised by ``items`` are raised to the consumer; when the consumer stops early (an
    error of its own, or ``close()``), the producer stops at its next item and closes ``items``.
    """
    with ReadAhead(items, depth) as ahead:
        yield from ahead


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
