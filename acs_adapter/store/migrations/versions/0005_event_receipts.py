"""Receipts of the events an event source has passed on, so a redelivery or a replay is
recognised after a restart and by every process sharing the store.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_receipts",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_event_receipts"),
    )
    op.create_index("ix_event_receipts_event_time", "event_receipts", ["event_time"])


def downgrade() -> None:
    op.drop_index("ix_event_receipts_event_time", table_name="event_receipts")
    op.drop_table("event_receipts")
