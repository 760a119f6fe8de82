"""An index in users list order, so a page of a service's users costs the same deep in the
list as at its start.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_scope_created_at_sid", "users", ["scope", "created_at", "sid"])


def downgrade() -> None:
    op.drop_index("ix_users_scope_created_at_sid", table_name="users")
