"""Conversations written before their ACS thread exists: `pending_since`, set until the thread
is made, hides the row from reads and dates it for the clean-up of creates that never finished.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_conversations_pending_since", ["pending_since"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_pending_since")
        batch.drop_column("pending_since")
