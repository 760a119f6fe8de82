"""What `twilio-acs serve` runs beside the REST face: Twilio webhooks and their event source.

Writes made through the shim post their webhooks from the core's hooks. Everything else
(messages sent by ACS-native clients, for instance) reaches the webhooks through an event
source: the Event Grid receiver when `ACS_EVENTGRID_SECRET` (or its Entra ID tenant and
audience) is set (mounted at `/eventgrid`),
else a poller acting as the account's service user, which is a member of every thread the
shim created. Of several replicas sharing a store, only the one holding the ingestion lease
polls (`twilio_compat.core.ingestion`); the others take over if it stops. The same source
feeds the core's indexer, which keeps the message cache current in the background
(`twilio_compat.core.indexing`), and puts the membership and topic changes ACS-native apps
make on the change feed (`twilio_compat.core.native_changes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from twilio_compat.core import Core
from twilio_compat.core.adapter_types import ChatEventPoller, EventBus, EventGridReceiver
from twilio_compat.core.ingestion import Ingestion
from twilio_compat.core.timer_job import TimerJob
from twilio_compat.settings import EventSource, TwilioAccount, WebhookOptions
from twilio_compat.webhooks.dispatcher import TwilioWebhooks


@dataclass
class EventServices:
    """The webhooks with the one event source that feeds them; `close()` stops both."""

    webhooks: TwilioWebhooks
    bus: EventBus
    receiver: EventGridReceiver | None
    ingestion: Ingestion | None
    stop_indexing: Callable[[], None] = lambda: None
    stop_native: Callable[[], None] = lambda: None
    timers: TimerJob | None = None

    @property
    def poller(self) -> ChatEventPoller | None:
        """The poller this process runs while it holds the ingestion lease."""
        return None if self.ingestion is None else self.ingestion.poller

    def close(self) -> None:
        if self.timers is not None:
            self.timers.stop()
        if self.ingestion is not None:
            self.ingestion.stop()
        self.stop_indexing()
        self.stop_native()
        self.webhooks.close()


def start_event_services(
    core: Core,
    account: TwilioAccount | None = None,
    events: EventSource | None = None,
    *,
    webhook_options: WebhookOptions | None = None,
    environ: Mapping[str, str] | None = None,
) -> EventServices:
    """Install the webhooks on `core` (signed with `account`'s auth token, sent where
    `webhook_options` allow) and start the event source `events` asks for; what is not given
    is loaded from `environ` (default: the process environment)."""
    account = account or TwilioAccount.load(environ)
    events = events or EventSource.load(environ)
    options = webhook_options or WebhookOptions.load(environ)
    webhooks = TwilioWebhooks.for_account(core, account, options).install()
    bus = EventBus()
    webhooks.listen(bus)
    # Native messages are indexed as they are reported, not on the next read.
    stop_indexing = core.events.index_from(bus, push=events.push)
    # Native membership and topic changes go on the feed, after their webhooks read the rows.
    native = core.events.record_native(bus, after=webhooks.wait_handled)

    def stop_native() -> None:
        core.events.release_native(bus)

    timers = core.events.timer_job().start()  # state webhooks post when timers fire

    if events.push:
        receiver = core.events.eventgrid_receiver(
            bus,
            events.eventgrid_secret,
            entra=events.eventgrid_entra,
            allowed_apps=events.eventgrid_allowed_apps,
        )
        return EventServices(webhooks, bus, receiver, None, stop_indexing, stop_native, timers)

    def settle() -> None:
        webhooks.wait_handled()
        native.wait_handled()

    ingestion = core.events.ingestion(
        bus, interval=events.poll_interval, consumer="twilio-acs-serve", settle=settle
    ).start()
    return EventServices(webhooks, bus, None, ingestion, stop_indexing, stop_native, timers)
