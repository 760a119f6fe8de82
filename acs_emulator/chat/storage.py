"""SQL reads and writes of chat rows, shared by the backend's operations.

These helpers run inside the caller's transaction (or read) and apply no permission rules;
`models.ChatBackend` decides who may do what.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from acs_emulator.chat.records import USER_MESSAGE_TYPES, Message, Participant
from acs_emulator.exceptions import not_found


def membership(conn: sqlite3.Connection, thread_id: str, raw_id: str) -> Participant | None:
    """The user as a current participant of the thread, or None."""
    row = conn.execute(
        "SELECT raw_id, display_name, share_history_ms FROM chat_participants"
        " WHERE thread_id = ? AND raw_id = ? AND removed_ms IS NULL",
        (thread_id, raw_id),
    ).fetchone()
    return participant_from_row(row) if row is not None else None


def member_ids(conn: sqlite3.Connection, thread_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT raw_id FROM chat_participants WHERE thread_id = ? AND removed_ms IS NULL"
        " ORDER BY member_order",
        (thread_id,),
    ).fetchall()
    return [row["raw_id"] for row in rows]


def admit(conn: sqlite3.Connection, thread_id: str, participants: Iterable[Participant]) -> None:
    """Make participants current (again): a returning participant takes the new details."""
    order = conn.execute(
        "SELECT next_member_order FROM chat_threads WHERE id = ?", (thread_id,)
    ).fetchone()[0]
    for participant in participants:
        conn.execute(
            "INSERT INTO chat_participants"
            " (thread_id, raw_id, display_name, share_history_ms, member_order)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (thread_id, raw_id) DO UPDATE SET"
            " display_name = excluded.display_name,"
            " share_history_ms = excluded.share_history_ms,"
            " member_order = excluded.member_order, removed_ms = NULL",
            (
                thread_id,
                participant.raw_id,
                participant.display_name,
                participant.share_history_ms,
                order,
            ),
        )
        order += 1
    conn.execute("UPDATE chat_threads SET next_member_order = ? WHERE id = ?", (order, thread_id))


def append_message(
    conn: sqlite3.Connection,
    thread_id: str,
    message_type: str,
    at_ms: int,
    *,
    body: str | None = None,
    sender: str | None = None,
    sender_display_name: str | None = None,
    metadata: Mapping[str, str] | None = None,
    topic: str | None = None,
    participants: Sequence[Participant] | None = None,
    initiator: str | None = None,
) -> Message:
    """Write the thread's next message: id = creation ms, kept strictly increasing."""
    counters = conn.execute(
        "SELECT last_message_id, last_sequence_id FROM chat_threads WHERE id = ?",
        (thread_id,),
    ).fetchone()
    message_id = max(at_ms, counters["last_message_id"] + 1)
    sequence_id = counters["last_sequence_id"] + 1
    is_user_message = message_type in USER_MESSAGE_TYPES
    conn.execute(
        "INSERT INTO chat_messages (thread_id, id, sequence_id, type, version, body, sender,"
        " sender_display_name, metadata, topic, participants, initiator, created_ms,"
        " changed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            thread_id,
            message_id,
            sequence_id,
            message_type,
            message_id,
            body,
            sender,
            sender_display_name,
            json.dumps(dict(metadata)) if metadata else None,
            topic,
            json.dumps([participant_json(p) for p in participants])
            if participants is not None
            else None,
            initiator,
            message_id,
            message_id,
        ),
    )
    conn.execute(
        "UPDATE chat_threads SET last_message_id = ?, last_sequence_id = ?,"
        " last_activity_ms = ?,"
        " last_message_ms = CASE WHEN ? THEN ? ELSE last_message_ms END WHERE id = ?",
        (message_id, sequence_id, message_id, is_user_message, message_id, thread_id),
    )
    return Message(
        id=message_id,
        sequence_id=sequence_id,
        type=message_type,
        version=message_id,
        created_ms=message_id,
        body=body,
        sender=sender,
        sender_display_name=sender_display_name,
        metadata=dict(metadata) if metadata else None,
        topic=topic,
        participants=tuple(participants) if participants is not None else None,
        initiator=initiator,
    )


