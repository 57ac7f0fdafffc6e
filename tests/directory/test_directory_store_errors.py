"""A directory path that cannot be reached is a clear DataError, never a traceback."""

from pathlib import Path

import pytest

from spinefx.cli import run
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
