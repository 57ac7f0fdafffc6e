"""The index fracture is marked on a fracture, and a case keeps the patient's date of death.

- ``fractures.is_index``: the case's index fracture (one per case), from which the KPIs and the
  worklist count. Until now the earliest fracture was used; existing cases get the default of
  :mod:`spinefx.registry.index_fracture` (the latest fracture dated on or before the day the
  case was opened, else the earliest), and a case whose index date moves has its next event and
  KPI bits computed again.
- ``cases.death_date``: the date of death (status ``deceased``); none is known for existing
  cases, so they keep every KPI until one is recorded.
- ``cases.kpi_died_before_due``: one bit per KPI the patient died before it fell due.

Revision ID: 0005_index_fracture_death
Revises: 0004_token_prefix
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_index_fracture_death"
down_revision = "0004_token_prefix"


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    # Plain ALTER TABLE on SQLite too (recreate="never"): a copied table would have to be
    # dropped, which the foreign keys of the other tables refuse once there are rows.
    with op.batch_alter_table("fractures", recreate="never") as batch:
        batch.add_column(sa.Column("is_index", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.add_column(sa.Column("death_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("kpi_died_before_due", sa.Integer(), nullable=False, server_default="0")
        )
    _mark_index_fractures()


def _mark_index_fractures() -> None:
    from spinefx.registry.editing import next_event
    from spinefx.registry.index_fracture import default_index
    from spinefx.registry.kpi import case_flags

    bind = op.get_bind()
    by_case: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for fracture_id, case_id, day in bind.execute(
        sa.text("SELECT id, case_id, date FROM fractures ORDER BY case_id, id")
    ):
        by_case[case_id].append((_day(day), fracture_id))
    cases = bind.execute(sa.text("SELECT id, created_at, index_date, status FROM cases")).all()
    mark = sa.text("UPDATE fractures SET is_index = :yes WHERE id = :id")
    moved: dict[int, tuple[date, str]] = {}
    marked = []
    for case_id, created_at, index_date, status in cases:
        fractures = by_case.get(case_id)
        if not fractures:
            continue
        opened = _day(created_at) if created_at is not None else date.today()
        chosen = fractures[default_index(fractures, opened)]
        marked.append({"yes": True, "id": chosen[1]})
        if index_date is None or _day(index_date) != chosen[0]:
            moved[case_id] = (chosen[0], status)
    if marked:
        bind.execute(mark, marked)
    if moved:
        _recompute(bind, moved, next_event, case_flags)


def _recompute(bind: Any, moved: dict[int, tuple[date, str]], next_event: Any, flags: Any) -> None:
    """Index date, next event and KPI bits of the cases whose index fracture is not the
    earliest (the same functions the data layer uses on every write)."""
    events: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    spine: dict[int, list[str]] = defaultdict(list)
    for case_id in moved:
        for kind, status, day in bind.execute(
            sa.text("SELECT type, status, date FROM events WHERE case_id = :id"), {"id": case_id}
        ):
            events[case_id].append((kind, status, _day(day)))
        for (found_by,) in bind.execute(
            sa.text("SELECT found_by FROM fractures WHERE case_id = :id AND site IS NULL"),
            {"id": case_id},
        ):
            spine[case_id].append(found_by)
    update = sa.text(
        "UPDATE cases SET index_date = :index_date, next_event = :next_event, "
        "next_due_from = :due_from, next_due_by = :due_by, kpi_recorded = :r, "
        "kpi_not_applicable = :n, kpi_done_in_window = :d, fracture_flags = :f, "
        "kpi_died_before_due = 0 WHERE id = :id"
    )
    for case_id, (index_date, status) in moved.items():
        rows = events.get(case_id, [])
        due = next_event(index_date, {kind for kind, _, _ in rows}, status)
        kept = flags(index_date, rows, spine.get(case_id) or None)
        bind.execute(
            update,
            {
                "index_date": index_date,
                "next_event": due[0] if due else None,
                "due_from": due[1] if due else None,
                "due_by": due[2] if due else None,
                "r": kept.recorded,
                "n": kept.not_applicable,
                "d": kept.done_in_window,
                "f": kept.fracture,
                "id": case_id,
            },
        )


def downgrade() -> None:
    """Back to the earliest fracture as the index (the rule before this revision)."""
    from spinefx.registry.editing import next_event
    from spinefx.registry.kpi import case_flags

    bind = op.get_bind()
    earliest = {
        case_id: _day(day)
        for case_id, day in bind.execute(
            sa.text("SELECT case_id, MIN(date) FROM fractures GROUP BY case_id")
        )
    }
    moved = {
        case_id: (earliest[case_id], status)
        for case_id, index_date, status in bind.execute(
            sa.text("SELECT id, index_date, status FROM cases")
        )
        if case_id in earliest and (index_date is None or _day(index_date) != earliest[case_id])
    }
    if moved:
        _recompute(bind, moved, next_event, case_flags)
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 or later), for the same reason as above.
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("kpi_died_before_due")
        batch.drop_column("death_date")
    with op.batch_alter_table("fractures", recreate="never") as batch:
        batch.drop_column("is_index")
