"""``spinefx serve``: the web app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the web command to ``app`` (filled in by the web app work)."""
