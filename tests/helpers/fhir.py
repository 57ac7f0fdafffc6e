"""Helpers of the FHIR tests."""

from __future__ import annotations

from typing import Any

__all__ = ["references_in"]


def references_in(value: Any) -> list[str]:
    """Every ``reference`` string anywhere inside a resource (or a list of them)."""
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [r for item in value.values() for r in references_in(item)]
    if isinstance(value, list):
        return [r for item in value for r in references_in(item)]
    return []
