"""`AcsConfirmation` against the emulator: what ACS shows confirms an event, a forgery of the
same kind does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.eventgrid import EventGridEvent

from acs_adapter.adapter import AcsAdapter
from acs_adapter.chat import UserChat
from acs_adapter.events import AcsConfirmation, ChatEvent, chat_event
from tests.events import forged


@pytest.fixture(scope="module")
def owner(adapter: AcsAdapter) -> UserChat:
    """The reader: the member every thread of these tests starts with (the service user's role)."""
    return adapter.chat.as_user(adapter.identity_client.create_user().properties["id"])


@pytest.fixture
def confirm(owner: UserChat) -> AcsConfirmation:
    return AcsConfirmation(owner, max_age=timedelta(hours=25))


def _user(adapter: AcsAdapter) -> str:
    return str(adapter.identity_client.create_user().properties["id"])


def _event(delivery: dict[str, object]) -> ChatEvent:
    event = chat_event(EventGridEvent.from_dict(delivery))
    assert event is not None
    return event


def test_thread_deletion_is_confirmed_only_once_the_thread_is_gone(
    owner: UserChat, confirm: AcsConfirmation
) -> None:
    thread = owner.create_thread("Kept").thread.id
    assert not confirm(_event(forged.thread_deleted(thread)))
    owner.delete_thread(thread)
    assert confirm(_event(forged.thread_deleted(thread)))


def test_thread_update_is_confirmed_only_with_the_topic_acs_has(
    owner: UserChat, confirm: AcsConfirmation
) -> None:
    thread = owner.create_thread("Before").thread.id
    assert not confirm(_event(forged.thread_updated(thread, "Forged")))
    owner.update_topic(thread, "After")
    assert confirm(_event(forged.thread_updated(thread, "After")))
    assert not confirm(_event(forged.thread_updated(thread, "Before")))


def test_participant_changes_are_confirmed_by_the_participant_list(
    adapter: AcsAdapter, owner: UserChat, confirm: AcsConfirmation
) -> None:
    member = _user(adapter)
    thread = owner.create_thread("Members", [member]).thread.id
    removed = forged.participant("ChatThreadParticipantRemoved", thread, member)
    added = forged.participant("ChatThreadParticipantAdded", thread, member)
    assert not confirm(_event(removed))
    assert confirm(_event(added))
    owner.remove_participant(thread, member)
    assert confirm(_event(forged.participant("ChatThreadParticipantRemoved", thread, member)))
    stranger = _user(adapter)
    assert not confirm(_event(forged.participant("ChatThreadParticipantAdded", thread, stranger)))


def test_message_changes_are_confirmed_by_the_message_as_acs_reads_it(
    owner: UserChat, confirm: AcsConfirmation
) -> None:
    thread = owner.create_thread("Messages").thread.id
    sent = owner.send_message(thread, "hello")
    assert confirm(_event(forged.message("ChatMessageReceivedInThread", thread, sent)))
    assert not confirm(_event(forged.message("ChatMessageEditedInThread", thread, sent)))
    assert not confirm(_event(forged.message("ChatMessageDeletedInThread", thread, sent)))
    invented = "1" + sent
    assert not confirm(_event(forged.message("ChatMessageReceivedInThread", thread, invented)))
    owner.update_message(thread, sent, content="edited")
    assert confirm(_event(forged.message("ChatMessageEditedInThread", thread, sent)))
    owner.delete_message(thread, sent)
    assert confirm(_event(forged.message("ChatMessageDeletedInThread", thread, sent)))


def test_threads_the_reader_is_not_in_confirm_nothing(
    adapter: AcsAdapter, confirm: AcsConfirmation
) -> None:
    outsider = adapter.chat.as_user(_user(adapter))
    thread = outsider.create_thread("Elsewhere").thread.id
    sent = outsider.send_message(thread, "hidden")
    assert not confirm(_event(forged.thread_deleted(thread)))
    assert not confirm(_event(forged.thread_updated(thread, "Elsewhere")))
    assert not confirm(_event(forged.message("ChatMessageDeletedInThread", thread, sent)))
    stranger = forged.participant("ChatThreadParticipantAdded", thread, forged.FORGER)
    assert not confirm(_event(stranger))


def test_ids_acs_could_never_have_written_confirm_nothing(
    owner: UserChat, confirm: AcsConfirmation
) -> None:
    thread = owner.create_thread("Odd ids").thread.id
    edited = forged.message("ChatMessageEditedInThread", thread, "1\x00")
    added = forged.participant("ChatThreadParticipantAdded", thread, "8:acs:\x00")
    assert not confirm(_event(edited))
    assert not confirm(_event(added))
