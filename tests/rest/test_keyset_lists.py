"""Users and participant-conversation lists page by keyset: every item once, in order, across
pages (ties in creation time broken by SID), backwards too, and only our own tokens accepted."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from twilio_compat.sids import new_sid
from twilio_compat.wire import BASE_URL

SIZES = (1, 2, 3, 50)


def _start() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)


def _service(client: Client, unique: str) -> str:
    return str(client.conversations.v1.services.create(friendly_name=f"keyset {unique}").sid)


def _times(count: int) -> list[datetime]:
    """Creation times with ties (pairs share a millisecond) and shuffled insertion order."""
    start = _start()
    return [start + timedelta(milliseconds=(n * 7 % count) // 2) for n in range(count)]


def _in_order(rows: list[tuple[datetime, str]]) -> list[str]:
    return [sid for _, sid in sorted(rows)]


def _pages_both_ways(listing: Any, page_size: int, **filters: str) -> list[list[str]]:
    """Every page forwards by next_page_url; the same pages again backwards by
    previous_page_url."""
    pages = [listing.page(page_size=page_size, **filters)]
    while (following := pages[-1].next_page()) is not None:
        pages.append(following)
    forwards = [[_sid(item) for item in page] for page in pages]
    back: list[list[str]] = []
    page = pages[-1]
    while (page := page.previous_page()) is not None:
        back.insert(0, [_sid(item) for item in page])
    assert back == forwards[:-1]
    return forwards


def _sid(item: Any) -> str:
    return str(getattr(item, "conversation_sid", None) or item.sid)


def _seed_users(adapter: AcsAdapter, scope: str, count: int) -> list[str]:
    rows = []
    for created in _times(count):
        sid = new_sid("US")
        identity = f"user-{sid[-8:]}"
        adapter.store.users.insert(sid=sid, scope=scope, identity=identity, created_at=created)
        rows.append((created, sid))
    return _in_order(rows)


@pytest.mark.parametrize("page_size", SIZES)
def test_users_page_through_every_user_once_in_order(
    client: Client, adapter: AcsAdapter, unique: str, page_size: int
) -> None:
    service = _service(client, unique)
    expected = _seed_users(adapter, service, 11)
    users = client.conversations.v1.services(service).users
    pages = _pages_both_ways(users, page_size)
    assert [sid for page in pages for sid in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])
    assert [u.sid for u in users.stream(page_size=page_size)] == expected


def test_user_pages_stay_put_when_earlier_users_go(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    service = _service(client, unique)
    made = _seed_users(adapter, service, 4)
    users = client.conversations.v1.services(service).users
    first = users.page(page_size=2)
    users(made[0]).delete()  # an offset would now skip made[2]
    assert [u.sid for u in first.next_page()] == made[2:]


def test_users_of_the_default_service_page_by_token(client: Client, unique: str) -> None:
    users = client.conversations.v1.users
    made = [users.create(identity=f"{unique}-{n}").sid for n in range(3)]
    page = users.page(page_size=1)
    assert page.next_page_url is not None and "PageToken=" in page.next_page_url
    listed = [u.sid for u in users.stream(page_size=1) if u.sid in made]
    # Users made within one clock tick tie on creation time and follow by SID: each comes once.
    assert sorted(listed) == sorted(made)


def _seed_conversation(adapter: AcsAdapter, scope: str, created: datetime, **kw: Any) -> str:
    sid = new_sid("CH")
    adapter.store.conversations.insert(
        sid=sid, scope=scope, thread_id=f"19:{sid}@thread.v2", created_at=created, **kw
    )
    return sid


@pytest.mark.parametrize("page_size", SIZES)
def test_an_identitys_conversations_page_once_in_conversation_order(
    client: Client, adapter: AcsAdapter, unique: str, page_size: int
) -> None:
    service, other = _service(client, unique), _service(client, f"{unique}-other")
    identity = f"kim-{unique}"
    store = adapter.store
    rows = []
    for n, created in enumerate(_times(12)):
        sid = _seed_conversation(adapter, service, created)
        if n % 4 != 3:  # some conversations without kim
            # joined in the reverse order: the list follows the conversations, not the joins
            joined = _start() + timedelta(hours=1, milliseconds=-n)
            store.participants.insert(
                sid=new_sid("MB"), conversation_sid=sid, identity=identity, created_at=joined
            )
            rows.append((created, sid))
    for hidden in (
        _seed_conversation(adapter, service, _start(), pending=True),
        _seed_conversation(adapter, other, _start()),
    ):
        store.participants.insert(sid=new_sid("MB"), conversation_sid=hidden, identity=identity)
    expected = _in_order(rows)
    listing = client.conversations.v1.services(service).participant_conversations
    pages = _pages_both_ways(listing, page_size, identity=identity)
    assert [sid for page in pages for sid in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])
    user = client.conversations.v1.services(service).users.create(identity=identity)
    mine = client.conversations.v1.services(service).users(user.sid).user_conversations
    assert [c.conversation_sid for c in mine.stream(page_size=page_size)] == expected


@pytest.mark.parametrize("page_size", SIZES)
def test_an_addresss_conversations_page_once_in_participation_order(
    client: Client, adapter: AcsAdapter, unique: str, page_size: int
) -> None:
    service = _service(client, unique)
    address = f"+1555{abs(hash(unique)) % 10**7:07d}"
    rows = []
    for n, joined in enumerate(_times(9)):
        # created in the reverse order: the list follows the participations
        conversation = _seed_conversation(adapter, service, _start() - timedelta(seconds=n))
        participant = adapter.store.participants.insert(
            sid=new_sid("MB"),
            conversation_sid=conversation,
            binding_type="sms",
            binding_address=address,
            created_at=joined,
        )
        rows.append((joined, participant.sid, conversation))  # ties: by participant SID
    expected = [conversation for *_, conversation in sorted(rows)]
    listing = client.conversations.v1.services(service).participant_conversations
    pages = _pages_both_ways(listing, page_size, address=address)
    assert [sid for page in pages for sid in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])


def _token(fields: object) -> str:
    raw = json.dumps(fields).encode()
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_TOKENS = [
    "PTnot-base64!",
    _token({"p": 10}),  # an offset token
    _token({"t": "yesterday", "s": "US" + "0" * 32}),
    _token({"t": -1, "s": "US" + "0" * 32}),
    _token({"t": 1, "s": "US' OR 1=1 --"}),
    _token({"t": 1, "s": "US" + "0" * 32, "b": 2}),
    _token([1, 2]),
    "PT" + "A" * 5000,
]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/Users", {}),
        ("/ParticipantConversations", {"Identity": "kim"}),
        ("/ParticipantConversations", {"Address": "+15550000001"}),
    ],
)
@pytest.mark.parametrize("page_token", BAD_TOKENS)
def test_a_bad_page_token_is_a_400(
    client: Client, path: str, params: dict[str, str], page_token: str
) -> None:
    response = client.request(
        "GET", f"{BASE_URL}{path}", params={**params, "PageToken": page_token}
    )
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["code"] == 20001


@pytest.mark.parametrize(
    ("path", "params", "foreign"),
    [
        ("/Users", {}, "CH"),
        ("/ParticipantConversations", {"Identity": "kim"}, "MB"),
        ("/ParticipantConversations", {"Address": "+15550000001"}, "CH"),
    ],
)
def test_a_token_of_another_list_is_a_400(
    client: Client, path: str, params: dict[str, str], foreign: str
) -> None:
    page_token = _token({"t": 1, "s": foreign + "0" * 32})
    response = client.request(
        "GET", f"{BASE_URL}{path}", params={**params, "PageToken": page_token}
    )
    assert response.status_code == 400, response.text
    assert json.loads(response.text)["code"] == 20001
