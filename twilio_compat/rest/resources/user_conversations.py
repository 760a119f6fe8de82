"""``/Users/US.../Conversations``: the conversations one user takes part in, and their settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.participant_conversations import conversation_position

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def list_(core: Core, call: Call) -> Result:
    return paging.keyset_list(
        call,
        "conversations",
        lambda position, backwards, limit: core.users.user_conversations(
            call.service,
            call.path["user_sid"],
            position=position,
            backwards=backwards,
            limit=limit,
        ),
        conversation_position,
        lambda item: wire.user_conversation(call.scope, item),
        sid_prefix="CH",
    )


def fetch(core: Core, call: Call) -> Result:
    item = core.users.user_conversation(
        call.service, call.path["user_sid"], call.path["conversation_sid"]
    )
    return 200, wire.user_conversation(call.scope, item)


def update(core: Core, call: Call) -> Result:
    form = call.form
    item = core.users.update_user_conversation(
        call.service,
        call.path["user_sid"],
        call.path["conversation_sid"],
        notification_level=form.choice("NotificationLevel", ("default", "muted")),
        read=ParticipantFields(
            last_read_message_index=form.integer("LastReadMessageIndex", minimum=0),
            last_read_timestamp=form.timestamp("LastReadTimestamp"),
        ),
    )
    return 200, wire.user_conversation(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    """The user leaves the conversation."""
    core.users.leave(call.service, call.path["user_sid"], call.path["conversation_sid"])
    return 204, None


HANDLERS: dict[Key, ResourceHandler] = {
    ("user.user_conversation", "list"): list_,
    ("user.user_conversation", "fetch"): fetch,
    ("user.user_conversation", "update"): update,
    ("user.user_conversation", "delete"): delete,
}