def newest_messages(
    conn: sqlite3.Connection,
    thread_id: str,
    *,
    before_sequence: int,
    created_from_ms: int,
    changed_from_ms: int | None,
    limit: int,
) -> list[sqlite3.Row]:
    """Up to `limit` messages below `before_sequence`, newest first, created at or after
    `created_from_ms` and, when given, created, edited or deleted at or after `changed_from_ms`.

    Each part is an index range, so a page costs the same in a long thread as in a short one:
    ids are creation times and grow with sequence ids, so "created since" is a sequence range
    found through the primary key; older messages changed since are found through the change
    index (they are the thread's recent edits and deletions, not its history).
    """
    recent_from = (
        created_from_ms if changed_from_ms is None else max(created_from_ms, changed_from_ms)
    )
    lowest = _first_sequence_from(conn, thread_id, recent_from)
    rows: list[sqlite3.Row] = []
    if lowest is not None:
        rows = conn.execute(
            "SELECT * FROM chat_messages INDEXED BY chat_messages_by_sequence"
            " WHERE thread_id = ? AND sequence_id >= ? AND sequence_id < ?"
            " ORDER BY sequence_id DESC LIMIT ?",
            (thread_id, lowest, before_sequence, limit),
        ).fetchall()
    if changed_from_ms is None or recent_from == created_from_ms or len(rows) == limit:
        return rows
    older_changed = conn.execute(
        "SELECT * FROM chat_messages INDEXED BY chat_messages_by_change"
        " WHERE thread_id = ? AND changed_ms >= ? AND id >= ? AND id < ? AND sequence_id < ?"
        " ORDER BY sequence_id DESC LIMIT ?",
        (thread_id, changed_from_ms, created_from_ms, recent_from, before_sequence, limit),
    ).fetchall()
    return (rows + older_changed)[:limit]


def _first_sequence_from(conn: sqlite3.Connection, thread_id: str, from_ms: int) -> int | None:
    """The sequence id of the thread's first message created at or after `from_ms`."""
    row = conn.execute(
        "SELECT sequence_id FROM chat_messages WHERE thread_id = ? AND id >= ? ORDER BY id LIMIT 1",
        (thread_id, from_ms),
    ).fetchone()
    return None if row is None else int(row[0])


def visible_message(
    conn: sqlite3.Connection, thread_id: str, message_id: str, member: Participant
) -> sqlite3.Row:
    """The message if it exists and the caller's shared history includes it, else 404."""
    row = None
    if message_id.isascii() and message_id.isdigit() and len(message_id) < 19:
        row = conn.execute(
            "SELECT * FROM chat_messages WHERE thread_id = ? AND id = ?",
            (thread_id, int(message_id)),
        ).fetchone()
    if row is None or row["created_ms"] < member.share_history_ms:
        raise not_found("The chat message was not found.")
    visible: sqlite3.Row = row
    return visible


def message_by_id(conn: sqlite3.Connection, thread_id: str, message_id: int) -> Message:
    row = conn.execute(
        "SELECT * FROM chat_messages WHERE thread_id = ? AND id = ?", (thread_id, message_id)
    ).fetchone()
    return message_from_row(row)


def metadata_of(row: sqlite3.Row) -> dict[str, str]:
    raw = row["metadata"]
    loaded: dict[str, str] = json.loads(raw) if raw else {}
    return loaded


def participant_from_row(row: sqlite3.Row) -> Participant:
    return Participant(
        raw_id=row["raw_id"],
        display_name=row["display_name"],
        share_history_ms=row["share_history_ms"],
    )


def participant_json(participant: Participant) -> dict[str, Any]:
    return {
        "rawId": participant.raw_id,
        "displayName": participant.display_name,
        "shareHistoryMs": participant.share_history_ms,
    }


def message_from_row(row: sqlite3.Row) -> Message:
    participants = None
    if row["participants"] is not None:
        participants = tuple(
            Participant(
                raw_id=item["rawId"],
                display_name=item["displayName"],
                share_history_ms=item["shareHistoryMs"],
            )
            for item in json.loads(row["participants"])
        )
    metadata = metadata_of(row)
    return Message(
        id=row["id"],
        sequence_id=row["sequence_id"],
        type=row["type"],
        version=row["version"],
        created_ms=row["created_ms"],
        body=row["body"],
        sender=row["sender"],
        sender_display_name=row["sender_display_name"],
        metadata=metadata or None,
        topic=row["topic"],
        participants=participants,
        initiator=row["initiator"],
        edited_ms=row["edited_ms"],
        deleted_ms=row["deleted_ms"],
    )
