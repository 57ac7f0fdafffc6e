"""Every registry test runs twice: on an embedded SQLite file and on PostgreSQL.

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
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spinefx.registry.db import Registry
from spinefx.registry.models import Base

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


def _empty_postgres(registry: Registry) -> None:
    """DELETE (quicker than TRUNCATE on tables this small), the audit guard off meanwhile."""
    with registry.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated registry database of each kind, as a URL."""
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    registry: Registry = request.getfixturevalue("postgres_registry")
    _empty_postgres(registry)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def registry(db_url: str, request: pytest.FixtureRequest) -> Iterator[Registry]:
    if db_url.startswith("postgresql"):
        yield request.getfixturevalue("postgres_registry")  # one pool for the whole session
        return
    reg = Registry.open(db_url, poolclass=sa.pool.NullPool)
    yield reg
    reg.dispose()


PASSWORD = "a long enough secret"


def add_test_user(
    registry: Registry,
    email: str,
    *,
    role: str = "coordinator",
    sites: tuple[str, ...] = ("north",),
    password: str = PASSWORD,
) -> str:
    """A user added as the command line adds one (sites created if new); their e-mail."""
    from spinefx.registry.permissions import Actor
    from spinefx.registry.users import add_user

    with registry.transaction() as session:
        add_user(
            session, Actor.command_line("test"), email, role=role, sites=sites, password=password
        )
    return email


def audit_trail(registry: Registry, entity: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, detail) of each audit entry about ``entity``, oldest first."""
    from spinefx.registry.models import AuditEntry

    with registry.transaction() as session:
        rows = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
        ).all()
        return [(r.action, r.actor, dict(r.detail)) for r in rows]


def count_rows(session: Any, model: Any, *where: Any) -> int:
    """How many rows of ``model`` match ``where``."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def case_data(mrn: str = "A-1001", *, site: str = "north", **changes: Any) -> dict[str, Any]:
    """One case in the import format (the issue's example), with ``changes`` applied."""
    data: dict[str, Any] = {
        "site": site,
        "mrn": mrn,
        "name": "Test Patient (fictional)",
        "birth_date": "1968-05-01",
        "sex": "female",
        "status": "active",
        "fractures": [
            {
                "date": "2026-03-02",
                "levels": ["L2"],
                "site": None,
                "found_by": "clinical",
                "genant_grade": 2,
            }
        ],
        "events": [{"type": "dxa", "status": "done", "date": "2026-04-01"}],
        "procedures": [
            {
                "date": "2026-03-10",
                "kind": "kyphoplasty",
                "levels": ["L2"],
                "approach": "bipedicular",
                "cement_ml": {"L2": 4.5},
                "operator_npi": "1234567893",
                "anaesthesia": "local",
                "complications": [],
            }
        ],
        "outcomes": [{"date": "2026-03-09", "instrument": "nrs", "score": 9}],
    }
    data.update(changes)
    return data


TODAY = date(2026, 12, 1)


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
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with the smallest cost: the tests check rules, not hashing strength."""
    from argon2 import PasswordHasher

    from spinefx.registry import passwords

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", quick)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", quick.hash("nobody's password"))
