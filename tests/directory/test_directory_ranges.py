"""The ranged reader of the main file: byte ranges parsed on every core give the same rows as
the streamed reader, wherever the ranges fall."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from spinefx.directory import csvstream
from spinefx.directory import nppes as nppes_mod
from spinefx.directory.archive import CsvSource
from spinefx.directory.demo import write_demo_files
from spinefx.directory.nppes import ingest
from spinefx.directory.report import Problems
from spinefx.errors import InputError

from .test_directory_streaming import table_rows

HEADER = '"NPI","Name","Note"'


def write(path: Path, lines: list[str], *, newline: str = "\n", final: bool = True) -> Path:
    text = newline.join([HEADER, *lines]) + (newline if final else "")
    path.write_bytes(text.encode("utf-8"))
    return path


def rows(line: int) -> str:
    return f'"{1000000000 + line}","name {line}, with a comma","note {line}"'


def read_ranges(
    path: Path, range_bytes: int, record_start: re.Pattern[bytes] = nppes_mod.RECORD_START
) -> tuple[pa.Table, Problems, int]:
    malformed = Problems()
    tables = list(
        csvstream.stream_ranges(
            path,
            ["NPI", "Note"],
            malformed=malformed,
            label="test",
            record_start=record_start,
            range_bytes=range_bytes,
            block_size=64,
        )
    )
    table = pa.concat_tables(tables) if tables else None
    assert table is not None
    return table, malformed, len(tables)


def read_streamed(path: Path) -> tuple[pa.Table, Problems]:
    malformed = Problems()
    batches = list(
        csvstream.stream_columns(
            path, ["NPI", "Note"], malformed=malformed, label="test", block_size=64
        )
    )
    return pa.Table.from_batches(batches), malformed


@pytest.mark.parametrize("range_bytes", [1, 7, 40, 61, 100, 1 << 20])
@pytest.mark.parametrize(
    "record_start", [nppes_mod.RECORD_START, csvstream.QUOTED_RECORD_START, re.compile(b"x^")]
)
def test_every_row_is_read_once_wherever_the_ranges_end(
    tmp_path: Path, range_bytes: int, record_start: re.Pattern[bytes]
) -> None:
    # Nominal range ends fall inside records, on commas, on quotes and on line breaks; a range
    # ends at the next record start (or, failing a match, at the next line break).
    path = write(tmp_path / "f.csv", [rows(i) for i in range(50)])
    table, malformed, ranges = read_ranges(path, range_bytes, record_start)
    assert table.column("NPI").to_pylist() == [str(1000000000 + i) for i in range(50)]
    assert table.column("Note").to_pylist() == [f"note {i}" for i in range(50)]
    assert malformed.count == 0
    if range_bytes >= 1 << 20:
        assert ranges == 1
    elif range_bytes < 100:
        assert ranges > 1


def test_the_ranges_cover_the_file_after_the_header_end_to_end(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", [rows(i) for i in range(30)])
    data = path.read_bytes()
    with path.open("rb") as source:
        bounds = list(csvstream.range_bounds(source, len(data), 100, nppes_mod.RECORD_START))
    assert bounds[0][0] == len(HEADER) + 1
    assert bounds[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    for start, end in bounds:
        assert data[start:end].startswith(b'"1') and data[start:end].endswith(b"\n")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final", [True, False])
def test_line_endings_and_a_last_line_without_one(
    tmp_path: Path, newline: str, final: bool
) -> None:
    path = write(tmp_path / "f.csv", [rows(i) for i in range(20)], newline=newline, final=final)
    for range_bytes in (1, 50, 1 << 20):
        table, malformed, _ = read_ranges(path, range_bytes)
        assert table.column("NPI").to_pylist() == [str(1000000000 + i) for i in range(20)]
        assert table.column("Note").to_pylist() == [f"note {i}" for i in range(20)]
        assert malformed.count == 0


def test_a_header_alone_gives_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", [])
    assert list(csvstream.stream_ranges(path, ["NPI"], malformed=Problems(), label="t")) == []
    path.write_text(HEADER, encoding="utf-8")  # not even a line break
    assert list(csvstream.stream_ranges(path, ["NPI"], malformed=Problems(), label="t")) == []


def test_malformed_rows_in_every_range_are_counted_as_the_streamed_reader_counts_them(
    tmp_path: Path,
) -> None:
    lines = []
    for i in range(200):
        lines.append(rows(i))
        if i % 7 == 3:
            lines.append(f'"{2000000000 + i}","cut short"')  # too few fields
        if i % 11 == 5:
            lines.append(f'"{3000000000 + i}","a","b","too many"')
    path = write(tmp_path / "f.csv", lines, final=False)
    streamed, stream_malformed = read_streamed(path)
    assert stream_malformed.count == 29 + 18
    for range_bytes in (1, 90, 333, 4096, 1 << 20):
        table, malformed, _ = read_ranges(path, range_bytes)
        assert table.equals(streamed)
        assert malformed.count == stream_malformed.count
        assert len(malformed.examples) == 5
        assert all("fields instead of 3" in e for e in malformed.examples)


def test_progress_is_reported_in_bytes_up_to_the_file_size(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", [rows(i) for i in range(40)])
    seen: list[tuple[int, int]] = []
    list(
        csvstream.stream_ranges(
            path,
            ["NPI"],
            malformed=Problems(),
            label="t",
            range_bytes=300,
            progress=lambda label, done, total: seen.append((done, total)),
        )
    )
    size = path.stat().st_size
    assert len(seen) > 3
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)


def test_a_range_arrow_cannot_read_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "f.csv", [rows(i) for i in range(10)])

    def broken(*args: object, **kwargs: object) -> pa.Table:
        raise pa.ArrowInvalid("CSV parse error: broken")

    monkeypatch.setattr(pacsv, "read_csv", broken)
    with pytest.raises(InputError, match="readable CSV file"):
        list(csvstream.stream_ranges(path, ["NPI"], malformed=Problems(), label="t"))


def test_the_ranged_and_streamed_readers_build_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: SimpleNamespace
) -> None:
    demo = write_demo_files(tmp_path / "files", rows=3_000, seed=13, our_share=0.3)
    # Malformed rows at the end: cut short, too long, and a last line without a line break.
    with demo.npidata.open("a", encoding="utf-8") as handle:
        handle.write('"1000000009","1","CUT SHORT"\n' + '"1","2"')

    def load(name: str) -> dict[str, object]:
        db = tmp_path / f"{name}.duckdb"
        report = ingest(
            demo.npidata, db_path=db, utilization_csv=demo.utilization, locations_csv=demo.locations
        )
        summary = report.model_dump(exclude={"db_path", "seconds"})
        return {"report": summary, "tables": table_rows(db)}

    monkeypatch.setattr(nppes_mod, "READER", "stream")
    streamed = load("streamed")
    monkeypatch.setattr(nppes_mod, "READER", "ranges")
    assert load("ranges") == streamed
    # Many small ranges, each ending inside some record, read the same rows.
    monkeypatch.setattr(csvstream, "RANGE_BYTES", 20_000)
    monkeypatch.setattr(csvstream, "RANGE_BLOCK_SIZE", 4_096)
    assert load("small-ranges") == streamed


@pytest.mark.parametrize("change", ["truncate", "append"])
def test_a_file_that_changes_while_it_is_read_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # The check runs before each range is mapped: a file cut short after the first range was
    # read is reported, not mapped past its new end (which would kill the process: SIGBUS).
    path = write(tmp_path / "f.csv", [rows(i) for i in range(200)])
    size = path.stat().st_size
    monkeypatch.setattr(csvstream, "RANGE_BYTES", 500)
    tables = csvstream.stream_ranges(
        path, ["NPI"], malformed=Problems(), label="t", block_size=64, prefetch=0
    )
    first = next(tables)
    assert first.num_rows > 0
    with path.open("r+b") as handle:
        if change == "truncate":
            handle.truncate(size - 1000)  # still longer than the first ranges
        else:
            handle.seek(0, 2)
            handle.write(rows(200).encode() + b"\n")
    now = path.stat().st_size
    with pytest.raises(InputError) as err:
        list(tables)
    assert err.value.field == "FILE"
    assert err.value.value == str(path)
    assert "does not change while it is read" in str(err.value)
    assert f"size was {size} bytes, now {now}" in str(err.value)


def test_a_file_cut_short_while_read_ahead_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the reader thread a range or two ahead: the last ranges are cut off, never reached.
    path = write(tmp_path / "f.csv", [rows(i) for i in range(400)])
    size = path.stat().st_size
    monkeypatch.setattr(csvstream, "RANGE_BYTES", 300)
    tables = csvstream.stream_ranges(path, ["NPI"], malformed=Problems(), label="t", prefetch=1)
    next(tables)
    with path.open("r+b") as handle:
        handle.truncate(size - 600)
    with pytest.raises(InputError, match=f"size was {size} bytes, now {size - 600}"):
        list(tables)


def test_an_ingest_of_a_file_that_changes_leaves_the_old_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = write_demo_files(tmp_path / "files", rows=2_000, seed=5, our_share=0.3)
    db = tmp_path / "directory.duckdb"
    monkeypatch.setattr(nppes_mod, "READER", "ranges")
    ingest(demo.npidata, db_path=db)
    before = table_rows(db)
    monkeypatch.setattr(csvstream, "RANGE_BYTES", 20_000)
    real = csvstream.stream_ranges

    def changing(source: CsvSource, *args: Any, **kwargs: Any) -> Iterator[pa.Table]:
        for number, table in enumerate(real(source, *args, **kwargs)):
            yield table
            if number == 0:
                with source.path.open("ab") as handle:
                    handle.write(b'"1000000009","1"\n')

    monkeypatch.setattr(nppes_mod, "stream_ranges", changing)
    with pytest.raises(InputError, match="does not change while it is read"):
        ingest(demo.npidata, db_path=db)
    assert table_rows(db) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
