"""The registry's databases for tests, a pytest plugin (``pytest_plugins`` in tests/conftest.py):
every test that asks for ``registry`` or ``db_url`` runs twice, on an embedded SQLite file and on
PostgreSQL.

PostgreSQL is the server named by ``SPINEFX_TEST_DATABASE_URL``; this test session creates its
own database there (``spinefx_t_<pid>_<random>``), migrates it once, empties its tables before
each test and drops it at the end, so several test runs can share one server. Without the URL the
PostgreSQL variants are skipped, unless ``SPINEFX_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from spinefx.registry.db import Registry
from spinefx.registry.models import Base

__all__ = [
    "BACKENDS",
    "db_url",
    "empty_database_url",
    "empty_postgres",
    "postgres_registry",
    "postgres_url",
    "quick_password_hashing",
    "registry",
    "sqlite_template",
]

PG_ENV = "SPINEFX_TEST_DATABASE_URL"
REQUIRE_ENV = "SPINEFX_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]
# Test databases are thrown away: a commit need not wait for the disk.
FAST_COMMITS = {"options": "-c synchronous_commit=off"}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry-template") / "registry.sqlite3"
    registry = Registry.open(f"sqlite:///{path}")
    registry.init()
    registry.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of this session's own PostgreSQL database, migrated; dropped at the end."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {PG_ENV} is not set: PostgreSQL tests cannot run")
        pytest.skip(f"no PostgreSQL: set {PG_ENV} to run the PostgreSQL variants")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"spinefx_t_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL at {PG_ENV} cannot be used: {exc.orig}")
        pytest.skip(f"PostgreSQL at {PG_ENV} cannot be used: {exc.orig}")
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    registry = Registry.open(url)
    registry.init()
    registry.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_registry(postgres_url: str) -> Iterator[Registry]:
    registry = Registry.open(postgres_url, connect_args=FAST_COMMITS)
    yield registry
    registry.dispose()


def empty_postgres(registry: Registry) -> None:
    """DELETE (quicker than TRUNCATE on tables this small), the audit guard off meanwhile."""
    with registry.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def empty_database_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """An empty, migrated registry database of ``backend`` as a URL: for SQLite a copy of the
    template in ``folder``, for PostgreSQL the session's database emptied."""
    if backend == "sqlite":
        path = folder / "registry.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    registry: Registry = request.getfixturevalue("postgres_registry")
    empty_postgres(registry)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated registry database of each kind, as a URL."""
    return empty_database_url(request, request.param, tmp_path)


@pytest.fixture
def registry(db_url: str, request: pytest.FixtureRequest) -> Iterator[Registry]:
    if db_url.startswith("postgresql"):
        yield request.getfixturevalue("postgres_registry")  # one pool for the whole session
        return
    reg = Registry.open(db_url, poolclass=sa.pool.NullPool)
    yield reg
    reg.dispose()


@pytest.fixture
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with the smallest cost: the tests check rules, not hashing strength."""
    from argon2 import PasswordHasher

    from spinefx.registry import passwords

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", quick)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", quick.hash("nobody's password"))
