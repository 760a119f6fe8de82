"""`NativeChanges`: what ACS-native apps change in a mapped thread, put on the change feed.

An app using the Azure chat SDK directly may add or remove members of a thread the shim maps,
change its topic or delete it. The event source reports that as a chat event; this turns it
into the neutral change every consumer of the feed (clients in any process) already follows:

- a member added: if its ACS user is an identity the shim made, a participant row for it, with
  the service's default conversation role (so a Twilio reader lists it, as ACS does), and the
  identity's user if it has none: ``participant.added``. ACS users the shim never made are no
  Twilio identity and stay out.
- a member removed: its participant row goes: ``participant.removed``.
- a new topic: it becomes the friendly name: ``conversation.updated`` (``friendly_name``).
- the thread deleted: ``conversation.removed``, keyed by the event's id. The conversation's
  row stays (its history remains readable) until it is deleted through the shim.

Each lands on the feed once, however many sources or processes report it: a second insert of
the identity conflicts, a second delete finds no row, a rename applies only over the name it
replaces, and the deletion is keyed. Changes made by the service user are the shim's own and
on the feed already.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from acs_adapter.errors import Conflict
from acs_adapter.store import ChangeOrigin, changes_by
from twilio_compat.core.adapter_types import AdapterError, ChatEvent, EventBus, EventKind
from twilio_compat.core.configuration import CONVERSATION_ROLE, SERVICE_ROLE, default_role_sid
from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.sids import new_sid

if TYPE_CHECKING:
    from twilio_compat.core._context import Context
    from twilio_compat.core.adapter_types import StoredConversation

_log = logging.getLogger("twilio_compat.core")

NATIVE_KINDS = frozenset(
    {
        EventKind.PARTICIPANT_ADDED,
        EventKind.PARTICIPANT_REMOVED,
        EventKind.THREAD_UPDATED,
        EventKind.THREAD_DELETED,
    }
)
"""The chat events whose native changes reach the feed here (messages reach it by the sync)."""


class NativeChanges:
    """Records the native changes one event bus reports, in order, on a worker thread.

    `after` runs before each event is recorded: the webhooks' wait, so they read a removed
    member's row before it goes.
    """

    def __init__(self, context: Context, *, after: Callable[[], None] | None = None) -> None:
        self._context = context
        self._after = after
        self._events: queue.Queue[ChatEvent | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.users = 0
        """How many holders share this recorder (see `Events.record_native`)."""

    def watch(self, bus: EventBus) -> NativeChanges:
        """Record what `bus` reports from now on."""
        self._worker = threading.Thread(target=self._run, name="twilio-native-changes", daemon=True)
        self._worker.start()
        self._unsubscribe = bus.subscribe(self._reported)
        return self

    def wait_handled(self) -> None:
        """Block until every reported event is recorded (durable on the feed)."""
        self._events.join()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._worker is not None:
            self._events.put(None)
            self._worker.join(30.0)
            self._worker = None

    def _reported(self, event: ChatEvent) -> None:
        """In the publishing thread: queue the events this records (quick, no I/O)."""
        if event.kind in NATIVE_KINDS and event.recipient_id is None:
            self._events.put(event)

    def _run(self) -> None:
        while True:
            event = self._events.get()
            try:
                if event is None:
                    return
                if self._after is not None:
                    self._after()
                self.record(event)
            except AdapterError as error:
                _log.warning("recording native change %s failed: %s", event and event.id, error)
            except Exception:
                _log.exception("recording native change %s failed", event and event.id)
            finally:
                self._events.task_done()

    def record(self, event: ChatEvent) -> bool:
        """Put what `event` changed on the feed; whether this call put anything there."""
        context = self._context
        if event.kind not in NATIVE_KINDS or event.actor_id == context.service_user:
            return False
        conversation = context.store.conversations.get_by_thread_id(event.thread_id)
        if conversation is None or conversation.pending_since is not None:
            return False
        actor = context.adapter.directory.identity_for(event.actor_id) if event.actor_id else None
        with changes_by(ChangeOrigin("ACS", actor or event.actor_id)):
            if event.kind is EventKind.THREAD_DELETED:
                return self._deleted(conversation, event)
            if event.kind is EventKind.THREAD_UPDATED:
                return self._renamed(conversation, event.topic)
            recorded = False
            for member in event.participant_ids:
                if event.kind is EventKind.PARTICIPANT_ADDED:
                    recorded = self._added(conversation, member, event) or recorded
                else:
                    recorded = self._removed(conversation, member) or recorded
            return recorded

    def _added(self, conversation: StoredConversation, member: str, event: ChatEvent) -> bool:
        context = self._context
        identity = context.adapter.directory.identity_for(member)
        if identity is None or identity == SERVICE_IDENTITY:
            return False
        store = context.store
        if store.participants.get_by_identity(conversation.sid, identity) is not None:
            return False
        configuration = store.configuration
        try:
            store.participants.insert(
                sid=new_sid("MB"),
                conversation_sid=conversation.sid,
                identity=identity,
                acs_user_id=member,
                role_sid=default_role_sid(configuration, conversation.scope, CONVERSATION_ROLE),
                created_at=event.time,
            )
        except Conflict:
            return False  # recorded by another process first
        if store.users.get_by_identity(conversation.scope, identity) is None:
            with contextlib.suppress(Conflict):  # created meanwhile elsewhere
                store.users.insert(
                    sid=new_sid("US"),
                    scope=conversation.scope,
                    identity=identity,
                    role_sid=default_role_sid(configuration, conversation.scope, SERVICE_ROLE),
                )
        return True

    def _removed(self, conversation: StoredConversation, member: str) -> bool:
        participants = self._context.store.participants
        row = participants.get_by_acs_user_id(conversation.sid, member)
        return row is not None and participants.delete(row.sid)

    def _renamed(self, conversation: StoredConversation, topic: str | None) -> bool:
        """The ACS topic mirrors the friendly name (else the unique name, else the SID)."""
        shown = conversation.friendly_name or conversation.unique_name or conversation.sid
        if not topic or topic == shown:
            return False
        return self._context.store.conversations.rename_if(
            conversation.sid, topic, expected=conversation.friendly_name
        )

    def _deleted(self, conversation: StoredConversation, event: ChatEvent) -> bool:
        return self._context.store.changes.append(
            "conversation.removed",
            conversation.sid,
            conversation_sid=conversation.sid,
            scope=conversation.scope,
            data={"thread_id": event.thread_id, "native": True},
            key=event.id,
        )
