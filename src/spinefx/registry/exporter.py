"""``registry export DIR``: one CSV file per table, for backups and for analysis elsewhere.

Secrets stay behind: password hashes, API tokens and login sessions are not written. JSON
columns (levels, cement volumes, evidence, audit details) are written as JSON text, dates as
ISO 8601, timestamps in UTC. A text cell that a spreadsheet would run as a formula (a name or
a note starting with ``=``, ``+``, ``-``, ``@``...) gets a quote in front
(:mod:`spinefx.spreadsheet`); the JSON and FHIR exports keep every value as it is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import InputError
from spinefx.registry import audit
from spinefx.registry.db import Registry
from spinefx.registry.models import Base
from spinefx.registry.permissions import Action, Actor, require
from spinefx.spreadsheet import neutralise

__all__ = ["EXPORTED_TABLES", "SECRET_COLUMNS", "ExportedTable", "csv_text", "export_csv"]

SKIPPED_TABLES = frozenset({"api_tokens", "web_sessions", "calendar_feeds"})
SECRET_COLUMNS = {"users": frozenset({"password_hash"})}
EXPORTED_TABLES = tuple(t.name for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES)


@dataclass(frozen=True)
class ExportedTable:
    table: str
    path: Path
    rows: int


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise(value)
    return value


def _write(session: Session, table: sa.Table, path: Path) -> int:
    hidden = SECRET_COLUMNS.get(table.name, frozenset())
    columns = [c for c in table.columns if c.name not in hidden]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([c.name for c in columns])
        # ORM-typed read (the models' types turn stored text back into dates and JSON)
        model = next(m.class_ for m in Base.registry.mappers if m.local_table is table)
        attrs = [getattr(model, c.key) for c in columns]
        result = session.execute(sa.select(*attrs).order_by(*table.primary_key.columns))
        for record in result:
            writer.writerow([_cell(v) for v in record])
            rows += 1
    return rows


def export_csv(registry: Registry, directory: Path, actor: Actor) -> list[ExportedTable]:
    """Write ``<table>.csv`` for each table into ``directory`` (created if missing)."""
    require(actor, Action.IMPORT_EXPORT)
    if directory.exists() and not directory.is_dir():
        raise InputError("directory", str(directory), "a folder (it is a file)")
    directory.mkdir(parents=True, exist_ok=True)
    with registry.transaction() as session:
        audit.record(session, actor, "export", "registry", detail={"folder": str(directory)})
    written: list[ExportedTable] = []
    with registry.transaction() as session:
        for name in EXPORTED_TABLES:
            path = directory / f"{name}.csv"
            written.append(
                ExportedTable(name, path, _write(session, Base.metadata.tables[name], path))
            )
    return written


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document of ``rows`` under ``header``, each cell written as the export writes it
    (the web's downloads come through here, so they are written exactly as the files are)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
