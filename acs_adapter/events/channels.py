"""ACS SMS and Advanced Messaging (WhatsApp) events as Event Grid delivers them.

Four event types matter to a shim bridging SMS and WhatsApp: an inbound SMS, an inbound
WhatsApp message, an SMS delivery report and a WhatsApp delivery status. Their payloads
disagree with their own schemas (PascalCase keys in SMS examples, `receivedTimeStamp` in the
TypeSpec, statuses in either case, numbers with or without `+`), so keys are read without
regard to case and numbers are normalised to E.164 here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from acs_adapter.events._times import parse_time

PREFIX = "Microsoft.Communication."
SMS_RECEIVED = PREFIX + "SMSReceived"
SMS_DELIVERY_REPORT = PREFIX + "SMSDeliveryReportReceived"
WHATSAPP_RECEIVED = PREFIX + "AdvancedMessageReceived"
WHATSAPP_STATUS = PREFIX + "AdvancedMessageDeliveryStatusUpdated"
CHANNEL_EVENT_TYPES = frozenset(
    {SMS_RECEIVED, SMS_DELIVERY_REPORT, WHATSAPP_RECEIVED, WHATSAPP_STATUS}
)

Channel = Literal["sms", "whatsapp"]

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_BODY_MAX = 64 * 1024
"""Longer bodies are cut: no channel carries more (SMS 2,048, WhatsApp 4,096 characters)."""


@dataclass(frozen=True)
class InboundMedia:
    """A WhatsApp attachment, fetched with the Advanced Messaging SDK's `download_media`."""

    media_id: str
    content_type: str
    filename: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A text (or media) a customer sent to one of the resource's numbers or channels.

    `sender` is the customer's E.164 number; `recipient` is the resource's number (SMS, E.164)
    or the WhatsApp channel registration id.
    """

    event_id: str
    channel: Channel
    message_id: str
    sender: str
    recipient: str
    body: str | None
    time: datetime
    media: InboundMedia | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """What became of one outbound message: `status` is lowercase (`sent`, `delivered`,
    `read`, `failed`, or what else the service reports); `error_code` is the channel's code
    (WhatsApp) when it gave one."""

    event_id: str
    channel: Channel
    message_id: str
    status: str
    time: datetime
    recipient: str | None = None
    detail: str | None = None
    error_code: str | None = None
    tag: str | None = None


ChannelEvent = InboundMessage | DeliveryReport


def is_channel_event_type(event_type: str) -> bool:
    return event_type in CHANNEL_EVENT_TYPES


def channel_event(
    event_type: str, event_id: str, data: Any, event_time: datetime
) -> ChannelEvent | None:
    """The event one Event Grid event describes, or None when it is not one of the four
    types or lacks what it must carry (a message id, a number)."""
    if not isinstance(data, Mapping) or not is_channel_event_type(event_type):
        return None
    fields = _Fields(data)
    message_id = fields.text("messageId")
    if not message_id:
        if event_type != WHATSAPP_RECEIVED:
            return None
        message_id = event_id  # inbound WhatsApp events name their message only since 2025
    moment = parse_time(fields.raw("receivedTimestamp")) or event_time
    if event_type == SMS_RECEIVED:
        sender, recipient = e164(fields.text("from")), e164(fields.text("to"))
        if sender is None or recipient is None:
            return None
        text = fields.text("message", empty=True) or ""
        return InboundMessage(
            event_id, "sms", message_id, sender, recipient, text[:_BODY_MAX], moment
        )
    if event_type == WHATSAPP_RECEIVED:
        sender, channel_id = e164(fields.text("from")), fields.text("to")
        if sender is None or not channel_id:
            return None
        if (fields.text("messageType") or "").lower() == "reaction":
            return None  # a reaction to a message: Twilio Conversations has no such message
        media = _media(fields.mapping("media"))
        body = fields.text("content", empty=True)
        if body is None and media is not None:
            body = media.caption
        if body is None:
            body = _reply_text(fields)
        return InboundMessage(
            event_id,
            "whatsapp",
            message_id,
            sender,
            channel_id.lower(),
            body[:_BODY_MAX] if body is not None else None,
            moment,
            media,
        )
    if event_type == SMS_DELIVERY_REPORT:
        status = (fields.text("deliveryStatus") or "").lower()
        return DeliveryReport(
            event_id,
            "sms",
            message_id,
            status or "unknown",
            moment,
            recipient=e164(fields.text("to")),
            detail=fields.text("deliveryStatusDetails"),
            tag=fields.text("tag"),
        )
    error = fields.mapping("error")
    return DeliveryReport(
        event_id,
        "whatsapp",
        message_id,
        (fields.text("status") or "unknown").lower(),
        moment,
        recipient=e164(fields.text("to")),
        detail=error.text("channelMessage") if error else None,
        error_code=error.text("channelCode") if error else None,
    )


def e164(number: str | None) -> str | None:
    """`number` as `+` and digits, or None when it cannot be an E.164 number. Accepts the
    forms ACS uses: with or without `+`, and with spaces, dashes or dots between digits."""
    if not number:
        return None
    compact = re.sub(r"[\s().-]", "", number)
    if not compact.startswith("+"):
        compact = "+" + compact
    return compact if _E164.match(compact) else None


def _reply_text(fields: _Fields) -> str | None:
    """What a customer chose: a template's quick-reply button, or an interactive reply."""
    button = fields.mapping("button")
    if button is not None and button.text("text"):
        return button.text("text")
    interactive = fields.mapping("interactive")
    if interactive is not None:
        for kind in ("buttonReply", "listReply"):
            reply = interactive.mapping(kind)
            if reply is not None and reply.text("title"):
                return reply.text("title")
    return None


def _media(fields: _Fields | None) -> InboundMedia | None:
    if fields is None:
        return None
    media_id = fields.text("id")
    if not media_id:
        return None
    return InboundMedia(
        media_id,
        fields.text("mimeType") or "application/octet-stream",
        fields.text("fileName"),
        fields.text("caption"),
    )


class _Fields:
    """Case-insensitive access to one JSON object's fields."""

    def __init__(self, data: Mapping[Any, Any]) -> None:
        self._data = {str(key).lower(): value for key, value in data.items()}

    def raw(self, key: str) -> Any:
        return self._data.get(key.lower())

    def text(self, key: str, *, empty: bool = False) -> str | None:
        value = self.raw(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or (not value and not empty):
            return None
        return value

    def mapping(self, key: str) -> _Fields | None:
        value = self.raw(key)
        return _Fields(value) if isinstance(value, Mapping) else None
