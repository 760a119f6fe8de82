"""Twilio's delivery receipts and a message's `delivery` summary, from the store's deliveries
(what happens to a message sent to SMS and WhatsApp participants, `core.channels`).

A receipt's `channel_message_sid` names the message on its channel the way Twilio does (`SM...`
for SMS, `WA...` for WhatsApp): derived from the ACS message id, so it is stable. Planned
deliveries not sent yet are `queued`, as the client SDK's `DeliveryStatus` allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from acs_adapter.store.deliveries import Delivery
from twilio_compat.core import records
from twilio_compat.core.hooks import Action, Origin, write_origin
from twilio_compat.sids import stable_sid

if TYPE_CHECKING:
    from twilio_compat.core._context import Context

SOURCES = {"sms": "SMS", "whatsapp": "WHATSAPP"}
"""Webhooks' `Source` for what happens on each channel."""

_CHANNEL_PREFIX = {"sms": "SM", "whatsapp": "WA"}
_REACHED = {
    "sent": ("sent", "delivered", "read"),
    "delivered": ("delivered", "read"),
    "read": ("read",),
    "failed": ("failed",),
    "undelivered": ("undelivered",),
}


def to_receipt(delivery: Delivery, service_sid: str) -> records.DeliveryReceipt:
    channel_sid = None
    if delivery.channel_message_id:
        prefix = _CHANNEL_PREFIX.get(delivery.channel, "SM")
        channel_sid = stable_sid(prefix, delivery.channel, delivery.channel_message_id)
    return records.DeliveryReceipt(
        sid=delivery.sid,
        conversation_sid=delivery.conversation_sid,
        service_sid=service_sid,
        message_sid=delivery.message_sid,
        participant_sid=delivery.participant_sid,
        channel_message_sid=channel_sid,
        status=delivery.status,
        error_code=delivery.error_code,
        date_created=delivery.created_at,
        date_updated=delivery.updated_at,
    )


def summary(deliveries: Sequence[Delivery]) -> records.DeliverySummary | None:
    """The `delivery` of a message with these deliveries; None without non-chat recipients."""
    if not deliveries:
        return None
    total = len(deliveries)

    def amount(status: str) -> str:
        count = sum(1 for d in deliveries if d.status in _REACHED[status])
        return "all" if count == total else "some" if count else "none"

    return records.DeliverySummary(
        total=total,
        sent=amount("sent"),
        delivered=amount("delivered"),
        read=amount("read"),
        failed=amount("failed"),
        undelivered=amount("undelivered"),
    )


def delivery_summaries(
    context: Context, message_sids: Sequence[str]
) -> dict[str, records.DeliverySummary]:
    """The `delivery` of each of these messages that has SMS or WhatsApp recipients."""
    found = context.store.deliveries.for_messages(message_sids)
    return {sid: s for sid, rows in found.items() if (s := summary(rows)) is not None}


def announce(context: Context, delivery: Delivery | None) -> None:
    """Post onDeliveryUpdated for a delivery that just changed status (None: it did not)."""
    if delivery is None:
        return
    conversation = context.store.conversations.get(delivery.conversation_sid)
    if conversation is None:
        return
    receipt = to_receipt(delivery, conversation.scope)
    with write_origin(Origin(SOURCES.get(delivery.channel, "API"), None, True)):
        context.hooks.after(
            Action("onDeliveryUpdated", conversation.scope, conversation.sid, receipt)
        )
