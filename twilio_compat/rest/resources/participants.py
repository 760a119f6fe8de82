"""``/Conversations/CH.../Participants``: chat and SMS/WhatsApp participants of a conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import (
    ADDRESS_MAX,
    IDENTITY_MAX,
    PARTICIPANT_ATTRIBUTES_MAX,
)

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _fields(call: Call) -> ParticipantFields:
    form = call.form
    return ParticipantFields(
        messaging_binding_address=form.text("MessagingBinding.Address", max_length=ADDRESS_MAX),
        messaging_binding_proxy_address=form.text(
            "MessagingBinding.ProxyAddress", max_length=ADDRESS_MAX
        ),
        messaging_binding_projected_address=form.text(
            "MessagingBinding.ProjectedAddress", max_length=ADDRESS_MAX
        ),
        identity=form.text("Identity", max_length=IDENTITY_MAX),
        attributes=form.json_text("Attributes", max_bytes=PARTICIPANT_ATTRIBUTES_MAX),
        role_sid=form.text("RoleSid"),
        last_read_message_index=form.integer("LastReadMessageIndex", minimum=0),
        last_read_timestamp=form.timestamp("LastReadTimestamp"),
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
    )


def create(core: Core, call: Call) -> Result:
    fields = _fields(call)
    if not fields.identity and not fields.non_chat:
        raise errors.invalid("Missing required parameter Identity or MessagingBinding.Address")
    item = core.participants.create(call.service, call.path["conversation_sid"], fields)
    return 201, wire.participant(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    item = core.participants.get(call.service, call.path["conversation_sid"], call.path["sid"])
    return 200, wire.participant(call.scope, item)


def update(core: Core, call: Call) -> Result:
    fields = _fields(call)
    item = core.participants.update(
        call.service, call.path["conversation_sid"], call.path["sid"], fields
    )
    return 200, wire.participant(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.participants.delete(call.service, call.path["conversation_sid"], call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    return paging.offset_list(
        call,
        "participants",
        lambda offset, limit: core.participants.page(
            call.service, call.path["conversation_sid"], offset=offset, limit=limit
        ),
        lambda item: wire.participant(call.scope, item),
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation.participant", "create"): create,
    ("conversation.participant", "fetch"): fetch,
    ("conversation.participant", "update"): update,
    ("conversation.participant", "delete"): delete,
    ("conversation.participant", "list"): list_,
}
