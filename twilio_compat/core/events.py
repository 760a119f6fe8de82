"""`Events`: where the client face and the webhooks plug into what happens in conversations.

Outward, the core calls one set of write hooks around every write (the webhooks install
theirs), and every write lands on the store's change feed, which any process can follow.
Inward, ACS changes arrive as chat events: from Event Grid, or from a poller acting as one ACS
user with a durable cursor in the store; what ACS-native apps change in membership, topics and
threads is put on the change feed from them (`record_native`). Consumers also need to tell the
shim's own edits and deletions from an ACS-native client's, and a conversation's own webhooks.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from acs_adapter.events import (
    DEFAULT_MAX_AGE,
    AcsConfirmation,
    ChatEventPoller,
    EntraWebhookAuth,
    EntraWebhookSettings,
    EventBus,
    EventGridReceiver,
)
from acs_adapter.events.entra_auth import EVENT_GRID_APP_IDS, PUBLIC_AUTHORITY
from acs_adapter.store import Change, ChangeTailer
from acs_adapter.store.tailer import DEFAULT_POLL_INTERVAL
from twilio_compat.core._context import Context
from twilio_compat.core.hooks import WriteHooks
from twilio_compat.core.indexing import NativeIndexer
from twilio_compat.core.ingestion import Ingestion, lease_seconds
from twilio_compat.core.leases import Lease
from twilio_compat.core.native_changes import NativeChanges
from twilio_compat.core.timer_job import INTERVAL as TIMER_INTERVAL
from twilio_compat.core.timer_job import TimerJob

if TYPE_CHECKING:
    from acs_adapter.events.channels import ChannelEvent
    from acs_adapter.secret import Secret

TYPING_TTL = timedelta(seconds=10)
"""How long a typing signal stays on the change feed (Twilio's indicator lasts 5 s)."""


class Events:
    """Write hooks, chat-event pollers and the shim's marks of its own writes."""

    def __init__(self, context: Context, indexer: NativeIndexer) -> None:
        self._context = context
        self._indexer = indexer
        self.channel_events: Callable[[ChannelEvent], bool] = _no_channels
        """Where receivers hand SMS and WhatsApp events (the core's channels)."""
        self._native: weakref.WeakKeyDictionary[EventBus, NativeChanges] = (
            weakref.WeakKeyDictionary()
        )
        self._native_lock = threading.Lock()

    def index_from(self, bus: EventBus, *, push: bool) -> Callable[[], None]:
        """Keep the message cache current from what `bus` reports, in the background; `push`:
        the source reports at once (Event Grid), so reads may skip their sync. Returns the
        function that stops it."""
        return self._indexer.watch(bus, push=push)

    def record_native(
        self, bus: EventBus, *, after: Callable[[], None] | None = None
    ) -> NativeChanges:
        """Put the membership, topic and deletion changes ACS-native apps make, as `bus`
        reports them, on the change feed (see `native_changes`); `after` runs before each is
        recorded. One recorder per bus, shared: each holder gives it back with
        `release_native`."""
        with self._native_lock:
            recorder = self._native.get(bus)
            if recorder is None:
                recorder = self._native[bus] = NativeChanges(self._context, after=after)
                recorder.watch(bus)
            recorder.users += 1
            return recorder

    def release_native(self, bus: EventBus) -> None:
        """Give back one hold of `bus`'s recorder; the last one stops it."""
        with self._native_lock:
            recorder = self._native.get(bus)
            if recorder is None:
                return
            recorder.users -= 1
            if recorder.users > 0:
                return
            del self._native[bus]
        recorder.close()

    def install_hooks(self, hooks: WriteHooks) -> None:
        """Make the core call `hooks` around every write from now on."""
        self._context.hooks = hooks

    def remove_hooks(self, hooks: WriteHooks) -> None:
        """Stop calling `hooks` (if they are the installed ones); writes then call none."""
        if self._context.hooks is hooks:
            self._context.hooks = WriteHooks()

    def poller(
        self, bus: EventBus, acs_user: str, *, interval: float, consumer: str
    ) -> ChatEventPoller:
        """A poller (not started) publishing on `bus` what `acs_user` sees change in ACS.

        Its cursor is kept in the store under `consumer`, so a restart resumes where it was.
        """
        adapter = self._context.adapter
        return ChatEventPoller(
            adapter.chat, adapter.store.cursors, bus, acs_user, interval=interval, consumer=consumer
        )

    def ingestion(
        self,
        bus: EventBus,
        *,
        interval: float,
        consumer: str,
        settle: Callable[[], None] | None = None,
    ) -> Ingestion:
        """The deployment's one ACS poller (not started): in whichever process holds the
        account's ingestion lease, the service user's poller publishes on `bus` what changed in
        ACS; in the others it waits to take over. `settle` blocks until the subscribers have
        made what a poll published durable, before its cursor moves on (so a holder killed
        after a poll loses nothing)."""
        adapter = self._context.adapter
        poller = ChatEventPoller(
            adapter.chat,
            adapter.store.cursors,
            bus,
            self._context.service_user,
            interval=interval,
            consumer=consumer,
            settle=settle,
        )
        name = f"ingestion:{self._context.account_sid}:{consumer}"
        return Ingestion(
            poller, Lease(self, name, seconds=lease_seconds(interval)), interval=interval
        )

    def timer_job(self, *, interval: float = TIMER_INTERVAL) -> TimerJob:
        """The deployment's one timer job (not started): whichever process holds the account's
        timers lease moves conversations whose timers fired, every `interval` seconds, so
        their state webhooks post when the timer fires rather than at the next read."""
        name = f"timers:{self._context.account_sid}"
        return TimerJob(
            self._context, Lease(self, name, seconds=lease_seconds(interval)), interval=interval
        )

    def eventgrid_receiver(
        self,
        bus: EventBus,
        secret: str | Secret | None,
        *,
        entra: tuple[str, str] | None = None,
        allowed_apps: frozenset[str] | None = EVENT_GRID_APP_IDS,
        channels: Callable[[ChannelEvent], bool] | None = None,
    ) -> EventGridReceiver:
        """The ASGI app that takes Event Grid's ACS chat events (checked by `secret`, or by
        Entra ID tokens of `entra`'s (tenant id, audience) from the calling apps
        `allowed_apps`, None for any) to `bus`: only those ACS confirms
        to the service user, each once across restarts and processes sharing the store.
        SMS and WhatsApp events go to `channels` (the core's channels when not given)."""
        context = self._context
        auth = None
        if entra is not None:
            settings = context.adapter.settings
            auth = EntraWebhookAuth(
                EntraWebhookSettings(
                    tenant_id=entra[0],
                    audience=entra[1],
                    authority=settings.authority_host or PUBLIC_AUTHORITY,
                    ca_bundle=str(settings.ca_bundle) if settings.ca_bundle else None,
                    allowed_apps=allowed_apps,
                )
            )
        return EventGridReceiver(
            bus,
            secret,
            max_age=DEFAULT_MAX_AGE,
            receipts=context.store.receipts,
            confirm=AcsConfirmation(context.service_chat(), max_age=DEFAULT_MAX_AGE),
            entra=auth,
            channels=channels or self.channel_events,
        )

    def channel_receiver(self, secret: str) -> EventGridReceiver:
        """An Event Grid receiver (checked by `secret`) for SMS and WhatsApp events only, which
        it hands to the core's channels: the embedded emulator's subscription."""
        return EventGridReceiver(
            EventBus(),
            secret,
            max_age=DEFAULT_MAX_AGE,
            receipts=self._context.store.receipts,
            channels=lambda event: self.channel_events(event),
        )

    def follow(
        self,
        deliver: Callable[[list[Change]], None],
        *,
        cursor: str | None = None,
        start: int | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        retention: timedelta | None = None,
        name: str = "change-feed",
    ) -> ChangeTailer:
        """A tailer (not started) handing `deliver` every change to Twilio state, in order.

        With `cursor`, its position is kept in the store under that name (a consumer that
        must not miss a change across restarts); with `start`, it starts after that change;
        with neither, at the newest change. It trims changes older than `retention`
        (default: the adapter's ``TWILIO_COMPAT_CHANGE_RETENTION``).
        """
        return ChangeTailer(
            self._context.store,
            deliver,
            cursor=cursor,
            start=start,
            poll_interval=poll_interval,
            retention=retention or self._context.adapter.settings.change_retention,
            name=name,
        )

    def signal_typing(self, conversation_sid: str, identity: str) -> None:
        """Put `identity` typing in a conversation on the change feed, for a short while."""
        self._context.store.changes.signal(
            "typing", identity, ttl=TYPING_TTL, conversation_sid=conversation_sid
        )

    def record_post_event(
        self,
        event_type: str,
        conversation_sid: str | None,
        webhooks: list[dict[str, Any]],
        *,
        key: str | None = None,
    ) -> bool:
        """Put post-event webhooks (each ``{"url", "method", "params"}``) on the change feed
        for the one process holding the account's posting lease to post. With `key` (an ACS event's
        id), only the first process to report that event records it: False for the others.
        """
        return self._context.store.changes.append(
            "post_event",
            event_type,
            scope=self._context.account_sid,
            conversation_sid=conversation_sid,
            data={"webhooks": webhooks},
            key=key,
        )

    def latest_change(self) -> int:
        """The id of the newest change on the feed (0 when it is empty)."""
        return self._context.store.changes.latest_id()

    def cursor_position(self, name: str) -> int:
        """Where the consumer `name` has read the feed up to (0 if it never read it)."""
        saved = self._context.store.cursors.get(name)
        return int(saved.value) if saved is not None and saved.value.isdigit() else 0

    def save_cursor(self, name: str, change_id: int) -> None:
        """Keep that the consumer `name` has handled the feed up to `change_id`."""
        self._context.store.cursors.put(name, str(change_id))

    def lease_value(self, name: str) -> str | None:
        """The value of a lease kept among the cursors (None if nobody took it yet)."""
        saved = self._context.store.cursors.get(name)
        return None if saved is None else saved.value

    def swap_lease(self, name: str, expected: str | None, value: str) -> bool:
        """Set a lease to `value` only if it is still `expected`: True if this call won."""
        return self._context.store.cursors.compare_and_set(name, expected, value)

    def forget_cursor(self, poller: ChatEventPoller) -> None:
        """Drop a stopped poller's cursor (for consumers that never resume, like a client)."""
        self._context.store.cursors.delete(poller.cursor_name)

    def made_by_shim(self, thread_id: str, acs_message_id: str, action: str) -> bool:
        """Whether this ACS message edit or deletion (`action`) was made through the shim."""
        return self._context.shim_writes.made_by_shim(thread_id, acs_message_id, action)

    def conversation_webhooks(
        self, conversation_sid: str, *, limit: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """(target, configuration) of a conversation's own webhooks, oldest first."""
        rows = self._context.store.webhooks.list(conversation_sid, limit=limit)
        return [(row.target, dict(json.loads(row.config))) for row in rows]


def _no_channels(event: ChannelEvent) -> bool:
    return False
