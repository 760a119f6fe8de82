"""The change feed: `changes`, one row per committed write (and per signal), in commit order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(64)),
        sa.Column("conversation_sid", sa.String(64)),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False, server_default=""),
        sa.Column("data", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("source", sa.String(16)),
        sa.Column("actor", sa.String(256)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("key", sa.String(256)),
        sa.PrimaryKeyConstraint("id", name="pk_changes"),
        sa.UniqueConstraint("key", name="uq_changes_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_changes_created_at", "changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_changes_created_at", table_name="changes")
    op.drop_table("changes")
