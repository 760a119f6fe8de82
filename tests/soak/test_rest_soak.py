"""Soak: 10 authors send 2,000 messages into 20 conversations through the REST face while the
emulator fails 20% of requests (503, 429 with Retry-After, dropped connections, and writes
committed whose response is lost) and delays others.

Afterwards ACS itself and the Twilio view must agree: every message exactly once, each author's
messages in the order sent, attributes and media intact. ACS has no idempotency key for
messages, so a blind resend after a lost response would show up here as a duplicate.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter._retry import RetrySettings
from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from tests.soak.conftest import one_in_five_fails
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.rest.media import upload_media

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "soak-auth-token"
AUTHORS = 10
MESSAGES = 2000
CONVERSATIONS = 20
MEDIA_EVERY = 10  # every tenth message of an author carries a file

FAULTS = one_in_five_fails(seed=9)


@dataclass(frozen=True)
class Sent:
    author: str
    number: int
    conversation_sid: str
    attributes: dict[str, Any]
    media: tuple[str, bytes] | None


def _body(author: str, number: int) -> str:
    return f"{author} says #{number}"


@pytest.fixture(scope="module")
def handler(faulty_emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("soak")
    settings = Settings.load(
        connection_string=faulty_emulator.connection_string,
        ca_bundle=faulty_emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        # Enough tries that one operation failing every attempt at a 20% rate is negligible;
        # what is under test is that the retries never duplicate or lose anything.
        retry=RetrySettings(total=8, timeout=60.0, backoff=0.05, max_backoff=0.5),
        environ={},
    )
    with AcsAdapter.open(settings) as adapter:
        opened = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        yield opened
        opened.close()


def _client(handler: WireHandler) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))


def _plan(client: Client, authors: list[str]) -> tuple[list[str], dict[str, list[Sent]]]:
    """Conversations with every author in them, and what each author will send, in order."""
    conversations = []
    for number in range(CONVERSATIONS):
        conversation = client.conversations.v1.conversations.create(
            friendly_name=f"soak room {number}"
        )
        for author in authors:
            conversation_participants = client.conversations.v1.conversations(
                conversation.sid
            ).participants
            conversation_participants.create(identity=author)
        conversations.append(conversation.sid)
    service = client.conversations.v1.conversations(conversations[0]).fetch().chat_service_sid
    plan: dict[str, list[Sent]] = {}
    per_author = MESSAGES // AUTHORS
    for a, author in enumerate(authors):
        items = []
        for number in range(per_author):
            media = None
            if number % MEDIA_EVERY == 0:
                data = f"{author}-{number}".encode() * 64
                uploaded = upload_media(
                    client, service, data, content_type="text/plain", filename=f"{number}.txt"
                )
                media = (uploaded["sid"], data)
            items.append(
                Sent(
                    author=author,
                    number=number,
                    conversation_sid=conversations[(a + number) % CONVERSATIONS],
                    attributes={"author": author, "n": number, "nested": {"list": [a, number]}},
                    media=media,
                )
            )
        plan[author] = items
    return conversations, plan


def _send_all(handler: WireHandler, items: list[Sent], failures: list[str]) -> None:
    client = _client(handler)
    for item in items:
        messages = client.conversations.v1.conversations(item.conversation_sid).messages
        try:
            messages.create(
                author=item.author,
                body=_body(item.author, item.number),
                attributes=json.dumps(item.attributes),
                media_sid=item.media[0] if item.media else None,
            )
        except TwilioRestException as exc:
            failures.append(f"{item.author} #{item.number}: {exc.status} {exc.code} {exc.msg}")


@pytest.mark.soak
def test_two_thousand_messages_under_twenty_percent_faults_arrive_exactly_once(
    faulty_emulator: AcsEmulator, handler: WireHandler
) -> None:
    client = _client(handler)
    authors = [f"author-{n}|soak&{n}" for n in range(AUTHORS)]
    conversations, plan = _plan(client, authors)

    failures: list[str] = []
    faulty_emulator.reset_counters()
    faulty_emulator.set_faults(FAULTS)
    try:
        workers = [
            threading.Thread(target=_send_all, args=(handler, plan[author], failures))
            for author in authors
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        faulty_emulator.clear_faults()
    assert failures == [], failures
    sends = faulty_emulator.counters.get("ChatThread_SendChatMessage", 0)
    assert sends > MESSAGES, "the fault plan should have forced some sends to be repeated"

    expected = {(s.author, s.number): s for items in plan.values() for s in items}
    seen: Counter[tuple[str, int]] = Counter()
    for sid in conversations:
        listed = client.conversations.v1.conversations(sid).messages.list(order="asc")
        indices = [m.index for m in listed]
        assert len(set(indices)) == len(indices) and indices == sorted(indices)
        order: dict[str, list[int]] = defaultdict(list)
        for message in listed:
            attributes = json.loads(message.attributes)
            key = (attributes["author"], attributes["n"])
            seen[key] += 1
            sent = expected[key]
            assert message.conversation_sid == sent.conversation_sid
            assert message.author == sent.author
            assert message.body == _body(sent.author, sent.number)
            assert attributes == sent.attributes
            if sent.media is None:
                assert message.media is None or message.media == []
            else:
                assert [m["sid"] for m in message.media] == [sent.media[0]]
            order[message.author].append(attributes["n"])
        for numbers in order.values():
            assert numbers == sorted(numbers), "an author's messages must keep the order sent"
    assert set(seen) == set(expected), "some messages were lost"
    assert [key for key, count in seen.items() if count > 1] == [], "some were duplicated"

    _acs_holds_each_message_once(handler, conversations)
    _media_bytes_are_intact(client, handler, [s for s in expected.values() if s.media])


def _acs_holds_each_message_once(handler: WireHandler, conversations: list[str]) -> None:
    """ACS itself, not only the store, has each message once (a duplicate sent by a retry
    would carry the same SID in its metadata and hide behind the store's unique key)."""
    core = handler.core
    service = core.services.default_sid
    total = 0
    for sid in conversations:
        row = core.conversations.stored(service, sid)
        assert row.thread_id
        texts = [
            m
            for m in core.directory.service_chat().list_messages(row.thread_id, page_size=200)
            if m.type == "text"
        ]
        sids = Counter(m.metadata.get("twilioSid") for m in texts)
        assert [s for s, n in sids.items() if n > 1] == []
        total += len(texts)
    assert total == MESSAGES


def _media_bytes_are_intact(client: Client, handler: WireHandler, with_media: list[Sent]) -> None:
    service = handler.core.services.default_sid
    for sent in with_media:
        assert sent.media is not None
        sid, data = sent.media
        response = client.request(
            "GET", f"https://mcs.us1.twilio.com/v1/Services/{service}/Media/{sid}"
        )
        link = json.loads(response.text)["links"]["content_direct_temporary"]
        assert httpx.get(link).content == data
