"""Conversation lists page by keyset: filters run in the store, tokens are opaque and checked."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from twilio.rest import Client

from twilio_compat.wire import BASE_URL


def _ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(**delta)


def _scoped(client: Client, unique: str) -> Any:
    service = client.conversations.v1.services.create(friendly_name=f"lists {unique}")
    return client.conversations.v1.services(service.sid).conversations


def test_a_state_filter_pages_through_every_match_once(client: Client, unique: str) -> None:
    scoped = _scoped(client, unique)
    closed: list[str] = []
    for i in range(7):
        made = scoped.create(friendly_name=f"c{i}")
        if i % 2:
            scoped(made.sid).update(state="closed")
            closed.append(made.sid)
    # closed by its timer only: stored as active, listed as closed
    timed = scoped.create(date_created=_ago(hours=1), timers_closed="PT10M")
    closed.insert(0, timed.sid)  # created an hour ago: first in creation order
    listed = [c.sid for c in scoped.stream(state="closed", page_size=2)]
    assert listed == closed
    assert timed.sid not in [c.sid for c in scoped.list(state="active")]
    assert len(scoped.list(state="active")) == 4


def test_previous_page_of_a_filtered_list_is_the_page_before(client: Client, unique: str) -> None:
    scoped = _scoped(client, unique)
    for i in range(5):
        scoped(scoped.create(friendly_name=f"c{i}").sid).update(state="inactive")
    first = scoped.page(state="inactive", page_size=2)
    second = first.next_page()
    third = second.next_page()
    sids = [[c.sid for c in page] for page in (first, second, third)]  # pages iterate once
    assert [len(page) for page in sids] == [2, 2, 1]
    assert third.next_page() is None
    assert [c.sid for c in third.previous_page()] == sids[1]
    assert [c.sid for c in second.previous_page()] == sids[0]
    assert first.previous_page() is None
    assert second.previous_page().previous_page() is None


def test_pages_stay_put_when_earlier_conversations_go(client: Client, unique: str) -> None:
    scoped = _scoped(client, unique)
    made = [scoped.create(friendly_name=f"c{i}").sid for i in range(4)]
    first = scoped.page(page_size=2)
    scoped(made[0]).delete()  # an offset would now skip made[2]
    assert [c.sid for c in first.next_page()] == made[2:]


def _token(fields: dict[str, object]) -> str:
    raw = json.dumps(fields).encode()
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "page_token",
    [
        "PTnot-base64!",
        "XX" + _token({"t": 1})[2:],
        _token({"p": 10}),  # an offset token of another list
        _token({"t": "yesterday", "s": "CH" + "0" * 32}),
        _token({"t": -1, "s": "CH" + "0" * 32}),
        _token({"t": 10**20, "s": "CH" + "0" * 32}),
        _token({"t": 1, "s": "IS" + "0" * 32}),
        _token({"t": 1, "s": "CH' OR 1=1 --"}),
        _token({"t": 1, "s": "CH" + "0" * 32, "b": 7}),
        _token([1, 2]),  # type: ignore[arg-type]
        "PT" + "A" * 5000,
    ],
)
def test_a_bad_page_token_is_a_400(client: Client, page_token: str) -> None:
    response = client.request(
        "GET", f"{BASE_URL}/Conversations", params={"PageToken": page_token, "State": "closed"}
    )
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["code"] == 20001
