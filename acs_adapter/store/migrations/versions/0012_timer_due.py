"""Conversations keep when their timers next move their state (`timer_due_at`), with indexes,
so a list filtered by state reads only the conversations whose timers have fired instead of
every conversation that has timers, and the timer job finds those due in every scope.

Existing rows get the value from their timers document: for an active conversation the
earlier of its inactive and closed instants, for an inactive one its closed instant, none for
a closed one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 500
_DUE = sa.text("timer_due_at IS NOT NULL")
_CONVERSATIONS = sa.table(
    "conversations",
    sa.column("sid", sa.String),
    sa.column("state", sa.String),
    sa.column("timers", sa.Text),
    sa.column("timer_due_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column("conversations", sa.Column("timer_due_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_conversations_due",
        "conversations",
        ["scope", "timer_due_at"],
        sqlite_where=_DUE,
        postgresql_where=_DUE,
    )
    op.create_index(
        "ix_conversations_timer_due_at",
        "conversations",
        ["timer_due_at"],
        sqlite_where=_DUE,
        postgresql_where=_DUE,
    )
    conn = op.get_bind()
    naive = conn.dialect.name == "sqlite"  # SQLite keeps naive UTC, as the store's type does
    table = _CONVERSATIONS
    after = ""
    while True:
        rows = conn.execute(
            sa.select(table.c.sid, table.c.state, table.c.timers)
            .where(table.c.timers.is_not(None), table.c.sid > after)
            .order_by(table.c.sid)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for sid, state, timers in rows:
            due = _due(state, timers)
            if due is not None:
                changes.append({"key": sid, "due": due.replace(tzinfo=None) if naive else due})
        if changes:
            conn.execute(
                sa.update(table)
                .where(table.c.sid == sa.bindparam("key"))
                .values(timer_due_at=sa.bindparam("due")),
                changes,
            )
        after = rows[-1].sid


def downgrade() -> None:
    op.drop_index("ix_conversations_timer_due_at", table_name="conversations")
    op.drop_index("ix_conversations_due", table_name="conversations")
    op.drop_column("conversations", "timer_due_at")


def _due(state: str, timers: str) -> datetime | None:
    """When the timers document next moves `state` (the shim's rule for timers on read)."""
    try:
        document = json.loads(timers)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    closed = _instant(document.get("date_closed"))
    if state == "inactive":
        return closed
    if state != "active":
        return None
    inactive = _instant(document.get("date_inactive"))
    return min((t for t in (inactive, closed) if t is not None), default=None)


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)
