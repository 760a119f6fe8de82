"""`AcsConfirmation`: whether ACS itself agrees that a pushed chat event happened.

Whoever holds the Event Grid secret can post any event; what ACS answers cannot be forged.
Each event that changes state is checked against a read made as one ACS user (the service
user, a member of every thread the shim maps) before it is passed on:

- message received: the message exists and was sent within the accepted age;
- message edited: the message exists and reads as edited;
- message deleted: the message reads as deleted, or is gone;
- thread updated: the thread's topic is the one the event carries;
- thread deleted: the thread is gone (404; a live thread the reader is not in answers 403);
- participant added / removed: the participant list has / lacks every member the event
  names (a reader that was itself removed reads 403, which confirms its own removal).

An event the thread has since moved past (a participant removed and added back, the topic
changed twice) reads as unconfirmed and is dropped: the later event carries the state.
Thread creations and typing are passed on unchecked: nothing they carry changes state.
`Unavailable` and `Throttled` propagate, so the delivery fails and Event Grid retries it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from acs_adapter._lru import LruCache
from acs_adapter.errors import Forbidden, InvalidInput, NotFound
from acs_adapter.events._model import ChatEvent, EventKind

if TYPE_CHECKING:
    from acs_adapter.chat import UserChat

UNCHECKED = frozenset({EventKind.THREAD_CREATED, EventKind.TYPING})
_MESSAGE_KINDS = (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_EDITED, EventKind.MESSAGE_DELETED)
_REMEMBERED = 10_000


class AcsConfirmation:
    """Checks chat events against ACS as read by `reader`; remembers what it confirmed, so
    the per-recipient copies of one activity cost one read."""

    def __init__(self, reader: UserChat, *, max_age: timedelta) -> None:
        self._reader = reader
        self._max_age = max_age
        self._confirmed: LruCache[tuple[object, ...], bool] = LruCache(_REMEMBERED)

    def __call__(self, event: ChatEvent) -> bool:
        """True when ACS shows what `event` says happened."""
        if event.kind in UNCHECKED:
            return True
        key = (
            event.kind,
            event.thread_id,
            event.message_id,
            event.version,
            event.topic,
            event.participant_ids,
        )
        if self._confirmed.get(key):
            return True
        try:
            confirmed = self._check(event)
        except InvalidInput:
            confirmed = False  # ids ACS could never have written
        if confirmed:
            self._confirmed.put(key, True)
        return confirmed

    def _check(self, event: ChatEvent) -> bool:
        if event.kind in _MESSAGE_KINDS:
            return self._message(event)
        if event.kind is EventKind.THREAD_UPDATED:
            return self._topic(event)
        if event.kind is EventKind.THREAD_DELETED:
            return self._thread_gone(event)
        return self._membership(event)

    def _message(self, event: ChatEvent) -> bool:
        if not event.message_id:
            return False
        try:
            message = self._reader.get_message(event.thread_id, event.message_id)
        except NotFound:
            return event.kind is EventKind.MESSAGE_DELETED
        except Forbidden:
            return False
        if event.kind is EventKind.MESSAGE_DELETED:
            return message.deleted_on is not None
        if event.kind is EventKind.MESSAGE_EDITED:
            return message.edited_on is not None
        return message.created_on >= datetime.now(timezone.utc) - self._max_age

    def _topic(self, event: ChatEvent) -> bool:
        if event.topic is None:
            return False
        try:
            return self._reader.get_thread(event.thread_id).topic == event.topic
        except (NotFound, Forbidden):
            return False

    def _thread_gone(self, event: ChatEvent) -> bool:
        try:
            self._reader.get_thread(event.thread_id)
        except NotFound:
            return True
        except Forbidden:
            return False
        return False

    def _membership(self, event: ChatEvent) -> bool:
        named = set(event.participant_ids)
        if not named:
            return False
        added = event.kind is EventKind.PARTICIPANT_ADDED
        try:
            members = {p.user_id for p in self._reader.list_participants(event.thread_id)}
        except Forbidden:
            return not added and named == {self._reader.user_id}
        except NotFound:
            return False
        return named <= members if added else not (named & members)
