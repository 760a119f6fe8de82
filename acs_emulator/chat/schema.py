"""Tables of the chat service; every piece of chat state lives here so `--state FILE` keeps it.

Times are integer epoch milliseconds. Nothing is ever physically deleted: deleted threads and
messages and removed participants keep their rows with a `deleted_ms` / `removed_ms` mark, which
is what the service's answers about them need.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_threads (
    id                  TEXT PRIMARY KEY,
    topic               TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_ms          INTEGER NOT NULL,
    deleted_ms          INTEGER,
    last_activity_ms    INTEGER NOT NULL,
    last_message_ms     INTEGER,
    last_message_id     INTEGER NOT NULL DEFAULT 0,
    last_sequence_id    INTEGER NOT NULL DEFAULT 0,
    next_member_order   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chat_threads_by_activity ON chat_threads (last_activity_ms, id);

CREATE TABLE IF NOT EXISTS chat_participants (
    thread_id           TEXT NOT NULL REFERENCES chat_threads (id),
    raw_id              TEXT NOT NULL,
    display_name        TEXT,
    share_history_ms    INTEGER NOT NULL DEFAULT 0,
    member_order        INTEGER NOT NULL,
    removed_ms          INTEGER,
    PRIMARY KEY (thread_id, raw_id)
);
CREATE INDEX IF NOT EXISTS chat_participants_by_user ON chat_participants (raw_id, thread_id);
CREATE INDEX IF NOT EXISTS chat_participants_by_order
    ON chat_participants (thread_id, member_order);

CREATE TABLE IF NOT EXISTS chat_messages (
    thread_id           TEXT NOT NULL REFERENCES chat_threads (id),
    id                  INTEGER NOT NULL,
    sequence_id         INTEGER NOT NULL,
    type                TEXT NOT NULL,
    version             INTEGER NOT NULL,
    body                TEXT,
    sender              TEXT,
    sender_display_name TEXT,
    metadata            TEXT,
    topic               TEXT,
    participants        TEXT,
    initiator           TEXT,
    created_ms          INTEGER NOT NULL,
    edited_ms           INTEGER,
    deleted_ms          INTEGER,
    changed_ms          INTEGER NOT NULL,
    PRIMARY KEY (thread_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS chat_messages_by_sequence
    ON chat_messages (thread_id, sequence_id);
CREATE INDEX IF NOT EXISTS chat_messages_by_change ON chat_messages (thread_id, changed_ms);

CREATE TABLE IF NOT EXISTS chat_read_receipts (
    thread_id           TEXT NOT NULL REFERENCES chat_threads (id),
    raw_id              TEXT NOT NULL,
    message_id          INTEGER NOT NULL,
    read_ms             INTEGER NOT NULL,
    PRIMARY KEY (thread_id, raw_id)
);

CREATE TABLE IF NOT EXISTS chat_create_requests (
    raw_id              TEXT NOT NULL,
    request_id          TEXT NOT NULL,
    thread_id           TEXT NOT NULL REFERENCES chat_threads (id),
    topic               TEXT NOT NULL,
    invalid_raw_ids     TEXT NOT NULL,
    PRIMARY KEY (raw_id, request_id)
);
"""
