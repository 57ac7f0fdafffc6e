"""Every name in the fhir modules' ``__all__`` exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "codes",
    "drugs",
    "reports",
    "registry_map",
    "registry_import",
    "bulk",
    "cds",
    "cds_auth",
    "casefind_registry",
    "report_demo",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(f"spinefx.fhir.{name}")
    assert [item for item in module.__all__ if not hasattr(module, item)] == []
