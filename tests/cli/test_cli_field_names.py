"""The CLI names each bad field as its own options and arguments do; the core names fields."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from spinefx.cli import app, flag_names, run


@pytest.fixture
def registry_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINEFX_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    assert run(["registry", "init"]) == 0


def test_each_field_is_named_by_the_parameter_that_fills_it() -> None:
    command = typer.main.get_command(app)
    names = flag_names(command, ["registry", "user", "add", "a@example.org"])
    assert (names["sites"], names["role"], names["email"]) == ("--site", "--role", "EMAIL")
    kpi = flag_names(command, ["registry", "kpi", "--from", "2025-01-01"])
    assert (kpi["from"], kpi["to"], kpi["as_of"]) == ("--from", "--to", "--as-of")
    assert flag_names(command, ["registry", "token", "revoke", "12"])["token"] == "TOKEN-ID"


def test_a_field_of_no_option_keeps_its_name() -> None:
    names = flag_names(typer.main.get_command(app), ["screen", "x.json"])
    assert "red_flags" not in names and names["file"] == "FILE"


def test_a_missing_input_file_names_the_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["screen", str(tmp_path / "absent.json")]) == 2
    assert capsys.readouterr().err.startswith("error: FILE: got ")


def test_a_period_that_ends_before_it_starts_names_the_to_option(
    registry_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["registry", "kpi", "--from", "2025-01-01", "--to", "2024-01-01"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --to: got '2024-01-01'; allowed: a date on or after the start of the period "
        "(2025-01-01)\n"
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["not-an-address", "--role", "coordinator", "--site", "north"], "error: EMAIL: "),
        (["a@example.org", "--role", "king", "--site", "north"], "error: --role: got 'king'"),
    ],
)
def test_user_add_names_its_own_options(
    registry_env: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    named: str,
) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough secret\n"))
    assert run(["registry", "user", "add", *args, "--password-stdin"]) == 2
    assert capsys.readouterr().err.startswith(named)
