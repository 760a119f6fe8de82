"""Every row of the operation table, exercised through twilio's Client at the http_client seam.

A row that says "works" must answer Twilio's success status; a row that says "not supported"
must answer a Twilio-shaped 400 that says so. This keeps the parity table honest.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from twilio.rest import Client

from twilio_compat.rest import WireHandler
from twilio_compat.rest.operations import (
    OPERATIONS,
    SERVICE_TWINS,
    Operation,
    Support,
    service_scoped,
)
from twilio_compat.rest.resources import HANDLERS, handler_for

BASE = "https://conversations.twilio.com/v1"

MINIMAL_PARAMS: dict[tuple[str, str], dict[str, object]] = {
    ("conversation", "update"): {"FriendlyName": "renamed"},
    ("conversation.message", "create"): {"Body": "hello"},
    ("conversation.message", "update"): {"Body": "edited"},
    ("conversation.participant", "create"): {"Identity": "newcomer"},
    ("conversation.participant", "update"): {"Attributes": "{}"},
    ("user", "create"): {"Identity": "new-user"},
    ("user", "update"): {"FriendlyName": "Member"},
    ("user.user_conversation", "update"): {"NotificationLevel": "muted"},
    ("role", "create"): {"FriendlyName": "r", "Type": "conversation", "Permission": "sendMessage"},
    ("role", "update"): {"Permission": "sendMessage"},
    ("service", "create"): {"FriendlyName": "svc"},
    ("configuration", "update"): {"DefaultClosedTimer": "PT1H"},
    ("configuration.webhook", "update"): {"Method": "POST"},
    ("service.configuration", "update"): {"DefaultChatServiceRoleSid": ""},
    ("service.configuration.webhook", "update"): {"Method": "POST"},
    ("conversation_with_participants", "create"): {"Participant": json.dumps({"identity": "p"})},
    ("participant_conversation", "list"): {"Identity": "member"},
    ("conversation.webhook", "create"): {
        "Target": "webhook",
        "Configuration.Url": "https://example.com/hook",
    },
    ("conversation.webhook", "update"): {"Configuration.Method": "GET"},
    ("address_configuration", "create"): {"Type": "sms"},  # Address: an owned number
    ("address_configuration", "update"): {"FriendlyName": "front desk"},
}


@dataclass
class World:
    service: str
    conversation: str
    participant: str
    message: str
    user: str
    role: str
    empty_service: str
    webhook: str
    address_configuration: str
    spare_number: str
    """An owned number without an address configuration (for a create)."""


def _owned_number(handler: WireHandler) -> str:
    number = f"+1800{uuid.uuid4().int % 10**7:07d}"
    handler.core.numbers.add(number)
    return number


def build_world(client: Client, scoped: bool, handler: WireHandler) -> World:
    v1 = client.conversations.v1
    service = v1.services.create(friendly_name="table")
    root = v1.services(service.sid) if scoped else v1
    conversation = root.conversations.create()
    conv = root.conversations(conversation.sid)
    participant = conv.participants.create(identity="member")
    message = conv.messages.create(author="member", body="hi")
    user = root.users("member").fetch()
    role = root.roles.create(friendly_name="t", type="conversation", permission=["sendMessage"])
    empty = v1.services.create(friendly_name="empty")
    webhook = conv.webhooks.create(target="webhook", configuration_url="https://example.com/w")
    configured = v1.address_configurations.create(type="sms", address=_owned_number(handler))
    return World(
        service.sid,
        conversation.sid,
        participant.sid,
        message.sid,
        user.sid,
        role.sid,
        empty.sid,
        webhook.sid,
        configured.sid or "",
        _owned_number(handler),
    )


def url_for(operation: Operation, world: World) -> str:
    resource = operation.resource.removeprefix("service.")
    own_sid = {
        "conversation": world.conversation,
        "conversation.message": world.message,
        "conversation.participant": world.participant,
        "user": world.user,
        "role": world.role,
        "service": world.empty_service if operation.action == "delete" else world.service,
        "conversation.message.delivery_receipt": "DY" + "0" * 32,
        "conversation.webhook": world.webhook,
        "credential": "CR" + "0" * 32,
        "service.binding": "BS" + "0" * 32,
        "address_configuration": world.address_configuration,
    }
    values = {
        "chat_service_sid": world.service,
        "conversation_sid": world.conversation,
        "message_sid": world.message,
        "user_sid": world.user,
        "sid": own_sid.get(resource) or own_sid.get(operation.resource, ""),
    }
    return BASE + re.sub(r"\{([a-z_]+)\}", lambda m: values[m.group(1)], operation.path)


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"{op.resource}.{op.action}" for op in OPERATIONS]
)
def test_operation_behaves_as_the_table_says(
    client: Client, handler: WireHandler, operation: Operation
) -> None:
    world = build_world(client, operation.resource.startswith("service."), handler)
    params = MINIMAL_PARAMS.get(
        (operation.resource, operation.action),
        MINIMAL_PARAMS.get((operation.resource.removeprefix("service."), operation.action), {}),
    )
    if (operation.resource, operation.action) == ("address_configuration", "create"):
        params = {**params, "Address": world.spare_number}
    params = {k: v for k, v in params.items() if v != ""}
    url = url_for(operation, world)
    if operation.method == "GET":
        response = client.request("GET", url, params=params)
    else:
        response = client.request(operation.method, url, data=params)
    body = json.loads(response.text) if response.text else None

    if operation.support is Support.UNSUPPORTED:
        assert response.status_code == 400, response.text
        assert (
            body is not None
            and "not supported on Azure Communication Services" in (body["message"])
        )
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    elif operation.resource.endswith("delivery_receipt") and operation.action == "fetch":
        assert (response.status_code, body["code"]) == (404, 20404)  # type: ignore[index]
    else:
        assert response.status_code == operation.success_status, response.text
        check_effect(client, operation, world, url, params, body)


# Where each form parameter shows up in the resource Twilio returns.
FIELDS: dict[str, tuple[str, ...]] = {
    "FriendlyName": ("friendly_name",),
    "Body": ("body",),
    "Attributes": ("attributes",),
    "Identity": ("identity",),
    "NotificationLevel": ("notification_level",),
    "Permission": ("permissions",),
    "DefaultClosedTimer": ("default_closed_timer",),
    "Method": ("method",),
    "Target": ("target",),
    "Type": ("type",),
    "Configuration.Method": ("configuration", "method"),
    "Configuration.Url": ("configuration", "url"),
}

# Lists under the world's own fresh parents must contain what the world made there.
LISTED: dict[str, tuple[str, str]] = {
    "conversation.message": ("sid", "message"),
    "conversation.participant": ("sid", "participant"),
    "conversation.webhook": ("sid", "webhook"),
    "service.conversation": ("sid", "conversation"),
    "service.user": ("sid", "user"),
    "service.role": ("sid", "role"),
    "service.user.user_conversation": ("conversation_sid", "conversation"),
    "service.participant_conversation": ("conversation_sid", "conversation"),
}


def _field(body: dict[str, object], path: tuple[str, ...]) -> object:
    value: object = body
    for name in path:
        assert isinstance(value, dict), (path, body)
        value = value[name]
    return value


def assert_reflects(body: dict[str, object], params: dict[str, object]) -> None:
    for name, value in params.items():
        if name in FIELDS:
            expected = [value] if name == "Permission" else value
            assert _field(body, FIELDS[name]) == expected, (name, body)


def check_effect(
    client: Client,
    operation: Operation,
    world: World,
    url: str,
    params: dict[str, object],
    body: dict[str, object] | None,
) -> None:
    """What a user would look at after the call: the change is there, and it stays."""

    def fetch(target: str) -> tuple[int, dict[str, object] | None]:
        answer = client.request("GET", target)
        return answer.status_code, json.loads(answer.text) if answer.text else None

    if operation.action == "delete":
        assert fetch(url)[0] == 404
        return
    assert body is not None
    if operation.action == "list":
        key = body["meta"]["key"]  # type: ignore[index]
        items = body[key]
        assert isinstance(items, list)
        if operation.resource.endswith("delivery_receipt"):
            assert items == []  # the world's conversation has chat participants only
        elif operation.resource in LISTED:
            field, made = LISTED[operation.resource]
            assert getattr(world, made) in [item[field] for item in items]
        else:
            assert items, "the world made at least one"
        return
    if operation.action in ("fetch", "update"):
        assert body["url"] == url
    assert_reflects(body, params)
    status, again = fetch(str(body["url"]))  # creates and updates are kept
    assert status == 200 and again is not None
    assert again["url"] == body["url"]
    assert_reflects(again, params)


def test_table_has_every_twilio_operation_once() -> None:
    keys = [(op.method, op.path) for op in OPERATIONS]
    assert len(OPERATIONS) == 103 and len(set(keys)) == 103
    assert all(op.note for op in OPERATIONS if op.support is not Support.WORKS)


def test_every_supported_operation_has_one_handler_and_every_handler_a_row() -> None:
    supported = {
        (op.resource, op.action) for op in OPERATIONS if op.support is not Support.UNSUPPORTED
    }
    assert set(HANDLERS) == supported
    for op in OPERATIONS:
        if op.resource in SERVICE_TWINS:
            assert handler_for(service_scoped(op)) is handler_for(op)


def test_service_twins_differ_from_their_account_rows_only_in_scope() -> None:
    rows = {(op.resource, op.action): op for op in OPERATIONS}
    for op in OPERATIONS:
        if op.resource in SERVICE_TWINS:
            twin = rows[(f"service.{op.resource}", op.action)]
            assert twin.path == f"/Services/{{chat_service_sid}}{op.path}"
            assert (twin.method, twin.support, twin.note) == (op.method, op.support, op.note)
            assert sorted(twin.params) == sorted(op.params)
