"""Cases keep their KPI bits (events recorded, not-applicable, done in window; spine fractures).

The year's KPIs then read one row per case instead of every event. Existing cases are filled in
from their events and fractures, with the same function the data layer uses on every write.

Revision ID: 0002_kpi_flags
Revises: 0001_initial
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_kpi_flags"
down_revision = "0001_initial"

COLUMNS = ("kpi_recorded", "kpi_not_applicable", "kpi_done_in_window", "fracture_flags")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    _backfill()


def _backfill() -> None:
    from spinefx.registry.kpi import case_flags

    bind = op.get_bind()
    events: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    for case_id, kind, status, day in bind.execute(
        sa.text("SELECT case_id, type, status, date FROM events")
    ):
        events[case_id].append((kind, status, _day(day)))
    spine: dict[int, list[str]] = defaultdict(list)
    for case_id, found_by in bind.execute(
        sa.text("SELECT case_id, found_by FROM fractures WHERE site IS NULL")
    ):
        spine[case_id].append(found_by)
    update = sa.text(
        "UPDATE cases SET kpi_recorded = :r, kpi_not_applicable = :n, "
        "kpi_done_in_window = :d, fracture_flags = :f WHERE id = :id"
    )
    for case_id, index_date in bind.execute(sa.text("SELECT id, index_date FROM cases")).all():
        flags = case_flags(
            _day(index_date) if index_date else None,
            events.get(case_id, []),
            spine.get(case_id) or None,
        )
        bind.execute(
            update,
            {
                "r": flags.recorded,
                "n": flags.not_applicable,
                "d": flags.done_in_window,
                "f": flags.fracture,
                "id": case_id,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
