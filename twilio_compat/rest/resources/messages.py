"""``/Conversations/CH.../Messages``: messages of one conversation, paged by index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.core.messages import MessageFields
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import (
    IDENTITY_MAX,
    MESSAGE_ATTRIBUTES_MAX,
    MESSAGE_BODY_MAX,
)

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _fields(call: Call, *, creating: bool) -> MessageFields:
    form = call.form
    if not creating:
        form.reject(
            ("ContentSid", "ContentVariables"),
            "Changing a message's content template",
            "Twilio does not change one either",
        )
    form.reject(("Subject",), "An e-mail subject", "ACS Chat has no e-mail channel")
    body = form.text("Body")
    if body is not None and len(body.encode("utf-8")) > MESSAGE_BODY_MAX:
        raise errors.invalid("Parameter 'Body' is larger than 32KB")
    media = tuple(form.many("MediaSid")) if creating else ()
    return MessageFields(
        author=form.text("Author", max_length=IDENTITY_MAX),
        body=body,
        attributes=form.json_text("Attributes", max_bytes=MESSAGE_ATTRIBUTES_MAX),
        media_sids=media,
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
        content_sid=form.text("ContentSid", max_length=34) if creating else None,
        content_variables=form.text("ContentVariables") if creating else None,
    )


def create(core: Core, call: Call) -> Result:
    fields = _fields(call, creating=True)
    item = core.messages.create(call.service, call.path["conversation_sid"], fields)
    return 201, wire.message(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    item = core.messages.get(call.service, call.path["conversation_sid"], call.path["sid"])
    return 200, wire.message(call.scope, item)


def update(core: Core, call: Call) -> Result:
    fields = _fields(call, creating=False)
    item = core.messages.update(
        call.service, call.path["conversation_sid"], call.path["sid"], fields
    )
    return 200, wire.message(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.messages.delete(call.service, call.path["conversation_sid"], call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    """Pages are keyed by message index, so they stay put while messages arrive."""
    order = call.form.choice("Order", ("asc", "desc"), fold_case=True) or "asc"
    size = paging.page_size(call)
    position, backwards = paging.read_token(call) or (None, False)
    items, more = core.messages.page(
        call.service,
        call.path["conversation_sid"],
        newest_first=order == "desc",
        after_index=None if backwards else position,
        before_index=position if backwards else None,
        limit=size,
    )
    # A previous page ends before this page's first message.
    if backwards:
        next_position = items[-1].index if items else None
        earlier = more
    else:
        next_position = items[-1].index if more and items else None
        earlier = position is not None
    first = items[0].index if items else None
    return paging.list_body(
        call,
        "messages",
        items,
        lambda item: wire.message(call.scope, item),
        next_position=next_position,
        query=[("Order", order)] if call.form.has("Order") else [],
        previous_token=(
            paging.token(first, backwards=True) if earlier and first is not None else None
        ),
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation.message", "create"): create,
    ("conversation.message", "fetch"): fetch,
    ("conversation.message", "update"): update,
    ("conversation.message", "delete"): delete,
    ("conversation.message", "list"): list_,
}
