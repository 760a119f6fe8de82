"""Indexes that let conversation lists filtered by state page without scanning the scope.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TIMED = sa.text("timers IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_conversations_scope_state_created_at_sid",
        "conversations",
        ["scope", "state", "created_at", "sid"],
    )
    op.create_index(
        "ix_conversations_timed",
        "conversations",
        ["scope", "created_at", "sid"],
        sqlite_where=_TIMED,
        postgresql_where=_TIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_timed", table_name="conversations")
    op.drop_index("ix_conversations_scope_state_created_at_sid", table_name="conversations")
