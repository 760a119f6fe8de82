"""State lists read only the conversations whose timers have fired, on either store.

A conversation whose timers have not fired is in its stored state, so a list of closed
conversations needs only the stored closed ones and those whose timers are due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store.conversations import Conversation
from tests.rest.conftest import ACCOUNT_SID, AUTH_TOKEN, adapter_settings
from twilio_compat.rest import AcsHttpClient, WireHandler

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

WAITING = 300


@pytest.fixture
def adapter(emulator: AcsEmulator, store_url: str, tmp_path: Path) -> Iterator[AcsAdapter]:
    with AcsAdapter.open(adapter_settings(emulator, tmp_path, store_url=store_url)) as opened:
        yield opened


@pytest.fixture
def client(adapter: AcsAdapter) -> Client:
    handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))


class _SeekCounter:
    """The store's `seek` as it is, counting the rows each kind of walk gets back."""

    def __init__(self, seek: Any) -> None:
        self._seek = seek
        self.timed_rows: list[str] = []
        self.calls_without_due_by = 0

    def __call__(self, *args: Any, **kw: Any) -> list[Conversation]:
        rows: list[Conversation] = self._seek(*args, **kw)
        if kw.get("with_timers"):
            self.timed_rows.extend(row.sid for row in rows)
            self.calls_without_due_by += kw.get("due_by") is None
        return rows


def _ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(**delta)


def test_a_closed_list_pages_the_closed_and_fired_ones_without_reading_waiting_timers(
    client: Client, adapter: AcsAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = client.conversations.v1.services.create(friendly_name="timer lists")
    scoped = client.conversations.v1.services(service.sid).conversations
    fired = [
        scoped.create(date_created=_ago(hours=2 - n), timers_closed="PT10M").sid for n in (0, 1)
    ]
    closed = []
    for n in range(WAITING):
        made = scoped.create(friendly_name=f"c{n}", timers_closed="P30D")
        if n % 100 == 50:
            scoped(made.sid).update(state="closed")
            closed.append(made.sid)
    counter = _SeekCounter(adapter.store.conversations.seek)
    monkeypatch.setattr(adapter.store.conversations, "seek", counter)

    listed = scoped.list(state="closed", limit=50)
    streamed = [c.sid for c in scoped.stream(state="closed", page_size=2)]

    assert [c.sid for c in listed] == fired + closed
    assert all(c.state == "closed" for c in listed)
    assert streamed == fired + closed
    assert set(counter.timed_rows) == set(fired)
    assert counter.calls_without_due_by == 0
    assert len(scoped.list(state="active", limit=WAITING)) == WAITING - len(closed)
