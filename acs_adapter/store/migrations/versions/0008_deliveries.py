"""Deliveries of conversation messages to SMS and WhatsApp participants: the plan written
before a send, the channel's message id after it, and the status its reports give.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("conversation_sid", sa.String(64), nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("participant_sid", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("channel_message_id", sa.String(256)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_deliveries_conversation_sid",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_sid"], ["messages.sid"], name="fk_deliveries_message_sid", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "message_sid", "participant_sid", name="uq_deliveries_message_sid_participant_sid"
        ),
    )
    op.create_index("ix_deliveries_channel_message_id", "deliveries", ["channel_message_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_channel_message_id", table_name="deliveries")
    op.drop_table("deliveries")
