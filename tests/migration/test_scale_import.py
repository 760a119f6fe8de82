"""At scale: 50 conversations / 20,000 messages with media, archive mode, killed twice, resumed.

The "Twilio" side is the REST face over its own emulator and store. Its conversations and
members are created through the twilio package; its 20,000 messages are written straight
into its store as history (``MessageRepository.insert_many``), which is how the REST face
holds imported history too, so seeding takes seconds and the import still reads every page
through Twilio's wire format. ``twilio-acs migrate`` then runs as a real subprocess, is
killed with SIGKILL twice, and is rerun to the end.
"""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from acs_adapter.errors import Conflict, InvalidInput
from tests.migration.conftest import PNG, Side
from tests.migration.test_archive_import import BASE, all_messages, raw
from tests.migration.test_kill_and_resume import (
    ROOT,
    counter,
    environment,
    migrate_command,
    run_until,
)
from twilio_compat.core import records
from twilio_compat.core.codec import encode_attachments
from twilio_compat.sids import new_sid

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

CONVERSATIONS = 50
MESSAGES_PER_CONVERSATION = 400
MEDIA_EVERY = 100
TOTAL = CONVERSATIONS * MESSAGES_PER_CONVERSATION
START = datetime(2023, 3, 1, tzinfo=timezone.utc)


def seed_at_scale(side: Side) -> list[str]:
    """50 conversations with two members each; 400 messages each, every 100th with media."""
    conversations = side.client.conversations.v1.conversations
    store, media_store = side.adapter.store, side.adapter.media
    sids = []
    for c in range(CONVERSATIONS):
        room = conversations.create(friendly_name=f"Scale {c}", unique_name=f"scale-{c}")
        for identity in ("ana", "bo"):
            conversations(room.sid).participants.create(identity=identity)
        items, media_rows = [], []
        for m in range(MESSAGES_PER_CONVERSATION):
            created = START + timedelta(days=c, seconds=m)
            item: dict[str, object] = {
                "sid": new_sid("IM"),
                "index": m,
                "author": "ana" if m % 2 == 0 else "bo",
                "created_at": created,
                "archived": True,
                "body": f"message {m} of {c}",
                "attributes": json.dumps({"n": m}),
            }
            if m % MEDIA_EVERY == MEDIA_EVERY - 1:
                stored = media_store.put(
                    PNG + bytes([c, m % 256]), content_type="image/png", filename=f"p{m}.png"
                )
                media = records.Media(
                    sid=new_sid("ME"),
                    service_sid=room.chat_service_sid,
                    content_type="image/png",
                    filename=stored.filename,
                    size=stored.size,
                    date_created=created,
                )
                media_rows.append(
                    {
                        "sid": media.sid,
                        "scope": room.chat_service_sid,
                        "content_type": media.content_type,
                        "size": media.size,
                        "storage_key": stored.key,
                        "filename": media.filename,
                        "message_sid": str(item["sid"]),
                    }
                )
                item.update(body=None, media=encode_attachments([media]))
            items.append(item)
        with store.transaction() as tx:
            tx.messages.insert_many(room.sid, items)
            for row in media_rows:
                tx.media.insert(**row)
        sids.append(room.sid)
    return sids


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fifty_conversations_twenty_thousand_messages_killed_twice_then_complete(
    twilio_side: Side,
    acs_side: Side,
    source_emulator: AcsEmulator,
    emulator: AcsEmulator,
    tmp_path: Path,
) -> None:
    sids = seed_at_scale(twilio_side)
    assert len(all_messages(twilio_side.client, sids[-1], 100)) == MESSAGES_PER_CONVERSATION

    env = environment(twilio_side, source_emulator, acs_side, emulator, delay=0.0)
    summary_file = tmp_path / "summary.json"
    command = migrate_command(summary_file)
    messages = counter(acs_side, "select count(*) from messages")
    media = counter(acs_side, "select count(*) from media")
    conversations = counter(acs_side, "select count(*) from conversations")

    assert run_until(command, env, lambda: messages() >= TOTAL // 4) == -signal.SIGKILL
    assert run_until(command, env, lambda: messages() >= TOTAL * 3 // 4) == -signal.SIGKILL
    assert messages() < TOTAL

    final = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert final.returncode == 0, final.stdout + final.stderr
    summary = json.loads(summary_file.read_text())
    assert summary["failed"] == [] and summary["skipped"] == []
    assert conversations() == CONVERSATIONS
    assert messages() == TOTAL
    assert media() == TOTAL // MEDIA_EVERY

    # both faces answer alike: every page of a few conversations, and a media file's bytes
    for sid in (sids[0], sids[CONVERSATIONS // 2], sids[-1]):
        assert raw(acs_side.client, f"{BASE}/Conversations/{sid}") == raw(
            twilio_side.client, f"{BASE}/Conversations/{sid}"
        )
        assert all_messages(acs_side.client, sid, 100) == all_messages(twilio_side.client, sid, 100)
    last = all_messages(acs_side.client, sids[-1], 100)
    item = last[MEDIA_EVERY - 1]["media"][0]
    service = raw(acs_side.client, f"{BASE}/Conversations/{sids[-1]}")["chat_service_sid"]
    resource = raw(
        acs_side.client, f"https://mcs.us1.twilio.com/v1/Services/{service}/Media/{item['sid']}"
    )
    content = httpx.get(resource["links"]["content_direct_temporary"]).content
    assert content == PNG + bytes([CONVERSATIONS - 1, MEDIA_EVERY - 1])


def test_insert_many_writes_all_or_nothing_and_moves_the_next_index(acs_side: Side) -> None:
    store = acs_side.adapter.store
    room = acs_side.client.conversations.v1.conversations.create(unique_name="bulk-room")
    first, second = new_sid("IM"), new_sid("IM")
    rows = [{"sid": first, "index": 3, "body": "a"}, {"sid": second, "index": 7, "body": "b"}]

    assert store.messages.insert_many(room.sid, rows) == 2
    assert store.messages.conversations_of([first, second, new_sid("IM")]) == {
        first: room.sid,
        second: room.sid,
    }
    assert store.messages.taken_indices(room.sid, [0, 3, 7, 8]) == {3, 7}
    live = acs_side.client.conversations.v1.conversations(room.sid).messages.create(body="new")
    assert live.index == 8  # the next index moved past the imported ones

    clash = [{"sid": new_sid("IM"), "index": 20}, {"sid": new_sid("IM"), "index": 3}]
    with pytest.raises(Conflict):
        store.messages.insert_many(room.sid, clash)
    assert store.messages.taken_indices(room.sid, [20]) == set()  # nothing half-written
    with pytest.raises(InvalidInput, match="explicit index"):
        store.messages.insert_many(room.sid, [{"sid": new_sid("IM")}])
    with pytest.raises(InvalidInput, match="unknown message fields: colour"):
        store.messages.insert_many(room.sid, [{"sid": new_sid("IM"), "index": 9, "colour": 1}])
