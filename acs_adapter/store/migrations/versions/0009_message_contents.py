"""The content template a message was sent with (its SID and variables), for the messages
that name one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_contents",
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("content_sid", sa.String(64), nullable=False),
        sa.Column("variables", sa.Text(), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("message_sid", name="pk_message_contents"),
        sa.ForeignKeyConstraint(
            ["message_sid"],
            ["messages.sid"],
            name="fk_message_contents_message_sid",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("message_contents")
