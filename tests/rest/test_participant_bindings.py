"""SMS and WhatsApp participants (Twilio's messaging bindings) through twilio's own Client.

A non-chat participant lives in the store only (no ACS thread member); its (address, proxy
address) pair is bound in at most one non-closed conversation. Codes are Twilio's
(twilio.com/docs/api/errors/504xx); see the reference notes on omnichannel, section 5.2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from tests.rest.conftest import adapter_settings, skip_unless_twilio_has
from twilio_compat.core import records
from twilio_compat.core.bindings import CHAT_MAX
from twilio_compat.core.codec import encode_timers
from twilio_compat.rest import WireHandler
from twilio_compat.webhooks import fields

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

SMS_PROXY = "+18005550100"
WHATSAPP_PROXY = "whatsapp:+18005550101"
CHANNEL = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder = tmp_path_factory.mktemp("bindings")
    settings = adapter_settings(emulator, folder, f"{SMS_PROXY},{WHATSAPP_PROXY}={CHANNEL}")
    with AcsAdapter.open(settings) as opened:
        yield opened


@pytest.fixture
def conversation(client: Client) -> Any:
    return client.conversations.v1.conversations(client.conversations.v1.conversations.create().sid)


def _sms(conversation: Any, address: str, proxy: str = SMS_PROXY) -> Any:
    return conversation.participants.create(
        messaging_binding_address=address, messaging_binding_proxy_address=proxy
    )


def _thread_of(adapter: AcsAdapter, conversation_sid: str) -> str:
    stored = adapter.store.conversations.get(conversation_sid)
    assert stored is not None and stored.thread_id
    return stored.thread_id


def _code(call: Any) -> tuple[int, int, str]:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value.status, caught.value.code, caught.value.msg


def test_an_sms_participant_has_twilios_fields(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    created = _sms(conversation, "+15558675310")
    assert created.identity is None
    assert created.sid.startswith("MB")
    assert created.messaging_binding == {
        "type": "sms",
        "address": "+15558675310",
        "proxy_address": SMS_PROXY,
    }
    fetched = conversation.participants(created.sid).fetch()
    assert fetched.messaging_binding == created.messaging_binding
    assert [p.sid for p in conversation.participants.list()] == [created.sid]
    # Store-only: the ACS thread has the service user alone.
    thread_id = _thread_of(adapter, fetched.conversation_sid)
    members = handler.core.directory.service_chat().list_participants(thread_id)
    assert len(list(members)) == 1


def test_a_whatsapp_participant_keeps_the_prefix_on_both_sides(conversation: Any) -> None:
    created = _sms(conversation, "whatsapp:+15558675310", WHATSAPP_PROXY)
    assert created.messaging_binding == {
        "type": "whatsapp",
        "address": "whatsapp:+15558675310",
        "proxy_address": WHATSAPP_PROXY,
    }


@pytest.mark.parametrize(
    ("address", "proxy", "code"),
    [
        ("5558675310", SMS_PROXY, 50407),
        ("+15558675310", "800555", 50408),
        (SMS_PROXY, SMS_PROXY, 50409),
        ("", SMS_PROXY, 50411),
        ("+15558675310", "", 50412),
        ("+15558675310", "+18005550199", 50413),
        ("whatsapp:+15558675310", SMS_PROXY, 50414),
    ],
)
def test_invalid_bindings_get_twilios_codes(
    conversation: Any, address: str, proxy: str, code: int
) -> None:
    params = {"MessagingBinding.Address": address, "MessagingBinding.ProxyAddress": proxy}
    status, got, _ = _code(
        lambda: conversation.participants.create(
            messaging_binding_address=params["MessagingBinding.Address"] or None,
            messaging_binding_proxy_address=params["MessagingBinding.ProxyAddress"] or None,
        )
    )
    assert (status, got) == (400, code)
    assert conversation.participants.list() == []


def test_a_pair_lives_in_one_open_conversation(client: Client) -> None:
    """50416: "A binding for this participant and proxy address already exists in
    Conversation CH..." (support.twilio.com article 41467875615259)."""
    conversations = client.conversations.v1.conversations
    first = conversations(conversations.create().sid)
    second = conversations(conversations.create().sid)
    _sms(first, "+15550000001")
    status, code, message = _code(lambda: _sms(second, "+15550000001"))
    assert (status, code) == (409, 50416)
    assert f"already exists in Conversation {first.fetch().sid}" in message

    first.update(state="closed")  # closing frees the pair
    taken = _sms(second, "+15550000001")
    status, code, _ = _code(lambda: _sms(first, "+15550000002"))
    assert code == 50377  # closed conversations take no participant
    second.participants(taken.sid).delete()  # removing frees it too
    third = conversations(conversations.create().sid)
    _sms(third, "+15550000001")
    third.delete()  # and deleting
    _sms(second, "+15550000001")


