"""Revision 0007_invitations (after 0006_regux_contacts): the ``invitations`` table, an admin's
invitation of an e-mail address to their sites; only the SHA-256 of the link's token is kept."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0007_invitations", "0006_regux_contacts"


def upgrade() -> None:
    # the constraints' and the index's names come from the models' naming convention
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime()),
        sa.Column("withdrawn_at", sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table("invitations")
