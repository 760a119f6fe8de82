"""Two writer processes sharing one PostgreSQL store send into the same conversations: every
index is used once, none is skipped, and each writer's messages get increasing indices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from tests.soak.processes import (
    ACCOUNT_SID,
    Line,
    agreement_problems,
    start_writer,
    writer_environment,
)
from twilio_compat.rest import AcsHttpClient, WireHandler

WRITERS = ("left-writer", "right-writer")
PER_WRITER = 40


@pytest.fixture
def adapter(
    emulator: AcsEmulator, postgres_database_url: str, tmp_path: Path
) -> Iterator[AcsAdapter]:
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=postgres_database_url,
        media=(tmp_path / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened


@pytest.fixture
def handler(adapter: AcsAdapter) -> Iterator[WireHandler]:
    opened = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
    yield opened
    opened.close()


def test_two_processes_on_one_postgres_store_keep_indices_unique_and_increasing(
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    handler: WireHandler,
    postgres_database_url: str,
    tmp_path: Path,
) -> None:
    client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
    conversations = []
    for name in ("shared-a", "shared-b"):
        created = client.conversations.v1.conversations.create(friendly_name=name)
        for writer in WRITERS:
            client.conversations.v1.conversations(created.sid).participants.create(identity=writer)
        conversations.append(created.sid)
    env = writer_environment(emulator, postgres_database_url, tmp_path / "media")

    processes = [start_writer(env, w, conversations, count=PER_WRITER) for w in WRITERS]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_, error) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, error[-3000:]
    lines = {
        writer: [Line.parse(t) for t in out.splitlines() if t.startswith("sent ")]
        for writer, (out, _) in zip(WRITERS, outputs, strict=True)
    }

    for sid in conversations:
        listed = client.conversations.v1.conversations(sid).messages.list(order="asc")
        assert [m.index for m in listed] == list(range(PER_WRITER))  # 2 writers x half each
        for writer in WRITERS:
            mine = [line.index for line in lines[writer] if line.conversation_sid == sid]
            assert len(mine) == PER_WRITER // 2
            assert mine == sorted(mine) and len(set(mine)) == len(mine)
            assert [m.index for m in listed if m.author == writer] == mine
        assert agreement_problems(handler, adapter.store, sid) == []
