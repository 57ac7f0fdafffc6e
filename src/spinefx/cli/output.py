"""Shared output helpers for the CLI: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel
from rich.console import Console

__all__ = ["console", "print_json"]

console = Console()


def print_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Print ``value`` as indented JSON on stdout, exactly as the API returns it."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
