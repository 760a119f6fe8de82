"""What Twilio's published Conversations samples do, answered as Twilio answers them.

Each test runs a sample's call through twilio-python; where Twilio's behaviour is not in the
project's reference files, the test's docstring cites the Twilio page that documents it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import pytest
from twilio.base import deserialize
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.errors import NotFound
from twilio_compat.core import errors
from twilio_compat.rest.operations import OPERATIONS, Support, operations_for

BASE = "https://conversations.twilio.com/v1"
REFUSAL = re.compile(
    r"^[A-Z][^:]* is not supported on Azure Communication Services Chat because [^:]+\.$"
)


def answer(
    client: Client, method: str, path: str, params: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    url = f"{BASE}{path}"
    if method == "GET":
        response = client.request(method, url, params=params)
    else:
        response = client.request(method, url, data=params)
    return response.status_code, dict(json.loads(response.text)) if response.text else {}


def refused(client: Client, method: str, path: str, params: dict[str, Any]) -> tuple[int, int]:
    status, body = answer(client, method, path, params)
    return status, int(body.get("code", 0))


# -- default roles -------------------------------------------------------------------------


def test_participants_and_users_get_the_service_default_roles(client: Client, unique: str) -> None:
    """Twilio gives a participant added without ``RoleSid`` the service configuration's
    ``default_conversation_role_sid`` and a user created without one its
    ``default_chat_service_role_sid`` (twilio.com/docs/conversations/api/
    service-configuration-resource)."""
    service = client.conversations.v1.services.create(friendly_name=f"roles {unique}")
    scoped = client.conversations.v1.services(service.sid)
    configuration = scoped.configuration().fetch()

    user = scoped.users.create(identity=f"u-{unique}")
    assert user.role_sid == configuration.default_chat_service_role_sid
    conversation = scoped.conversations.create()
    participant = scoped.conversations(conversation.sid).participants.create(identity=f"p-{unique}")
    assert participant.role_sid == configuration.default_conversation_role_sid
    joined = scoped.users(f"p-{unique}").fetch()  # created when it first joined
    assert joined.role_sid == configuration.default_chat_service_role_sid
    assert scoped.roles(participant.role_sid).fetch().friendly_name == "channel user"

    moderator = scoped.roles.create(
        friendly_name="moderator", type="conversation", permission=["sendMessage"]
    )
    scoped.configuration().update(default_conversation_role_sid=moderator.sid)
    later = scoped.conversations(conversation.sid).participants.create(identity=f"q-{unique}")
    assert later.role_sid == moderator.sid
    # By URL: twilio-python 8.0 has no conversation_with_participants resource yet.
    status, both = answer(
        client,
        "POST",
        f"/Services/{service.sid}/ConversationWithParticipants",
        {"Participant": json.dumps({"identity": f"r-{unique}"})},
    )
    assert status == 201, both
    members = scoped.conversations(both["sid"]).participants.list()
    assert [m.role_sid for m in members] == [moderator.sid]


# -- role permissions -------------------------------------------------------------------------


def test_roles_refuse_unknown_and_wrong_scope_permissions(client: Client) -> None:
    """Twilio refuses a permission that is not one of the role type's permission values
    (twilio.com/docs/conversations/api/role-resource#permission-values) with 400 and
    50104, "Permission not found" (twilio.com/docs/api/errors/50104); service permissions
    such as ``createConversation`` are not conversation permissions."""
    roles = client.conversations.v1.roles
    for kind, permissions in (
        ("conversation", ["flyToTheMoon"]),
        ("conversation", ["sendMessage", "createConversation"]),
        ("service", ["joinConversation", "flyToTheMoon"]),
    ):
        with pytest.raises(TwilioRestException) as caught:
            roles.create(friendly_name="bad", type=kind, permission=permissions)
        assert (caught.value.status, caught.value.code) == (400, 50104), permissions
    service_role = roles.create(
        friendly_name="mixed", type="service", permission=["createConversation", "sendMessage"]
    )
    assert service_role.permissions == ["createConversation", "sendMessage"]
    with pytest.raises(TwilioRestException) as update:
        roles(service_role.sid).update(permission=["teleport"])
    assert (update.value.status, update.value.code) == (400, 50104)
    roles(service_role.sid).delete()


def test_service_configuration_refuses_roles_of_the_wrong_type_or_service(
    client: Client, unique: str
) -> None:
    """A default conversation role must be a conversation role of the service and the
    default service role a service role of it: Twilio answers 400 with 50105 "Invalid role
    type", 50109 "Conversation role not found" or 50100 "Role not found"
    (twilio.com/docs/api/errors/50105, /50109, /50100)."""
    first = client.conversations.v1.services.create(friendly_name=f"one {unique}")
    second = client.conversations.v1.services.create(friendly_name=f"two {unique}")
    mine = {
        r.friendly_name: r.sid for r in client.conversations.v1.services(first.sid).roles.list()
    }
    theirs = {
        r.friendly_name: r.sid for r in client.conversations.v1.services(second.sid).roles.list()
    }
    path = f"/Services/{first.sid}/Configuration"
    cases = (
        ({"DefaultConversationRoleSid": mine["service user"]}, 50105),
        ({"DefaultChatServiceRoleSid": mine["channel user"]}, 50105),
        ({"DefaultConversationCreatorRoleSid": theirs["channel admin"]}, 50109),
        ({"DefaultConversationRoleSid": "RL" + "0" * 32}, 50109),
        ({"DefaultChatServiceRoleSid": theirs["service user"]}, 50100),
    )
    for params, code in cases:
        status, body = answer(client, "POST", path, params)
        assert (status, body["code"]) == (400, code), params
        assert "Configuration was not found" not in body["message"]


def test_participant_and_user_roles_must_be_of_their_type(client: Client, unique: str) -> None:
    """A participant's RoleSid must name a conversation role and a user's a service role of
    the service: 400 with 50105 "Invalid role type", 50109 "Conversation role not found" or
    50100 "Role not found" (twilio.com/docs/api/errors/50105, /50109, /50100)."""
    roles = {r.friendly_name: r.sid for r in client.conversations.v1.roles.list()}
    conversation = client.conversations.v1.conversations.create()
    participants = f"/Conversations/{conversation.sid}/Participants"
    missing = "RL" + "0" * 32
    cases = (
        (participants, {"Identity": f"p-{unique}", "RoleSid": roles["service user"]}, 50105),
        (participants, {"Identity": f"p-{unique}", "RoleSid": missing}, 50109),
        ("/Users", {"Identity": f"u-{unique}", "RoleSid": roles["channel admin"]}, 50105),
        ("/Users", {"Identity": f"u-{unique}", "RoleSid": missing}, 50100),
    )
    for path, params, code in cases:
        assert refused(client, "POST", path, params) == (400, code), params
    admin = client.conversations.v1.users.create(
        identity=f"u-{unique}", role_sid=roles["service admin"]
    )
    assert admin.role_sid == roles["service admin"]


# -- lists ----------------------------------------------------------------------------------


def test_list_limits_above_the_maximum_page_size_are_served(client: Client, unique: str) -> None:
    """twilio-python sends ``PageSize=limit``; Twilio answers a PageSize above a resource's
    maximum ("The default is 50, and the maximum is 100" on the Conversation resource's
    list, twilio.com/docs/conversations/api/conversation-resource) with a page of that
    maximum size rather than an error."""
    conversation = client.conversations.v1.conversations.create()
    webhooks = client.conversations.v1.conversations(conversation.sid).webhooks
    for i in range(3):
        webhooks.create(target="webhook", configuration_url=f"https://example.com/{i}")
    assert len(webhooks.list(limit=20)) == 3
    assert conversation.sid in [
        c.sid for c in client.conversations.v1.conversations.list(limit=200)
    ]
    client.conversations.v1.users.create(identity=f"list-{unique}")
    assert len(client.conversations.v1.users.list(limit=100)) >= 1

    for path, maximum in (
        (f"/Conversations/{conversation.sid}/Webhooks", 5),
        ("/Conversations", 100),
        ("/Users", 50),
    ):
        status, body = answer(client, "GET", path, {"PageSize": 1000})
        assert status == 200, body
        assert body["meta"]["page_size"] == maximum
        assert f"PageSize={maximum}&" in body["meta"]["url"]
        assert f"PageSize={maximum}&" in body["meta"]["first_page_url"]
    for wrong in (0, -1, "ten"):
        assert refused(client, "GET", "/Conversations", {"PageSize": wrong}) == (400, 20001)


def test_participant_conversations_by_an_unbound_address_is_an_empty_list(
    client: Client,
) -> None:
    """Twilio lists a participant's conversations by ``Identity`` or by ``Address``
    (twilio.com/docs/conversations/api/participant-conversation-resource); an address no
    SMS/WhatsApp participant has gives an empty list."""
    listed = client.conversations.v1.participant_conversations.list(address="+15555550100")
    assert listed == []
    status, body = answer(client, "GET", "/ParticipantConversations", {"Address": "+1555"})
    assert (
        status == 200 and body["conversations"] == [] and "Address=%2B1555" in body["meta"]["url"]
    )
    assert refused(client, "GET", "/ParticipantConversations", {}) == (400, 20001)
    (row,) = operations_for("participant_conversation")
    assert row.support is Support.WORKS


# -- values ----------------------------------------------------------------------------------

NOT_JSON = ('{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', "NaN")


def test_attributes_with_nan_or_infinity_are_refused(client: Client, unique: str) -> None:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259), so Twilio refuses such Attributes
    as it refuses any invalid JSON: 50304 on a conversation
    (twilio.com/docs/api/errors/50304), the same 400 as other invalid JSON elsewhere."""
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).participants.create(
        identity=f"nan-{unique}"
    )
    targets: tuple[tuple[str, dict[str, str], int], ...] = (
        ("/Conversations", {}, 50304),
        (f"/Conversations/{conversation.sid}", {}, 50304),
        (f"/Conversations/{conversation.sid}/Messages", {"Body": "b"}, 20001),
        (f"/Conversations/{conversation.sid}/Participants/nan-{unique}", {}, 20001),
        ("/Users", {"Identity": f"nan-user-{unique}"}, 20001),
    )
    for text in NOT_JSON:
        for path, params, code in targets:
            got = refused(client, "POST", path, {**params, "Attributes": text})
            assert got == (400, code), (path, text)
    assert client.conversations.v1.conversations.create(attributes='{"a":1.5}').attributes


