"""Read receipts and typing notifications through the real chat SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.communication.chat import ChatParticipant, ChatThreadClient
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, error_code


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def _receipts(thread: ChatThreadClient) -> dict[str, str]:
    return {r.sender.raw_id: r.chat_message_id for r in thread.list_read_receipts()}


def test_one_latest_receipt_per_participant(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    mine, theirs = chat.thread(owner, thread_id), chat.thread(guest, thread_id)
    first = mine.send_message("one")
    second = mine.send_message("two")

    theirs.send_read_receipt(first.id)
    theirs.send_read_receipt(second.id)
    assert _receipts(mine) == {guest.raw_id: second.id}

    mine.send_read_receipt(first.id)
    assert _receipts(theirs) == {guest.raw_id: second.id, owner.raw_id: first.id}

    theirs.send_read_receipt(first.id)
    receipts = list(mine.list_read_receipts())
    assert {r.sender.raw_id: r.chat_message_id for r in receipts}[guest.raw_id] == second.id
    assert all(r.read_on is not None for r in receipts)


def test_receipt_for_an_unknown_message_answers_404(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))

    with pytest.raises(ResourceNotFoundError):
        thread.send_read_receipt("1")
    assert list(thread.list_read_receipts()) == []


def test_receipts_page_with_skip(chat: EmulatedChat) -> None:
    owner, *guests = chat.users(3)
    thread_id = chat.new_thread(owner, *guests)
    message = chat.thread(owner, thread_id).send_message("read me")
    for user in (owner, *guests):
        chat.thread(user, thread_id).send_read_receipt(message.id)

    pages = [
        [r.sender.raw_id for r in page]
        for page in chat.thread(owner, thread_id).list_read_receipts(results_per_page=2).by_page()
    ]
    skipped = [r.sender.raw_id for r in chat.thread(owner, thread_id).list_read_receipts(skip=2)]

    assert pages == [[owner.raw_id, guests[0].raw_id], [guests[1].raw_id]]
    assert skipped == [guests[1].raw_id]


def test_typing_notification(chat: EmulatedChat) -> None:
    owner, guest, outsider = chat.users(3)
    thread_id = chat.new_thread(owner, guest)

    chat.thread(guest, thread_id).send_typing_notification()
    chat.thread(owner, thread_id).send_typing_notification(sender_display_name="Owner")
    with pytest.raises(HttpResponseError) as caught:
        chat.thread(outsider, thread_id).send_typing_notification()

    assert caught.value.status_code == 403
    assert error_code(caught.value) == "Forbidden"


def test_receipts_and_typing_are_ignored_above_20_participants(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    thread = chat.thread(owner, thread_id)
    thread.add_participants([ChatParticipant(identifier=u.identifier) for u in chat.users(20)])
    message = thread.send_message("busy room")

    thread.send_read_receipt(message.id)
    thread.send_typing_notification()

    assert list(thread.list_read_receipts()) == []


async def test_async_receipts_and_typing(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    async with (
        chat.async_thread(owner, thread_id) as mine,
        chat.async_thread(guest, thread_id) as theirs,
    ):
        sent = await mine.send_message("async read me")
        await theirs.send_read_receipt(sent.id)
        await theirs.send_typing_notification(sender_display_name="Guest")
        receipts = [r async for r in mine.list_read_receipts()]
        with pytest.raises(ResourceNotFoundError):
            await theirs.send_read_receipt("2")

    assert [(r.sender.raw_id, r.chat_message_id) for r in receipts] == [(guest.raw_id, sent.id)]
