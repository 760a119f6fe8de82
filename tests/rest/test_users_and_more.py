"""Users, user conversations, participant conversations, ConversationWithParticipants,
roles, services and configuration through twilio-python on ACS."""

from __future__ import annotations

import json

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.fixtures.threads import thread_of
from tests.rest.conftest import skip_unless_twilio_has
from twilio_compat.rest import WireHandler


def test_user_lifecycle(client: Client, unique: str) -> None:
    users = client.conversations.v1.users
    created = users.create(identity=f"u-{unique}", friendly_name="Ursula", attributes='{"a":1}')
    assert created.sid.startswith("US") and created.identity == f"u-{unique}"
    assert users(f"u-{unique}").fetch().sid == created.sid
    updated = users(created.sid).update(friendly_name="Ursa", attributes="{}")
    assert (updated.friendly_name, updated.attributes) == ("Ursa", "{}")
    assert created.sid in [u.sid for u in users.list()]
    with pytest.raises(TwilioRestException) as duplicate:
        users.create(identity=f"u-{unique}")
    assert duplicate.value.status == 409
    assert users(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        users(created.sid).fetch()
    assert gone.value.code == 20404


def test_joining_a_conversation_creates_the_user(client: Client, unique: str) -> None:
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).participants.create(
        identity=f"implicit-{unique}"
    )
    assert client.conversations.v1.users(f"implicit-{unique}").fetch().identity == (
        f"implicit-{unique}"
    )


def test_read_horizon_and_unread_counts(client: Client, unique: str) -> None:
    identity = f"reader-{unique}"
    created = client.conversations.v1.conversations.create(unique_name=f"unread-{unique}")
    conversation = client.conversations.v1.conversations(created.sid)
    participant = conversation.participants.create(identity=identity)
    for i in range(4):
        conversation.messages.create(author="someone", body=f"m{i}")

    user_conversation = client.conversations.v1.users(identity).user_conversations(created.sid)
    before = user_conversation.fetch()
    assert before.last_read_message_index is None
    assert before.unread_messages_count is None
    assert before.notification_level == "default"

    conversation.participants(participant.sid).update(last_read_message_index=1)
    after = user_conversation.fetch()
    assert after.last_read_message_index == 1
    assert after.unread_messages_count == 2

    changed = user_conversation.update(notification_level="muted", last_read_message_index=3)
    assert changed.notification_level == "muted"
    assert changed.unread_messages_count == 0
    assert changed.participant_sid == participant.sid
    assert changed.conversation_sid == created.sid

    listed = client.conversations.v1.users(identity).user_conversations.list()
    assert [c.conversation_sid for c in listed] == [created.sid]
    by_participant = client.conversations.v1.participant_conversations.list(identity=identity)
    assert [(c.conversation_sid, c.participant_sid) for c in by_participant] == [
        (created.sid, participant.sid)
    ]
    assert by_participant[0].conversation_unique_name == f"unread-{unique}"

    assert user_conversation.delete() is True
    assert conversation.participants.list() == []


def test_read_receipt_reaches_acs(
    client: Client, adapter: AcsAdapter, handler: WireHandler, unique: str
) -> None:
    created = client.conversations.v1.conversations.create()
    conversation = client.conversations.v1.conversations(created.sid)
    participant = conversation.participants.create(identity=f"rr-{unique}")
    sent = conversation.messages.create(author="x", body="read me")
    conversation.participants(participant.sid).update(last_read_message_index=sent.index)
    thread = thread_of(adapter, created.sid)
    stored = adapter.store.messages.get(sent.sid)
    assert thread and stored is not None
    receipts = handler.core.directory.service_chat().list_read_receipts(thread)
    reader = adapter.directory.acs_user_for(f"rr-{unique}")
    assert (reader, stored.acs_message_id) in {(r.sender_id, r.message_id) for r in receipts}


