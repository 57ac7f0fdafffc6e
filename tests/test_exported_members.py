"""The curated public API: everything in ``__all__`` exists, and the root exports the errors."""

import importlib

import pytest

import spinefx

MODULES = [
    "spinefx",
    "spinefx.errors",
    "spinefx.validation",
    "spinefx.dates",
    "spinefx.clinical.criteria",
    "spinefx.clinical.spine",
    "spinefx.clinical.pathway",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name):
    module = importlib.import_module(name)
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert missing == []


def test_root_exports_the_error_hierarchy():
    assert set(spinefx.__all__) >= {"SpinefxError", "InputError", "DataError", "DirectoryNotLoaded"}
