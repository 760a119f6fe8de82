"""The seam between the chat backend and Event Grid delivery.

The chat backend publishes each ACS chat event (acs.md section 8 shapes) through an `EventSink`;
`eventgrid.py` wraps them in the Event Grid envelope and delivers them to subscribers.
"""

from __future__ import annotations

from typing import Any, Protocol


class EventSink(Protocol):
    @property
    def listening(self) -> bool:
        """Whether any subscriber may take an event: a backend builds none otherwise."""

    def publish(self, event_type: str, subject: str, data: dict[str, Any]) -> None:
        """Queue one event; `event_type` is the full name, e.g.
        `Microsoft.Communication.ChatMessageReceivedInThread`. Must not block."""


class NullSink:
    """Drops every event: used when no Event Grid subscription is configured."""

    @property
    def listening(self) -> bool:
        return False

    def publish(self, event_type: str, subject: str, data: dict[str, Any]) -> None:
        return None
