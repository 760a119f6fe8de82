"""The async chat gateway: every method, through the real aio chat SDK, against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from acs_adapter import (
    AsyncChatGateway,
    Forbidden,
    InvalidInput,
    NotFound,
    ParticipantRecord,
    RetrySettings,
    TokenCache,
)
from acs_emulator import AcsEmulator

UNKNOWN_USER = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def tokens(identity_client: Any) -> TokenCache:
    return TokenCache(identity_client)


@pytest.fixture
async def gateway(emulator: AcsEmulator, tokens: TokenCache) -> AsyncIterator[AsyncChatGateway]:
    retry = RetrySettings(total=2, timeout=10, backoff=0.1)
    async with AsyncChatGateway(
        emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle, retry=retry
    ) as chat_gateway:
        yield chat_gateway


@pytest.fixture
def new_user(identity_client: Any) -> Callable[[], str]:
    return lambda: str(identity_client.create_user().properties["id"])


async def test_threads_lifecycle(gateway: AsyncChatGateway, new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()
    chat = gateway.as_user(alice)
    assert gateway.as_user(alice) is chat

    created = await chat.create_thread("Async", [ParticipantRecord(bob, "Bob"), UNKNOWN_USER])
    thread_id = created.thread.id
    assert created.thread.topic == "Async" and created.thread.created_by == alice
    assert [p.user_id for p in created.invalid_participants] == [UNKNOWN_USER]

    await chat.update_topic(thread_id, "Renamed")
    assert (await chat.get_thread(thread_id)).topic == "Renamed"
    assert [t.id async for t in chat.list_threads(page_size=2)] == [thread_id]

    again = await chat.create_thread("Renamed", idempotency_key="async-once")
    assert (await chat.create_thread("x", idempotency_key="async-once")).thread == again.thread

    await chat.delete_thread(thread_id)
    with pytest.raises(NotFound):
        await chat.get_thread(thread_id)


async def test_messages(gateway: AsyncChatGateway, new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = (await chat.create_thread("Messages", [bob])).thread.id

    sent = await chat.send_message(
        thread_id, "hello", sender_display_name="Alice", metadata={"k": "v"}
    )
    html = await gateway.as_user(bob).send_message(thread_id, "<i>hi</i>", type="html")
    message = await chat.get_message(thread_id, sent)
    assert (message.content, message.type, message.sender_id) == ("hello", "text", alice)
    assert message.sender_display_name == "Alice" and dict(message.metadata) == {"k": "v"}

    await chat.update_message(thread_id, sent, content="hello!", metadata={"k2": "v2"})
    edited = await chat.get_message(thread_id, sent)
    assert edited.content == "hello!" and dict(edited.metadata) == {"k": "v", "k2": "v2"}
    assert edited.edited_on is not None

    await gateway.as_user(bob).delete_message(thread_id, html)
    listed = [m async for m in chat.list_messages(thread_id, page_size=2)]
    assert [m.type for m in listed] == ["html", "text", "topicUpdated", "participantAdded"]
    assert listed[0].deleted_on is not None
    assert [m.sequence_id for m in listed] == [4, 3, 2, 1]

    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert [m async for m in chat.list_messages(thread_id, start_time=later)] == []


async def test_participants_receipts_and_typing(
    gateway: AsyncChatGateway, new_user: Callable[[], str]
) -> None:
    alice, bob, stranger = new_user(), new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = (await chat.create_thread("Members")).thread.id

    assert await chat.add_participants(thread_id, [ParticipantRecord(bob, "Bob")]) == ()
    refused = await chat.add_participants(thread_id, [UNKNOWN_USER])
    assert [r.user_id for r in refused] == [UNKNOWN_USER]
    names = {p.user_id: p.display_name async for p in chat.list_participants(thread_id)}
    assert names == {alice: None, bob: "Bob"}

    message = await chat.send_message(thread_id, "read me")
    await gateway.as_user(bob).send_read_receipt(thread_id, message)
    receipts = [r async for r in chat.list_read_receipts(thread_id)]
    assert [(r.sender_id, r.message_id) for r in receipts] == [(bob, message)]

    await gateway.as_user(bob).send_typing(thread_id, sender_display_name="Bob")
    with pytest.raises(Forbidden):
        await gateway.as_user(stranger).send_typing(thread_id)

    await chat.remove_participant(thread_id, bob)
    assert [p.user_id async for p in chat.list_participants(thread_id)] == [alice]


async def test_list_messages_is_lazy(
    emulator: AcsEmulator, gateway: AsyncChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = (await chat.create_thread("Long")).thread.id
    for n in range(120):
        await chat.send_message(thread_id, f"m{n}")

    emulator.reset_counters()
    messages = chat.list_messages(thread_id, page_size=30)
    first_30 = [await anext(messages) for _ in range(30)]
    assert first_30[0].content == "m119" and first_30[-1].content == "m90"
    assert emulator.counters["ChatThread_ListChatMessages"] == 1
    await messages.aclose()  # type: ignore[attr-defined]


async def test_bad_arguments_fail_before_any_request(
    emulator: AcsEmulator, gateway: AsyncChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = (await chat.create_thread("Checks")).thread.id
    emulator.reset_counters()
    with pytest.raises(InvalidInput, match="content"):
        await chat.send_message(thread_id, "")
    with pytest.raises(InvalidInput, match="page_size"):
        chat.list_messages(thread_id, page_size=500)
    with pytest.raises(InvalidInput, match="metadata"):
        await chat.update_message(thread_id, "1", metadata={"k": None})  # type: ignore[dict-item]
    assert emulator.counters == {}
