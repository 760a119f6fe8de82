"""Participants through the real chat SDK: add, remove, list and page, history, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from azure.communication.identity.aio import CommunicationIdentityClient
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, error_code


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def test_add_and_list_participants(chat: EmulatedChat) -> None:
    owner, first, second = chat.users(3)
    thread_id = chat.new_thread(owner)
    thread = chat.thread(owner, thread_id)

    failed = thread.add_participants([first.as_participant("One"), second.as_participant()])

    assert failed == []
    listed = [(p.identifier.raw_id, p.display_name) for p in thread.list_participants()]
    assert listed == [(owner.raw_id, None), (first.raw_id, "One"), (second.raw_id, None)]
    assert thread_id in [t.id for t in chat.client(second).list_chat_threads()]


def test_adding_an_existing_participant_changes_nothing(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    thread = chat.thread(owner, thread_id)
    before = list(thread.list_messages())

    assert thread.add_participants([guest.as_participant("Renamed")]) == []

    assert [p.display_name for p in thread.list_participants()] == [None, None]
    assert [m.id for m in thread.list_messages()] == [m.id for m in before]


def test_add_reports_unknown_users(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread = chat.thread(owner, chat.new_thread(owner))
    stranger = ChatParticipant(identifier=chat.unknown_user())

    failed = thread.add_participants([guest.as_participant(), stranger])

    [(participant, error)] = failed
    assert participant.identifier.raw_id == stranger.identifier.raw_id
    assert (error.code, error.target) == ("404", stranger.identifier.raw_id)
    assert {p.identifier.raw_id for p in thread.list_participants()} == {
        owner.raw_id,
        guest.raw_id,
    }


def test_system_messages_for_add_and_remove(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread = chat.thread(owner, chat.new_thread(owner))

    thread.add_participants([guest.as_participant("Guest")])
    thread.remove_participant(guest.identifier)
    removed, added = list(thread.list_messages())[:2]

    assert (added.type, added.sequence_id) == ("participantAdded", "3")
    assert [(p.identifier.raw_id, p.display_name) for p in added.content.participants] == [
        (guest.raw_id, "Guest")
    ]
    assert added.content.initiator.raw_id == owner.raw_id
    assert (removed.type, removed.sequence_id) == ("participantRemoved", "4")
    assert [p.identifier.raw_id for p in removed.content.participants] == [guest.raw_id]
    assert removed.content.initiator.raw_id == owner.raw_id
    assert removed.sender is None


def test_removed_participant_is_shut_out_but_keeps_the_thread_listed(
    chat: EmulatedChat,
) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    chat.thread(owner, thread_id).remove_participant(guest.identifier)
    removed = chat.thread(guest, thread_id)

    for call in (
        lambda: removed.send_message("still here?"),
        lambda: list(removed.list_participants()),
        lambda: list(removed.list_messages()),
    ):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 403
        assert error_code(caught.value) == "Forbidden"
    assert thread_id in [t.id for t in chat.client(guest).list_chat_threads()]


def test_removed_participant_can_be_added_back(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    thread = chat.thread(owner, thread_id)
    thread.remove_participant(guest.identifier)

    thread.add_participants([guest.as_participant("Back")])

    assert chat.thread(guest, thread_id).send_message("back again").id
    assert [p.display_name for p in thread.list_participants()] == [None, "Back"]


def test_removing_a_non_participant_answers_404(chat: EmulatedChat) -> None:
    owner, outsider = chat.users(2)
    thread = chat.thread(owner, chat.new_thread(owner))

    with pytest.raises(ResourceNotFoundError):
        thread.remove_participant(outsider.identifier)


def test_participant_can_leave(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)

    chat.thread(guest, thread_id).remove_participant(guest.identifier)

    assert [p.identifier.raw_id for p in chat.thread(owner, thread_id).list_participants()] == [
        owner.raw_id
    ]


def test_share_history_time_hides_earlier_messages(chat: EmulatedChat) -> None:
    owner, late, full = chat.users(3)
    thread_id = chat.new_thread(owner)
    thread = chat.thread(owner, thread_id)
    early = thread.send_message("before")
    cutoff = thread.send_message("cutoff")

    thread.add_participants(
        [
            ChatParticipant(
                identifier=late.identifier,
                share_history_time=datetime.fromtimestamp(int(cutoff.id) / 1000, timezone.utc),
            ),
            full.as_participant(),
        ]
    )

    late_view = [m.id for m in chat.thread(late, thread_id).list_messages()]
    assert cutoff.id in late_view and early.id not in late_view
    with pytest.raises(ResourceNotFoundError):
        chat.thread(late, thread_id).get_message(early.id)
    assert early.id in [m.id for m in chat.thread(full, thread_id).list_messages()]


def test_participants_page_with_skip(chat: EmulatedChat) -> None:
    owner, *guests = chat.users(5)
    thread = chat.thread(owner, chat.new_thread(owner, *guests))

    pages = [
        [p.identifier.raw_id for p in page]
        for page in thread.list_participants(results_per_page=2).by_page()
    ]
    skipped = [p.identifier.raw_id for p in thread.list_participants(skip=3)]

    assert pages == [
        [owner.raw_id, guests[0].raw_id],
        [guests[1].raw_id, guests[2].raw_id],
        [guests[3].raw_id],
    ]
    assert skipped == [guests[2].raw_id, guests[3].raw_id]


def test_more_than_200_in_one_add_is_refused(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))
    resource = chat.emulator.resource_id
    crowd = [
        ChatParticipant(identifier=CommunicationUserIdentifier(f"8:acs:{resource}_{n:036d}"))
        for n in range(201)
    ]

    with pytest.raises(HttpResponseError) as caught:
        thread.add_participants(crowd)

    assert caught.value.status_code == 400
    assert error_code(caught.value) == "BadRequest"


async def test_a_thread_holds_at_most_250_participants(chat: EmulatedChat) -> None:
    emulator = chat.emulator
    async with CommunicationIdentityClient.from_connection_string(
        emulator.connection_string, connection_verify=emulator.ca_bundle
    ) as identity:
        created = await asyncio.gather(*(identity.create_user() for _ in range(250)))
    # The identity and chat SDKs each define their own identifier class.
    made = [CommunicationUserIdentifier(user.raw_id) for user in created]
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))

    assert thread.add_participants([ChatParticipant(identifier=u) for u in made[:200]]) == []
    assert thread.add_participants([ChatParticipant(identifier=u) for u in made[200:249]]) == []
    with pytest.raises(HttpResponseError) as caught:
        thread.add_participants([ChatParticipant(identifier=made[249])])

    assert caught.value.status_code == 400
    assert error_code(caught.value) == "BadRequest"
    assert len(list(thread.list_participants(results_per_page=200))) == 250


async def test_async_participants(chat: EmulatedChat) -> None:
    owner, guest, other = chat.users(3)
    thread_id = chat.new_thread(owner)
    async with chat.async_thread(owner, thread_id) as thread:
        failed = await thread.add_participants(
            [
                guest.as_participant("G"),
                other.as_participant(),
                ChatParticipant(identifier=chat.unknown_user()),
            ]
        )
        assert [error.code for _, error in failed] == ["404"]
        await thread.remove_participant(other.identifier)
        pages = [
            [p.identifier.raw_id async for p in page]
            async for page in thread.list_participants(results_per_page=1).by_page()
        ]
        with pytest.raises(ResourceNotFoundError):
            await thread.remove_participant(other.identifier)

    assert pages == [[owner.raw_id], [guest.raw_id]]
