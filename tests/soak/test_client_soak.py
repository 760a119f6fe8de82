"""Soak, client face: identities send through
``prepareMessage().setBody().setAttributes().addMedia().build().send()`` into shared
conversations while the emulator fails 20% of requests (503, 429 with Retry-After, dropped
connections, writes committed whose response is lost) and delays others.

Afterwards ACS itself and every client agree: each message exactly once, each author's messages
in the order sent, attributes and media (bytes, name, type) intact; and each client heard
``messageAdded`` exactly once for every message of its conversations, its own and the others',
although its event poller also ran into the faults.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from acs_adapter._retry import RetrySettings
from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from tests.soak.conftest import one_in_five_fails
from twilio_compat.conversations import Client, Conversation, Message, SigningKeys
from twilio_compat.core import Core
from twilio_compat.core.messages import SID_KEY
from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant

ACCOUNT_SID = "AC" + "6" * 32
KEY_SID = "SK" + "6" * 32
KEY_SECRET = "client-soak-signing-secret-0123456789"
AUTHORS = 6
CONVERSATIONS = 3
PER_AUTHOR = 40
MEDIA_EVERY = 5  # every fifth message of an author carries a file
POLL = 0.5
SETTLE_SECONDS = 60.0

FAULTS = one_in_five_fails(seed=11)


@dataclass(frozen=True)
class Planned:
    author: str
    number: int
    conversation: int
    attributes: dict[str, Any]
    media: tuple[str, bytes] | None  # (file name, content)

    @property
    def body(self) -> str:
        return f"{self.author} says #{self.number}"


def _plan(author: int, identity: str) -> list[Planned]:
    items = []
    for number in range(PER_AUTHOR):
        media = None
        if number % MEDIA_EVERY == 0:
            media = (f"{number}.txt", f"{identity}/{number}|".encode() * 50)
        items.append(
            Planned(
                author=identity,
                number=number,
                conversation=(author + number) % CONVERSATIONS,
                attributes={"author": identity, "n": number, "nested": {"list": [author, number]}},
                media=media,
            )
        )
    return items


def _token(identity: str) -> str:
    token = AccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity=identity, ttl=3600)
    token.add_grant(ChatGrant())
    return token.to_jwt()


@pytest.fixture(scope="module")
def core(faulty_emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    folder = tmp_path_factory.mktemp("client-soak")
    settings = Settings.load(
        connection_string=faulty_emulator.connection_string,
        ca_bundle=faulty_emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        # As in the REST soak: enough tries that an operation failing every attempt is
        # negligible; what is under test is that retries never duplicate or lose anything.
        retry=RetrySettings(total=8, timeout=60.0, backoff=0.05, max_backoff=0.5),
        environ={},
    )
    with AcsAdapter.open(settings) as adapter:
        shared = Core(adapter, account_sid=ACCOUNT_SID)
        yield shared
        shared.close()


@pytest.fixture
async def clients(core: Core) -> AsyncIterator[dict[str, Client]]:
    keys = SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=ACCOUNT_SID, environ={}
    )
    identities = [f"soak-author-{n}|c&{n}" for n in range(AUTHORS)]
    opened = {
        identity: Client(_token(identity), core=core, signingKeys=keys, pollInterval=POLL)
        for identity in identities
    }
    try:
        for client in opened.values():
            await client._ready()
        yield opened
    finally:
        for client in opened.values():
            await client.shutdown()


class Heard:
    """Every ``messageAdded`` one client announced, by message SID."""

    def __init__(self, client: Client) -> None:
        self.sids: Counter[str] = Counter()
        client.on("messageAdded", self._add)

    def _add(self, message: Message) -> None:
        self.sids[message.sid] += 1


async def _send_all(
    conversations: list[Conversation], items: list[Planned], sent: dict[str, int]
) -> list[str]:
    """Send one author's messages in order; the failures, as text."""
    failures = []
    for item in items:
        builder = conversations[item.conversation].prepareMessage()
        builder.setBody(item.body).setAttributes(item.attributes)
        if item.media is not None:
            filename, data = item.media
            builder.addMedia({"contentType": "text/plain", "filename": filename, "media": data})
        try:
            index = await builder.build().send()
        except Exception as error:
            failures.append(f"{item.author} #{item.number}: {error!r}")
        else:
            sent[f"{item.author}#{item.number}"] = index if index is not None else -1
    return failures


