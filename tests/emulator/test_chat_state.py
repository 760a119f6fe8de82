"""Chat state lives in the emulator's database: a restart on the same state file keeps it."""

from __future__ import annotations

from pathlib import Path

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat


def test_threads_messages_and_receipts_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite3")
    with AcsEmulator(state=state) as first:
        chat = EmulatedChat(first)
        owner, guest = chat.users(2)
        thread_id = chat.new_thread(owner, guest, topic="durable")
        thread = chat.thread(owner, thread_id)
        sent = thread.send_message("kept", metadata={"k": "v"})
        chat.thread(guest, thread_id).send_read_receipt(sent.id)
        chat.close()

    with AcsEmulator(state=state) as second:
        chat = EmulatedChat(second)
        thread = chat.thread(owner, thread_id)
        messages = list(thread.list_messages())
        after = thread.send_message("after restart")
        participants = [p.identifier.raw_id for p in thread.list_participants()]
        receipts = [(r.sender.raw_id, r.chat_message_id) for r in thread.list_read_receipts()]
        listed = [t.id for t in chat.client(guest).list_chat_threads()]
        chat.close()

    assert [(m.sequence_id, m.type) for m in messages] == [
        ("3", "text"),
        ("2", "topicUpdated"),
        ("1", "participantAdded"),
    ]
    assert messages[0].metadata == {"k": "v"}
    assert int(after.id) > int(sent.id)
    assert participants == [owner.raw_id, guest.raw_id]
    assert receipts == [(guest.raw_id, sent.id)]
    assert listed == [thread_id]
