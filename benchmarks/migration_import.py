"""History import rates: archive mode into SQLite, replay mode into a throttled emulator.

The source is a generated Twilio account answered in memory (Twilio's JSON pages, 100 items
each), so the figures are the importer's and the store's, not a source's network latency.

- **archive**: 20,000 messages in 10 conversations into a SQLite store; goal 5,000 msg/s.
  Also reported: the store's bulk insert (``MessageRepository.insert_many``) alone.
- **replay**: 10 conversations x 20 messages re-sent in parallel to ``AcsEmulator(throttle=
  True)``, which enforces ACS's 10-per-10-s message limit per thread; the goal is to run at
  that limit (20 messages per thread cannot take less than 10 s) with no request refused,
  counted from the emulator's own request counters (a 429 retried by the SDK shows up there as
  an extra request).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from benchmarks.report import Row
from twilio_compat.core import Core
from twilio_compat.migration import HistoryImport, ImportOptions, TwilioSource
from twilio_compat.sids import new_sid

ARCHIVE_GOAL = 5000.0
ARCHIVE_CONVERSATIONS = 10
ARCHIVE_MESSAGES = 2000
BULK_ROWS = 20_000
REPLAY_CONVERSATIONS = 10
REPLAY_MESSAGES = 20
QUICK = {
    "ARCHIVE_CONVERSATIONS": 2,
    "ARCHIVE_MESSAGES": 20,
    "BULK_ROWS": 200,
    "REPLAY_CONVERSATIONS": 2,
    "REPLAY_MESSAGES": 3,
}
REPLAY_LIMIT = 10  # messages per thread in any 10 s (ACS)
REPLAY_WINDOW = 10.0
SERVICE = "IS" + "5" * 32
ACCOUNT = "AC" + "5" * 32
_STAMP = "2024-01-01T00:00:00Z"


def _sid(prefix: str, number: int) -> str:
    return f"{prefix}{number:032x}"


class GeneratedTwilio(HttpClient):  # type: ignore[misc]
    """A Twilio account with ``conversations`` x ``messages``, answered from memory."""

    def __init__(self, conversations: int, messages: int) -> None:
        super().__init__(logging.getLogger("benchmarks.generated-twilio"), False)
        self.conversations = conversations
        self.messages = messages

    def request(self, method: str, url: str, params: Any = None, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        path = parts.path.removeprefix("/v1")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        base = f"/Services/{SERVICE}"
        if path == "/Configuration":
            return _json({"default_chat_service_sid": SERVICE})
        if path == base:
            return _json({"sid": SERVICE, "friendly_name": "bench", "date_created": _STAMP})
        if path in (f"{base}/Users", f"{base}/Roles"):
            key = path.rsplit("/", 1)[1].lower()
            return _page(key, [], None)
        if path == f"{base}/Conversations":
            items = [self._conversation(c) for c in range(self.conversations)]
            return _page("conversations", items, None)
        number = int(path.split("/")[4][2:], 16)
        if path.endswith("/Participants"):
            return _page("participants", [self._member(number, i) for i in range(2)], None)
        if path.endswith("/Messages"):
            return self._messages(path, number, int(query.get("Page", "0")))
        return Response(404, json.dumps({"code": 20404, "message": "not found", "status": 404}))

    def _conversation(self, number: int) -> dict[str, Any]:
        return {
            "sid": _sid("CH", number),
            "friendly_name": f"room {number}",
            "unique_name": f"bench-room-{number}",
            "attributes": "{}",
            "state": "active",
            "timers": {},
            "date_created": _STAMP,
            "date_updated": _STAMP,
        }

    def _member(self, conversation: int, number: int) -> dict[str, Any]:
        return {
            "sid": _sid("MB", conversation * 10 + number),
            "identity": f"bench-user-{number}",
            "attributes": "{}",
            "date_created": _STAMP,
            "date_updated": _STAMP,
        }

    def _messages(self, path: str, conversation: int, page: int) -> Response:
        size = 100
        first, last = page * size, min(self.messages, (page + 1) * size)
        items = [
            {
                "sid": _sid("IM", conversation * 1_000_000 + i),
                "index": i,
                "author": f"bench-user-{i % 2}",
                "body": f"message {i}",
                "attributes": json.dumps({"n": i}),
                "media": None,
                "date_created": f"2024-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "date_updated": None,
            }
            for i in range(first, last)
        ]
        more = last < self.messages
        next_url = f"https://conversations.twilio.com/v1{path}?PageSize={size}&Page={page + 1}"
        return _page("messages", items, next_url if more else None)


def _json(body: dict[str, Any]) -> Response:
    return Response(200, json.dumps(body))


def _page(key: str, items: list[Any], next_url: str | None) -> Response:
    return _json({"meta": {"key": key, "next_page_url": next_url}, key: items})


@contextmanager
def _target(emulator: AcsEmulator) -> Iterator[tuple[AcsAdapter, Core]]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        settings = Settings.load(
            connection_string=emulator.connection_string,
            ca_bundle=emulator.ca_bundle,
            store_url=f"sqlite:///{Path(folder) / 'store.sqlite3'}",
            media=(Path(folder) / "media").as_uri(),
            environ={},
        )
        adapter = AcsAdapter.open(settings)
        core = Core(adapter)
        try:
            yield adapter, core
        finally:
            core.close()
            adapter.close()


def _source(conversations: int, messages: int) -> TwilioSource:
    client = Client(ACCOUNT, "bench", http_client=GeneratedTwilio(conversations, messages))
    return TwilioSource(client)


def archive_rows(conversations: int, messages: int) -> list[Row]:
    with AcsEmulator() as emulator, _target(emulator) as (adapter, core):
        options = ImportOptions(keep_service_sid=True)
        summary = HistoryImport(_source(conversations, messages), core, options).run()
        imported = summary.imported["messages"]
        rate = imported / summary.seconds if summary.seconds else 0.0

        store = adapter.store
        room = store.conversations.insert(sid=new_sid("CH"), scope=SERVICE, archived=True)
        rows = [
            {"sid": new_sid("IM"), "index": i, "body": f"m {i}", "archived": True}
            for i in range(BULK_ROWS)
        ]
        started = time.perf_counter()
        for start in range(0, len(rows), 100):  # pages of 100, one transaction each
            with store.transaction() as tx:
                tx.messages.insert_many(room.sid, rows[start : start + 100])
        bulk = len(rows) / (time.perf_counter() - started)
    complete = summary.ok and imported == conversations * messages
    return [
        Row(
            f"history import, archive mode: {imported:,} messages into SQLite",
            f"{rate:,.0f} msg/s" + ("" if complete else " (incomplete)"),
            f">= {ARCHIVE_GOAL:,.0f} msg/s",
            complete and rate >= ARCHIVE_GOAL,
        ),
        Row(
            "store bulk insert (insert_many, pages of 100), SQLite",
            f"{bulk:,.0f} msg/s",
            f">= {ARCHIVE_GOAL:,.0f} msg/s",
            bulk >= ARCHIVE_GOAL,
        ),
    ]


def replay_rows(conversations: int, messages: int) -> list[Row]:
    with AcsEmulator(throttle=True) as emulator, _target(emulator) as (_, core):
        emulator.reset_counters()
        options = ImportOptions(mode="replay", keep_service_sid=True, workers=conversations)
        summary = HistoryImport(_source(conversations, messages), core, options).run()
        counts = emulator.counters
    replayed = summary.imported["messages"]
    sends = counts.get("ChatThread_SendChatMessage", 0)
    refused = sends - replayed + counts.get("Chat_CreateChatThread", 0) - conversations
    rate = replayed / summary.seconds if summary.seconds else 0.0
    windows = max(0, (messages - 1) // REPLAY_LIMIT)
    at_limit = conversations * messages / (windows * REPLAY_WINDOW) if windows else rate
    ok = summary.ok and replayed == conversations * messages and refused == 0
    return [
        Row(
            f"history import, replay mode: {conversations} threads x {messages} messages, "
            "throttled emulator",
            f"{rate:,.1f} msg/s, {refused} refused",
            f"~{at_limit:,.1f} msg/s (ACS limit), 0 refused",
            ok and rate >= 0.8 * at_limit,
        )
    ]


def run() -> list[Row]:
    return archive_rows(ARCHIVE_CONVERSATIONS, ARCHIVE_MESSAGES) + replay_rows(
        REPLAY_CONVERSATIONS, REPLAY_MESSAGES
    )


if __name__ == "__main__":
    from benchmarks.report import show

    show(run())
