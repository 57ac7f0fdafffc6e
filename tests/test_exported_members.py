"""The curated public API is exactly what ``__all__`` says, as httpx checks its own
(``tests/test_exported_members.py`` there): nothing public is left out of ``__all__`` and
nothing in it is missing (a name in ``__all__`` that does not exist is ruff's F822 already).

A package's ``__all__`` lists every public name it holds, its subpackages and modules aside; a
module's lists every public name it defines (functions, classes, constants), not what it imports.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

import spinefx

PACKAGES = ["spinefx", "spinefx.web"]
MODULES = ["spinefx.errors", "spinefx.validation", "spinefx.dates", "spinefx.registry.rows"]


def _public(name: str) -> bool:
    return not name.startswith("_") or name == "__version__"


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_exports_exactly_its_public_members(name: str) -> None:
    package = importlib.import_module(name)
    members = sorted(
        member
        for member, value in vars(package).items()
        if _public(member) and not isinstance(value, ModuleType) and member != "annotations"
    )
    assert sorted(package.__all__) == members


def defined_names(module: ModuleType) -> list[str]:
    """The public names a module binds at its top level, imports aside."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return sorted(n for n in names if not n.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_a_module_exports_exactly_what_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == defined_names(module)


def test_the_root_exports_the_error_hierarchy_and_the_version() -> None:
    assert {"SpinefxError", "InputError", "DataError", "DirectoryNotLoaded"} <= set(spinefx.__all__)
    assert "__version__" in spinefx.__all__


def test_a_name_left_out_of_all_is_caught() -> None:
    module = ModuleType("example")
    module.__file__ = __file__  # this file: it defines PACKAGES, MODULES and the tests
    assert "PACKAGES" in defined_names(module) and "_public" not in defined_names(module)
