"""``/Conversations/CH.../Messages/IM.../Receipts``: always empty, as ACS Chat has no receipts.

The message must still exist, so a missing one answers 20404 as on Twilio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat.core import errors
from twilio_compat.rest.resources import paging

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def list_(core: Core, call: Call) -> Result:
    core.messages.get(call.service, call.path["conversation_sid"], call.path["message_sid"])
    return paging.list_body(call, "delivery_receipts", [], lambda item: item, next_position=None)


def fetch(core: Core, call: Call) -> Result:
    core.messages.get(call.service, call.path["conversation_sid"], call.path["message_sid"])
    raise errors.ResourceNotFound(call.path["sid"])


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation.message.delivery_receipt", "list"): list_,
    ("conversation.message.delivery_receipt", "fetch"): fetch,
}