async def _all_messages(conversation: Conversation) -> list[Message]:
    page = await conversation.getMessages(100, 0, "forward")
    found = list(page.items)
    while page.hasNextPage:
        page = await page.nextPage()
        found.extend(page.items)
    return found


@pytest.mark.soak
async def test_client_face_sends_under_twenty_percent_faults_arrive_exactly_once(
    faulty_emulator: AcsEmulator, core: Core, clients: dict[str, Client]
) -> None:
    identities = list(clients)
    owner = clients[identities[0]]
    sids = []
    for number in range(CONVERSATIONS):
        created = await owner.createConversation(friendlyName=f"client soak {number}")
        await created.join()
        for identity in identities[1:]:
            await created.add(identity)
        sids.append(created.sid)
    rooms = {
        identity: [await client.getConversationBySid(sid) for sid in sids]
        for identity, client in clients.items()
    }
    heard = {identity: Heard(client) for identity, client in clients.items()}
    plan = {identity: _plan(n, identity) for n, identity in enumerate(identities)}
    sent: dict[str, int] = {}

    faulty_emulator.reset_counters()
    faulty_emulator.set_faults(FAULTS)
    try:
        results = await asyncio.gather(
            *(_send_all(rooms[identity], plan[identity], sent) for identity in identities)
        )
    finally:
        faulty_emulator.clear_faults()
    failures = [failure for result in results for failure in result]
    assert failures == [], failures
    sends = faulty_emulator.counters.get("ChatThread_SendChatMessage", 0)
    assert sends > AUTHORS * PER_AUTHOR, "the fault plan should have forced some resends"

    expected = {(item.author, item.number): item for items in plan.values() for item in items}
    reader = rooms[identities[-1]]
    seen: Counter[tuple[str, int]] = Counter()
    every_sid: set[str] = set()
    for number, conversation in enumerate(reader):
        listed = await _all_messages(conversation)
        indices = [m.index for m in listed]
        assert len(set(indices)) == len(indices) and indices == sorted(indices)
        order: dict[str, list[int]] = defaultdict(list)
        for message in listed:
            key = (message.attributes["author"], message.attributes["n"])
            seen[key] += 1
            every_sid.add(message.sid)
            item = expected[key]
            assert item.conversation == number
            assert (message.author, message.body) == (item.author, item.body)
            assert message.attributes == item.attributes
            assert message.index == sent[f"{item.author}#{item.number}"]
            await _media_is_intact(message, item)
            order[item.author].append(item.number)
        for numbers in order.values():
            assert numbers == sorted(numbers), "an author's messages must keep the order sent"
    assert set(seen) == set(expected), "some messages were lost"
    assert [key for key, count in seen.items() if count > 1] == [], "some were duplicated"

    _acs_holds_each_message_once(core, sids)
    await _every_client_heard_each_message_once(heard, every_sid)


async def _media_is_intact(message: Message, item: Planned) -> None:
    if item.media is None:
        assert message.attachedMedia == [] and message.type == "text"
        return
    filename, data = item.media
    [media] = message.attachedMedia
    assert (media.filename, media.contentType, media.size) == (filename, "text/plain", len(data))
    url = await media.getContentTemporaryUrl()
    assert url is not None
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == data


def _acs_holds_each_message_once(core: Core, sids: list[str]) -> None:
    """ACS itself, not only the store, has each message once (a resend after a lost response
    would carry the same SID in its metadata and hide behind the store's unique key)."""
    service = core.services.default_sid
    total = 0
    for sid in sids:
        row = core.conversations.stored(service, sid)
        assert row.thread_id
        texts = [
            m
            for m in core.directory.service_chat().list_messages(row.thread_id, page_size=200)
            if m.type == "text"
        ]
        counts = Counter(m.metadata.get(SID_KEY) for m in texts)
        assert [s for s, n in counts.items() if n > 1] == []
        total += len(texts)
    assert total == AUTHORS * PER_AUTHOR


async def _every_client_heard_each_message_once(
    heard: dict[str, Heard], every_sid: set[str]
) -> None:
    """Own sends are announced at once; the others' arrive through the pollers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while any(set(h.sids) != every_sid for h in heard.values()) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2 * POLL)  # a late duplicate would show up here
    for identity, record in heard.items():
        assert set(record.sids) == every_sid, f"{identity} missed messageAdded events"
        repeated = [sid for sid, count in record.sids.items() if count > 1]
        assert repeated == [], f"{identity} heard some messageAdded twice"
