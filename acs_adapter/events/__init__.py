"""Chat events from ACS, neutral and deduplicated: Event Grid push or polling.

Both sources publish the same `ChatEvent`s on an `EventBus`; subscribers (the Twilio
webhooks, the client face) do not know which source saw the activity. Mount an
`EventGridReceiver` (`eventgrid_receiver()` builds one from the environment) where Event Grid
can reach it; run a `ChatEventPoller` where it cannot.
"""

from typing import TYPE_CHECKING

from acs_adapter._lazy import lazy_exports
from acs_adapter.events._model import ChatEvent, EventKind
from acs_adapter.events.bus import EventBus

if TYPE_CHECKING:
    from acs_adapter.events.confirmation import AcsConfirmation
    from acs_adapter.events.entra_auth import EntraWebhookAuth, EntraWebhookSettings
    from acs_adapter.events.eventgrid import chat_event
    from acs_adapter.events.polling import ChatEventPoller
    from acs_adapter.events.receiver import (
        DEFAULT_MAX_AGE,
        SECRET_ENV,
        SECRET_HEADER,
        SECRET_QUERY,
        EventGridReceiver,
        eventgrid_receiver,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "acs_adapter.events.confirmation": ("AcsConfirmation",),
        "acs_adapter.events.entra_auth": ("EntraWebhookAuth", "EntraWebhookSettings"),
        "acs_adapter.events.eventgrid": ("chat_event",),
        "acs_adapter.events.polling": ("ChatEventPoller",),
        "acs_adapter.events.receiver": (
            "DEFAULT_MAX_AGE",
            "SECRET_ENV",
            "SECRET_HEADER",
            "SECRET_QUERY",
            "EventGridReceiver",
            "eventgrid_receiver",
        ),
    },
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "SECRET_ENV",
    "SECRET_HEADER",
    "SECRET_QUERY",
    "AcsConfirmation",
    "ChatEvent",
    "ChatEventPoller",
    "EntraWebhookAuth",
    "EntraWebhookSettings",
    "EventBus",
    "EventGridReceiver",
    "EventKind",
    "chat_event",
    "eventgrid_receiver",
]
