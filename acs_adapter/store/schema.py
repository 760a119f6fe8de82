"""The mapping store's tables: what ACS cannot keep for the faces built on top of the adapter.

This is the schema at head. Migrations under `migrations/versions/` are frozen copies of how
each revision changed it; `tests/adapter/test_store_migrations.py` checks they agree.
JSON columns hold text exactly as given; times are `UtcDateTime` (UTC, millisecond precision).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from acs_adapter.store._types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

SID = 64
"""Room for any external id (Twilio SIDs are 34 characters)."""
NAME = 256
"""Identities, unique names, thread ids, keys: at most this many characters."""

identities = Table(
    "identities",
    metadata,
    Column("identity", String(NAME), primary_key=True),
    Column("acs_user_id", String(NAME), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column("scope", String(SID), nullable=False),
    Column("thread_id", String(NAME), unique=True),
    Column("unique_name", String(NAME)),
    Column("friendly_name", Text),
    Column("attributes", Text, nullable=False, server_default="{}"),
    Column("state", String(16), nullable=False, server_default="active"),
    Column("timers", Text),
    Column("messaging_service_sid", String(SID)),
    Column("created_by", String(NAME)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("next_index", BigInteger, nullable=False, server_default=text("0")),
    Column("archived", Boolean, nullable=False, server_default=false()),
    # Set while the row waits for its ACS thread (it is then hidden from every read).
    Column("pending_since", UtcDateTime),
    # The earliest instant a timer moves the stored state (None: no timer can move it).
    Column("timer_due_at", UtcDateTime),
    UniqueConstraint("scope", "unique_name"),
    Index(None, "scope", "created_at", "sid"),
    Index(None, "pending_since"),
    # Lists filtered by state walk this in list order instead of scanning the scope.
    Index(None, "scope", "state", "created_at", "sid"),
    # Only conversations with timers can change state without a write: lists look at them apart.
    Index(
        "ix_conversations_timed",
        "scope",
        "created_at",
        "sid",
        sqlite_where=text("timers IS NOT NULL"),
        postgresql_where=text("timers IS NOT NULL"),
    ),
    # Lists find the conversations whose timers have fired without reading those still waiting.
    Index(
        "ix_conversations_due",
        "scope",
        "timer_due_at",
        sqlite_where=text("timer_due_at IS NOT NULL"),
        postgresql_where=text("timer_due_at IS NOT NULL"),
    ),
    # The timer job finds the conversations of every scope whose timers are due.
    Index(
        "ix_conversations_timer_due_at",
        "timer_due_at",
        sqlite_where=text("timer_due_at IS NOT NULL"),
        postgresql_where=text("timer_due_at IS NOT NULL"),
    ),
)

participants = Table(
    "participants",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    # None for an SMS/WhatsApp participant, which has a messaging binding instead.
    Column("identity", String(NAME)),
    Column("acs_user_id", String(NAME)),
    Column("attributes", Text, nullable=False, server_default="{}"),
    Column("role_sid", String(SID)),
    Column("binding_type", String(16)),
    Column("binding_address", String(NAME)),
    Column("binding_proxy_address", String(NAME)),
    Column("last_read_index", BigInteger),
    Column("last_read_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("conversation_sid", "identity"),
    UniqueConstraint("conversation_sid", "acs_user_id"),
    Index(None, "identity"),
    Index(None, "binding_address"),
)

bindings = Table(
    "bindings",
    metadata,
    # One row per (address, proxy_address) pair held by a participant of a non-closed
    # conversation: the unique constraint keeps a pair in one such conversation across
    # processes; removing the participant, closing or deleting the conversation frees it.
    Column(
        "participant_sid",
        String(SID),
        ForeignKey("participants.sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("address", String(NAME), nullable=False),
    Column("proxy_address", String(NAME), nullable=False),
    UniqueConstraint("address", "proxy_address"),
    Index(None, "conversation_sid"),
)

numbers = Table(
    "numbers",
    metadata,
    # A proxy address the shim owns: `+E.164` (SMS) or `whatsapp:+E.164` with its ACS
    # channel registration id.
    Column("address", String(NAME), primary_key=True),
    Column("channel_id", String(SID)),
    Column("created_at", UtcDateTime, nullable=False),
)

address_configurations = Table(
    "address_configurations",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("address", String(NAME), nullable=False, unique=True),
    Column("friendly_name", Text),
    Column("address_country", String(16)),
    # Twilio's `auto_creation` object as JSON text.
    Column("auto_creation", Text, nullable=False, server_default="{}"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "type", "created_at", "sid"),
)

messages = Table(
    "messages",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("acs_message_id", String(SID)),
    Column("index", BigInteger, nullable=False),
    Column("author", String(NAME)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("body", Text),
    Column("attributes", Text),
    Column("media", Text),
    # Written before its send reaches ACS; hidden from reads until the ACS id is known.
    Column("pending", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("conversation_sid", "index"),
    UniqueConstraint("conversation_sid", "acs_message_id"),
)

media = Table(
    "media",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column("scope", String(SID), nullable=False),
    Column("message_sid", String(SID), ForeignKey("messages.sid", ondelete="SET NULL")),
    Column("content_type", String(NAME), nullable=False),
    Column("filename", Text),
    Column("size", BigInteger, nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "message_sid"),
)

users = Table(
    "users",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column("scope", String(SID), nullable=False),
    Column("identity", String(NAME), nullable=False),
    Column("friendly_name", Text),
    Column("attributes", Text, nullable=False, server_default="{}"),
    Column("role_sid", String(SID)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("scope", "identity"),
    Index(None, "scope", "created_at", "sid"),
)

user_conversations = Table(
    "user_conversations",
    metadata,
    Column("identity", String(NAME), nullable=False),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("notification_level", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("identity", "conversation_sid"),
    Index(None, "conversation_sid"),
)

roles = Table(
    "roles",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column("scope", String(SID), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("permissions", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "scope", "created_at", "sid"),
)

configuration = Table(
    "configuration",
    metadata,
    Column("key", String(NAME), primary_key=True),
    Column("document", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target", String(16), nullable=False),
    Column("config", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "conversation_sid", "created_at", "sid"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(NAME), nullable=False),
    Column("key", String(NAME), nullable=False),
    Column("result", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("scope", "key"),
    Index(None, "created_at"),
)

migration_checkpoints = Table(
    "migration_checkpoints",
    metadata,
    Column("job", String(NAME), primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

changes = Table(
    "changes",
    metadata,
    # AUTOINCREMENT on SQLite: ids are never reused, even after a purge empties the table.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("scope", String(SID)),
    Column("conversation_sid", String(SID)),
    Column("subject", String(NAME), nullable=False),
    Column("fields", Text, nullable=False, server_default=""),
    Column("data", Text, nullable=False, server_default="{}"),
    Column("source", String(16)),
    Column("actor", String(NAME)),
    Column("created_at", UtcDateTime, nullable=False),
    # Set on signals (typing): tailers skip them after this moment and purges remove them.
    Column("expires_at", UtcDateTime),
    # Set on changes reported from outside (an ACS event): a second report of it is refused.
    Column("key", String(NAME), unique=True),
    Index(None, "created_at"),
    sqlite_autoincrement=True,
)

event_receipts = Table(
    "event_receipts",
    metadata,
    Column("digest", String(SID), primary_key=True),
    Column("event_time", UtcDateTime, nullable=False),
    Index(None, "event_time"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("sid", String(SID), primary_key=True),
    Column(
        "conversation_sid",
        String(SID),
        ForeignKey("conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "message_sid", String(SID), ForeignKey("messages.sid", ondelete="CASCADE"), nullable=False
    ),
    # No foreign key: a receipt outlives the participant's removal, as on Twilio.
    Column("participant_sid", String(SID), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("channel_message_id", String(NAME)),
    Column("status", String(16), nullable=False),
    Column("error_code", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("message_sid", "participant_sid"),
    Index(None, "channel_message_id"),
)

message_contents = Table(
    "message_contents",
    metadata,
    Column(
        "message_sid", String(SID), ForeignKey("messages.sid", ondelete="CASCADE"), primary_key=True
    ),
    Column("content_sid", String(SID), nullable=False),
    Column("variables", Text, nullable=False, server_default="{}"),
)