def test_updating_the_proxy_address_checks_it_and_moves_the_pair(
    client: Client, handler: WireHandler
) -> None:
    conversations = client.conversations.v1.conversations
    conversation = conversations(conversations.create().sid)
    created = _sms(conversation, "+15550000011")
    participant = conversation.participants(created.sid)
    assert _code(lambda: participant.update(messaging_binding_proxy_address="+18005550199"))[
        :2
    ] == (400, 50413)
    handler.core.participants.numbers.add("+18005550102")  # owned from the store from now on
    moved = participant.update(messaging_binding_proxy_address="+18005550102")
    assert moved.messaging_binding["proxy_address"] == "+18005550102"
    other = conversations(conversations.create().sid)
    _sms(other, "+15550000011")  # the old pair is free again


def test_projected_address_is_refused_plainly(conversation: Any) -> None:
    status, _, message = _code(
        lambda: conversation.participants.create(
            identity="agent", messaging_binding_projected_address=SMS_PROXY
        )
    )
    assert status == 400
    assert "not supported on Azure Communication Services" in message
    assert "MMS" in message


def test_more_than_fifty_non_chat_participants_are_refused(conversation: Any) -> None:
    """50417: Twilio's participant limit; at most 50 non-chat participants by default."""
    for n in range(50):
        _sms(conversation, f"+1555100{n:04d}")
    status, code, _ = _code(lambda: _sms(conversation, "+15551009999"))
    assert (status, code) == (400, 50417)


def test_the_250th_chat_participant_is_refused_as_a_full_conversation(
    conversation: Any, adapter: AcsAdapter
) -> None:
    """50417, Twilio's error for a conversation at its participant limit
    (twilio.com/docs/api/errors/50417): an ACS thread has 250 seats and the service user
    holds one, so 249 chat participants fill it; SMS participants take no seat."""
    store = adapter.store
    sid = conversation.fetch().sid
    with store.transaction() as tx:  # fill the seats without 249 ACS round trips
        for n in range(CHAT_MAX):
            tx.participants.insert(sid=f"MB{n:032x}", conversation_sid=sid, identity=f"seat-{n}")
    status, code, _ = _code(lambda: conversation.participants.create(identity="one-too-many"))
    assert (status, code) == (400, 50417)
    _sms(conversation, "+15552000000")


def test_participant_conversations_by_address(client: Client) -> None:
    conversations = client.conversations.v1.conversations
    conversation = conversations(conversations.create(friendly_name="by address").sid)
    created = _sms(conversation, "+15550000021")
    listed = client.conversations.v1.participant_conversations.list(address="+15550000021")
    assert [(c.participant_sid, c.conversation_friendly_name) for c in listed] == [
        (created.sid, "by address")
    ]
    assert listed[0].participant_messaging_binding["proxy_address"] == SMS_PROXY
    assert listed[0].participant_identity is None


def test_conversation_with_participants_takes_bindings(client: Client, unique: str) -> None:
    v1 = client.conversations.v1
    skip_unless_twilio_has(v1, "conversation_with_participants")
    made = v1.conversation_with_participants.create(
        unique_name=f"cwp-bound-{unique}",
        participant=[
            json.dumps({"identity": "agent"}),
            json.dumps(
                {"messaging_binding": {"address": "+15550000031", "proxy_address": SMS_PROXY}}
            ),
        ],
    )
    kinds = sorted(
        (p.identity or "", (p.messaging_binding or {}).get("type", "chat"))
        for p in v1.conversations(made.sid).participants.list()
    )
    assert kinds == [("", "sms"), ("agent", "chat")]
    status, code, _ = _code(
        lambda: v1.conversation_with_participants.create(
            unique_name=f"cwp-taken-{unique}",
            participant=[
                json.dumps(
                    {"messaging_binding": {"address": "+15550000031", "proxy_address": SMS_PROXY}}
                )
            ],
        )
    )
    assert (status, code) == (409, 50425)
    with pytest.raises(TwilioRestException):
        v1.conversations(f"cwp-taken-{unique}").fetch()


def test_participant_webhooks_carry_the_binding() -> None:
    item = records.Participant(
        sid="MB" + "1" * 32,
        conversation_sid="CH" + "1" * 32,
        service_sid="IS" + "1" * 32,
        identity=None,
        attributes="{}",
        role_sid=None,
        last_read_message_index=None,
        last_read_timestamp=None,
        date_created=datetime.now(timezone.utc),
        date_updated=datetime.now(timezone.utc),
        messaging_binding=records.MessagingBinding(
            "whatsapp", "whatsapp:+15550001", WHATSAPP_PROXY
        ),
    )
    posted = fields.participant(item)
    assert posted["MessagingBinding.Type"] == "WHATSAPP"
    assert posted["MessagingBinding.Address"] == "whatsapp:+15550001"
    assert posted["MessagingBinding.ProxyAddress"] == WHATSAPP_PROXY
    assert "Identity" not in posted


def test_a_conversation_closed_by_its_timer_frees_its_pairs(
    client: Client, adapter: AcsAdapter
) -> None:
    """Timers close a conversation when it is next read; a new binding of the pair notices
    the holder is closed and takes the pair."""
    conversations = client.conversations.v1.conversations
    expiring = conversations(conversations.create().sid)
    _sms(expiring, "+15550000041")
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    adapter.store.conversations.update(
        expiring.fetch().sid, timers=encode_timers(closed="PT10M", date_closed=past)
    )
    other = conversations(conversations.create().sid)
    _sms(other, "+15550000041")
    assert expiring.fetch().state == "closed"
