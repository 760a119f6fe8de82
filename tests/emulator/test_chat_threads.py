"""Threads through the real chat SDK: create, idempotency, list, properties, topic, delete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, error_code
from tests.fixtures.chat_sdk import create_chat_thread

THREAD_ID = re.compile(r"^19:[0-9a-f]{32}@thread\.v2$")


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def test_create_thread_without_participants_makes_the_creator_its_only_participant(
    chat: EmulatedChat,
) -> None:
    owner = chat.user()
    result = create_chat_thread(chat.client(owner), "lunch")

    thread = result.chat_thread
    assert THREAD_ID.match(thread.id)
    assert thread.topic == "lunch"
    assert thread.created_by.raw_id == owner.raw_id
    assert abs(thread.created_on - datetime.now(timezone.utc)) < timedelta(minutes=5)
    assert not result.errors
    members = list(chat.thread(owner, thread.id).list_participants())
    assert [m.identifier.raw_id for m in members] == [owner.raw_id]


def test_create_thread_with_participants_keeps_their_names(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    result = create_chat_thread(
        chat.client(owner), "team", thread_participants=[guest.as_participant("Guest")]
    )

    members = list(chat.thread(guest, result.chat_thread.id).list_participants())
    assert [(m.identifier.raw_id, m.display_name) for m in members] == [
        (owner.raw_id, None),
        (guest.raw_id, "Guest"),
    ]
    assert all(m.share_history_time == datetime(1970, 1, 1, tzinfo=timezone.utc) for m in members)


def test_creator_named_among_participants_takes_the_given_display_name(
    chat: EmulatedChat,
) -> None:
    owner = chat.user()
    result = create_chat_thread(
        chat.client(owner), "self", thread_participants=[owner.as_participant("Me")]
    )

    members = list(chat.thread(owner, result.chat_thread.id).list_participants())
    assert [(m.identifier.raw_id, m.display_name) for m in members] == [(owner.raw_id, "Me")]


def test_unknown_users_are_reported_and_not_added(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    stranger = chat.unknown_user()
    result = create_chat_thread(
        chat.client(owner),
        "partial",
        thread_participants=[guest.as_participant(), ChatParticipant(identifier=stranger)],
    )

    assert result.errors is not None
    [(participant, error)] = result.errors
    assert participant.identifier.raw_id == stranger.raw_id
    assert (error.code, error.message, error.target) == ("404", "Not found.", stranger.raw_id)
    members = chat.thread(owner, result.chat_thread.id).list_participants()
    assert {m.identifier.raw_id for m in members} == {owner.raw_id, guest.raw_id}


def test_same_idempotency_token_from_the_same_user_returns_the_same_thread(
    chat: EmulatedChat,
) -> None:
    owner, other = chat.users(2)
    client = chat.client(owner)

    first = create_chat_thread(client, "once", idempotency_token="token-1")
    again = create_chat_thread(client, "once", idempotency_token="token-1")
    others = create_chat_thread(chat.client(other), "once", idempotency_token="token-1")
    fresh = create_chat_thread(client, "once", idempotency_token="token-2")

    assert again.chat_thread.id == first.chat_thread.id
    assert again.chat_thread.created_on == first.chat_thread.created_on
    assert others.chat_thread.id != first.chat_thread.id
    assert fresh.chat_thread.id != first.chat_thread.id
    mine = [t.id for t in client.list_chat_threads()]
    assert mine.count(first.chat_thread.id) == 1
    assert len(mine) == 2


def test_topic_is_required(chat: EmulatedChat) -> None:
    owner = chat.user()
    with chat.http(owner) as http:
        missing = http.post("/chat/threads", json={"participants": []})
        blank = http.post("/chat/threads", json={"topic": "  "})

    assert missing.status_code == 400
    assert missing.json()["error"]["target"] == "topic"
    assert blank.status_code == 400


def test_more_than_200_participants_in_a_create_is_refused(chat: EmulatedChat) -> None:
    owner = chat.user()
    resource = chat.emulator.resource_id
    crowd = [
        ChatParticipant(identifier=CommunicationUserIdentifier(f"8:acs:{resource}_{n:036d}"))
        for n in range(201)
    ]

    with pytest.raises(HttpResponseError) as caught:
        create_chat_thread(chat.client(owner), "crowd", thread_participants=crowd)

    assert caught.value.status_code == 400
    assert error_code(caught.value) == "BadRequest"
    assert list(chat.client(owner).list_chat_threads()) == []


def test_list_threads_pages_newest_activity_first(chat: EmulatedChat) -> None:
    owner = chat.user()
    client = chat.client(owner)
    ids = [create_chat_thread(client, f"t{n}").chat_thread.id for n in range(5)]
    chat.thread(owner, ids[1]).send_message("bump")

    pages = list(client.list_chat_threads(results_per_page=2).by_page())
    listed = [[t.id for t in page] for page in pages]

    assert [len(page) for page in listed] == [2, 2, 1]
    assert [t for page in listed for t in page] == [ids[1], ids[4], ids[3], ids[2], ids[0]]


def test_list_threads_items_carry_topic_and_last_message_time(chat: EmulatedChat) -> None:
    owner = chat.user()
    client = chat.client(owner)
    quiet = create_chat_thread(client, "quiet").chat_thread.id
    busy = create_chat_thread(client, "busy").chat_thread.id
    chat.thread(owner, busy).send_message("hello")

    items = {t.id: t for t in client.list_chat_threads()}

    assert items[quiet].topic == "quiet"
    assert items[quiet].last_message_received_on is None
    assert items[busy].last_message_received_on is not None
    assert items[busy].deleted_on is None


def test_list_threads_start_time_keeps_threads_active_since(chat: EmulatedChat) -> None:
    owner = chat.user()
    client = chat.client(owner)
    old = create_chat_thread(client, "old").chat_thread.id
    recent = create_chat_thread(client, "recent").chat_thread.id
    sent = chat.thread(owner, recent).send_message("now")
    since = datetime.fromtimestamp(int(sent.id) / 1000, tz=timezone.utc)

    listed = [t.id for t in client.list_chat_threads(start_time=since)]

    assert listed == [recent]
    assert old in [t.id for t in client.list_chat_threads()]


def test_properties_and_topic_update(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest, topic="before")

    chat.thread(guest, thread_id).update_topic("after")
    properties = chat.thread(owner, thread_id).get_properties()

    assert properties.id == thread_id
    assert properties.topic == "after"
    assert properties.created_by.raw_id == owner.raw_id
    topics = [
        m.content.topic
        for m in chat.thread(owner, thread_id).list_messages()
        if m.type == "topicUpdated"
    ]
    assert topics == ["after", "before"]


def test_system_messages_after_create(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest, topic="kickoff")

    messages = list(chat.thread(owner, thread_id).list_messages())

    assert [(m.sequence_id, m.type) for m in messages] == [
        ("2", "topicUpdated"),
        ("1", "participantAdded"),
    ]
    topic, added = messages
    assert topic.content.topic == "kickoff"
    assert topic.content.initiator.raw_id == owner.raw_id
    assert [p.identifier.raw_id for p in added.content.participants] == [
        owner.raw_id,
        guest.raw_id,
    ]
    assert added.content.initiator.raw_id == owner.raw_id
    assert added.sender is None and topic.sender is None
    assert int(topic.id) > int(added.id)
    assert topic.version == topic.id


def test_deleted_thread_answers_404_and_leaves_the_list(chat: EmulatedChat) -> None:
    owner, guest, outsider = chat.users(3)
    thread_id = chat.new_thread(owner, guest)

    chat.client(guest).delete_chat_thread(thread_id)

    with pytest.raises(ResourceNotFoundError):
        chat.thread(owner, thread_id).get_properties()
    with pytest.raises(ResourceNotFoundError):
        chat.thread(guest, thread_id).send_message("anyone?")
    with pytest.raises(ResourceNotFoundError):
        chat.client(outsider).delete_chat_thread(thread_id)
    assert thread_id not in [t.id for t in chat.client(owner).list_chat_threads()]


def test_deleting_a_deleted_thread_again_answers_204(chat: EmulatedChat) -> None:
    """The Azure SDK's e2e tests, recorded against the service, delete a thread twice and
    expect 204 both times; later reads still fail."""
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    chat.client(owner).delete_chat_thread(thread_id)

    chat.client(owner).delete_chat_thread(thread_id)
    chat.client(guest).delete_chat_thread(thread_id)

    with pytest.raises(ResourceNotFoundError):
        chat.thread(owner, thread_id).get_properties()
    with pytest.raises(ResourceNotFoundError):
        list(chat.thread(guest, thread_id).list_messages())


def test_unknown_thread_answers_404(chat: EmulatedChat) -> None:
    owner = chat.user()
    with pytest.raises(ResourceNotFoundError) as caught:
        chat.thread(owner, "19:00000000000000000000000000000000@thread.v2").get_properties()
    assert error_code(caught.value) == "NotFound"


def test_non_participant_is_forbidden(chat: EmulatedChat) -> None:
    owner, outsider = chat.users(2)
    thread_id = chat.new_thread(owner)
    outside = chat.thread(outsider, thread_id)

    for call in (
        outside.get_properties,
        lambda: outside.update_topic("mine"),
        lambda: outside.send_message("hi"),
        lambda: list(outside.list_messages()),
        lambda: list(outside.list_participants()),
        lambda: chat.client(outsider).delete_chat_thread(thread_id),
    ):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 403
        assert error_code(caught.value) == "Forbidden"
    assert thread_id not in [t.id for t in chat.client(outsider).list_chat_threads()]


async def test_async_thread_lifecycle(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    async with chat.async_client(owner) as client:
        created = await client.create_chat_thread(
            "async", thread_participants=[guest.as_participant("G")], idempotency_token="a-1"
        )
        replay = await client.create_chat_thread("async", idempotency_token="a-1")
        thread_id = created.chat_thread.id
        assert replay.chat_thread.id == thread_id

        async with chat.async_thread(owner, thread_id) as thread:
            await thread.update_topic("renamed")
            properties = await thread.get_properties()
            assert properties.topic == "renamed"

        listed = [t.id async for t in client.list_chat_threads(results_per_page=1)]
        assert listed == [thread_id]

        await client.delete_chat_thread(thread_id)
        async with chat.async_thread(owner, thread_id) as thread:
            with pytest.raises(ResourceNotFoundError):
                await thread.get_properties()
