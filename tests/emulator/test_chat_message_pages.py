"""The emulator's message pages come from index ranges and agree with the plain filter."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

import pytest

from acs_emulator.chat import storage
from acs_emulator.chat.schema import SCHEMA

THREAD = "19:pages@thread.v2"
COUNT = 60


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    """A thread of COUNT messages, one a millisecond from 1000; every fifth edited at 5000+."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.executescript(SCHEMA)
    connection.execute(
        "INSERT INTO chat_threads (id, topic, created_by, created_ms, last_activity_ms)"
        " VALUES (?, 'pages', 'owner', 0, 0)",
        (THREAD,),
    )
    for n in range(COUNT):
        storage.append_message(connection, THREAD, "text", 1000 + n, body=f"m{n}", sender="a")
    for n in range(0, COUNT, 5):
        connection.execute(
            "UPDATE chat_messages SET changed_ms = ? WHERE thread_id = ? AND id = ?",
            (5000 + n, THREAD, 1000 + n),
        )
    yield connection
    connection.close()


def _plain(
    conn: sqlite3.Connection, before: int, created_from: int, changed_from: int | None, limit: int
) -> list[int]:
    rows = conn.execute(
        "SELECT sequence_id FROM chat_messages WHERE thread_id = ? AND sequence_id < ?"
        " AND created_ms >= ? AND changed_ms >= ? ORDER BY sequence_id DESC LIMIT ?",
        (THREAD, before, created_from, -1 if changed_from is None else changed_from, limit),
    ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("created_from", "changed_from"),
    list(itertools.product([0, 1000, 1030, 2000], [None, 0, 1010, 1045, 5020, 9000])),
)
def test_every_page_matches_the_plain_filter(
    conn: sqlite3.Connection, created_from: int, changed_from: int | None
) -> None:
    for before, limit in itertools.product([2**62, COUNT, 41, 25, 3], [1, 7, 100]):
        rows = storage.newest_messages(
            conn,
            THREAD,
            before_sequence=before,
            created_from_ms=created_from,
            changed_from_ms=changed_from,
            limit=limit,
        )
        expected = _plain(conn, before, created_from, changed_from, limit)
        assert [row["sequence_id"] for row in rows] == expected, (before, limit)


def test_no_page_scans_the_thread(conn: sqlite3.Connection) -> None:
    plans: list[str] = []
    original = conn.execute

    class Explaining:
        def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
            plans.extend(row[-1] for row in original("EXPLAIN QUERY PLAN " + sql, params))
            return original(sql, params)

    storage.newest_messages(
        Explaining(),  # type: ignore[arg-type]
        THREAD,
        before_sequence=2**62,
        created_from_ms=1010,
        changed_from_ms=1050,
        limit=10,
    )
    assert plans and all(plan.startswith(("SEARCH", "USE TEMP B-TREE")) for plan in plans), plans
