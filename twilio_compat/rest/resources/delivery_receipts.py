"""``/Conversations/CH.../Messages/IM.../Receipts``: where a message stands with each SMS or
WhatsApp participant (chat participants have no receipts, as on Twilio).

The message must exist, so a missing one answers 20404 as on Twilio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.rest.resources import paging

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def list_(core: Core, call: Call) -> Result:
    message = core.messages.get(
        call.service, call.path["conversation_sid"], call.path["message_sid"]
    )
    receipts = core.channels.receipts(call.service, message)
    return paging.list_body(
        call,
        "delivery_receipts",
        receipts,
        lambda item: wire.delivery_receipt(call.scope, item),
        next_position=None,
    )


def fetch(core: Core, call: Call) -> Result:
    message = core.messages.get(
        call.service, call.path["conversation_sid"], call.path["message_sid"]
    )
    item = core.channels.receipt(call.service, message, call.path["sid"])
    return 200, wire.delivery_receipt(call.scope, item)


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation.message.delivery_receipt", "list"): list_,
    ("conversation.message.delivery_receipt", "fetch"): fetch,
}
