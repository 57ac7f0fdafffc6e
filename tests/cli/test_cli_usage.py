"""The command line as a new user meets it: a version, examples in --help, usage errors in one
line like input errors, levels in any case, a short demo summary, and a lean `make run`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import spinefx
from spinefx.cli import run
from spinefx.clinical.pathway import REFERENCE_HEIGHTS

ROOT = Path(__file__).resolve().parents[2]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"spinefx {spinefx.__version__}"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["screen"], "Missing argument 'file'"),
        (["screen", "--bogus", "x"], "No such option: --bogus"),
        (["nosuch"], "No such command 'nosuch'"),
        (["directory", "search"], "Missing option '--zip'"),
        (["directory", "search", "--zip", "02139", "--radius", "abc"], "'--radius'"),
        (["serve", "--port", "0"], "'--port'"),
    ],
)
def test_a_usage_error_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ") and says in err
    assert "--help" in err
    assert not re.search(r"[╭╮╰╯│─]", err)  # no box


@pytest.mark.parametrize(
    ("argv", "example"),
    [
        (["screen", "--help"], "| spinefx screen -"),
        (["grade", "--help"], "| spinefx grade -"),
        (["candidacy", "--help"], "| spinefx candidacy -"),
        (["followup", "--help"], "| spinefx followup -"),
        (["directory", "search", "--help"], "spinefx directory search --zip 02139"),
        (["directory", "ingest", "--help"], "spinefx directory ingest npidata_pfile"),
        (["directory", "demo", "--help"], "spinefx directory demo"),
        (["directory", "info", "--help"], "spinefx directory info 1234567893"),
        (["serve", "--help"], "spinefx serve --port"),
    ],
)
def test_each_commands_help_shows_an_example(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    example: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per paragraph, so the example reads whole
    assert run(argv) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Example:" in out and example in out


def test_the_example_in_a_clinical_help_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "2000")
    run(["grade", "--help"])
    out = capsys.readouterr().out
    found = re.search(r"echo '(\{.*?\})' \| spinefx grade -", out, re.DOTALL)
    assert found
    assert json.loads(found.group(1)) == REFERENCE_HEIGHTS
    path = tmp_path / "in.json"
    path.write_text(found.group(1), encoding="utf-8")
    assert run(["grade", str(path), "--json"]) == 0


@pytest.mark.parametrize("level", ["l2", "L2", " l2 "])
def test_levels_are_accepted_in_any_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, level: str
) -> None:
    path = tmp_path / "in.json"
    data = {"vertebrae": [{"level": level, "ha": 18, "hm": 24, "hp": 28}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run(["grade", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vertebrae"][0]["level"] == "L2"


def test_directory_demo_prints_a_short_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "d.duckdb"
    assert run(["directory", "demo", "--rows", "300", "--db", str(db)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) <= 5, out
    text = " ".join(out)
    assert "fictional providers" in text and "from 300 synthetic rows" in text
    assert "spinefx directory search --zip 02139" in text
    assert "malformed" not in text


def test_the_demo_files_hold_no_malformed_rows_unless_asked(tmp_path: Path) -> None:
    from spinefx.directory.demo import load_demo, write_demo_files
    from spinefx.directory.nppes import ingest

    assert load_demo(tmp_path / "a.duckdb", rows=300).malformed.count == 0
    files = write_demo_files(tmp_path / "files", rows=300, malformed_rows=True)
    assert ingest(files.npidata, db_path=tmp_path / "b.duckdb").malformed.count == 1


def recipe(makefile: str, target: str) -> tuple[str, list[str]]:
    """The prerequisites and the recipe lines of ``target``."""
    lines = makefile.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.startswith(f"{target}:")]
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line.strip())
    return lines[start].split(":", 1)[1].strip(), body


def test_make_run_installs_only_what_serving_needs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (needs, _) = recipe(makefile, "run")
    (stamp, _) = recipe(makefile, needs)
    _, steps = recipe(makefile, stamp)
    assert [s for s in steps if "sync" in s and "--no-dev" in s]
    (dev_stamp, _) = recipe(makefile, "setup")
    _, dev_steps = recipe(makefile, dev_stamp)
    assert [s for s in dev_steps if "sync" in s and "--no-dev" not in s]  # test: everything
