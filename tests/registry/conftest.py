"""What the registry's tests share: a case in the import format to build on, the CLI pointed at
the test's database, and quick password hashing.

The databases themselves (``registry``, ``db_url``: each test on SQLite and on PostgreSQL) are
the plugin :mod:`tests.helpers.databases`; plain helpers are in :mod:`tests.helpers.registry`.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.helpers.registry import case_data


@pytest.fixture
def make_case() -> Any:
    """:func:`case_data`, for tests to build import lines."""
    return case_data


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``spinefx registry`` commands point at this test's database."""
    monkeypatch.setenv("SPINEFX_DATABASE_URL", db_url)
    return db_url


@pytest.fixture(autouse=True)
def _quick_hashing(quick_password_hashing: None) -> None:
    """Argon2id still, with the smallest cost: the tests check rules, not hashing strength."""
