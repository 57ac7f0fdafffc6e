"""A directory path that cannot be reached is a clear DataError, never a traceback; files left
beside the directory by an ingest that was killed are removed by the next one."""

import os
from pathlib import Path

import pytest

from spinefx.cli import run
from spinefx.directory import store
from spinefx.directory.demo import load_demo
from spinefx.directory.search import SearchQuery, search
from spinefx.errors import DataError, DirectoryNotLoaded


def test_a_data_dir_that_is_a_file_is_a_data_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x", encoding="utf-8")
    with pytest.raises(DataError) as err:
        search(not_a_folder / "directory.duckdb", SearchQuery(zip="02139"))
    assert not isinstance(err.value, DirectoryNotLoaded)
    assert "cannot be reached" in str(err.value)


def test_the_cli_reports_it_in_one_line_with_exit_1(tmp_path, monkeypatch, capsys) -> None:
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(not_a_folder))
    assert run(["directory", "search", "--zip", "02139"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the directory database")
    assert "Traceback" not in err


def dead_pid() -> int:
    """A process id no process has (above Linux's largest, and checked)."""
    for pid in range(2**22 + 1_000, 2**22 + 2_000):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    pytest.skip("no unused process id found")


def leftovers(folder: Path, name: str, pid: int) -> list[Path]:
    """What an ingest killed mid-build leaves: the partial file, its log, the scratch folder."""
    partial = folder / f".{name}.{pid}.partial"
    wal = folder / f".{name}.{pid}.partial.wal"
    spill = folder / f".{name}.{pid}.tmp"
    partial.write_bytes(b"half a database")
    wal.write_bytes(b"log")
    spill.mkdir()
    (spill / "spill.block").write_bytes(b"x")
    return [partial, wal, spill]


def test_files_left_by_a_killed_ingest_are_removed_by_the_next_one(tmp_path: Path) -> None:
    target = tmp_path / "directory.duckdb"
    pid = dead_pid()
    stale = leftovers(tmp_path, target.name, pid)
    other_target = tmp_path / f".other.duckdb.{pid}.partial"  # another database's: not ours
    not_a_pid = tmp_path / f".{target.name}.12x.partial"
    for path in (other_target, not_a_pid):
        path.write_bytes(b"x")
    with store.building(target) as conn:
        conn.execute("SELECT 1").fetchall()
    assert target.is_file()
    assert [path for path in stale if path.exists()] == []
    assert other_target.exists() and not_a_pid.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, other_target.name, not_a_pid.name]
    )


def test_they_are_removed_even_when_the_next_ingest_fails(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    target = folder / "directory.duckdb"
    stale = leftovers(folder, target.name, dead_pid())
    with pytest.raises(RuntimeError), store.building(target):
        raise RuntimeError("the input was bad")
    assert list(folder.iterdir()) == []
    assert [path for path in stale if path.exists()] == []


@pytest.mark.parametrize("live", ["parent", "init"])
def test_the_files_of_an_ingest_still_running_are_kept(tmp_path: Path, live: str) -> None:
    # Another ingest into the same file may be running: its process exists (ours, or another
    # user's, which os.kill answers with PermissionError), so its files are left alone.
    pid = os.getppid() if live == "parent" else 1
    target = tmp_path / "directory.duckdb"
    running = leftovers(tmp_path, target.name, pid)
    with store.building(target):
        pass
    assert target.is_file()
    assert all(path.exists() for path in running)
    assert (running[2] / "spill.block").exists()


def test_a_demo_load_removes_them_too(tmp_path: Path) -> None:
    folder = tmp_path / "db"  # apart from the data folder, where the ZIP cache may be written
    folder.mkdir()
    target = folder / "directory.duckdb"
    stale = leftovers(folder, target.name, dead_pid())
    load_demo(target, rows=200)
    assert [path for path in stale if path.exists()] == []
    assert [p.name for p in folder.iterdir()] == [target.name]
