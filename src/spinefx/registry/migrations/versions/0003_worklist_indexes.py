"""Two indexes for the worklist: cases by site and due date, fractures by how they were found.

- ``ix_cases_site_due``: the default worklist of a site walks the index in due order and stops
  after its page, instead of reading and sorting every open case of the site.
- ``ix_fractures_found_by_case``: the "found by" filter (case-finding hits) looks each case up
  in it, instead of reading every fracture of every open case.

What each saved, measured: docs/performance.md, "Registry".

Revision ID: 0003_worklist_indexes
Revises: 0002_kpi_flags
"""

from __future__ import annotations

from alembic import op

revision = "0003_worklist_indexes"
down_revision = "0002_kpi_flags"


def upgrade() -> None:
    op.create_index("ix_cases_site_due", "cases", ["site_id", "next_due_by", "id"])
    op.create_index("ix_fractures_found_by_case", "fractures", ["found_by", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_fractures_found_by_case", table_name="fractures")
    op.drop_index("ix_cases_site_due", table_name="cases")
