"""``spinefx directory ...``: ingest, search and inspect the specialist directory."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The specialist directory from the national provider file (NPPES).", no_args_is_help=True
)
