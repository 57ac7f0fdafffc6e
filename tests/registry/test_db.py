"""Creating and migrating the database, and the audit log's append-only guard."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import spinefx.registry
from spinefx.errors import DataError
from spinefx.registry.db import Registry
from spinefx.registry.models import Base
from spinefx.web.settings import Settings

REGISTRY_SOURCES = Path(spinefx.registry.__file__).parent


def test_init_is_idempotent_and_leaves_a_ready_database(registry):
    registry.init()
    registry.init()
    registry.check_ready()
    with registry.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"cases", "events", "fractures", "audit_log", "users", "alembic_version"} <= names


def test_the_migrations_build_exactly_the_models_tables_and_indexes(registry):
    # A model change without its migration (or the reverse) shows here as a difference.
    with registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_an_unmigrated_database_says_to_run_init(tmp_path):
    registry = Registry.open(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(DataError, match="registry init"):
        registry.check_ready()


def test_the_settings_name_the_database_a_sqlite_file_in_the_data_folder_by_default(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("SPINEFX_DATABASE_URL", raising=False)
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path))
    assert Settings.from_environment().registry_url == f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    monkeypatch.setenv("SPINEFX_DATABASE_URL", " postgresql+psycopg://u@h/db ")
    assert Settings.from_environment().registry_url == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("SPINEFX_DATABASE_URL", "")
    assert Settings.from_environment().registry_url.startswith("sqlite:///")


def test_the_registry_opens_the_url_it_is_given_whatever_the_environment_says(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SPINEFX_DATABASE_URL", "postgresql+psycopg://nobody@nowhere.invalid/x")
    registry = Registry.open(f"sqlite:///{tmp_path / 'given.sqlite3'}")
    assert registry.dialect == "sqlite"
    registry.init()
    assert (tmp_path / "given.sqlite3").is_file()
    registry.dispose()


def test_no_registry_module_reads_the_environment():
    # the app and the CLI hand every setting in (spinefx.web.settings is the one reader)
    readers = []
    for path in sorted(REGISTRY_SOURCES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
                readers.append(f"{path.relative_to(REGISTRY_SOURCES)}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id == "Settings":
                readers.append(f"{path.relative_to(REGISTRY_SOURCES)}:{node.lineno} (Settings)")
    assert readers == []


def test_the_cli_uses_the_database_of_the_settings(tmp_path, monkeypatch, capsys):
    from spinefx.cli import run

    monkeypatch.delenv("SPINEFX_DATABASE_URL", raising=False)
    monkeypatch.setenv("SPINEFX_DATA_DIR", str(tmp_path / "data"))
    assert run(["registry", "init"]) == 0
    assert (tmp_path / "data" / "registry.sqlite3").is_file()
    assert "registry.sqlite3" in capsys.readouterr().out


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


def test_the_migrations_build_the_tables_the_models_describe(registry):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from spinefx.registry.models import Base

    with registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_migrations_form_one_line_with_one_head():
    # two branches that each add "the next" migration leave two heads, and init then fails
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from spinefx.registry.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "give the newest migration's down_revision the old head"
    names = [r.revision for r in script.walk_revisions()]
    assert names == sorted(names, reverse=True)  # numbered in the order they run
