"""``/Configuration/Addresses``: what an inbound SMS/WhatsApp message to a number does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core.address_configurations import (
    AddressConfigurationFields,
    AutoCreationFields,
)
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import ADDRESS_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _fields(call: Call) -> AddressConfigurationFields:
    form = call.form
    filters = form.many("AutoCreation.WebhookFilters")
    return AddressConfigurationFields(
        type=form.text("Type"),
        address=form.text("Address", max_length=ADDRESS_MAX),
        friendly_name=form.text("FriendlyName", max_length=256),
        address_country=form.text("AddressCountry", max_length=16),
        auto_creation=AutoCreationFields(
            enabled=form.boolean("AutoCreation.Enabled"),
            type=form.text("AutoCreation.Type"),
            conversation_service_sid=form.text("AutoCreation.ConversationServiceSid"),
            webhook_url=form.text("AutoCreation.WebhookUrl"),
            webhook_method=form.text("AutoCreation.WebhookMethod"),
            webhook_filters=tuple(filters) if filters else None,
            studio_flow_sid=form.text("AutoCreation.StudioFlowSid"),
            studio_retry_count=form.integer("AutoCreation.StudioRetryCount", minimum=0),
        ),
    )


def create(core: Core, call: Call) -> Result:
    item = core.address_configurations.create(_fields(call))
    return 201, wire.address_configuration(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    item = core.address_configurations.get(call.path["sid"])
    return 200, wire.address_configuration(call.scope, item)


def update(core: Core, call: Call) -> Result:
    item = core.address_configurations.update(call.path["sid"], _fields(call))
    return 200, wire.address_configuration(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.address_configurations.delete(call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    kind = call.form.text("Type")
    return paging.offset_list(
        call,
        "address_configurations",
        lambda offset, limit: core.address_configurations.page(kind, offset=offset, limit=limit),
        lambda item: wire.address_configuration(call.scope, item),
        [("Type", kind)] if kind else None,
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("address_configuration", "create"): create,
    ("address_configuration", "fetch"): fetch,
    ("address_configuration", "update"): update,
    ("address_configuration", "delete"): delete,
    ("address_configuration", "list"): list_,
}
