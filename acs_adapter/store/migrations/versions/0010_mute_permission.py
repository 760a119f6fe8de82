"""The built-in conversation roles of stores created before they granted
`editNotificationLevel` gain it, so every participant can mute a conversation, as on Twilio.

Only the roles the shim seeds ("channel user", "channel admin") change; custom roles keep
what their owner gave them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PERMISSION = "editNotificationLevel"
_ROLES = sa.table(
    "roles",
    sa.column("sid", sa.String),
    sa.column("friendly_name", sa.Text),
    sa.column("type", sa.String),
    sa.column("permissions", sa.Text),
)


def upgrade() -> None:
    conn = op.get_bind()
    built_in = conn.execute(
        sa.select(_ROLES.c.sid, _ROLES.c.permissions).where(
            _ROLES.c.type == "conversation",
            _ROLES.c.friendly_name.in_(("channel user", "channel admin")),
        )
    ).all()
    for sid, permissions in built_in:
        granted = json.loads(permissions)
        if _PERMISSION not in granted:
            conn.execute(
                sa.update(_ROLES)
                .where(_ROLES.c.sid == sid)
                .values(permissions=json.dumps([*granted, _PERMISSION]))
            )


def downgrade() -> None:
    """Nothing to undo: the permission is what newer stores seed as well."""
