"""What `twilio-acs serve` runs beside the REST face: Twilio webhooks and their event source.

Writes made through the shim post their webhooks from the core's hooks. Everything else
(messages sent by ACS-native clients, for instance) reaches the webhooks through an event
source: the Event Grid receiver when `ACS_EVENTGRID_SECRET` is set (mounted at `/eventgrid`),
else a poller acting as the account's service user, which is a member of every thread the
shim created.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from acs_adapter.events import (
    SECRET_ENV,
    ChatEventPoller,
    EventBus,
    EventGridReceiver,
    eventgrid_receiver,
)
from twilio_compat.core import Core
from twilio_compat.webhooks.dispatcher import TwilioWebhooks

POLL_INTERVAL_ENV = "TWILIO_COMPAT_POLL_INTERVAL"
DEFAULT_POLL_INTERVAL = 2.0


@dataclass
class EventServices:
    """The webhooks with the one event source that feeds them; `close()` stops both."""

    webhooks: TwilioWebhooks
    bus: EventBus
    receiver: EventGridReceiver | None
    poller: ChatEventPoller | None

    def close(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self.webhooks.close()


def start_event_services(core: Core, *, environ: Mapping[str, str] | None = None) -> EventServices:
    """Install the webhooks on `core` and start the event source the environment asks for."""
    env = os.environ if environ is None else environ
    webhooks = TwilioWebhooks.from_environment(core, environ=env).install()
    bus = EventBus()
    webhooks.listen(bus)
    if env.get(SECRET_ENV, "").strip():
        return EventServices(webhooks, bus, eventgrid_receiver(bus, environ=env), None)
    interval = _interval(env.get(POLL_INTERVAL_ENV))
    context = core.context
    poller = ChatEventPoller(
        context.adapter.chat,
        context.adapter.store.cursors,
        bus,
        context.service_user,
        interval=interval,
        consumer="twilio-acs-serve",
    )
    poller.start()
    return EventServices(webhooks, bus, None, poller)


def _interval(value: str | None) -> float:
    if value is None or not value.strip():
        return DEFAULT_POLL_INTERVAL
    try:
        interval = float(value)
    except ValueError:
        raise ValueError(f"{POLL_INTERVAL_ENV} must be a number of seconds") from None
    if interval <= 0:
        raise ValueError(f"{POLL_INTERVAL_ENV} must be positive")
    return interval
