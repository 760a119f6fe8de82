"""Database sessions a busy process opens: the store's pool against `serve`'s request threads.

`SENDERS` threads (as many as `serve` answers requests on) send messages through the REST face
into a few conversations, after a warm-up that fills the pool; a SQLAlchemy pool ``connect``
event counts every new database session.
With SQLAlchemy's default pool (5, plus 10 that close after use) most requests past the fifth
open a session of their own; with the pool `serve` sizes to its threads they are reused.
"""

from __future__ import annotations

import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import event
from twilio.rest import Client

from acs_emulator import AcsEmulator
from benchmarks.change_feed import _postgres
from benchmarks.emulated_adapter import open_adapter
from benchmarks.report import Row
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.settings import SERVE_REQUEST_THREADS, SERVE_STORE_POOL_SIZE

ACCOUNT_SID = "AC" + "f" * 32
MESSAGES = 1000
SENDERS = SERVE_REQUEST_THREADS
CONVERSATIONS = 8
GOAL_PER_1000 = 10.0
POSTGRES = True
QUICK = {"MESSAGES": 40, "SENDERS": 8, "POSTGRES": False}
NOTES = [
    f"Store sessions: {MESSAGES:,} messages sent through the REST face by {SENDERS} threads "
    f"into {CONVERSATIONS} conversations after {SENDERS * 4} warm-up sends; new database "
    "sessions counted with a SQLAlchemy pool "
    "`connect` event, per 1,000 messages, with SQLAlchemy's default pool and with the pool "
    f"`serve` uses ({SERVE_STORE_POOL_SIZE} connections).",
]


def _sessions_per_1000(emu: AcsEmulator, folder: Path, url: str, pool: int | None) -> float:
    with open_adapter(emu, folder, store_url=url, store_pool_size=pool) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        try:
            client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
            conversations = client.conversations.v1.conversations
            sids = [conversations.create(friendly_name=f"c{n}").sid for n in range(CONVERSATIONS)]

            def send(n: int) -> None:
                conversations(sids[n % CONVERSATIONS]).messages.create(
                    author=f"author-{n % 4}", body=f"message {n}"
                )

            with ThreadPoolExecutor(SENDERS) as senders:
                list(senders.map(send, range(SENDERS * 4)))  # the pool fills once, not counted
            opened = [0]
            lock = threading.Lock()

            def connected(*_: Any) -> None:
                with lock:
                    opened[0] += 1

            event.listen(adapter.store.engine, "connect", connected)
            try:
                with ThreadPoolExecutor(SENDERS) as senders:
                    list(senders.map(send, range(MESSAGES)))
            finally:
                event.remove(adapter.store.engine, "connect", connected)
        finally:
            handler.close()
    return opened[0] * 1000 / MESSAGES


def _rows(emu: AcsEmulator, folder: Path, url: str, label: str) -> list[Row]:
    default = _sessions_per_1000(emu, folder, url, None)
    sized = _sessions_per_1000(emu, folder, url, SERVE_STORE_POOL_SIZE)
    return [
        Row(
            f"{label}: database sessions opened per 1,000 messages, {SENDERS} threads, "
            "SQLAlchemy's default pool",
            f"{default:.0f}",
        ),
        Row(
            f"{label}: database sessions opened per 1,000 messages, {SENDERS} threads, "
            f"serve's pool ({SERVE_STORE_POOL_SIZE})",
            f"{sized:.0f}",
            f"<= {GOAL_PER_1000:.0f}" if MESSAGES >= 1000 else None,
            sized <= GOAL_PER_1000 or MESSAGES < 1000,
        ),
    ]


def run() -> list[Row]:
    rows: list[Row] = []
    with AcsEmulator() as emu, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        rows += _rows(emu, folder, f"sqlite:///{folder / 'store.sqlite3'}", "SQLite")
        if not POSTGRES:
            return rows
        with _postgres() as url:
            if url is None:
                rows.append(Row("store sessions on PostgreSQL", "skipped: no initdb/pg_ctl here"))
            else:
                rows += _rows(emu, folder, url, "PostgreSQL")
    return rows
