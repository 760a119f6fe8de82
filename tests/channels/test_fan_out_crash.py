"""A burst of messages to 50 SMS participants, fanned out by a `twilio-acs serve` process that
is killed (-9) mid-way: its replacement finishes the fan-out, and each participant gets each
message exactly once.

The deliveries planned before each send and the repeatability id of each (message, participant)
are what make this hold: a recipient the dead process texted but did not record is sent again
with the same id, and ACS (here the emulator) answers without texting anyone twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan
from tests.rest.test_serve import ShimHttpClient, _environment
from tests.webhooks.test_replicas import Replica
from twilio_compat.rest import AcsHttpClient, WireHandler

SMS_NUMBER = "+18005550100"
PARTICIPANTS = 50
"""Twilio's maximum of SMS and WhatsApp participants in one conversation."""
PARTICIPANT_LIMIT = 50417
MESSAGES = 10
SEND = "Sms_Send"
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "fan-out-crash-auth-token"
BOUND = 90.0
SLOW_SENDS = FaultPlan({SEND: Fault(latency=1.0, latency_ms=300)})
"""Each SMS request takes 300 ms, so the burst is still being sent when the process is killed."""


def _phones() -> list[str]:
    return [f"+1425555{n:04d}" for n in range(PARTICIPANTS)]


def _add_participants(client: Client) -> str:
    """A conversation with the maximum of SMS participants; the 51st is refused."""
    conversation = client.conversations.v1.conversations.create(friendly_name="Burst")
    conversation.participants.create(identity="agent")
    for phone in _phones():
        conversation.participants.create(
            messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
        )
    with pytest.raises(TwilioRestException) as refused:
        conversation.participants.create(
            messaging_binding_address="+14255559999", messaging_binding_proxy_address=SMS_NUMBER
        )
    assert refused.value.code == PARTICIPANT_LIMIT
    return str(conversation.sid)


def _burst(client: Client, conversation_sid: str) -> list[str]:
    messages = client.conversations.v1.conversations(conversation_sid).messages
    return [str(messages.create(author="agent", body=f"update {n}").sid) for n in range(MESSAGES)]


def _client(replica: Replica) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(replica.url))


def _texts_per_recipient(emulator: AcsEmulator) -> Counter[tuple[str, str]]:
    return Counter((text["to"], text["body"]) for text in emulator.sms_outbox())


def _assert_each_text_once(emulator: AcsEmulator) -> None:
    received = _texts_per_recipient(emulator)
    expected = {(phone, f"update {n}") for phone in _phones() for n in range(MESSAGES)}
    assert set(received) == expected
    repeated = {key: count for key, count in received.items() if count > 1}
    assert not repeated, f"texted more than once: {repeated}"


def _wait_for_texts(emulator: AcsEmulator, count: int) -> int:
    deadline = time.monotonic() + BOUND
    while (found := len(emulator.sms_outbox())) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{found} texts of {count} within {BOUND} s")
        time.sleep(0.01)
    return found


def test_one_sms_request_per_message_for_50_participants_behind_one_number(
    tmp_path: Path, store_url: str
) -> None:
    with AcsEmulator() as emulator:
        settings = Settings.load(
            connection_string=emulator.connection_string,
            ca_bundle=emulator.ca_bundle,
            store_url=store_url,
            media=(tmp_path / "media").as_uri(),
            numbers=SMS_NUMBER,
            environ={},
        )
        handler = WireHandler.open(settings=settings, account_sid=ACCOUNT_SID)
        try:
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))
            conversation_sid = _add_participants(client)
            emulator.reset_counters()
            _burst(client, conversation_sid)
            _wait_for_texts(emulator, MESSAGES * PARTICIPANTS)
            assert handler.core.channels.caught_up(BOUND)
            time.sleep(0.5)  # a text sent twice would be in the outbox by now
        finally:
            handler.close()
        _assert_each_text_once(emulator)
        assert emulator.counters.get(SEND) == MESSAGES


@pytest.fixture
def served(tmp_path: Path, store_url: str) -> Iterator[tuple[AcsEmulator, Replica]]:
    """The emulator with slow SMS sends, and a `twilio-acs serve` process on `store_url`."""
    with AcsEmulator(faults=SLOW_SENDS) as emulator:
        env = _environment(
            emulator,
            tmp_path,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_COMPAT_NUMBERS=SMS_NUMBER,
        )
        env["TWILIO_COMPAT_STORE"] = store_url
        replica = Replica(env, tmp_path / "serve.log").start()
        try:
            yield emulator, replica
        finally:
            replica.stop()


@pytest.mark.slow
def test_a_fan_out_killed_mid_way_is_finished_by_the_next_process_once_per_recipient(
    served: tuple[AcsEmulator, Replica],
) -> None:
    emulator, replica = served
    client = _client(replica)
    conversation_sid = _add_participants(client)
    emulator.reset_counters()
    sent = _burst(client, conversation_sid)

    at_kill = _wait_for_texts(emulator, 2 * PARTICIPANTS + 1)
    replica.kill()
    assert at_kill < MESSAGES * PARTICIPANTS, "the whole burst was sent before the kill"

    replacement = _client(replica.start())  # takes over once the dead process's lease lapses
    _wait_for_texts(emulator, MESSAGES * PARTICIPANTS)
    messages = replacement.conversations.v1.conversations(conversation_sid).messages
    deadline = time.monotonic() + BOUND
    while any(messages(sid).fetch().delivery["sent"] != "all" for sid in sent):
        assert time.monotonic() < deadline, "the replacement did not finish the fan-out"
        time.sleep(0.2)
    time.sleep(1.0)  # a text sent twice would be in the outbox by now

    _assert_each_text_once(emulator)
    requests = emulator.counters.get(SEND, 0)
    assert MESSAGES <= requests <= MESSAGES + 1, "at most the send cut short is repeated"
    for sid in sent:
        assert messages(sid).fetch().delivery["total"] == PARTICIPANTS