def test_conversation_with_participants(client: Client, emulator: AcsEmulator, unique: str) -> None:
    for identity in ("ann", "ben"):  # their ACS users exist already; count only chat calls
        client.conversations.v1.users.create(identity=f"{identity}-{unique}")
    skip_unless_twilio_has(client.conversations.v1, "conversation_with_participants")
    emulator.reset_counters()
    with_two = client.conversations.v1.conversation_with_participants.create(
        participant=[
            json.dumps({"identity": f"ann-{unique}"}),
            json.dumps({"identity": f"ben-{unique}"}),
        ]
    )
    chat_calls = {k: v for k, v in emulator.counters.items() if k.startswith("Chat")}
    assert chat_calls == {"Chat_CreateChatThread": 1}
    assert len(client.conversations.v1.conversations(with_two.sid).participants.list()) == 2
    created = client.conversations.v1.conversation_with_participants.create(
        friendly_name="group",
        unique_name=f"cwp-{unique}",
        participant=[json.dumps({"identity": "ann"}), json.dumps({"identity": "ben"})],
    )
    listed = client.conversations.v1.conversations(created.sid).participants.list()
    assert sorted(p.identity for p in listed) == ["ann", "ben"]
    with pytest.raises(TwilioRestException) as too_many:
        client.conversations.v1.conversation_with_participants.create(
            participant=[json.dumps({"identity": f"p{i}"}) for i in range(11)]
        )
    assert too_many.value.code == 50426
    with pytest.raises(TwilioRestException) as sms:
        client.conversations.v1.conversation_with_participants.create(
            unique_name=f"cwp-sms-{unique}",
            participant=[json.dumps({"messaging_binding": {"address": "+15558675310"}})],
        )
    assert sms.value.code == 50412  # no proxy address (group MMS is not bridged)
    with pytest.raises(TwilioRestException) as nothing_made:
        client.conversations.v1.conversations(f"cwp-sms-{unique}").fetch()
    assert nothing_made.value.code == 20404


def test_service_conversation_with_participants(client: Client, unique: str) -> None:
    service = client.conversations.v1.services.create(friendly_name=f"cwp {unique}")
    skip_unless_twilio_has(
        client.conversations.v1.services(service.sid), "conversation_with_participants"
    )
    created = client.conversations.v1.services(service.sid).conversation_with_participants.create(
        participant=[json.dumps({"identity": "cy"})]
    )
    assert created.chat_service_sid == service.sid
    scoped = client.conversations.v1.services(service.sid).conversations(created.sid)
    assert [p.identity for p in scoped.participants.list()] == ["cy"]


