"""``/Services``: chat services, scopes the shim keeps over the one ACS resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import records
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import FRIENDLY_NAME_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def create(core: Core, call: Call) -> Result:
    name = call.form.required("FriendlyName", max_length=FRIENDLY_NAME_MAX)
    return 201, wire.service(call.scope, core.services.create(name))


def fetch(core: Core, call: Call) -> Result:
    return 200, wire.service(call.scope, core.services.get(call.path["sid"]))


def delete(core: Core, call: Call) -> Result:
    core.services.delete(call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    def fetch_page(offset: int, limit: int) -> tuple[list[records.Service], bool]:
        everything = core.services.list()
        return everything[offset : offset + limit], len(everything) > offset + limit

    return paging.offset_list(
        call, "services", fetch_page, lambda item: wire.service(call.scope, item)
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("service", "create"): create,
    ("service", "fetch"): fetch,
    ("service", "delete"): delete,
    ("service", "list"): list_,
}
