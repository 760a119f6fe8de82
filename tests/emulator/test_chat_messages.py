"""Messages through the real chat SDK: send, get, list and page, edit, delete, limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, error_code, send_many

MAX_CONTENT_BYTES = 28 * 1024


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def _at(message_id: str) -> datetime:
    """Message ids are their creation time in epoch milliseconds."""
    return datetime.fromtimestamp(int(message_id) / 1000, tz=timezone.utc)


def test_send_and_get_a_text_message(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)

    sent = chat.thread(owner, thread_id).send_message(
        "hello", sender_display_name="Owner", metadata={"tag": "greeting"}
    )
    message = chat.thread(guest, thread_id).get_message(sent.id)

    assert message.id == sent.id
    assert message.type == "text"
    assert message.sequence_id == "3"
    assert message.version == sent.id
    assert message.content.message == "hello"
    assert message.sender_display_name == "Owner"
    assert message.sender.raw_id == owner.raw_id
    assert message.metadata == {"tag": "greeting"}
    assert message.edited_on is None and message.deleted_on is None
    assert abs((message.created_on - _at(sent.id)).total_seconds()) < 1


def test_html_message_and_default_display_name(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))

    sent = thread.send_message("<b>bold</b>", chat_message_type="html")
    message = thread.get_message(sent.id)

    assert message.type == "html"
    assert message.content.message == "<b>bold</b>"
    assert message.sender_display_name == ""
    assert message.metadata is None


def test_message_ids_increase_and_list_is_newest_first(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))

    ids = [thread.send_message(f"m{n}").id for n in range(5)]
    listed = list(thread.list_messages())

    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert len(set(ids)) == 5
    assert [m.id for m in listed[:5]] == ids[::-1]
    assert [m.sequence_id for m in listed] == [str(n) for n in range(7, 0, -1)]
    assert [m.content.message for m in listed[:5]] == [f"m{n}" for n in range(4, -1, -1)]


def test_edit_changes_content_version_and_merges_metadata(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    thread = chat.thread(owner, thread_id)
    sent = thread.send_message("draft", metadata={"keep": "1", "change": "a"})

    thread.update_message(sent.id, content="final", metadata={"change": "b", "new": "c"})
    edited = chat.thread(guest, thread_id).get_message(sent.id)

    assert edited.content.message == "final"
    assert edited.metadata == {"keep": "1", "change": "b", "new": "c"}
    assert edited.edited_on is not None
    assert int(edited.version) > int(sent.id)
    assert edited.sequence_id == "3"
    thread.update_message(sent.id, content="again")
    assert int(thread.get_message(sent.id).version) > int(edited.version)
    assert next(iter(thread.list_messages())).content.message == "again"


def test_delete_keeps_the_message_listed_without_its_text(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))
    sent = thread.send_message("oops", metadata={"k": "v"})
    later = thread.send_message("after")

    thread.delete_message(sent.id)
    deleted = thread.get_message(sent.id)

    assert deleted.deleted_on is not None
    assert deleted.content.message == ""
    assert deleted.metadata is None
    assert int(deleted.version) > int(sent.id)
    assert [m.id for m in thread.list_messages()][:2] == [later.id, sent.id]
    thread.delete_message(sent.id)
    assert thread.get_message(sent.id).version == deleted.version
    with pytest.raises(ResourceNotFoundError):
        thread.update_message(sent.id, content="revive")
    assert thread.send_message("next").id > later.id


async def test_paging_through_1000_messages_and_start_time(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    sent = sorted(await send_many(chat, owner, thread_id, 1000), key=int)
    thread = chat.thread(owner, thread_id)

    pages = [list(page) for page in thread.list_messages(results_per_page=200).by_page()]

    assert [len(page) for page in pages] == [200, 200, 200, 200, 200, 2]
    listed = [m for page in pages for m in page]
    assert [m.id for m in listed[:1000]] == sent[::-1]
    assert [int(m.sequence_id) for m in listed] == list(range(1002, 0, -1))

    since = sent[700]
    thread.update_message(sent[10], content="edited late")
    recent = list(thread.list_messages(results_per_page=200, start_time=_at(since)))

    assert [m.id for m in recent] == [*sent[700:][::-1], sent[10]]
    assert recent[-1].content.message == "edited late"


def test_content_size_limit(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))
    fits = "é" * (MAX_CONTENT_BYTES // 2)

    assert thread.get_message(thread.send_message(fits).id).content.message == fits
    with pytest.raises(HttpResponseError) as caught:
        thread.send_message(fits + "x")
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "BadRequest"
    small = thread.send_message("small")
    with pytest.raises(HttpResponseError) as caught:
        thread.update_message(small.id, content="x" * (MAX_CONTENT_BYTES + 1))
    assert caught.value.status_code == 400
    assert thread.get_message(small.id).content.message == "small"


def test_only_the_sender_edits_or_deletes(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    sent = chat.thread(owner, thread_id).send_message("mine")
    system_message = list(chat.thread(owner, thread_id).list_messages())[-1]
    theirs = chat.thread(guest, thread_id)

    for call in (
        lambda: theirs.update_message(sent.id, content="hijacked"),
        lambda: theirs.delete_message(sent.id),
        lambda: chat.thread(owner, thread_id).update_message(system_message.id, content="x"),
    ):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 403
        assert error_code(caught.value) == "Forbidden"
    assert theirs.get_message(sent.id).content.message == "mine"


def test_unknown_message_answers_404(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread = chat.thread(owner, chat.new_thread(owner))

    for message_id in ("1", "not-a-number", "99999999999999999999999"):
        with pytest.raises(ResourceNotFoundError):
            thread.get_message(message_id)
    with pytest.raises(ResourceNotFoundError):
        thread.delete_message("1")


async def test_async_message_lifecycle(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    async with chat.async_thread(owner, thread_id) as thread:
        sent = await thread.send_message("async hello", metadata={"a": "1"})
        await thread.update_message(sent.id, content="async edited")
        got = await thread.get_message(sent.id)
        assert (got.content.message, got.metadata) == ("async edited", {"a": "1"})
        second = await thread.send_message("<i>two</i>", chat_message_type="html")
        await thread.delete_message(second.id)

    async with chat.async_thread(guest, thread_id) as thread:
        pages = [
            [m async for m in page]
            async for page in thread.list_messages(results_per_page=2).by_page()
        ]
        with pytest.raises(HttpResponseError) as caught:
            await thread.delete_message(sent.id)
        assert caught.value.status_code == 403

    assert [len(page) for page in pages] == [2, 2]
    newest, edited = pages[0]
    assert (newest.id, newest.type, newest.deleted_on is not None) == (second.id, "html", True)
    assert (edited.id, edited.content.message) == (sent.id, "async edited")