def test_out_of_range_dates_are_refused_and_year_one_renders_as_iso_8601(client: Client) -> None:
    """A date that is outside years 1 to 9999 once in UTC cannot be kept: a 400 with
    20001, never a 500. Year 1 renders with four digits, as twilio-python parses it."""
    for value in ("9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+00:01"):
        assert refused(client, "POST", "/Conversations", {"DateCreated": value}) == (400, 20001)
    status, body = answer(client, "POST", "/Conversations", {"DateCreated": "0001-01-01T00:00:00Z"})
    assert status == 201, body
    assert body["date_created"] == "0001-01-01T00:00:00Z"
    parsed = deserialize.iso8601_datetime(body["date_created"])
    assert parsed == datetime(1, 1, 1, tzinfo=timezone.utc)
    fetched = client.conversations.v1.conversations(body["sid"]).fetch()
    assert fetched.date_created == datetime(1, 1, 1, tzinfo=timezone.utc)
    year_one = datetime(1, 1, 1, 12, 30, tzinfo=timezone.utc)  # twilio-python: "1-01-01T..."
    created = client.conversations.v1.conversations.create(date_created=year_one)
    assert created.date_created == year_one


# -- refusals and not-found messages ------------------------------------------------------


def test_refused_operations_say_what_and_why_in_one_sentence(client: Client) -> None:
    for operation in OPERATIONS:
        if operation.support is Support.UNSUPPORTED:
            message = errors.not_supported(operation.note).message
            assert REFUSAL.match(message), message
    service_sid = client.conversations.v1.configuration().fetch().default_chat_service_sid
    status, body = answer(client, "GET", f"/Services/{service_sid}/Configuration/Notifications")
    assert status == 400
    assert body["message"] == (
        "Push notification configuration is not supported on Azure Communication Services "
        "Chat because ACS Chat has no push registration (ACS push goes through Azure "
        "Notification Hubs)."
    )
    conversation = client.conversations.v1.conversations.create()
    for path, params in (
        ("/Conversations", {"Bindings.Email.Address": "a@example.com"}),
        (f"/Conversations/{conversation.sid}/Messages", {"Body": "b", "Subject": "s"}),
        (
            f"/Conversations/{conversation.sid}/Participants",
            {"Identity": "x", "MessagingBinding.ProjectedAddress": "+18005550100"},
        ),
        (f"/Conversations/{conversation.sid}/Webhooks", {"Target": "studio"}),
    ):
        status, body = answer(client, "POST", path, params)
        assert status == 400 and REFUSAL.match(body["message"]), (path, body)
    # A ContentSid is sent when registered: an unknown one is Twilio's 21655, saying how.
    status, body = answer(
        client,
        "POST",
        f"/Conversations/{conversation.sid}/Messages",
        {"ContentSid": "HX" + "0" * 32},
    )
    assert (status, body["code"]) == (400, 21655)
    assert "twilio-acs content add" in body["message"]


