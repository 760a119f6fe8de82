"""``/ParticipantConversations``: the conversations an identity or an SMS/WhatsApp address
takes part in.

Both lists page by keyset: an identity's in conversation order (creation time, then SID), an
address's in the order its participants were added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import ADDRESS_MAX, IDENTITY_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core, records
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def conversation_position(item: records.UserConversation) -> paging.Position:
    """Where an identity's view of a conversation sits in its list: the conversation's place."""
    return item.conversation.date_created, item.conversation.sid


def _participant_position(item: records.UserConversation) -> paging.Position:
    return item.participant.date_created, item.participant.sid


def list_(core: Core, call: Call) -> Result:
    form = call.form
    address = form.text("Address", max_length=ADDRESS_MAX)
    identity = form.text("Identity", max_length=IDENTITY_MAX)
    if not identity:
        if not address:
            raise errors.invalid("Missing required parameter Identity or Address")
        return paging.keyset_list(
            call,
            "conversations",
            lambda position, backwards, limit: core.participants.conversations_of_address(
                call.service, address, position=position, backwards=backwards, limit=limit
            ),
            _participant_position,
            lambda item: wire.participant_conversation(call.scope, item),
            sid_prefix="MB",
            query=[("Address", address)],
        )
    return paging.keyset_list(
        call,
        "conversations",
        lambda position, backwards, limit: core.users.conversations_of(
            call.service, identity, position=position, backwards=backwards, limit=limit
        ),
        conversation_position,
        lambda item: wire.participant_conversation(call.scope, item),
        sid_prefix="CH",
        query=[("Identity", identity)],
    )


HANDLERS: dict[Key, ResourceHandler] = {("participant_conversation", "list"): list_}
