"""The first schema of the mapping store.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = 256
SID = 64


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("identity", sa.String(NAME), nullable=False),
        sa.Column("acs_user_id", sa.String(NAME), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("identity", name="pk_identities"),
        sa.UniqueConstraint("acs_user_id", name="uq_identities_acs_user_id"),
    )
    op.create_table(
        "conversations",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("scope", sa.String(SID), nullable=False),
        sa.Column("thread_id", sa.String(NAME), nullable=True),
        sa.Column("unique_name", sa.String(NAME), nullable=True),
        sa.Column("friendly_name", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("timers", sa.Text(), nullable=True),
        sa.Column("messaging_service_sid", sa.String(SID), nullable=True),
        sa.Column("created_by", sa.String(NAME), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.Column("next_index", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("sid", name="pk_conversations"),
        sa.UniqueConstraint("thread_id", name="uq_conversations_thread_id"),
        sa.UniqueConstraint("scope", "unique_name", name="uq_conversations_scope_unique_name"),
    )
    op.create_index(
        "ix_conversations_scope_created_at_sid", "conversations", ["scope", "created_at", "sid"]
    )
    op.create_table(
        "participants",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("conversation_sid", sa.String(SID), nullable=False),
        sa.Column("identity", sa.String(NAME), nullable=False),
        sa.Column("acs_user_id", sa.String(NAME), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("role_sid", sa.String(SID), nullable=True),
        sa.Column("last_read_index", sa.BigInteger(), nullable=True),
        _time("last_read_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("sid", name="pk_participants"),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_participants_conversation_sid",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "conversation_sid", "identity", name="uq_participants_conversation_sid_identity"
        ),
        sa.UniqueConstraint(
            "conversation_sid",
            "acs_user_id",
            name="uq_participants_conversation_sid_acs_user_id",
        ),
    )
    op.create_index("ix_participants_identity", "participants", ["identity"])
    op.create_table(
        "messages",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("conversation_sid", sa.String(SID), nullable=False),
        sa.Column("acs_message_id", sa.String(SID), nullable=True),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(NAME), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=True),
        sa.Column("media", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sid", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_messages_conversation_sid",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("conversation_sid", "index", name="uq_messages_conversation_sid_index"),
        sa.UniqueConstraint(
            "conversation_sid",
            "acs_message_id",
            name="uq_messages_conversation_sid_acs_message_id",
        ),
    )
    op.create_table(
        "media",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("scope", sa.String(SID), nullable=False),
        sa.Column("message_sid", sa.String(SID), nullable=True),
        sa.Column("content_type", sa.String(NAME), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("sid", name="pk_media"),
        sa.ForeignKeyConstraint(
            ["message_sid"], ["messages.sid"], name="fk_media_message_sid", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_media_message_sid", "media", ["message_sid"])
    op.create_table(
        "users",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("scope", sa.String(SID), nullable=False),
        sa.Column("identity", sa.String(NAME), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("role_sid", sa.String(SID), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("sid", name="pk_users"),
        sa.UniqueConstraint("scope", "identity", name="uq_users_scope_identity"),
    )
    op.create_table(
        "user_conversations",
        sa.Column("identity", sa.String(NAME), nullable=False),
        sa.Column("conversation_sid", sa.String(SID), nullable=False),
        sa.Column("notification_level", sa.String(16), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("identity", "conversation_sid", name="pk_user_conversations"),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_user_conversations_conversation_sid",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_user_conversations_conversation_sid", "user_conversations", ["conversation_sid"]
    )
    op.create_table(
        "roles",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("scope", sa.String(SID), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("sid", name="pk_roles"),
    )
    op.create_index("ix_roles_scope_created_at_sid", "roles", ["scope", "created_at", "sid"])
    op.create_table(
        "configuration",
        sa.Column("key", sa.String(NAME), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_configuration"),
    )
    op.create_table(
        "webhooks",
        sa.Column("sid", sa.String(SID), nullable=False),
        sa.Column("conversation_sid", sa.String(SID), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("sid", name="pk_webhooks"),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_webhooks_conversation_sid",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_webhooks_conversation_sid_created_at_sid",
        "webhooks",
        ["conversation_sid", "created_at", "sid"],
    )
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(NAME), nullable=False),
        sa.Column("key", sa.String(NAME), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_table(
        "migration_checkpoints",
        sa.Column("job", sa.String(NAME), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("job", name="pk_migration_checkpoints"),
    )


def downgrade() -> None:
    for table in (
        "migration_checkpoints",
        "idempotency_keys",
        "cursors",
        "webhooks",
        "configuration",
        "roles",
        "user_conversations",
        "users",
        "media",
        "messages",
        "participants",
        "conversations",
        "identities",
    ):
        op.drop_table(table)
