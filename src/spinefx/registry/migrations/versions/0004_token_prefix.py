"""API tokens keep their first characters (``sfx_`` and 8 more) to be told apart and revoked.

The rest of a token is still known only by its SHA-256. Tokens made before this have no prefix:
they are listed and revoked by their number.

Revision ID: 0004_token_prefix
Revises: 0003_worklist_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_token_prefix"
down_revision = "0003_worklist_indexes"


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("prefix", sa.String(16), nullable=True))
        batch.create_index("ix_api_tokens_prefix", ["prefix"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_prefix")
        batch.drop_column("prefix")
