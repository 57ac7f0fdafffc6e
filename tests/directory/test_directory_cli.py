"""The ``spinefx directory`` commands: exit statuses, JSON shape and error lines."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from spinefx.cli import run


def test_demo_then_search_json_through_the_default_data_dir(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["directory", "demo", "--rows", "1500", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kept"] > 0
    assert report["db_path"] == str(tmp_path / "data" / "directory.duckdb")

    assert run(["directory", "search", "--zip", "02139", "--limit", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"]["radius"] == 25
    assert data["total"] >= len(data["results"]) > 0
    assert isinstance(data["results"][0]["distance_miles"], float)


def test_search_prints_a_table_with_the_medicare_caveat(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    assert run(["directory", "ingest", str(nppes), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "providers kept" in out
    assert run(["directory", "search", "--zip", "02139", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "1000000001" in out
    assert "fewer than 11 beneficiaries" in out


@pytest.mark.parametrize("width", [80, 140])
def test_search_output_fits_the_console_and_shows_names_as_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    files: SimpleNamespace,
    width: int,
) -> None:
    from spinefx.cli.output import console

    db = tmp_path / "d.duckdb"
    odd = files.provider("1000000002", entity="2", org="DEMO [B] SPINE [/] CENTER", last="")
    rows = [files.provider("1000000001", first="Ada", last="Demo-Lovelace"), odd]
    nppes = files.write_nppes(tmp_path / "n.csv", rows)
    assert run(["directory", "ingest", str(nppes), "--db", str(db)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(console, "width", width)
    assert run(["directory", "search", "--zip", "02139", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "DEMO [B] SPINE [/] CENTER" in out  # brackets are text, not markup
    assert "Ada Demo-Lovelace, MD" in out
    assert max(len(line) for line in out.splitlines()) <= width
    assert ("┃ miles" in out) == (width >= 110)  # a table when wide, a list when narrow
    assert run(["directory", "info", "1000000002", "--db", str(db)]) == 0
    assert "DEMO [B] SPINE [/] CENTER" in capsys.readouterr().out


def test_info_shows_one_provider(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    row = files.provider("1000000001", tax2="207RR0500X", sw2="N")
    files.write_nppes(tmp_path / "n.csv", [row])
    assert run(["directory", "ingest", str(tmp_path / "n.csv"), "--db", str(db)]) == 0
    capsys.readouterr()
    assert run(["directory", "info", "1000000001", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["specialties"] == ["neurosurgery", "rheumatology"]
    assert run(["directory", "info", "1000000001", "--db", str(db)]) == 0
    assert "Rheumatology" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--zip", "0213x"], "zip: got '0213x'; allowed: a 5-digit US ZIP code"),
        (["--zip", "00000"], "did you mean"),
        (["--zip", "02139", "--radius", "0"], "radius: got 0.0; allowed: a number from 1 to 500"),
        (["--zip", "02139", "--radius", "501"], "radius"),
        (["--zip", "02139", "--limit", "0"], "limit: got 0; allowed: an integer from 1 to 1000"),
        (["--zip", "02139", "--limit", "1001"], "limit"),
        (["--zip", "02139", "--specialty", "podiatry"], "specialties[0]: got 'podiatry'"),
    ],
)
def test_bad_search_input_exits_2_with_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    assert run(["directory", "search", *args, "--db", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_search_without_a_directory_exits_1_and_says_how_to_load_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["directory", "search", "--zip", "02139"]) == 1
    err = capsys.readouterr().err
    assert "spinefx directory demo" in err
    assert "spinefx directory ingest FILE" in err


def test_ingest_of_a_missing_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["directory", "ingest", str(tmp_path / "nope.csv")]) == 2
    assert "NPPES_CSV" in capsys.readouterr().err


def test_info_of_an_unknown_npi_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    assert run(["directory", "ingest", str(tmp_path / "n.csv"), "--db", str(db)]) == 0
    assert run(["directory", "info", "1999999999", "--db", str(db)]) == 2
    assert "error: NPI: " in capsys.readouterr().err  # the argument, as usage names it


def test_search_on_the_demo_says_so_before_the_results_and_takes_zip_plus_4(
    capsys: pytest.CaptureFixture[str], demo_db: Path
) -> None:
    assert (
        run(["directory", "search", "--zip", "02139-4307", "--limit", "2", "--db", str(demo_db)])
        == 0
    )
    out = capsys.readouterr().out
    assert out.lstrip().startswith("Demonstration data")
    assert out.index("Demonstration data") < out.index(" mi ")
    assert "of 02139 (Cambridge, MA)" in out
    assert "kyphoplasty services in 2023" in out


def test_search_on_a_real_directory_has_no_demo_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: SimpleNamespace
) -> None:
    db = tmp_path / "d.duckdb"
    run(
        [
            "directory",
            "ingest",
            str(files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])),
            "--db",
            str(db),
        ]
    )
    capsys.readouterr()
    assert (
        run(
            ["directory", "search", "--zip", "2139", "--specialty", "neurosurgery", "--db", str(db)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Demonstration" not in out
    assert "1 Demo Street, Cambridge, MA 02139" in out  # not the file's capitals


def test_search_sorts_by_volume(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    args = ["directory", "search", "--zip", "02139", "--radius", "100", "--sort", "volume"]
    assert run([*args, "--json", "--limit", "20", "--db", str(demo_db)]) == 0
    hits = json.loads(capsys.readouterr().out)["results"]
    volumes = [h["bkp_services"] or 0 for h in hits]
    assert volumes == sorted(volumes, reverse=True) and volumes[0] > 0


# Modules an ingest or update has no use for, each a second or more of start-up: the web app
# (FastAPI, uvicorn and the registry behind it) and pandas.
NOT_IMPORTED_BY_INGEST = ("spinefx.web", "fastapi", "starlette", "uvicorn", "sqlalchemy", "pandas")


def test_an_ingest_imports_neither_the_web_app_nor_pandas(
    tmp_path: Path, files: SimpleNamespace
) -> None:
    """``spinefx directory ingest`` and ``update`` read their data folder from the settings
    without importing :mod:`spinefx.web` (which loads the whole app: 1.3 s of a run, measured
    before the settings moved to :mod:`spinefx.settings`); pyarrow and DuckDB import pandas
    where it is installed (here, for the benchmark's baseline) on first use, and the commands
    keep it out. Run in a fresh interpreter, through the command's own entry point."""
    import subprocess
    import sys

    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    code = (
        "import json, sys; from spinefx.cli import run; "
        f"codes = [run(['directory', 'ingest', {str(nppes)!r}]), "
        f"run(['directory', 'update', {str(nppes)!r}, '--force'])]; "
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {NOT_IMPORTED_BY_INGEST!r} "
        f"or m.startswith('spinefx.web')); "
        "print(json.dumps([codes, loaded]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    codes, loaded = json.loads(out.strip().splitlines()[-1])
    assert codes == [0, 0]
    assert loaded == []
    assert (tmp_path / "data" / "directory.duckdb").is_file()  # the settings' data folder


def test_an_ingest_allocates_from_jemalloc_and_gives_the_pool_back(
    tmp_path: Path, files: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's jemalloc pool keeps freed pages for the next range (the default pool returns
    them at once, and the kernel zeroes them again); the command sets it for the run only."""
    import pyarrow as pa

    from spinefx.directory import nppes as nppes_mod

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow without jemalloc
        pytest.skip("this pyarrow has no jemalloc pool; the command keeps its default")
    before = pa.default_memory_pool().backend_name
    seen: list[str] = []
    real = nppes_mod.ingest

    def ingest(*args: object, **kwargs: object) -> object:
        seen.append(pa.default_memory_pool().backend_name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nppes_mod, "ingest", ingest)
    nppes = files.write_nppes(tmp_path / "n.csv", [files.provider("1000000001")])
    assert run(["directory", "ingest", str(nppes), "--db", str(tmp_path / "d.duckdb")]) == 0
    assert seen == ["jemalloc"]
    assert pa.default_memory_pool().backend_name == before


@pytest.fixture
def named_and_secondary_db(tmp_path: Path, files: SimpleNamespace) -> Path:
    """An organisation with a doing-business-as name in Cambridge, and a provider whose main
    office is in New York and whose second office is in Cambridge."""
    rows = [
        files.provider(
            "1000000002", entity="2", org="HARBOR SPINE HOLDINGS LLC", first="", last=""
        ),
        files.provider("1000000003", postal="10001", city="NEW YORK", state="NY"),
    ]
    nppes = files.write_nppes(tmp_path / "n.csv", rows)
    locations = files.write_locations(
        tmp_path / "pl.csv",
        [["1000000003", "5 SECOND ST", "", "CAMBRIDGE", "MA", "02139", "", "", "", ""]],
    )
    names = tmp_path / "othername.csv"
    names.write_text(
        '"NPI","Provider Other Organization Name","Provider Other Organization Name Type Code"\n'
        '"1000000002","Harbor Spine Center","3"\n',
        encoding="utf-8",
    )
    db = tmp_path / "d.duckdb"
    args = ["--locations", str(locations), "--other-names", str(names), "--db", str(db)]
    assert run(["directory", "ingest", str(nppes), *args]) == 0
    return db


@pytest.mark.parametrize("width", [80, 140])
def test_search_shows_other_names_and_flags_a_secondary_location(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    named_and_secondary_db: Path,
    width: int,
) -> None:
    from spinefx.cli.output import console

    capsys.readouterr()
    monkeypatch.setattr(console, "width", width)
    db = str(named_and_secondary_db)
    assert run(["directory", "search", "--zip", "02139", "--radius", "5", "--db", db]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.replace("│", " ").split())  # the table's cells wrap their words
    assert "also known as: harbor spine center" in flat.lower()
    assert "Secondary practice location:" in flat
    assert "5 Second St, Cambridge, MA 02139" in flat or width >= 110
    assert flat.count("Secondary practice location") == 1  # the organisation is at its own
    assert (
        run(["directory", "search", "--zip", "02139", "--radius", "5", "--db", db, "--json"]) == 0
    )
    hits = {h["npi"]: h for h in json.loads(capsys.readouterr().out)["results"]}
    assert hits["1000000002"]["other_names"] == ["Harbor Spine Center"]
    assert hits["1000000002"]["secondary_location"] is False
    assert hits["1000000003"]["secondary_location"] is True
    assert hits["1000000003"]["city"] == "CAMBRIDGE"


def test_info_labels_the_main_and_secondary_locations_and_other_names(
    capsys: pytest.CaptureFixture[str], named_and_secondary_db: Path
) -> None:
    capsys.readouterr()
    db = str(named_and_secondary_db)
    assert run(["directory", "info", "1000000003", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Main practice location: 1 Demo Street, New York, NY 10001" in out
    assert "Secondary practice location: 5 Second St, Cambridge, MA 02139" in out
    assert run(["directory", "info", "1000000002", "--db", db]) == 0
    assert "Also known as: Harbor Spine Center" in capsys.readouterr().out
