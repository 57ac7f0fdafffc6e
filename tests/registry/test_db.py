"""Creating and migrating the database, and the audit log's append-only guard."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from spinefx.errors import DataError
from spinefx.registry.db import Registry, database_url


def test_init_is_idempotent_and_leaves_a_ready_database(registry):
    registry.init()
    registry.init()
    registry.check_ready()
    with registry.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"cases", "events", "fractures", "audit_log", "users", "alembic_version"} <= names


def test_an_unmigrated_database_says_to_run_init(tmp_path):
    registry = Registry.open(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(DataError, match="registry init"):
        registry.check_ready()


def test_the_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SPINEFX_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    monkeypatch.setenv("SPINEFX_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url(tmp_path) == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_change_or_delete_audit_entries(registry, statement):
    with registry.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, entity, detail) "
                "VALUES (:at, 'someone', 'read', 'case', '{}')"
            ),
            {"at": "2026-01-01 00:00:00"},
        )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(sa.text(statement))
    with registry.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT actor FROM audit_log")) == "someone"
