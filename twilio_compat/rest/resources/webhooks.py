"""``/Conversations/CH.../Webhooks``: webhooks scoped to one conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core.webhooks import WebhookFields
from twilio_compat.rest.resources import paging

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _fields(call: Call) -> WebhookFields:
    form = call.form
    return WebhookFields(
        target=form.text("Target"),
        url=form.text("Configuration.Url"),
        method=form.text("Configuration.Method"),
        filters=tuple(form.many("Configuration.Filters"))
        if form.has("Configuration.Filters")
        else None,
        triggers=(
            tuple(form.many("Configuration.Triggers"))
            if form.has("Configuration.Triggers")
            else None
        ),
        replay_after=form.integer("Configuration.ReplayAfter", minimum=0),
        flow_sid=form.text("Configuration.FlowSid"),
    )


def create(core: Core, call: Call) -> Result:
    item = core.webhooks.create(call.service, call.path["conversation_sid"], _fields(call))
    return 201, wire.webhook(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    item = core.webhooks.get(call.service, call.path["conversation_sid"], call.path["sid"])
    return 200, wire.webhook(call.scope, item)


def update(core: Core, call: Call) -> Result:
    fields = _fields(call)
    item = core.webhooks.update(
        call.service, call.path["conversation_sid"], call.path["sid"], fields
    )
    return 200, wire.webhook(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.webhooks.delete(call.service, call.path["conversation_sid"], call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    return paging.offset_list(
        call,
        "webhooks",
        lambda offset, limit: core.webhooks.page(
            call.service, call.path["conversation_sid"], offset=offset, limit=limit
        ),
        lambda item: wire.webhook(call.scope, item),
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation.webhook", "create"): create,
    ("conversation.webhook", "fetch"): fetch,
    ("conversation.webhook", "update"): update,
    ("conversation.webhook", "delete"): delete,
    ("conversation.webhook", "list"): list_,
}
