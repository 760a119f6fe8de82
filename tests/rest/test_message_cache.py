"""The message cache stays right while it does less: restarts, busy conversations, authors."""

from __future__ import annotations

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.rest.conftest import ACCOUNT_SID, AUTH_TOKEN
from twilio_compat.rest import AcsHttpClient, WireHandler


def _thread(adapter: AcsAdapter, sid: str) -> str:
    stored = adapter.store.conversations.get(sid)
    assert stored is not None and stored.thread_id
    return stored.thread_id


def test_a_restarted_process_sees_what_acs_apps_sent_meanwhile(
    adapter: AcsAdapter, handler: WireHandler, client: Client, unique: str
) -> None:
    created = client.conversations.v1.conversations.create(unique_name=f"restart-{unique}")
    conversation = client.conversations.v1.conversations(created.sid)
    conversation.messages.create(author="alice", body="before")
    assert [m.body for m in conversation.messages.list()] == ["before"]
    native = adapter.chat.as_user(handler.core.directory.service_user)
    native.send_message(_thread(adapter, created.sid), "while restarting")
    restarted = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)  # nothing in memory
    try:
        again = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=restarted))
        listed = again.conversations.v1.conversations(created.sid).messages.list()
        assert [(m.index, m.body) for m in listed] == [(0, "before"), (1, "while restarting")]
    finally:
        restarted.close()


def test_every_read_sees_each_acs_change_once(
    adapter: AcsAdapter, client: Client, unique: str, emulator: AcsEmulator
) -> None:
    created = client.conversations.v1.conversations.create(unique_name=f"busy-{unique}")
    conversation = client.conversations.v1.conversations(created.sid)
    conversation.participants.create(identity="alice")
    alice = adapter.chat.as_user(adapter.directory.acs_user_for("alice"))
    thread = _thread(adapter, created.sid)
    seen: list[str] = []
    for round_ in range(4):
        ids = [alice.send_message(thread, f"r{round_} m{n}") for n in range(30)]
        conversation.messages.create(author="alice", body=f"shim {round_}")
        alice.update_message(thread, ids[0], content=f"r{round_} edited")
        alice.delete_message(thread, ids[1])
        listed = conversation.messages.list(order="asc")
        seen = [m.body for m in listed]
        assert len(seen) == len(set(m.sid for m in listed)) == (round_ + 1) * 30
        assert [m.index for m in listed] == sorted(m.index for m in listed)
        assert f"r{round_} edited" in seen and f"r{round_} m1" not in seen
        assert seen.count(f"shim {round_}") == 1
    assert all(m.participant_sid for m in conversation.messages.list(limit=5))
