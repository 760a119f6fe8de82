"""`Channels`: SMS and WhatsApp participants bridged to ACS SMS and Advanced Messaging.

Everything a channel does outside the store happens once per deployment, in the process
holding the channels' lease (`core.leased_feed`), as a consumer of the change feed:
- a message added to a conversation (through either face, or by an ACS-native client) is sent
  to its SMS and WhatsApp participants (`outbound`);
- what the channels report through Event Grid (a customer's message, a delivery report) enters
  the feed once, keyed by the channel's message id, in whichever process Event Grid reached,
  and becomes a Twilio message or receipt (`inbound`).

The follower runs only where it is needed: from the start in a process whose store already
has a non-chat participant, else from the first one added or the first channel event.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from acs_adapter.errors import AdapterError, Throttled, Unavailable
from acs_adapter.events.channels import (
    ChannelEvent,
    DeliveryReport,
    InboundMedia,
    InboundMessage,
)
from twilio_compat.core import errors, records
from twilio_compat.core.adapter_types import Change
from twilio_compat.core.channels.inbound import Inbound
from twilio_compat.core.channels.outbound import FanOut
from twilio_compat.core.leased_feed import LeasedFollower
from twilio_compat.core.receipts import to_receipt

if TYPE_CHECKING:
    from twilio_compat.core._context import Context
    from twilio_compat.core.channels.auto_creation import AutoCreation
    from twilio_compat.core.events import Events
    from twilio_compat.core.media import MediaLibrary
    from twilio_compat.core.messages import Messages
    from twilio_compat.core.participants import Participants

logger = logging.getLogger("twilio_compat.channels")

RECEIVED = "channel.received"
REPORTED = "channel.reported"
MESSAGE_ADDED = "message.added"
DRAIN_SECONDS = 10.0
"""How long closing waits for the fan-out of what was written before (a script that sends
and exits still texts its SMS participants)."""


class Channels:
    """Fan-out, inbound messages and delivery receipts of SMS and WhatsApp participants."""

    def __init__(
        self,
        context: Context,
        events: Events,
        messages: Messages,
        participants: Participants,
        media: MediaLibrary,
        auto_creation: AutoCreation,
    ) -> None:
        self._context = context
        self._messages = messages
        self._fan_out = FanOut(context, media, participants.numbers, messages.content)
        self._inbound = Inbound(context, messages, participants, media, auto_creation)
        self._follower = LeasedFollower(
            events,
            lease="channels:lease",
            cursor="channels:feed",
            wanted=lambda change: change.kind in (MESSAGE_ADDED, RECEIVED, REPORTED),
            handle=self._handle,
            name="twilio-channels",
        )
        self._started = False
        self._lock = threading.Lock()

    # -- running ----------------------------------------------------------------------------

    def start_if_used(self) -> None:
        """Start the follower when the store has any SMS or WhatsApp participant."""
        if self._context.store.participants.any_non_chat():
            self.start()

    def start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                self._follower.start()

    def caught_up(self, timeout: float = 30.0) -> bool:
        """Block until every change on the feed now, this process's own sends included, was
        handled (by whichever process holds the lease); False on timeout."""
        self._context.store.messages.settle()
        return self._follower.caught_up(timeout)

    def close(self) -> None:
        """Finish what this process holds the lease for (bounded), then stop."""
        with self._lock:
            started, self._started = self._started, False
        if not started:
            return
        if self._follower.holding:
            self.caught_up(DRAIN_SECONDS)
        self._follower.stop()

    # -- what the event source hands over -----------------------------------------------------

    def ingest(self, event: ChannelEvent) -> bool:
        """Put a channel's event on the feed, once however often it is delivered; whether it
        was new."""
        kind = RECEIVED if isinstance(event, InboundMessage) else REPORTED
        detail = event.status if isinstance(event, DeliveryReport) else ""
        key = f"{kind}:{event.channel}:{event.message_id}:{detail}"
        added = self._context.store.changes.append(
            kind, event.message_id[:256], data=_event_data(event), key=key[:256]
        )
        self.start()
        self._follower.nudge()
        return added

    # -- receipts -----------------------------------------------------------------------------

    def receipts(self, service_sid: str, message: records.Message) -> list[records.DeliveryReceipt]:
        rows = self._context.store.deliveries.for_messages([message.sid]).get(message.sid, [])
        return [to_receipt(row, service_sid) for row in rows]

    def receipt(
        self, service_sid: str, message: records.Message, sid: str
    ) -> records.DeliveryReceipt:
        for receipt in self.receipts(service_sid, message):
            if receipt.sid == sid:
                return receipt
        raise errors.ResourceNotFound(
            f"/Conversations/{message.conversation_sid}/Messages/{message.sid}/Receipts/{sid}"
        )

    # -- the job --------------------------------------------------------------------------------

    def _handle(self, change: Change) -> None:
        """Do what one change asks. ACS out of reach or throttling raises, so the change is
        tried again; any other failure is logged and the job goes on (one bad change must not
        hold up every later one)."""
        try:
            if change.kind == MESSAGE_ADDED:
                self._send(change)
            elif change.kind == RECEIVED:
                event = _inbound(change.data)
                if event is not None:
                    self._inbound.receive(event)
            else:
                report = _report(change.data)
                if report is not None:
                    self._inbound.report(report)
        except (Unavailable, Throttled):
            raise
        except (AdapterError, errors.TwilioApiError) as error:
            logger.warning(
                "change %s (%s) could not be carried out: %s", change.id, change.kind, error
            )

    def _send(self, change: Change) -> None:
        store = self._context.store
        conversation_sid = change.conversation_sid
        if not conversation_sid or not store.participants.list_non_chat(conversation_sid):
            return
        conversation = store.conversations.get(conversation_sid)
        if conversation is None:
            return
        try:
            message = self._messages.get(conversation.scope, conversation_sid, change.subject)
        except errors.TwilioApiError:
            return  # removed since
        self._fan_out.send(message, self._fan_out.recipients(message, change.created_at))


def _event_data(event: ChannelEvent) -> dict[str, Any]:
    data = dataclasses.asdict(event)
    data["time"] = event.time.isoformat()
    return data


def _inbound(data: Mapping[str, Any]) -> InboundMessage | None:
    try:
        media = data.get("media")
        return InboundMessage(
            event_id=str(data["event_id"]),
            channel=data["channel"],
            message_id=str(data["message_id"]),
            sender=str(data["sender"]),
            recipient=str(data["recipient"]),
            body=data.get("body"),
            time=datetime.fromisoformat(str(data["time"])),
            media=InboundMedia(**media) if isinstance(media, dict) else None,
        )
    except (KeyError, TypeError, ValueError):
        logger.warning("ignoring a malformed channel change")
        return None


def _report(data: Mapping[str, Any]) -> DeliveryReport | None:
    try:
        return DeliveryReport(**{**data, "time": datetime.fromisoformat(str(data["time"]))})
    except (KeyError, TypeError, ValueError):
        logger.warning("ignoring a malformed channel change")
        return None