def test_roles_defaults_and_custom(client: Client) -> None:
    roles = client.conversations.v1.roles
    names = {r.friendly_name for r in roles.list()}
    assert {"channel user", "channel admin", "service user", "service admin"} <= names
    created = roles.create(
        friendly_name="moderator", type="conversation", permission=["sendMessage"]
    )
    assert created.sid.startswith("RL") and created.permissions == ["sendMessage"]
    updated = roles(created.sid).update(permission=["sendMessage", "deleteAnyMessage"])
    assert updated.permissions == ["sendMessage", "deleteAnyMessage"]
    assert roles(created.sid).fetch().type == "conversation"
    assert roles(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as bad_type:
        roles.create(friendly_name="x", type="galaxy", permission=["sendMessage"])
    assert bad_type.value.status == 400


def test_service_lifecycle_and_scoped_resources(client: Client, unique: str) -> None:
    services = client.conversations.v1.services
    service = services.create(friendly_name=f"svc-{unique}")
    assert service.sid.startswith("IS") and service.friendly_name == f"svc-{unique}"
    assert services(service.sid).fetch().friendly_name == f"svc-{unique}"
    assert service.sid in [s.sid for s in services.list()]
    scoped = services(service.sid)
    user = scoped.users.create(identity="sue")
    assert user.chat_service_sid == service.sid
    assert scoped.users("sue").update(friendly_name="Sue").friendly_name == "Sue"
    assert [u.identity for u in scoped.users.list()] == ["sue"]
    role = scoped.roles.create(friendly_name="r", type="service", permission=["editOwnUserInfo"])
    assert scoped.roles(role.sid).fetch().chat_service_sid == service.sid
    assert scoped.roles(role.sid).update(permission=["joinConversation"]).permissions == [
        "joinConversation"
    ]
    assert scoped.roles(role.sid).delete() is True
    assert len(scoped.roles.list()) == 4
    conversation = scoped.conversations.create()
    scoped.conversations(conversation.sid).participants.create(identity="sue")
    assert [c.conversation_sid for c in scoped.users("sue").user_conversations.list()] == [
        conversation.sid
    ]
    view = scoped.users("sue").user_conversations(conversation.sid)
    assert view.fetch().chat_service_sid == service.sid
    assert view.update(notification_level="muted").notification_level == "muted"
    assert [c.conversation_sid for c in scoped.participant_conversations.list(identity="sue")] == [
        conversation.sid
    ]
    assert view.delete() is True
    assert scoped.users("sue").delete() is True
    with pytest.raises(TwilioRestException) as busy:
        services(service.sid).delete()
    assert busy.value.status == 400
    scoped.conversations(conversation.sid).delete()
    assert services(service.sid).delete() is True


def test_account_and_service_configuration(client: Client, unique: str) -> None:
    configuration = client.conversations.v1.configuration()
    current = configuration.fetch()
    assert current.default_chat_service_sid.startswith("IS")
    updated = configuration.update(default_inactive_timer="PT1H")
    assert updated.default_inactive_timer == "PT1H"
    webhooks = client.conversations.v1.configuration.webhooks()
    changed = webhooks.update(
        post_webhook_url="https://example.com/post", filters=["onMessageAdded"], method="POST"
    )
    assert changed.post_webhook_url == "https://example.com/post"
    assert webhooks.fetch().filters == ["onMessageAdded"]

    service = client.conversations.v1.services.create(friendly_name=f"cfg {unique}")
    service_configuration = client.conversations.v1.services(service.sid).configuration()
    fetched = service_configuration.fetch()
    assert fetched.default_conversation_role_sid.startswith("RL")
    admin = next(
        r
        for r in client.conversations.v1.services(service.sid).roles.list()
        if r.friendly_name == "channel admin"
    )
    assert (
        service_configuration.update(
            default_conversation_role_sid=admin.sid
        ).default_conversation_role_sid
        == admin.sid
    )
    service_webhooks = client.conversations.v1.services(service.sid).configuration.webhooks()
    assert service_webhooks.update(pre_webhook_url="https://example.com/pre").pre_webhook_url == (
        "https://example.com/pre"
    )
    assert service_webhooks.fetch().method == "POST"
    with pytest.raises(TwilioRestException) as reachability:
        service_configuration.update(reachability_enabled=True)
    assert "not supported on Azure Communication Services" in reachability.value.msg


def test_default_service_can_be_switched(client: Client, unique: str) -> None:
    configuration = client.conversations.v1.configuration()
    original = configuration.fetch().default_chat_service_sid
    service = client.conversations.v1.services.create(friendly_name=f"default {unique}")
    try:
        configuration.update(default_chat_service_sid=service.sid)
        created = client.conversations.v1.conversations.create()
        assert created.chat_service_sid == service.sid
        client.conversations.v1.conversations(created.sid).delete()
    finally:
        configuration.update(default_chat_service_sid=original)


def test_conversation_scoped_webhooks_are_stored(client: Client) -> None:
    created = client.conversations.v1.conversations.create()
    webhooks = client.conversations.v1.conversations(created.sid).webhooks
    hook = webhooks.create(
        target="webhook",
        configuration_url="https://example.com/hook",
        configuration_filters=["onMessageAdded"],
    )
    assert hook.sid.startswith("WH") and hook.target == "webhook"
    assert hook.configuration == {
        "url": "https://example.com/hook",
        "method": "POST",
        "filters": ["onMessageAdded"],
    }
    changed = webhooks(hook.sid).update(configuration_method="GET")
    assert changed.configuration["method"] == "GET"
    assert webhooks(hook.sid).fetch().configuration["url"] == "https://example.com/hook"
    for i in range(4):
        webhooks.create(target="trigger", configuration_url=f"https://example.com/{i}")
    assert len(webhooks.list()) == 5
    with pytest.raises(TwilioRestException) as sixth:
        webhooks.create(target="webhook", configuration_url="https://example.com/6")
    assert sixth.value.status == 400
    with pytest.raises(TwilioRestException) as studio:
        webhooks.create(target="studio", configuration_flow_sid="FW" + "0" * 32)
    assert "not supported on Azure Communication Services" in studio.value.msg
    assert webhooks(hook.sid).delete() is True
    assert len(webhooks.list()) == 4
