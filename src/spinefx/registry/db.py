"""The registry database: URL, engine, transactions and migrations.

The caller names the database by its URL: PostgreSQL ``postgresql+psycopg://user:pw@host/db`` or
an embedded SQLite file ``sqlite:///.../registry.sqlite3``. Nothing here reads the environment:
the app and the CLI take the URL from :attr:`spinefx.web.settings.Settings.registry_url`
(``SPINEFX_DATABASE_URL``, else :data:`DB_FILENAME` in the data folder). Every write goes through
:meth:`Registry.transaction`: one transaction, committed at the end of the block or rolled back
on any error.

>>> import tempfile
>>> from spinefx.registry.models import Site
>>> folder = tempfile.TemporaryDirectory()
>>> reg = Registry.open(f"sqlite:///{folder.name}/r.sqlite3")
>>> reg.init()
>>> with reg.transaction() as session:
...     session.scalar(sa.select(sa.func.count()).select_from(Site))
0
>>> reg.engine.dispose(); folder.cleanup()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from spinefx.errors import DataError, InputError
from spinefx.extras import require

__all__ = ["DB_FILENAME", "URL_ENV", "Registry", "make_engine", "sqlite_url"]

URL_ENV = "SPINEFX_DATABASE_URL"  # the setting's name, for messages about a bad URL
DB_FILENAME = "registry.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded registry file in ``data_dir``."""
    return f"sqlite:///{Path(data_dir) / DB_FILENAME}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise InputError(URL_ENV, url, "a database URL such as postgresql+psycopg://...") from exc
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InputError(URL_ENV, url, "a sqlite:/// or postgresql+psycopg:// URL")
    if parsed.get_driver_name() == "psycopg":
        require("postgres")
    return sa.create_engine(parsed, pool_pre_ping=True, **kwargs)


@dataclass
class Registry:
    """The engine and the session factory of one registry database."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str, **engine_kwargs: Any) -> Registry:
        """The registry at ``url`` (connects on first use)."""
        engine = make_engine(url, **engine_kwargs)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session:
            try:
                with session.begin():
                    yield session
            except OperationalError as exc:
                raise DataError(f"the registry database cannot be used: {exc.orig}") from exc

    def init(self) -> None:
        """Create the tables or migrate them to the newest version; safe to run again."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise DataError(f"the registry database cannot be migrated: {exc.orig}") from exc

    def check_ready(self) -> None:
        """A :class:`DataError` saying what to run when the tables are missing or outdated."""
        try:
            current = self._current_revision()
        except OperationalError as exc:
            raise DataError(f"the registry database cannot be opened: {exc.orig}") from exc
        if current != _head_revision():
            raise DataError("the registry database is not set up: run `spinefx registry init`")

    def state(self) -> Literal["ready", "not-set-up", "unreachable"]:
        """Whether the database answers and its tables are at the newest version (for the
        readiness check: a word, never the driver's message, which may name a host or user).

        A SQLite file that is not there is not set up; it is not made by asking.
        """
        url = self.engine.url
        file = url.database if url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).exists():
            return "not-set-up"
        try:
            current = self._current_revision()
        except (SQLAlchemyError, OSError):
            return "unreachable"
        return "ready" if current == _head_revision() else "not-set-up"

    def _current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            revision: str | None = MigrationContext.configure(connection).get_current_revision()
            return revision

    def dispose(self) -> None:
        self.engine.dispose()


@cache
def _head_revision() -> str | None:
    """The newest migration's revision (read once: the scripts do not change while running)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head: str | None = ScriptDirectory.from_config(config).get_current_head()
    return head
