"""``/Roles``: roles and their permissions, stored (ACS Chat does not enforce them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import FRIENDLY_NAME_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def create(core: Core, call: Call) -> Result:
    form = call.form
    item = core.roles.create(
        call.service,
        form.required("FriendlyName", max_length=FRIENDLY_NAME_MAX),
        form.required("Type"),
        form.many("Permission"),
    )
    return 201, wire.role(call.scope, item)


def fetch(core: Core, call: Call) -> Result:
    return 200, wire.role(call.scope, core.roles.get(call.service, call.path["sid"]))


def update(core: Core, call: Call) -> Result:
    item = core.roles.update(call.service, call.path["sid"], call.form.many("Permission"))
    return 200, wire.role(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.roles.delete(call.service, call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    return paging.offset_list(
        call,
        "roles",
        lambda offset, limit: core.roles.page(call.service, offset=offset, limit=limit),
        lambda item: wire.role(call.scope, item),
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("role", "create"): create,
    ("role", "fetch"): fetch,
    ("role", "update"): update,
    ("role", "delete"): delete,
    ("role", "list"): list_,
}
