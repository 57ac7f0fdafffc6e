"""The command line's help reads well: printed once, a summary that names every command
group, flags without a made-up type beside them and options with theirs, and examples that fit
80 columns without a word cut, and that run when pasted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.text import Text

from spinefx.cli import SUMMARY, app, run

BIN = Path(sys.executable).parent


def commands(
    command: Any | None = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group, with the words that name it."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


GROUPS = [path for path, command in commands() if path and hasattr(command, "commands")]
WITH_EXAMPLES = [(path, command.epilog) for path, command in commands() if command.epilog]


def help_of(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: int = 80,
) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert run(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [[], *[list(path) for path in GROUPS]], ids=lambda a: " ".join(a) or "spinefx"
)
def test_a_group_without_a_command_prints_its_help_once(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = help_of(argv, capsys, monkeypatch)
    assert out.count("Usage: spinefx") == 1, out
    assert "Commands" in out


def test_there_are_groups_to_check() -> None:
    assert {("directory",), ("registry",), ("casefind",)} <= set(GROUPS)


def test_the_summary_names_every_command_group(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    top = [path[0] for path in GROUPS if len(path) == 1]
    for group in top:
        assert group in SUMMARY, group
    out = " ".join(help_of([], capsys, monkeypatch, columns=400).split())
    assert SUMMARY in out


@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=lambda p: " ".join(p) or "spinefx")
def test_flags_show_no_type_and_options_show_theirs(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = help_of([*path, "--help"], capsys, monkeypatch, columns=200)
    assert "<bool>" not in out
    rows = {m.group(1): m.group(2) for m in re.finditer(r"│\s*\*?\s*(--[a-z-]+)\s+(\S*)", out)}
    assert rows.get("--help") == "Show"  # no type: the help text follows at once
    if "--json" in rows:
        assert rows["--json"] == "Print"
    for name, shown in rows.items():
        if name in ("--help", "--json"):
            continue
        assert shown, name


def test_an_option_that_takes_a_choice_or_a_date_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    search = help_of(["directory", "search", "--help"], capsys, monkeypatch, columns=200)
    assert re.search(r"--sort\s+distance\|volume", search)
    assert re.search(r"--performs-bkp\s+Only", search)  # a flag: nothing between
    kpi = help_of(["registry", "kpi", "--help"], capsys, monkeypatch, columns=200)
    assert re.search(r"--from\s+<date>", kpi) and re.search(r"--database-url\s+<url>", kpi)


@pytest.mark.parametrize(
    ("path", "epilog"), WITH_EXAMPLES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_examples_fit_80_columns_without_a_word_cut(
    path: tuple[str, ...],
    epilog: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = help_of([*path, "--help"], capsys, monkeypatch, columns=80)
    assert max(len(line) for line in out.splitlines()) <= 80
    plain = Text.from_markup(epilog).plain
    shown = out[out.index(plain.split()[0]) :]
    assert shown.split()[: len(plain.split())] == plain.split()


def test_there_are_examples_to_check() -> None:
    assert len(WITH_EXAMPLES) >= 10


@pytest.mark.parametrize("command", ["screen", "grade", "candidacy", "followup"])
def test_a_clinical_example_runs_when_pasted_into_a_shell(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = help_of([command, "--help"], capsys, monkeypatch, columns=80)
    lines = out[out.index("Example:") :].splitlines()[1:]
    pasted = "\n".join(line.strip() for line in lines).strip()
    assert pasted.startswith("echo '") and pasted.endswith(f"| spinefx {command} -")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["sh", "-c", pasted + " --json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")


HELP_TEXTS = [
    (" ".join((*path, param.name or "")), param.help)
    for path, command in commands()
    for param in getattr(command, "params", [])
    if getattr(param, "help", None)
] + [(" ".join(path), command.help) for path, command in commands() if command.help]


@pytest.mark.parametrize(("where", "text"), HELP_TEXTS, ids=[w for w, _ in HELP_TEXTS])
def test_no_help_text_loses_words_to_rich_markup(where: str, text: str) -> None:
    """Rich reads ``[...]`` as a style: "in order [default: text]." printed "in order ."."""
    assert Text.from_markup(text).plain == text.replace("\\[", "["), where
