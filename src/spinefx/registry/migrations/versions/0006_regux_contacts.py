"""A case's contacts and assignee, the letter templates, and the reminders' calendar feeds.

- ``cases``: the patient's phone and address, their primary care clinician (name, practice,
  fax, e-mail), for the letters; ``assigned_user_id``, the coordinator a case is assigned to
  on the worklist (no foreign key: a user is deactivated, never deleted).
- ``letter_templates``: an admin's edited wording of a letter kind (none stored: the template
  shipped in :mod:`spinefx.registry.letters` is used).
- ``letters``: each letter made for a case (to the primary care clinician or to the patient),
  as it was worded, who made it and when: the case's record that it was sent.
- ``calendar_feeds``: a user's private iCalendar feed of events due; only the SHA-256 of its
  token is stored.

Revision ID: 0006_regux_contacts
Revises: 0005_index_fracture_death
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_regux_contacts"
down_revision = "0005_index_fracture_death"

CONTACT_COLUMNS = (
    ("phone", sa.String(40)),
    ("address", sa.Text()),
    ("pcp_name", sa.String(200)),
    ("pcp_practice", sa.String(200)),
    ("pcp_fax", sa.String(40)),
    ("pcp_email", sa.String(254)),
)


def upgrade() -> None:
    # Plain ALTER TABLE on SQLite too, as in 0005: a copied cases table could not be dropped.
    with op.batch_alter_table("cases", recreate="never") as batch:
        for name, kind in CONTACT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(sa.Column("assigned_user_id", sa.Integer(), nullable=True))
    op.create_index("ix_cases_assigned_user_id", "cases", ["assigned_user_id"])
    op.create_table(
        "letter_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_letter_templates"),
        sa.UniqueConstraint("kind", name="uq_letter_templates_kind"),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_letters_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_letters"),
    )
    op.create_index("ix_letters_case_id", "letters", ["case_id"])
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_calendar_feeds_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("user_id", name="uq_calendar_feeds_user_id"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_index("ix_letters_case_id", table_name="letters")
    op.drop_table("letters")
    op.drop_table("letter_templates")
    op.drop_index("ix_cases_assigned_user_id", table_name="cases")
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("assigned_user_id")
        for name, _ in reversed(CONTACT_COLUMNS):
            batch.drop_column(name)
