"""``/ParticipantConversations``: the conversations an identity or an SMS/WhatsApp address
takes part in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import ADDRESS_MAX, IDENTITY_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def list_(core: Core, call: Call) -> Result:
    form = call.form
    address = form.text("Address", max_length=ADDRESS_MAX)
    identity = form.text("Identity", max_length=IDENTITY_MAX)
    if not identity:
        if not address:
            raise errors.invalid("Missing required parameter Identity or Address")
        return paging.offset_list(
            call,
            "conversations",
            lambda offset, limit: core.participants.conversations_of_address(
                call.service, address, offset=offset, limit=limit
            ),
            lambda item: wire.participant_conversation(call.scope, item),
            [("Address", address)],
        )
    return paging.offset_list(
        call,
        "conversations",
        lambda offset, limit: core.users.conversations_of(
            call.service, identity, offset=offset, limit=limit
        ),
        lambda item: wire.participant_conversation(call.scope, item),
        [("Identity", identity)],
    )


HANDLERS: dict[Key, ResourceHandler] = {("participant_conversation", "list"): list_}
