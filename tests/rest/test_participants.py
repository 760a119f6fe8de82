"""Participants through twilio-python on ACS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from tests.fixtures.threads import thread_of
from twilio_compat.rest import WireHandler


def add_participant(conversation: Any, identity: str) -> Any:
    """The usual Twilio idiom: add, tolerating 'already in the conversation' (50433)."""
    try:
        return conversation.participants.create(identity=identity)
    except TwilioRestException as error:
        if error.code != 50433:
            raise
        return conversation.participants(identity).fetch()


@pytest.fixture
def conversation(client: Client, unique: str) -> Any:
    created = client.conversations.v1.conversations.create(unique_name=f"p-{unique}")
    return client.conversations.v1.conversations(created.sid)


def test_identity_round_trips_and_joins_the_acs_thread(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    identity = "user|identity&string"
    created = conversation.participants.create(
        identity=identity, attributes=json.dumps({"role": "driver"})
    )
    assert created.sid.startswith("MB") and created.identity == identity
    assert created.attributes == '{"role": "driver"}'
    assert created.messaging_binding is None
    assert created.last_read_message_index is None
    thread_id = thread_of(adapter, created.conversation_sid)
    acs_user = adapter.directory.acs_user_for(identity)
    members = handler.core.directory.service_chat().list_participants(thread_id)
    assert acs_user in {m.user_id for m in members}
    by_identity = conversation.participants(identity).fetch()
    assert by_identity.sid == created.sid


def test_adding_twice_is_50433_and_the_idiom_tolerates_it(conversation: Any) -> None:
    first = add_participant(conversation, "alice")
    with pytest.raises(TwilioRestException) as caught:
        conversation.participants.create(identity="alice")
    assert (caught.value.code, caught.value.status) == (50433, 409)
    assert add_participant(conversation, "alice").sid == first.sid


def test_service_user_is_never_listed(conversation: Any) -> None:
    conversation.participants.create(identity="bob")
    listed = conversation.participants.list()
    assert [p.identity for p in listed] == ["bob"]


def test_update_attributes_role_and_read_horizon(client: Client, conversation: Any) -> None:
    participant = conversation.participants.create(identity="carol")
    roles = client.conversations.v1.roles.list()
    channel_user = next(r for r in roles if r.friendly_name == "channel user")
    updated = conversation.participants(participant.sid).update(
        attributes='{"a": 2}', role_sid=channel_user.sid, last_read_message_index=0
    )
    assert updated.attributes == '{"a": 2}'
    assert updated.role_sid == channel_user.sid
    assert updated.last_read_message_index == 0


def test_bad_input_changes_nothing(conversation: Any) -> None:
    with pytest.raises(TwilioRestException) as too_long:
        conversation.participants.create(identity="x" * 257)
    assert too_long.value.status == 400
    with pytest.raises(TwilioRestException) as bad_json:
        conversation.participants.create(identity="dave", attributes="{nope")
    assert bad_json.value.status == 400
    with pytest.raises(TwilioRestException) as sms:
        conversation.participants.create(
            messaging_binding_address="+15558675310", messaging_binding_proxy_address="+15017122661"
        )
    assert sms.value.code == 50413  # the proxy address is none of the shim's numbers
    assert conversation.participants.list() == []


def test_delete_by_identity_removes_from_thread(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    created = conversation.participants.create(identity="erin")
    assert conversation.participants("erin").delete() is True
    with pytest.raises(TwilioRestException) as caught:
        conversation.participants(created.sid).fetch()
    assert caught.value.code == 20404
    thread_id = thread_of(adapter, created.conversation_sid)
    members = handler.core.directory.service_chat().list_participants(thread_id)
    assert adapter.directory.acs_user_for("erin") not in {m.user_id for m in members}


def test_service_scoped_participants(client: Client, unique: str) -> None:
    service = client.conversations.v1.services.create(friendly_name=f"ps {unique}")
    conv = client.conversations.v1.services(service.sid).conversations.create()
    scoped = client.conversations.v1.services(service.sid).conversations(conv.sid)
    created = scoped.participants.create(identity="frank")
    assert created.chat_service_sid == service.sid
    assert scoped.participants("frank").fetch().sid == created.sid
    assert scoped.participants(created.sid).update(attributes="{}").attributes == "{}"
    assert [p.sid for p in scoped.participants.list()] == [created.sid]
    assert scoped.participants(created.sid).delete() is True


def test_identity_update_moves_the_seat_in_acs(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler, unique: str
) -> None:
    old, new = f"old-{unique}", f"renamed|{unique}"
    created = conversation.participants.create(identity=old)
    conversation.participants.create(identity="taken")
    updated = conversation.participants(created.sid).update(identity=new)
    assert (updated.sid, updated.identity) == (created.sid, new)
    assert conversation.participants(new).fetch().sid == created.sid
    with pytest.raises(TwilioRestException) as gone:
        conversation.participants(old).fetch()
    assert gone.value.code == 20404

    thread_id = thread_of(adapter, created.conversation_sid)
    members = {
        m.user_id for m in handler.core.directory.service_chat().list_participants(thread_id)
    }
    assert adapter.directory.acs_user_for(new) in members
    assert adapter.directory.acs_user_for(old) not in members
    sent = conversation.messages.create(author=new, body="same seat, new name")
    assert sent.participant_sid == created.sid

    with pytest.raises(TwilioRestException) as clash:
        conversation.participants(new).update(identity="taken")
    assert clash.value.code == 50433
    assert conversation.participants(created.sid).fetch().identity == new
