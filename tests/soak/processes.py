"""Helpers for tests that run writers in separate processes against one emulator and store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from acs_adapter.store import MappingStore
from acs_emulator import AcsEmulator
from tests.soak.writer import ACCOUNT_SID
from twilio_compat.rest import WireHandler

REPO = Path(__file__).resolve().parents[2]

__all__ = ["ACCOUNT_SID", "Line", "agreement_problems", "start_writer", "writer_environment"]


@dataclass(frozen=True)
class Line:
    """One ``sent`` line a writer printed."""

    number: int
    conversation_sid: str
    index: int
    sid: str

    @classmethod
    def parse(cls, text: str) -> Line:
        _, number, conversation, index, sid = text.split()
        return cls(int(number), conversation, int(index), sid)


def writer_environment(emulator: AcsEmulator, store_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACS_", "TWILIO_"))}
    env.update(
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=emulator.ca_bundle,
        TWILIO_COMPAT_STORE=store_url,
        TWILIO_COMPAT_MEDIA=media.as_uri(),
        PYTHONPATH=str(REPO),
    )
    return env


def start_writer(
    env: dict[str, str], author: str, conversations: list[str], count: int, first: int = 0
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.soak.writer", "--author", author]
    command += ["--conversations", ",".join(conversations), "--count", str(count)]
    command += ["--first", str(first)]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def agreement_problems(
    handler: WireHandler, store: MappingStore, conversation_sid: str
) -> list[str]:
    """Every way ``store`` (the one under ``handler``) and ACS disagree about a conversation's
    messages (after a sync).

    ACS holds each message once; each has a store row with the SID and index it was sent
    with; each store row points at a message ACS has (no orphan SID pairs); indices are unique.
    """
    core = handler.core
    service = core.services.default_sid
    conversation = core.messages.conversation(service, conversation_sid)
    core.messages.sync(conversation)
    problems: list[str] = []
    acs = [
        m
        for m in core.directory.service_chat().list_messages(conversation.thread_id or "")
        if m.type == "text"
    ]
    counted = Counter(m.metadata.get("twilioSid") for m in acs)
    problems += [f"ACS holds {sid} {n} times" for sid, n in counted.items() if n > 1]
    for message in acs:
        row = store.messages.get_by_acs_message_id(conversation.sid, message.id)
        if row is None:
            problems.append(f"ACS message {message.id} has no store row (lost index)")
        elif (row.sid, str(row.index)) != (
            message.metadata.get("twilioSid"),
            message.metadata.get("twilioIndex"),
        ):
            problems.append(f"store row {row.sid}/{row.index} disagrees with {message.metadata}")
    rows = store.messages.list(conversation.sid, limit=100_000)
    acs_ids = {m.id for m in acs}
    problems += [
        f"store row {r.sid} has no ACS message" for r in rows if r.acs_message_id not in acs_ids
    ]
    indices = [r.index for r in rows]
    if len(set(indices)) != len(indices):
        problems.append(f"indices repeat: {sorted(indices)}")
    return problems
