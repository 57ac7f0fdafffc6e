"""What admins and auditors download from the web: the cases of their sites and the audit log
(as filtered), as CSV or as an XLSX workbook.

The CSV is written by the export's own writer (:func:`spinefx.registry.exporter.csv_text`).
In the workbook every text cell is stored as text, never as a formula: a name or a note that
starts with ``=`` opens as those characters, not as a calculation (openpyxl would otherwise
take such a string for a formula). Each download is recorded in the audit log.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.registry import audit
from spinefx.registry.models import AuditEntry, Case, Site
from spinefx.registry.permissions import Action, Actor, require

__all__ = ["CASE_COLUMNS", "Table", "audit_table", "cases_table", "xlsx_bytes"]

Table = tuple[list[str], list[list[Any]]]
CASE_COLUMNS = [
    "site",
    "mrn",
    "name",
    "birth_date",
    "sex",
    "status",
    "death_date",
    "index_date",
    "next_event",
    "next_due_by",
    "fictional",
]


def cases_table(session: Session, actor: Actor) -> Table:
    """Every case of the actor's sites, one row each (admins and auditors: the whole record)."""
    require(actor, Action.READ_AUDIT)
    query = (
        sa.select(
            Site.code,
            Case.mrn,
            Case.name,
            Case.birth_date,
            Case.sex,
            Case.status,
            Case.death_date,
            Case.index_date,
            Case.next_event,
            Case.next_due_by,
            Case.fictional,
        )
        .join(Site, Site.id == Case.site_id)
        .order_by(Site.code, Case.mrn)
    )
    if actor.site_ids is not None:
        query = query.where(Case.site_id.in_(sorted(actor.site_ids)))
    rows = [list(r) for r in session.execute(query)]
    _record_export(session, actor, "cases", len(rows))
    return list(CASE_COLUMNS), rows


def audit_table(session: Session, actor: Actor, entries: Sequence[AuditEntry]) -> Table:
    """The audit entries given (already narrowed for the actor), one row each."""
    require(actor, Action.READ_AUDIT)
    header = ["at", "actor", "action", "entity", "entity_id", "case_id", "site_id", "detail"]
    rows = [
        [e.at, e.actor, e.action, e.entity, e.entity_id, e.case_id, e.site_id, e.detail]
        for e in entries
    ]
    _record_export(session, actor, "audit-log", len(rows))
    return header, rows


def _record_export(session: Session, actor: Actor, what: str, rows: int) -> None:
    """An export is an audit entry under the actor's sites (their auditors see it)."""
    audit.record(
        session, actor, "export", what, site_ids=audit.scope_of(actor), detail={"rows": rows}
    )


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # stored in UTC; Excel has no time zones
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, date | int | float | bool) or value is None:
        return value
    return str(value)


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named ``title``: the header row in bold, then ``rows``; text stays text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
