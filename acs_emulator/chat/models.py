"""The chat service's state and rules (ACS Chat 2024-03-07), kept in the emulator's database.

Where the service's behaviour is documented, the emulator follows it (acs.md sections 2-8).
Where it is not, these are the emulator's answers, chosen to be strict rather than lenient:

- An unknown thread and a deleted thread answer 404 to everyone, participant or not; a live
  thread answers 403 `Forbidden` to anyone who is not a current participant. Deleting a
  deleted thread again answers 204 and changes nothing for its participants, as the service
  does (the Azure SDK's recorded e2e tests delete twice); others still get 404.
- Removed participants get 403 on every operation of the thread, reads included, but the
  thread stays in their thread list (as on the service).
- Deleted messages are still returned by GET and list, with `deletedOn`; their text is gone
  (`content.message` is "") and so is their metadata. Editing a deleted message answers 404;
  deleting it again answers 204 and changes nothing.
- Removing someone who is not a current participant answers 404.
- Read receipts keep one receipt per participant, for the newest message read: a receipt for an
  older message than the one on record changes nothing.
- In threads of more than 20 participants, read receipts and typing notifications, which the
  service does not support there, are accepted (200) and ignored.
- A thread's "activity" (the order of the thread list and what its `startTime` filters) is the
  time of its newest message of any kind, system messages included.
- A participant sees the messages created at or after their `shareHistoryTime` (none given:
  all history); hidden messages answer 404 to GET, like unknown ones.
- `repeatability-request-id` is remembered per user for the life of the state: the same id
  from the same user answers the first 201 body again and creates nothing.

Every write runs in one database transaction; its Event Grid events are published after the
commit, in commit order, and never for a write that failed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from acs_emulator.chat import notifications, storage
from acs_emulator.chat.ids import new_thread_id, new_transaction_id
from acs_emulator.chat.notifications import ChatEvent
from acs_emulator.chat.records import (
    PARTICIPANT_ADDED,
    PARTICIPANT_REMOVED,
    TOPIC_UPDATED,
    USER_MESSAGE_TYPES,
    CreatedThread,
    Message,
    MessageEdit,
    NewMessage,
    Page,
    Participant,
    ReadReceipt,
    Thread,
    ThreadCursor,
    ThreadSummary,
)
from acs_emulator.chat.schema import SCHEMA
from acs_emulator.chat.timestamps import now_ms
from acs_emulator.db import Database
from acs_emulator.events import EventSink
from acs_emulator.exceptions import bad_request, forbidden, not_found
from acs_emulator.principal import UserDirectory

log = logging.getLogger(__name__)

MAX_PARTICIPANTS_PER_THREAD = 250
MAX_PARTICIPANTS_PER_REQUEST = 200
MAX_MESSAGE_BYTES = 28 * 1024
MAX_PARTICIPANTS_FOR_RECEIPTS_AND_TYPING = 20

_NO_CURSOR = 2**62


class _Events:
    """The events of one write, built only when a subscriber may take them (building them
    reads the members and formats every recipient's copy)."""

    def __init__(self, listening: bool) -> None:
        self._listening = listening
        self.built: list[ChatEvent] = []

    def extend(self, build: Callable[[], Iterable[ChatEvent]]) -> None:
        if self._listening:
            self.built.extend(build())


class ChatBackend:
    """Threads, participants, messages and read receipts of one ACS resource."""

    def __init__(
        self,
        db: Database,
        events: EventSink,
        users: UserDirectory,
        *,
        resource_id: str,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.resource_id = resource_id
        self._clock = clock
        self._db = db
        self._events = events
        self._users = users
        self._write_lock = threading.RLock()
        db.ensure_schema(SCHEMA)

    # Threads

    def create_thread(
        self,
        caller: str,
        topic: str,
        participants: Sequence[Participant],
        *,
        request_id: str | None = None,
    ) -> CreatedThread:
        """Create a thread with the caller as a participant; unknown users are reported back."""
        if len(participants) > MAX_PARTICIPANTS_PER_REQUEST:
            raise bad_request(
                f"A thread can be created with at most {MAX_PARTICIPANTS_PER_REQUEST} "
                "participants.",
                target="participants",
            )
        with self._write() as (conn, events):
            if request_id is not None:
                replay = self._replay_create(conn, caller, request_id)
                if replay is not None:
                    return replay
            creator = next(
                (p for p in participants if p.raw_id == caller), Participant(raw_id=caller)
            )
            members: dict[str, Participant] = {caller: creator}
            invalid: list[str] = []
            for participant in participants:
                if participant.raw_id in members or participant.raw_id in invalid:
                    continue
                if self._users.user_exists(participant.raw_id):
                    members[participant.raw_id] = participant
                else:
                    invalid.append(participant.raw_id)
            now = self._clock()
            thread = Thread(id=new_thread_id(), topic=topic, created_by=caller, created_ms=now)
            conn.execute(
                "INSERT INTO chat_threads (id, topic, created_by, created_ms, last_activity_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (thread.id, topic, caller, now, now),
            )
            storage.admit(conn, thread.id, members.values())
            added = tuple(members.values())
            storage.append_message(
                conn, thread.id, PARTICIPANT_ADDED, now, participants=added, initiator=caller
            )
            storage.append_message(
                conn, thread.id, TOPIC_UPDATED, now, topic=topic, initiator=caller
            )
            if request_id is not None:
                conn.execute(
                    "INSERT INTO chat_create_requests"
                    " (raw_id, request_id, thread_id, topic, invalid_raw_ids)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (caller, request_id, thread.id, topic, json.dumps(invalid)),
                )
            events.extend(
                lambda: notifications.thread_created_events(
                    thread, added, recipients=list(members), transaction_id=new_transaction_id()
                )
            )
        return CreatedThread(thread=thread, invalid_raw_ids=tuple(invalid))

    def list_threads(
        self,
        caller: str,
        *,
        start_ms: int | None,
        page_size: int,
        after: ThreadCursor | None = None,
    ) -> Page[ThreadSummary]:
        """Live threads the caller is or was a participant of, most recent activity first.

        `after` is where the previous page ended. With `start_ms`, the threads active since
        then are read by activity (a recent window costs the same however many threads the
        caller is in); without it, the caller's memberships are read."""
        if start_ms is not None:
            sql = (
                "SELECT t.id, t.topic, t.last_activity_ms, t.last_message_ms, t.deleted_ms"
                " FROM chat_threads AS t INDEXED BY chat_threads_by_activity"
                " WHERE t.last_activity_ms >= ? AND t.deleted_ms IS NULL AND EXISTS"
                " (SELECT 1 FROM chat_participants AS p WHERE p.thread_id = t.id AND p.raw_id = ?)"
            )
            params: list[Any] = [start_ms, caller]
        else:
            sql = (
                "SELECT t.id, t.topic, t.last_activity_ms, t.last_message_ms, t.deleted_ms"
                " FROM chat_participants AS p JOIN chat_threads AS t ON t.id = p.thread_id"
                " WHERE p.raw_id = ? AND t.deleted_ms IS NULL AND t.last_activity_ms >= ?"
            )
            params = [caller, -_NO_CURSOR]
        if after is not None:
            sql += " AND (t.last_activity_ms < ? OR (t.last_activity_ms = ? AND t.id < ?))"
            params += [after.activity_ms, after.activity_ms, after.thread_id]
        sql += " ORDER BY t.last_activity_ms DESC, t.id DESC LIMIT ?"
        params.append(page_size + 1)
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        items = tuple(
            ThreadSummary(
                id=row["id"],
                topic=row["topic"],
                activity_ms=row["last_activity_ms"],
                last_message_ms=row["last_message_ms"],
                deleted_ms=row["deleted_ms"],
            )
            for row in rows[:page_size]
        )
        return Page(items=items, has_more=len(rows) > page_size)

    def get_thread(self, caller: str, thread_id: str) -> Thread:
        with self._db.read() as conn:
            thread, _ = self._open(conn, caller, thread_id)
        return thread

    def update_topic(self, caller: str, thread_id: str, topic: str) -> None:
        with self._write() as (conn, events):
            thread, _ = self._open(conn, caller, thread_id)
            now = self._clock()
            conn.execute("UPDATE chat_threads SET topic = ? WHERE id = ?", (topic, thread_id))
            storage.append_message(
                conn, thread_id, TOPIC_UPDATED, now, topic=topic, initiator=caller
            )
            events.extend(
                lambda: notifications.thread_updated_events(
                    replace(thread, topic=topic),
                    caller,
                    at_ms=now,
                    recipients=storage.member_ids(conn, thread_id),
                    transaction_id=new_transaction_id(),
                )
            )

    def delete_thread(self, caller: str, thread_id: str) -> None:
        with self._write() as (conn, events):
            if self._deleted_for(conn, caller, thread_id):
                return
            thread, _ = self._open(conn, caller, thread_id)
            now = self._clock()
            conn.execute("UPDATE chat_threads SET deleted_ms = ? WHERE id = ?", (now, thread_id))
            events.extend(
                lambda: notifications.thread_deleted_events(
                    thread,
                    caller,
                    at_ms=now,
                    recipients=storage.member_ids(conn, thread_id),
                    transaction_id=new_transaction_id(),
                )
            )

    # Messages

    def send_message(self, caller: str, thread_id: str, message: NewMessage) -> Message:
        if message.type not in USER_MESSAGE_TYPES:
            raise bad_request(f"Messages of type {message.type!r} cannot be sent.", target="type")
        _check_size(message.body)
        with self._write() as (conn, events):
            self._open(conn, caller, thread_id)
            sent = storage.append_message(
                conn,
                thread_id,
                message.type,
                self._clock(),
                body=message.body,
                sender=caller,
                sender_display_name=message.sender_display_name,
                metadata=message.metadata,
            )
            events.extend(
                lambda: notifications.message_events(
                    "Received",
                    thread_id,
                    sent,
                    at_ms=sent.created_ms,
                    recipients=storage.member_ids(conn, thread_id),
                    transaction_id=new_transaction_id(),
                )
            )
        return sent

    def list_messages(
        self,
        caller: str,
        thread_id: str,
        *,
        start_ms: int | None,
        page_size: int,
        before_sequence: int | None = None,
    ) -> Page[Message]:
        """Newest first; with `start_ms`, only messages created, edited or deleted since then.

        `before_sequence` is the sequence id of the last message of the previous page."""
        with self._db.read() as conn:
            _, member = self._open(conn, caller, thread_id)
            rows = storage.newest_messages(
                conn,
                thread_id,
                before_sequence=before_sequence if before_sequence is not None else _NO_CURSOR,
                created_from_ms=member.share_history_ms,
                changed_from_ms=start_ms,
                limit=page_size + 1,
            )
        items = tuple(storage.message_from_row(row) for row in rows[:page_size])
        return Page(items=items, has_more=len(rows) > page_size)

    def get_message(self, caller: str, thread_id: str, message_id: str) -> Message:
        with self._db.read() as conn:
            _, member = self._open(conn, caller, thread_id)
            return storage.message_from_row(
                storage.visible_message(conn, thread_id, message_id, member)
            )

    def update_message(
        self, caller: str, thread_id: str, message_id: str, edit: MessageEdit
    ) -> None:
        """Apply a merge patch to the caller's own message; an empty patch changes nothing."""
        if edit.body is not None:
            _check_size(edit.body)
        with self._write() as (conn, events):
            _, member = self._open(conn, caller, thread_id)
            row = storage.visible_message(conn, thread_id, message_id, member)
            if row["sender"] != caller:
                raise forbidden()
            if row["deleted_ms"] is not None:
                raise not_found("The chat message was deleted.")
            if edit.is_empty:
                return
            at = max(self._clock(), row["version"] + 1)
            metadata = _patched(storage.metadata_of(row), edit)
            conn.execute(
                "UPDATE chat_messages SET body = ?, metadata = ?, version = ?, edited_ms = ?,"
                " changed_ms = ? WHERE thread_id = ? AND id = ?",
                (
                    edit.body if edit.body is not None else row["body"],
                    json.dumps(metadata) if metadata else None,
                    at,
                    at,
                    at,
                    thread_id,
                    row["id"],
                ),
            )
            edited = storage.message_by_id(conn, thread_id, row["id"])
            events.extend(
                lambda: notifications.message_events(
                    "Edited",
                    thread_id,
                    edited,
                    at_ms=at,
                    recipients=storage.member_ids(conn, thread_id),
                    transaction_id=new_transaction_id(),
                )
            )

    def delete_message(self, caller: str, thread_id: str, message_id: str) -> None:
        with self._write() as (conn, events):
            _, member = self._open(conn, caller, thread_id)
            row = storage.visible_message(conn, thread_id, message_id, member)
            if row["sender"] != caller:
                raise forbidden()
            if row["deleted_ms"] is not None:
                return
            at = max(self._clock(), row["version"] + 1)
            conn.execute(
                "UPDATE chat_messages SET body = '', metadata = NULL, version = ?,"
                " deleted_ms = ?, changed_ms = ? WHERE thread_id = ? AND id = ?",
                (at, at, at, thread_id, row["id"]),
            )
            deleted = storage.message_by_id(conn, thread_id, row["id"])
            events.extend(
                lambda: notifications.message_events(
                    "Deleted",
                    thread_id,
                    deleted,
                    at_ms=at,
                    recipients=storage.member_ids(conn, thread_id),
                    transaction_id=new_transaction_id(),
                )
            )

    # Participants

    def list_participants(
        self, caller: str, thread_id: str, *, skip: int, page_size: int
    ) -> Page[Participant]:
        """Current participants in the order they joined."""
        with self._db.read() as conn:
            self._open(conn, caller, thread_id)
            rows = conn.execute(
                "SELECT raw_id, display_name, share_history_ms FROM chat_participants"
                " WHERE thread_id = ? AND removed_ms IS NULL ORDER BY member_order"
                " LIMIT ? OFFSET ?",
                (thread_id, page_size + 1, skip),
            ).fetchall()
        items = tuple(storage.participant_from_row(row) for row in rows[:page_size])
        return Page(items=items, has_more=len(rows) > page_size)

    def add_participants(
        self, caller: str, thread_id: str, participants: Sequence[Participant]
    ) -> tuple[str, ...]:
        """Add the known users who are not participants yet; returns the unknown users' ids.

        Existing participants are left as they are. The whole request fails (400, nothing
        added) if it names more than 200 participants or would take the thread above 250."""
        if len(participants) > MAX_PARTICIPANTS_PER_REQUEST:
            raise bad_request(
                f"At most {MAX_PARTICIPANTS_PER_REQUEST} participants can be added at once.",
                target="participants",
            )
        with self._write() as (conn, events):
            thread, _ = self._open(conn, caller, thread_id)
            current = storage.member_ids(conn, thread_id)
            joining: dict[str, Participant] = {}
            invalid: list[str] = []
            for participant in participants:
                raw_id = participant.raw_id
                if raw_id in current or raw_id in joining or raw_id in invalid:
                    continue
                if self._users.user_exists(raw_id):
                    joining[raw_id] = participant
                else:
                    invalid.append(raw_id)
            if len(current) + len(joining) > MAX_PARTICIPANTS_PER_THREAD:
                raise bad_request(
                    f"A thread can have at most {MAX_PARTICIPANTS_PER_THREAD} participants.",
                    target="participants",
                )
            if joining:
                now = self._clock()
                added = tuple(joining.values())
                storage.admit(conn, thread_id, added)
                storage.append_message(
                    conn, thread_id, PARTICIPANT_ADDED, now, participants=added, initiator=caller
                )
                recipients = [*current, *joining]
                transaction_id = new_transaction_id()
                events.extend(
                    lambda: [
                        event
                        for participant in added
                        for event in notifications.participant_added_events(
                            thread,
                            caller,
                            participant,
                            at_ms=now,
                            recipients=recipients,
                            transaction_id=transaction_id,
                        )
                    ]
                )
        return tuple(invalid)

    def remove_participant(self, caller: str, thread_id: str, raw_id: str) -> None:
        with self._write() as (conn, events):
            thread, _ = self._open(conn, caller, thread_id)
            removed = storage.membership(conn, thread_id, raw_id)
            if removed is None:
                raise not_found("The participant is not a member of the chat thread.")
            recipients = storage.member_ids(conn, thread_id)
            now = self._clock()
            conn.execute(
                "UPDATE chat_participants SET removed_ms = ? WHERE thread_id = ? AND raw_id = ?",
                (now, thread_id, raw_id),
            )
            storage.append_message(
                conn, thread_id, PARTICIPANT_REMOVED, now, participants=(removed,), initiator=caller
            )
            events.extend(
                lambda: notifications.participant_removed_events(
                    thread,
                    caller,
                    removed,
                    at_ms=now,
                    recipients=recipients,
                    transaction_id=new_transaction_id(),
                )
            )

    # Read receipts and typing

    def send_read_receipt(self, caller: str, thread_id: str, message_id: str) -> None:
        with self._write() as (conn, _):
            _, member = self._open(conn, caller, thread_id)
            row = storage.visible_message(conn, thread_id, message_id, member)
            if len(storage.member_ids(conn, thread_id)) > MAX_PARTICIPANTS_FOR_RECEIPTS_AND_TYPING:
                return
            conn.execute(
                "INSERT INTO chat_read_receipts (thread_id, raw_id, message_id, read_ms)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (thread_id, raw_id) DO UPDATE"
                " SET message_id = excluded.message_id, read_ms = excluded.read_ms"
                " WHERE excluded.message_id > chat_read_receipts.message_id",
                (thread_id, caller, row["id"], self._clock()),
            )

    def list_read_receipts(
        self, caller: str, thread_id: str, *, skip: int, page_size: int
    ) -> Page[ReadReceipt]:
        """The latest receipt of each current participant, in the order they joined."""
        with self._db.read() as conn:
            self._open(conn, caller, thread_id)
            rows = conn.execute(
                "SELECT r.raw_id, r.message_id, r.read_ms FROM chat_read_receipts AS r"
                " JOIN chat_participants AS p ON p.thread_id = r.thread_id AND p.raw_id = r.raw_id"
                " WHERE r.thread_id = ? AND p.removed_ms IS NULL ORDER BY p.member_order"
                " LIMIT ? OFFSET ?",
                (thread_id, page_size + 1, skip),
            ).fetchall()
        items = tuple(
            ReadReceipt(raw_id=row["raw_id"], message_id=row["message_id"], read_ms=row["read_ms"])
            for row in rows[:page_size]
        )
        return Page(items=items, has_more=len(rows) > page_size)

    def send_typing(self, caller: str, thread_id: str, display_name: str) -> None:
        """Stores nothing; publishes `ChatTypingIndicatorReceivedInThread`."""
        with self._write_lock:
            with self._db.read() as conn:
                self._open(conn, caller, thread_id)
                members = storage.member_ids(conn, thread_id)
            if len(members) > MAX_PARTICIPANTS_FOR_RECEIPTS_AND_TYPING:
                return
            self._publish(
                [notifications.typing_event(thread_id, caller, display_name, at_ms=self._clock())]
            )

    # Internals

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, _Events]]:
        """One transaction; its events are published after it commits, before the next write."""
        events = _Events(self._events.listening)
        with self._write_lock:
            with self._db.transaction() as conn:
                yield conn, events
            self._publish(events.built)

    def _publish(self, events: Sequence[ChatEvent]) -> None:
        for event in events:
            try:
                self._events.publish(event.event_type, event.subject, event.data)
            except Exception:
                log.exception("could not publish %s", event.event_type)

    @staticmethod
    def _deleted_for(conn: sqlite3.Connection, caller: str, thread_id: str) -> bool:
        """True if the thread is deleted and the caller was a participant when it was."""
        row = conn.execute(
            "SELECT deleted_ms FROM chat_threads WHERE id = ?", (thread_id,)
        ).fetchone()
        if row is None or row["deleted_ms"] is None:
            return False
        return storage.membership(conn, thread_id, caller) is not None

    def _open(
        self, conn: sqlite3.Connection, caller: str, thread_id: str
    ) -> tuple[Thread, Participant]:
        """The live thread and the caller's membership: 404 if gone, 403 if not a member."""
        row = conn.execute("SELECT * FROM chat_threads WHERE id = ?", (thread_id,)).fetchone()
        if row is None or row["deleted_ms"] is not None:
            raise not_found("The chat thread was not found.")
        member = storage.membership(conn, thread_id, caller)
        if member is None:
            raise forbidden()
        thread = Thread(
            id=row["id"],
            topic=row["topic"],
            created_by=row["created_by"],
            created_ms=row["created_ms"],
        )
        return thread, member

    def _replay_create(
        self, conn: sqlite3.Connection, caller: str, request_id: str
    ) -> CreatedThread | None:
        row = conn.execute(
            "SELECT r.thread_id, r.topic, r.invalid_raw_ids, t.created_by, t.created_ms"
            " FROM chat_create_requests AS r JOIN chat_threads AS t ON t.id = r.thread_id"
            " WHERE r.raw_id = ? AND r.request_id = ?",
            (caller, request_id),
        ).fetchone()
        if row is None:
            return None
        thread = Thread(
            id=row["thread_id"],
            topic=row["topic"],
            created_by=row["created_by"],
            created_ms=row["created_ms"],
        )
        return CreatedThread(
            thread=thread, invalid_raw_ids=tuple(json.loads(row["invalid_raw_ids"]))
        )


def _check_size(body: str) -> None:
    if len(body.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise bad_request(
            f"Message content exceeds the maximum size of {MAX_MESSAGE_BYTES} bytes.",
            target="content",
        )


def _patched(current: Mapping[str, str], edit: MessageEdit) -> dict[str, str]:
    merged = {} if edit.clear_metadata else dict(current)
    for key, value in (edit.metadata or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
