"""Crash: a writer process killed with SIGKILL in the middle of sending leaves the store and ACS
in agreement, and the next writer carries on past every index already used."""

from __future__ import annotations

import os
import signal
import subprocess
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

AUTHOR = "crash-writer"
KILL_AFTER = (3, 11, 24)  # messages a writer reports before it is killed


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def adapter(emulator: AcsEmulator, store_url: str, tmp_path: Path) -> Iterator[AcsAdapter]:
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=store_url,
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


def _read_until(process: subprocess.Popen[str], sent: int) -> list[Line]:
    assert process.stdout is not None
    lines: list[Line] = []
    while len(lines) < sent:
        text = process.stdout.readline()
        if not text:
            process.wait()
            error = process.stderr.read() if process.stderr else ""
            pytest.fail(f"writer ended early ({process.returncode}):\n{error[-3000:]}")
        if text.startswith("sent "):
            lines.append(Line.parse(text))
    return lines


@pytest.mark.slow
def test_kill_9_mid_writes_leaves_store_and_acs_in_agreement(
    adapter: AcsAdapter, emulator: AcsEmulator, handler: WireHandler, store_url: str, tmp_path: Path
) -> None:
    client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
    conversation = client.conversations.v1.conversations.create(friendly_name="crash room")
    client.conversations.v1.conversations(conversation.sid).participants.create(identity=AUTHOR)
    env = writer_environment(emulator, store_url, tmp_path / "media")

    reported: list[Line] = []
    first = 0
    for kill_after in KILL_AFTER:
        writer = start_writer(env, AUTHOR, [conversation.sid], count=10_000, first=first)
        try:
            reported += _read_until(writer, kill_after)
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        assert agreement_problems(handler, adapter.store, conversation.sid) == []
        first = reported[-1].number + 2  # the killed one may or may not have been sent

    listed = client.conversations.v1.conversations(conversation.sid).messages.list()
    by_sid = {m.sid: m for m in listed}
    for line in reported:
        assert line.sid in by_sid, f"message #{line.number} reported sent but missing"
        assert by_sid[line.sid].index == line.index

    last = start_writer(env, AUTHOR, [conversation.sid], count=3, first=first)
    output, error = last.communicate(timeout=120)
    assert last.returncode == 0, error[-3000:]
    after = [Line.parse(t) for t in output.splitlines() if t.startswith("sent ")]
    assert len(after) == 3
    assert min(line.index for line in after) > max(m.index for m in listed)
    assert agreement_problems(handler, adapter.store, conversation.sid) == []
