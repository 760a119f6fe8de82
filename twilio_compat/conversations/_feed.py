"""The client's event feed: neutral ACS chat events in, the JS SDK's events out.

Messages (new, edited, deleted) and ACS typing come from an ``EventBus``: the one the client
was given (fed by an Event Grid receiver), else one shared by the clients of a process over the
same core, into which each client's poller publishes what its own ACS user can see. The bus
drops an event that two pollers both saw. Each event is looked up in the core (in a worker
thread) and then announced, in order, on the client's event loop; what the client itself did
was announced already and is not repeated.

Everything else comes from the store's change feed, which carries every write made in any
process sharing the store (see `_changes`): membership, the conversation's own fields,
deletions, attributes, read horizons, users, notification levels and typing. Membership, topic
and deletion changes that ACS-native apps make reach the feed from the event source
(`core.native_changes`); the client's bus records them too, so they arrive when no `serve`
process runs, and each lands once whoever records it. Each client takes both sources on one
queue, so it announces a conversation's changes in the order they arrive. Announcing compares
with what the client already holds, so a change made by this client itself is announced once.

Typing: pollers cannot see it (ACS keeps no typing state); Event Grid delivers it as
``ChatTypingIndicatorReceivedInThread``. A client's ``typing()`` is sent to ACS and put on the
change feed as a short-lived signal, so every client of the conversation sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twilio_compat.conversations._changes import process_feed
from twilio_compat.conversations._session import OFFLOAD
from twilio_compat.conversations.conversation import ConversationView, load_view
from twilio_compat.core import errors as core_errors
from twilio_compat.core import records
from twilio_compat.core.adapter_types import (
    AdapterError,
    Change,
    ChatEvent,
    ChatEventPoller,
    EventBus,
    EventKind,
)
from twilio_compat.core.codec import MessageMetadata
from twilio_compat.core.native_changes import NATIVE_KINDS
from twilio_compat.core.service_user import SERVICE_IDENTITY

if TYPE_CHECKING:
    from twilio_compat.conversations._session import Session
    from twilio_compat.conversations.client import Client
    from twilio_compat.conversations.conversation import Conversation
    from twilio_compat.core import Core
    from twilio_compat.core.adapter_types import StoredConversation

_log = logging.getLogger("twilio_compat.conversations")

TYPING_TIMEOUT = 5.0
"""Seconds a typing indicator lasts (Twilio's default); remote ``typingEnded`` comes one
second after it, as in the JS SDK."""
ANNOUNCED_IDS = 10_000

_buses: weakref.WeakKeyDictionary[Core, EventBus] = weakref.WeakKeyDictionary()


def shared_bus(core: Core) -> EventBus:
    """The bus the clients of this process share over ``core``."""
    bus = _buses.get(core)
    if bus is None:
        bus = _buses[core] = EventBus()
    return bus


@dataclass(frozen=True)
class Announcement:
    """What one chat event means for this client, read from the core."""

    action: str
    view: ConversationView | None = None
    message: records.Message | None = None
    participant: records.Participant | None = None
    acs_message_id: str | None = None


class EventFeed:
    """Subscribes a client to its bus (and polls, unless told not to)."""

    def __init__(
        self, client: Client, session: Session, *, bus: EventBus | None, poll_interval: float
    ) -> None:
        self._client = client
        self._session = session
        self._bus = bus if bus is not None else shared_bus(session.core)
        self._poller: ChatEventPoller | None = None
        if poll_interval > 0:
            self._poller = session.core.events.poller(
                self._bus,
                session.acs_user,
                interval=poll_interval,
                consumer=f"conversations-client-{secrets.token_hex(8)}",
            )
        self._unsubscribe: Any = None
        self._typing: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._announced: OrderedDict[tuple[str, str], None] = OrderedDict()
        """(thread, ACS message id) of messages already announced: Event Grid reports a
        message to each recipient and to the thread, and reading it again would only be
        thrown away. ACS message ids are unique within a thread only."""
        self._queue: asyncio.Queue[ChatEvent | Change] = asyncio.Queue()
        self._unfollow: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._worker = self._loop.create_task(self._work())
        self._unsubscribe = self._bus.subscribe(self._on_event)
        # Native membership and topic changes this bus reports go on the feed, heard below.
        await OFFLOAD.run(self._session.core.events.record_native, self._bus)
        feed = process_feed(self._session.core)
        self._unfollow = await OFFLOAD.run(feed.subscribe, self._on_changes)  # may read the store
        if self._poller is not None:
            self._poller.start()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            await OFFLOAD.run(self._session.core.events.release_native, self._bus)
        if self._unfollow is not None:
            unfollow, self._unfollow = self._unfollow, None
            await OFFLOAD.run(unfollow)
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        for timer in self._typing.values():
            timer.cancel()
        self._typing.clear()
        poller = self._poller
        if poller is not None:
            self._poller = None
            await OFFLOAD.run(poller.stop)
            with contextlib.suppress(AdapterError):
                await OFFLOAD.run(self._session.core.events.forget_cursor, poller)

    async def typed(self, conversation: Conversation) -> None:
        """Put this user's typing on the change feed for the other clients, in any process."""
        session = self._session
        await OFFLOAD.run(session.core.events.signal_typing, conversation.sid, session.identity)

    # -- from a chat event to the JS events --------------------------------------------

    def _on_event(self, event: ChatEvent) -> None:
        """On the publishing thread: queue the event for the client's loop, in order."""
        if event.recipient_id not in (None, self._session.acs_user):
            return
        if event.kind is EventKind.THREAD_CREATED or self._loop is None:
            return
        if event.kind in NATIVE_KINDS:
            return  # on the change feed, from whoever records it
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def _on_changes(self, changes: list[Change]) -> None:
        """On the feed's thread: queue the changes this client may announce, in order."""
        loop = self._loop
        if loop is None:
            return
        wanted = [change for change in changes if change.kind in CHANGE_KINDS]
        if not wanted:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(_put_all, self._queue, wanted)

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, Change):
                    await self._changed(item)
                else:
                    await self._handle(item)
            except Exception:
                _log.exception("announcing %s failed", item.id)

    async def _handle(self, event: ChatEvent) -> None:
        if self._client._shut_down:
            return
        announced = (event.thread_id, event.message_id or "")
        if event.kind is EventKind.MESSAGE_RECEIVED and announced in self._announced:
            return
        try:
            changes = await OFFLOAD.run(self._read, event)
        except (core_errors.TwilioApiError, AdapterError) as error:
            _log.debug("ignoring %s: %s", event.id, error)
            return
        for announcement in changes:
            self._announce(announcement)

    def _read(self, event: ChatEvent) -> list[Announcement]:
        """In a worker thread: what the event changed, as this client's user sees it."""
        session = self._session
        row = session.core.conversations.by_thread_id(event.thread_id)
        if row is None or row.scope != session.service_sid:
            return []
        if not self._member(row):
            return []
        if event.kind in (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_EDITED):
            # Read the message first: that syncs the conversation once, and the view reuses it.
            message = self._message(row, event)
            if message is None:
                return []
            view = load_view(session, row.sid, synced=True)
            added = event.kind is EventKind.MESSAGE_RECEIVED
            action = "messageAdded" if added else "messageUpdated"
            return [Announcement(action, view, message=message, acs_message_id=event.message_id)]
        view = load_view(session, row.sid)
        if event.kind is EventKind.TYPING:
            return [self._typist(row, view, event)]
        if event.kind is EventKind.MESSAGE_DELETED:
            return [Announcement("messageRemoved", view, acs_message_id=event.message_id)]
        return []

    def _message(self, row: StoredConversation, event: ChatEvent) -> records.Message | None:
        messages = self._session.core.messages
        sid = MessageMetadata.decode(event.metadata).sid
        if not sid and event.message_id:
            messages.sync(row, force=True)  # the reported message must be in the cache
            return messages.find_by_acs_message_id(row, event.message_id)
        if not sid:
            return None
        try:
            return messages.get(self._session.service_sid, row.sid, sid)
        except core_errors.TwilioApiError:
            return None

    def _member(self, row: StoredConversation) -> bool:
        """Whether this client's identity is a participant of the conversation."""
        session = self._session
        found = session.core.participants.find(session.service_sid, row.sid, session.identity)
        return found is not None

    def _typist(
        self, row: StoredConversation, view: ConversationView, event: ChatEvent
    ) -> Announcement:
        session = self._session
        if not event.actor_id or event.actor_id == session.acs_user:
            return Announcement("none")
        record = session.core.participants.find_by_acs_user(
            session.service_sid, row.sid, event.actor_id
        )
        if record is None:
            return Announcement("none")
        return Announcement("typing", view, participant=record)

    # -- from a change on the feed to the JS events ------------------------------------------

    async def _changed(self, change: Change) -> None:
        """Announce what a change to the shim's store means for this client, if anything."""
        client = self._client
        if client._shut_down:
            return
        if change.kind == "user.updated":
            await self._user_changed(change)
            return
        conversation = client._conversations.get(change.conversation_sid or "")
        if change.kind == "participant.added" and change.data.get("identity") == (
            self._session.identity
        ):
            await self._joined(change)
            return
        if conversation is None:
            return
        if change.kind == "conversation.removed":
            client._removed(conversation)
            return
        session = self._session
        core = session.core
        try:
            if change.kind in ("conversation.updated", "notification_level.updated"):
                if change.kind.startswith("notification") and change.subject != session.identity:
                    return
                conversation._apply_view(
                    await OFFLOAD.run(load_view, session, conversation.sid, synced=True)
                )
            elif change.kind == "participant.added":
                joined = await OFFLOAD.run(
                    core.participants.get, session.service_sid, conversation.sid, change.subject
                )
                if joined.identity != SERVICE_IDENTITY:
                    conversation._participant_joined(joined)
            elif change.kind == "participant.removed":
                await self._left(conversation, change)
            elif change.kind == "participant.updated":
                record = await OFFLOAD.run(
                    core.participants.get, session.service_sid, conversation.sid, change.subject
                )
                self._participant_changed(conversation, record, change)
            elif change.kind == "message.updated":
                message = await OFFLOAD.run(  # the change is in the store: no sync needed
                    core.messages.get,
                    session.service_sid,
                    conversation.sid,
                    change.subject,
                    sync=False,
                )
                conversation._message_updated(message)
            elif change.kind == "delivery.updated":
                message = await OFFLOAD.run(
                    core.messages.get,
                    session.service_sid,
                    conversation.sid,
                    str(change.data.get("message_sid") or ""),
                    sync=False,
                )
                conversation._message_updated(message, ("deliveryReceipt",))
            elif change.kind == "typing" and change.subject != session.identity:
                typist = await OFFLOAD.run(
                    core.participants.find, session.service_sid, conversation.sid, change.subject
                )
                if typist is not None:
                    self._start_typing(conversation, typist)
        except (core_errors.TwilioApiError, AdapterError) as error:
            _log.debug("ignoring change %s: %s", change.id, error)

    async def _joined(self, change: Change) -> None:
        """This client's user was added to a conversation (in any process)."""
        session = self._session
        try:
            view = await OFFLOAD.run(load_view, session, change.conversation_sid or "", synced=True)
        except (core_errors.TwilioApiError, AdapterError) as error:
            _log.debug("ignoring change %s: %s", change.id, error)
            return
        if view.me is not None:
            known = self._client._conversations.get(view.record.sid)
            if known is not None:
                known._apply_view(view)
                self._client._joined(known)
            else:
                self._client._conversation(view)

    async def _left(self, conversation: Conversation, change: Change) -> None:
        identity = change.data.get("identity")
        session = self._session
        if identity != session.identity:
            conversation._participant_left_identity(identity)
            return
        me = conversation._view.me
        # Gone with the conversation itself, the view cannot be read: conversationRemoved says so.
        with contextlib.suppress(core_errors.TwilioApiError, AdapterError):
            conversation._apply_view(
                await OFFLOAD.run(load_view, session, conversation.sid, synced=True)
            )
        if me is not None:
            self._client._left(conversation, me.sid)

    def _participant_changed(
        self, conversation: Conversation, record: records.Participant, change: Change
    ) -> None:
        me = conversation._view.me
        if me is not None and me.sid == record.sid:
            conversation._my_horizon(record)
            return
        known = conversation._participants.get(record.sid)
        if known is not None:
            known._apply(record)
            return
        # Not loaded here yet: what changed is what the feed says changed.
        reasons = [
            PARTICIPANT_REASONS[name] for name in change.fields if name in PARTICIPANT_REASONS
        ]
        conversation._participant(record)._announce_update(reasons)

    async def _user_changed(self, change: Change) -> None:
        client = self._client
        user = next((u for u in client._users.values() if u._record.sid == change.subject), None)
        if user is None:
            return
        session = self._session
        try:
            record = await OFFLOAD.run(session.core.users.get, session.service_sid, change.subject)
        except (core_errors.TwilioApiError, AdapterError) as error:
            _log.debug("ignoring change %s: %s", change.id, error)
            return
        user._apply(record)

    # -- on the event loop -----------------------------------------------------------------

    def _announce(self, change: Announcement) -> None:
        client = self._client
        if change.action == "none" or client._shut_down:
            return
        assert change.view is not None
        conversation = client._conversation(change.view)
        if change.action == "messageAdded" and change.message is not None:
            if change.acs_message_id:
                conversation._acs_ids[change.acs_message_id] = change.message.sid
                thread_id = change.view.record.thread_id or ""
                self._announced[(thread_id, change.acs_message_id)] = None
                if len(self._announced) > ANNOUNCED_IDS:
                    self._announced.popitem(last=False)
            conversation._message_added(change.message)
        elif change.action == "messageUpdated" and change.message is not None:
            conversation._message_updated(change.message)
        elif change.action == "messageRemoved":
            sid = conversation._acs_ids.get(change.acs_message_id or "")
            message = conversation._messages.get(sid or "")
            if message is not None:
                conversation._message_removed(message)
        elif change.action == "typing" and change.participant is not None:
            self._start_typing(conversation, change.participant)

    def _start_typing(self, conversation: Conversation, record: records.Participant) -> None:
        participant = conversation._participant(record)
        participant._set_typing(True)
        key = (conversation.sid, record.sid)
        previous = self._typing.pop(key, None)
        if previous is not None:
            previous.cancel()

        def ended() -> None:
            self._typing.pop(key, None)
            participant._set_typing(False)

        loop = asyncio.get_running_loop()
        self._typing[key] = loop.call_later(TYPING_TIMEOUT + 1.0, ended)


CHANGE_KINDS = frozenset(
    {
        "participant.added",
        "participant.removed",
        "conversation.updated",
        "conversation.removed",
        "notification_level.updated",
        "participant.updated",
        "message.updated",
        "delivery.updated",
        "user.updated",
        "typing",
    }
)
"""The feed's kinds a client announces (new messages come from ACS, which has them first)."""

PARTICIPANT_REASONS = {
    "attributes": "attributes",
    "role_sid": "roleSid",
    "last_read_index": "lastReadMessageIndex",
    "last_read_at": "lastReadTimestamp",
}
"""Store column -> the JS SDK's ``updateReasons`` name, for a participant's change."""


def _put_all(queue: asyncio.Queue[ChatEvent | Change], changes: list[Change]) -> None:
    for change in changes:
        queue.put_nowait(change)
