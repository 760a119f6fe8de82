"""``/Users``: the chat users of a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core.users import UserFields
from twilio_compat.rest.resources import paging
from twilio_compat.rest.resources.limits import (
    FRIENDLY_NAME_MAX,
    IDENTITY_MAX,
    USER_ATTRIBUTES_MAX,
)

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _fields(call: Call) -> UserFields:
    form = call.form
    return UserFields(
        identity=form.text("Identity", max_length=IDENTITY_MAX),
        friendly_name=form.text("FriendlyName", max_length=FRIENDLY_NAME_MAX),
        attributes=form.json_text("Attributes", max_bytes=USER_ATTRIBUTES_MAX),
        role_sid=form.text("RoleSid"),
    )


def create(core: Core, call: Call) -> Result:
    return 201, wire.user(call.scope, core.users.create(call.service, _fields(call)))


def fetch(core: Core, call: Call) -> Result:
    return 200, wire.user(call.scope, core.users.get(call.service, call.path["sid"]))


def update(core: Core, call: Call) -> Result:
    item = core.users.update(call.service, call.path["sid"], _fields(call))
    return 200, wire.user(call.scope, item)


def delete(core: Core, call: Call) -> Result:
    core.users.delete(call.service, call.path["sid"])
    return 204, None


def list_(core: Core, call: Call) -> Result:
    return paging.keyset_list(
        call,
        "users",
        lambda position, backwards, limit: core.users.page(
            call.service, position=position, backwards=backwards, limit=limit
        ),
        lambda item: (item.date_created, item.sid),
        lambda item: wire.user(call.scope, item),
        sid_prefix="US",
    )


HANDLERS: dict[Key, ResourceHandler] = {
    ("user", "create"): create,
    ("user", "fetch"): fetch,
    ("user", "update"): update,
    ("user", "delete"): delete,
    ("user", "list"): list_,
}
