"""Inbound: texts and WhatsApp messages from customers, and the channels' delivery reports.

A message from a bound address to its proxy address becomes a Twilio message in the one
non-closed conversation holding that pair, authored by the address, with webhooks' `Source`
`SMS` or `WHATSAPP`. Its SID is derived from the channel's message id, so a report handled
twice (a redelivery, a crash before the feed cursor moved) adds it once. A message to a
configured address that matches no conversation may create one (address configurations);
anything else is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from acs_adapter.errors import Conflict
from acs_adapter.events.channels import DeliveryReport, InboundMessage
from twilio_compat.core import records
from twilio_compat.core.channels.addresses import whatsapp_address
from twilio_compat.core.channels.error_codes import sms_report_error, whatsapp_error
from twilio_compat.core.hooks import Origin, write_origin
from twilio_compat.core.messages import MessageFields
from twilio_compat.core.receipts import SOURCES, announce
from twilio_compat.sids import stable_sid

if TYPE_CHECKING:
    from acs_adapter.store.deliveries import Delivery
    from twilio_compat.core._context import Context
    from twilio_compat.core.channels.auto_creation import AutoCreation
    from twilio_compat.core.media import MediaLibrary
    from twilio_compat.core.messages import Messages
    from twilio_compat.core.participants import Participants

logger = logging.getLogger("twilio_compat.channels")


class Inbound:
    """Turns what the channels report into Twilio messages and receipts."""

    def __init__(
        self,
        context: Context,
        messages: Messages,
        participants: Participants,
        media: MediaLibrary,
        auto_creation: AutoCreation,
    ) -> None:
        self._context = context
        self._messages = messages
        self._participants = participants
        self._auto_creation = auto_creation
        self._media = media
        self._numbers = participants.numbers

    def receive(self, event: InboundMessage) -> records.Message | None:
        """The Twilio message `event` became (None when it matches no conversation)."""
        pair = self._pair(event)
        if pair is None:
            logger.warning(
                "dropped a %s message to %s: not a number this deployment owns",
                event.channel,
                event.recipient,
            )
            return None
        address, proxy = pair
        store = self._context.store
        source = Origin(SOURCES[event.channel], None, True)
        bound = self._participants.bound(address, proxy)
        if bound is not None:
            conversation_sid: str | None = bound.conversation_sid
        else:
            with write_origin(source):
                conversation_sid = self._auto_creation.open(address, proxy)
        if conversation_sid is None:
            logger.warning(
                "dropped a %s message from %s to %s: no open conversation holds the pair "
                "and no address configuration creates one",
                event.channel,
                address,
                proxy,
            )
            return None
        conversation = store.conversations.get(conversation_sid)
        if conversation is None:
            return None
        sid = stable_sid("IM", event.channel, event.message_id)
        if store.messages.get(sid) is not None:
            return None  # handled before
        service_sid = conversation.scope
        media_sids: tuple[str, ...] = ()
        if event.media is not None:
            data = self._context.adapter.whatsapp.download_media(event.media.media_id)
            uploaded = self._media.upload(
                service_sid,
                data,
                content_type=event.media.content_type,
                filename=event.media.filename,
            )
            media_sids = (uploaded.sid,)
        body = event.body or None
        if not body and not media_sids:
            body = " "  # an empty text still arrives, as on Twilio
        with write_origin(source):
            try:
                return self._messages.create(
                    service_sid,
                    conversation.sid,
                    MessageFields(author=address, body=body, media_sids=media_sids),
                    sid=sid,
                )
            except Conflict:
                return None  # added meanwhile by the previous holder of the lease

    def report(self, event: DeliveryReport) -> Delivery | None:
        """The delivery the report moved forward (None: unknown, or old news)."""
        status, error_code = _twilio_status(event)
        if status is None:
            return None
        moved = self._context.store.deliveries.report(
            event.message_id, status, error_code=error_code
        )
        announce(self._context, moved)
        return moved

    def _pair(self, event: InboundMessage) -> tuple[str, str] | None:
        """(address, proxy address) in Twilio's form, or None for a sender nobody owns."""
        if event.channel == "sms":
            owned = self._numbers.get(event.recipient)
            return (event.sender, event.recipient) if owned is not None else None
        proxy = self._numbers.whatsapp_proxy(event.recipient)
        return None if proxy is None else (whatsapp_address(event.sender), proxy)


def _twilio_status(event: DeliveryReport) -> tuple[str | None, int]:
    """Twilio's receipt status and error code for a channel's report (None: not a status
    Twilio receipts show)."""
    if event.channel == "sms":
        if event.status == "delivered":
            return "delivered", 0
        if event.status == "failed":
            return "undelivered", sms_report_error(event.detail)
        return None, 0
    if event.status in ("sent", "delivered", "read"):
        return event.status, 0
    if event.status == "failed":
        return "failed", whatsapp_error(event.error_code)
    return None, 0
