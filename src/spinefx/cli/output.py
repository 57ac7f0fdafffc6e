"""Shared output helpers for the CLI: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

__all__ = [
    "EXAMPLE_WIDTH",
    "JsonOpt",
    "console",
    "emit",
    "example",
    "json_example",
    "print_json",
]

console = Console()

# --json on every command that prints a result: the same figures, as one JSON document.
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

# The longest line of an example in --help: a terminal of 80 columns less the help's margins,
# so that no line is wrapped again (rich would cut a word with no space in it anywhere).
EXAMPLE_WIDTH = 76


def example(*lines: str) -> str:
    """A ``--help`` epilog showing a command laid out as typed: one line per part, continued
    with a backslash, so that it can be copied whole (``lines`` of at most EXAMPLE_WIDTH)."""
    from rich.markup import escape

    return escape("Example:\n" + " \\\n".join(lines))


def json_example(command: str, data: dict[str, Any]) -> str:
    """A ``--help`` epilog: ``data`` piped into ``spinefx COMMAND -``, its JSON broken into
    lines after commas between values (never inside a string), so that the shell's quotes
    carry the line breaks and the JSON means the same."""
    from rich.markup import escape

    text = f"echo '{json.dumps(data)}' | spinefx {command} -"
    lines: list[str] = []
    line = ""
    for piece in _json_pieces(text):
        if line and len(line) + len(piece) > EXAMPLE_WIDTH:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    lines.append(line)
    return escape("Example:\n" + "\n".join(lines))


def _json_pieces(text: str) -> list[str]:
    """``text`` cut after each ``", "`` outside a JSON string."""
    pieces: list[str] = []
    start, in_string, escaped = 0, False, False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = in_string
        elif char == '"':
            in_string = not in_string
        elif char == "," and not in_string:
            pieces.append(text[start : i + 1])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def print_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Print ``value`` as indented JSON on stdout, exactly as the API returns it."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit(as_json: bool, data: BaseModel | dict[str, Any], line: str) -> None:
    """A command's result: ``data`` as JSON with ``--json``, else the one ``line`` for people."""
    if as_json:
        print_json(data)
    else:
        typer.echo(line)
