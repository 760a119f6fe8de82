"""``/Conversations``: create, read, update, delete and list conversations."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.core.conversations import ConversationFields
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import CONVERSATION_ATTRIBUTES_MAX, FRIENDLY_NAME_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def conversation_fields(call: Call) -> ConversationFields:
    """The parameters of a create or an update, and of ConversationWithParticipants."""
    form = call.form
    form.reject(
        ("Bindings.Email.Address", "Bindings.Email.Name"),
        "An e-mail binding",
        "ACS Chat has no e-mail channel",
    )
    return ConversationFields(
        friendly_name=form.text("FriendlyName", max_length=FRIENDLY_NAME_MAX),
        unique_name=form.text("UniqueName"),
        attributes=form.json_text(
            "Attributes",
            max_bytes=CONVERSATION_ATTRIBUTES_MAX,
            invalid_code=errors.CONVERSATION_ATTRIBUTES_INVALID,
            too_long_code=errors.CONVERSATION_ATTRIBUTES_TOO_LONG,
        ),
        state=form.text("State"),
        timers_inactive=form.text("Timers.Inactive"),
        timers_closed=form.text("Timers.Closed"),
        messaging_service_sid=form.text("MessagingServiceSid"),
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
    )


def create(core: Core, call: Call) -> Result:
    item = core.conversations.create(call.service, conversation_fields(call))
    return 201, wire.conversation(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    item = core.conversations.get(call.service, call.path["sid"])
    return 200, wire.conversation(call.scope, item)


def update(core: Core, call: Call) -> Result:
    item = core.conversations.update(call.service, call.path["sid"], conversation_fields(call))
    return 200, wire.conversation(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.conversations.delete(call.service, call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    form = call.form
    state = form.choice("State", ("active", "inactive", "closed"))
    start = form.timestamp("StartDate")
    end = form.timestamp("EndDate")
    end_text = form.text("EndDate") or ""
    if end is not None and "T" not in end_text:
        end += timedelta(days=1)  # a bare date includes the whole day, as on Twilio
    query = [(n, v) for n in ("StartDate", "EndDate", "State") for v in form.many(n)]
    return paging.keyset_list(
        call,
        "conversations",
        lambda position, backwards, limit: core.conversations.page(
            call.service,
            state=state,
            start_date=start,
            end_date=end,
            position=position,
            backwards=backwards,
            limit=limit,
        ),
        lambda item: (item.date_created, item.sid),
        lambda item: wire.conversation(call.scope, item),
        sid_prefix="CH",
        query=query,
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation", "create"): create,
    ("conversation", "fetch"): fetch,
    ("conversation", "update"): update,
    ("conversation", "delete"): delete,
    ("conversation", "list"): list_,
}
