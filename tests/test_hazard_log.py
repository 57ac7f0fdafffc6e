"""The clinical hazard log (docs/safety/hazard-log.md) names real tests, and covers the review.

Each row's "Verified by" cell names pytest ids (``tests/...py::test_name``). A test id that does
not exist (file missing, or no such test function, at module level or in a test class) fails
here, so a control cannot lose its test silently.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::([\w]+(?:::[\w]+)?)(\[[^\]`]*\])?`")
# Items of issue 20 (the second clinical review) whose rows other developers add with their
# tests. Remove an item here when its row lands.
PENDING_ITEMS: set[str] = set()
REVIEW_ITEMS = {"20.1", "20.2", "20.3", "20.4", "20.5", "20.6", "20.6-kpi", "20.7"}


def rows() -> list[list[str]]:
    lines = LOG.read_text(encoding="utf-8").splitlines()
    table = [ln for ln in lines if ln.startswith("| HAZ-")]
    return [[cell.strip() for cell in ln.strip("|").split("|")] for ln in table]


def named_tests() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in TEST_ID.finditer(LOG.read_text(encoding="utf-8"))]


def defined_tests(path: Path) -> set[str]:
    """Module-level test functions, and ``Class::method`` for tests in classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return {n for n in names if n.split("::")[-1].startswith("test")}


def test_every_test_named_in_the_hazard_log_exists() -> None:
    named = named_tests()
    assert named, "the hazard log names no tests"
    missing = []
    for file, name in named:
        path = ROOT / file
        if not path.is_file() or name not in defined_tests(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"the hazard log names tests that do not exist: {missing}"


def test_every_row_has_its_columns_a_control_and_at_least_one_test() -> None:
    table = rows()
    assert table
    ids = [row[0] for row in table]
    assert len(ids) == len(set(ids)), "hazard ids must be unique"
    for row in table:
        assert len(row) == 9, row[0]
        hazard, cause, effect, risk, control, verified = row[1:7]
        assert all((hazard, cause, effect, risk, control)), row[0]
        assert TEST_ID.search(verified), f"{row[0]} names no test"


def test_every_item_of_the_clinical_review_has_a_row() -> None:
    covered = {row[-1] for row in rows()}
    assert covered | PENDING_ITEMS >= REVIEW_ITEMS, REVIEW_ITEMS - covered - PENDING_ITEMS
    assert not covered & PENDING_ITEMS, "an item with a row is no longer pending: update the test"


@pytest.mark.parametrize(
    ("cell", "found"),
    [
        ("`tests/test_hazard_log.py::test_every_test_named_in_the_hazard_log_exists`", True),
        ("`tests/test_hazard_log.py::test_no_such_test`", False),
        ("`tests/no_such_file.py::test_x`", False),
    ],
)
def test_the_check_itself_tells_a_real_test_from_a_missing_one(cell: str, found: bool) -> None:
    match = TEST_ID.search(cell)
    assert match
    path = ROOT / match.group(1)
    assert (path.is_file() and match.group(2) in defined_tests(path)) is found
