"""The packages as layers (docs/architecture.md): the core (``clinical``, ``directory``,
``registry``, ``casefind``, ``learn``, ``fhir``) imports neither the web nor the CLI; the web
does not import the CLI; no route module imports another; the registry's modules import each
other without a circle. Every import counts, those inside functions too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import spinefx

ROOT = Path(spinefx.__file__).parent
CORE = ("clinical", "directory", "registry", "casefind", "learn", "fhir")


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of spinefx by its dotted name (migrations are scripts alembic runs)."""
    return {
        _name(path): path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts and path.name != "__main__.py"
    }


@cache
def imports(name: str) -> frozenset[str]:
    """The spinefx modules ``name`` imports, anywhere in it (a package: its ``__init__``)."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                whole = f"{base}.{alias.name}"
                found.add(whole if whole in modules() else base)
    return frozenset(m for m in found if m in modules())


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def route_modules() -> list[str]:
    """The web's modules that declare routes (an APIRouter, or routes added to one)."""
    return sorted(
        name
        for name, path in modules().items()
        if _under(name, "spinefx.web")
        and any(
            text in path.read_text(encoding="utf-8") for text in ("APIRouter(", ".add_api_route(")
        )
    )


def test_the_modules_are_found() -> None:
    assert len(modules()) > 100
    assert "spinefx.web.registry.cases" in imports("spinefx.web.app")
    assert "spinefx.registry.editing" in imports("spinefx.registry.rows")


@pytest.mark.parametrize("package", CORE)
def test_the_core_imports_neither_the_web_nor_the_cli(package: str) -> None:
    crossing = {
        (name, other)
        for name in modules()
        if _under(name, f"spinefx.{package}")
        for other in imports(name)
        if _under(other, "spinefx.web") or _under(other, "spinefx.cli")
    }
    assert crossing == set()


def test_the_web_does_not_import_the_cli() -> None:
    crossing = {
        (name, other)
        for name in modules()
        if _under(name, "spinefx.web")
        for other in imports(name)
        if _under(other, "spinefx.cli")
    }
    assert crossing == set()


def test_no_route_module_imports_another() -> None:
    routes = route_modules()
    assert len(routes) >= 20  # the patients', clinicians', registry's pages and the API
    crossing = {(name, other) for name in routes for other in imports(name) if other in routes}
    assert crossing == set()


def _circle(graph: dict[str, frozenset[str]]) -> list[str]:
    """One import circle of ``graph``, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(node: str, path: list[str]) -> Iterator[list[str]]:
        state[node] = 1
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                yield [*path[path.index(other) :], other]
            elif other not in state:
                yield from walk(other, [*path, other])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            for circle in walk(start, [start]):
                return circle
    return []


@pytest.mark.parametrize("package", ["spinefx.registry", "spinefx.web", "spinefx.cli"])
def test_the_modules_of_a_package_import_each_other_without_a_circle(package: str) -> None:
    graph = {
        name: frozenset(m for m in imports(name) if _under(m, package) and m != package)
        for name in modules()
        if _under(name, package) and name != package
    }
    assert _circle(graph) == []


def test_a_circle_is_found_where_there_is_one() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}
    assert _circle(graph) == ["a", "b", "c", "a"]
    assert _circle({"a": frozenset({"b"}), "b": frozenset()}) == []