def test_not_found_messages_name_the_resource(client: Client) -> None:
    """Twilio's 20404 reads "The requested resource <path> was not found"
    (twilio.com/docs/api/errors/20404)."""
    missing = "CH" + "0" * 32
    for path in (
        f"/Conversations/{missing}",
        f"/Conversations/{missing}/Messages/IM{'0' * 32}",
        f"/Conversations/{missing}/Participants/MB{'0' * 32}",
        f"/Conversations/{missing}/Messages/IM{'0' * 32}/Receipts/DY{'0' * 32}",
        f"/Users/US{'0' * 32}",
        f"/Roles/RL{'0' * 32}",
        f"/Services/IS{'0' * 32}",
    ):
        status, body = answer(client, "GET", path)
        assert (status, body["message"]) == (404, f"The requested resource {path} was not found")


def test_not_found_without_a_path_still_says_what_is_missing() -> None:
    """A face that has no request path (the client face) still gets a message that names
    what ACS could not find, never "The requested resource  was not found"."""
    message = errors.from_adapter(NotFound("Chat thread 19:abc not found"), "").message
    assert message == "The requested resource was not found (Chat thread 19:abc not found)"
    assert errors.ResourceNotFound("").message.startswith("The requested resource was not found")
    assert "  " not in errors.not_found("").message
