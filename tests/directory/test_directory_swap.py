"""A directory swapped in while searches run: every search answers, from the old file or the
new one, and none fails (no connection is closed under another thread's cursor)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spinefx.directory.demo import load_demo
from spinefx.directory.search import SearchQuery, provider_info, search
from spinefx.directory.store import Directory
from spinefx.errors import DirectoryNotLoaded

QUERY = SearchQuery(zip="02139", radius=100)
READERS = 4


@pytest.fixture(scope="module")
def two_directories(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("swap")
    first, second = folder / "first.duckdb", folder / "second.duckdb"
    load_demo(first, rows=400, seed=1)
    load_demo(second, rows=300, seed=2)
    return first, second


def swap_in(source: Path, target: Path) -> None:
    """Put a copy of ``source`` at ``target`` atomically, as an ingest does."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def hammer(read: object, writer: threading.Thread) -> tuple[list[BaseException], int]:
    """Run ``read()`` in READERS threads until ``writer`` (started here) ends; the errors raised
    and the calls made. Each reader makes at least two calls."""
    errors: list[BaseException] = []
    calls = [0] * READERS

    def loop(index: int) -> None:
        while writer.is_alive() or calls[index] < 2:
            try:
                read()  # type: ignore[operator]
            except BaseException as exc:
                errors.append(exc)
            calls[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(READERS)]
    for thread in threads:
        thread.start()
    writer.start()
    writer.join()
    for thread in threads:
        thread.join()
    return errors, sum(calls)


def test_a_reader_keeps_the_file_it_started_with(
    tmp_path: Path, two_directories: tuple[Path, Path]
) -> None:
    first, second = two_directories
    target = tmp_path / "directory.duckdb"
    swap_in(first, target)
    handle = Directory(target)
    count = "SELECT count(*) FROM providers"
    with handle.cursor() as reader:  # a search under way
        before = reader.execute(count).fetchall()
        swap_in(second, target)
        assert search(handle, QUERY).total == search(second, QUERY).total  # opens the new file
        assert reader.execute(count).fetchall() == before  # the old one, still open
    assert search(handle, QUERY).total == search(second, QUERY).total
    handle.close()


def test_searches_during_repeated_swaps_never_fail(
    tmp_path: Path, two_directories: tuple[Path, Path]
) -> None:
    first, second = two_directories
    target = tmp_path / "directory.duckdb"
    swap_in(first, target)
    handle = Directory(target)
    total_of = {first: search(first, QUERY).total, second: search(second, QUERY).total}
    totals = set(total_of.values())
    seen: set[int] = set()

    def read() -> None:
        seen.add(search(handle, QUERY).total)

    def wait_until_read(total: int) -> None:
        # However loaded the machine, let a search answer from the file just swapped in, so
        # that both files are read whatever the timing.
        deadline = time.monotonic() + 120  # a full CI run on a loaded machine needed over 30 s
        while total not in seen and time.monotonic() < deadline:
            time.sleep(0.005)

    done = threading.Event()

    def swapper() -> None:
        wait_until_read(total_of[first])
        for i in range(20):
            source = second if i % 2 == 0 else first
            swap_in(source, target)
            wait_until_read(total_of[source])
            time.sleep(0.02)
        done.set()

    errors, calls = hammer(read, threading.Thread(target=swapper))
    handle.close()
    assert done.is_set()
    assert errors == []
    assert calls >= 2 * READERS
    assert seen <= totals and len(seen) == 2  # both files were read, nothing else


def test_a_real_ingest_swapped_in_under_readers(
    tmp_path: Path, two_directories: tuple[Path, Path]
) -> None:
    first, _ = two_directories
    target = tmp_path / "directory.duckdb"
    swap_in(first, target)
    handle = Directory(target)
    npi = search(handle, QUERY).results[0].npi

    def read() -> None:
        search(handle, QUERY)
        try:
            provider_info(handle, npi)
        except Exception as exc:  # the NPI may be absent from the other sample: an InputError
            if type(exc).__name__ != "InputError":
                raise

    loader = threading.Thread(target=lambda: [load_demo(target, rows=200, seed=s) for s in (3, 4)])
    errors, _ = hammer(read, loader)
    assert errors == []
    assert search(handle, QUERY).total == search(target, QUERY).total  # the new file now
    handle.close()


def test_the_handle_reports_a_file_removed_and_one_damaged(tmp_path: Path) -> None:
    target = tmp_path / "directory.duckdb"
    handle = Directory(target)
    assert handle.state() == "not-loaded"
    target.write_bytes(b"not a database")
    assert handle.state() == "damaged"
    load_demo(target, rows=100)
    assert handle.state() == "loaded"
    target.unlink()
    with pytest.raises(DirectoryNotLoaded):
        search(handle, QUERY)
    handle.close()


def test_the_loaded_index_is_offered_only_while_it_is_the_files(
    tmp_path: Path, two_directories: tuple[Path, Path]
) -> None:
    first, second = two_directories
    target = tmp_path / "directory.duckdb"
    handle = Directory(target)
    assert handle.loaded_index() is None  # no file
    swap_in(first, target)
    assert handle.loaded_index() is None  # not loaded yet: the API loads it off the loop
    index = handle.index()
    assert handle.loaded_index() is index
    swap_in(second, target)
    assert handle.loaded_index() is None  # the file changed: its index is not this one
    assert handle.index() is not index
    target.unlink()
    assert handle.loaded_index() is None
    handle.close()


def test_api_searches_during_swaps_answer_200(
    tmp_path: Path, two_directories: tuple[Path, Path]
) -> None:
    from spinefx.web import Settings, create_app

    first, second = two_directories
    swap_in(first, tmp_path / "directory.duckdb")
    statuses: list[int] = []
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:

        def read() -> None:
            statuses.append(client.get("/api/v1/specialists?zip=02139&radius=100").status_code)

        swaps = threading.Thread(
            target=lambda: [
                (
                    swap_in(second if i % 2 else first, tmp_path / "directory.duckdb"),
                    time.sleep(0.02),
                )
                for i in range(20)
            ]
        )
        errors, _ = hammer(read, swaps)
    assert errors == []
    assert statuses and set(statuses) == {200}
