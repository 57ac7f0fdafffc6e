"""Alembic environment: run by :func:`spinefx.registry.db.migrate` on the caller's connection."""

from __future__ import annotations

from alembic import context

from spinefx.registry.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
