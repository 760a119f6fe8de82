"""`twilio-acs migrate` killed with SIGKILL at several points, then rerun: exactly the source.

The importer runs as a real subprocess against a "Twilio" that answers slowly; the test
watches the target store and kills the process at chosen points (while the first
conversation is being set up, after some messages, after most of them), then reruns it to
the end and compares every page both faces answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from tests.migration.conftest import Side, seed
from tests.migration.test_archive_import import BASE, all_messages, raw

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ROOT = Path(__file__).resolve().parents[2]


def environment(
    twilio: Side, source: AcsEmulator, acs: Side, target: AcsEmulator, delay: float
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MIGRATION_SOURCE_CONNECTION=source.connection_string,
        MIGRATION_SOURCE_CA=str(source.ca_bundle),
        MIGRATION_SOURCE_STORE=f"sqlite:///{twilio.folder / 'store.sqlite3'}",
        MIGRATION_SOURCE_MEDIA=(twilio.folder / "media").as_uri(),
        MIGRATION_SOURCE_DELAY=str(delay),
        ACS_CONNECTION_STRING=target.connection_string,
        ACS_CA_BUNDLE=str(target.ca_bundle),
        TWILIO_COMPAT_STORE=f"sqlite:///{acs.folder / 'store.sqlite3'}",
        TWILIO_COMPAT_MEDIA=(acs.folder / "media").as_uri(),
    )
    return env


def migrate_command(summary: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from twilio_compat.cli import main; main()",
        "migrate",
        "--source-factory",
        "tests.migration.source_factory:make_client",
        "--no-progress",
        "--keep-service-sid",
        "--summary-json",
        str(summary),
    ]


def counter(acs: Side, sql: str) -> Callable[[], int]:
    engine = create_engine(f"sqlite:///{acs.folder / 'store.sqlite3'}")

    def count() -> int:
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        except Exception:  # the importer may not have created the tables yet
            return 0

    return count


def run_until(command: list[str], env: dict[str, str], reached: Callable[[], bool]) -> int:
    """Start the importer, SIGKILL it once ``reached()``; its exit code (-9 when killed)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if reached():
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.timeout(300)
def test_sigkill_at_several_points_then_rerun_gives_exactly_the_source(
    twilio_side: Side,
    acs_side: Side,
    source_emulator: AcsEmulator,
    emulator: AcsEmulator,
    tmp_path: Path,
) -> None:
    sids = seed(twilio_side.client, conversations=3, messages=45, media_every=9)
    env = environment(twilio_side, source_emulator, acs_side, emulator, delay=0.03)
    summary_file = tmp_path / "summary.json"
    command = migrate_command(summary_file)
    conversations = counter(acs_side, "select count(*) from conversations")
    messages = counter(acs_side, "select count(*) from messages")
    media = counter(acs_side, "select count(*) from media")

    kill_points = [
        lambda: conversations() >= 1,  # the first conversation is being set up
        lambda: messages() >= 45,  # between conversations / pages
        lambda: media() >= 10,  # media of the last conversation on its way
    ]
    for reached in kill_points:
        assert run_until(command, env, reached) == -signal.SIGKILL

    final = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stdout + final.stderr
    summary = json.loads(summary_file.read_text())
    assert summary["failed"] == []
    assert messages() == 135 and media() == 15 and conversations() == 3

    for sid in sids:
        for path in ("", "/Participants"):
            url = f"{BASE}/Conversations/{sid}{path}"
            assert raw(acs_side.client, url) == raw(twilio_side.client, url)
        assert all_messages(acs_side.client, sid, 50) == all_messages(twilio_side.client, sid, 50)
        # one ACS thread per conversation, with both members and the service user
        row = acs_side.adapter.store.conversations.get(sid)
        assert row is not None and row.thread_id
        chat = acs_side.handler.core.directory.service_chat()
        assert len(list(chat.list_participants(row.thread_id))) == 3

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    rerun = json.loads(summary_file.read_text())
    assert rerun["imported"] == dict.fromkeys(rerun["imported"], 0)
    assert rerun["already_present"]["conversations"] == 3
