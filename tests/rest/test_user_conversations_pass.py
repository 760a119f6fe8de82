"""`user_conversations.list()` brings every unread count up to date in one pass over ACS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from twilio.rest import Client

from tests.events.test_native_indexing import ChatRequests
from twilio_compat.core import messages, send_follow
from twilio_compat.runtime import watch_acs_calls

CONVERSATIONS = 6


@pytest.fixture
def chat_calls() -> Iterator[ChatRequests]:
    counted = ChatRequests()
    stop = watch_acs_calls(counted)
    yield counted
    stop()


def test_listing_reads_only_the_conversations_that_changed(
    client: Client, unique: str, chat_calls: ChatRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short overlaps, so a conversation turns quiet within the test rather than after seconds.
    monkeypatch.setattr(messages, "SYNC_OVERLAP", timedelta(milliseconds=200))
    monkeypatch.setattr(messages, "ACTIVITY_OVERLAP", timedelta(0))
    # The background sync that follows sends would add its own ACS calls to the counted ones
    # whenever the test runs slower than its delay: keep it out of the test's minutes.
    monkeypatch.setattr(send_follow, "QUIET_AFTER_SEND", 3600.0)
    monkeypatch.setattr(send_follow, "MAX_DELAY", 3600.0)
    identity = f"many-{unique}"
    sids = []
    for number in range(CONVERSATIONS):
        conversation = client.conversations.v1.conversations.create(friendly_name=f"pass {number}")
        member = conversation.participants.create(identity=identity)
        conversation.messages.create(author="someone", body="hello")
        conversation.participants(member.sid).update(last_read_message_index=0)
        sids.append(conversation.sid)
    user = client.conversations.v1.users(identity)
    first = user.user_conversations.list()
    assert [c.unread_messages_count for c in first] == [0] * CONVERSATIONS
    time.sleep(1.2)  # ACS times have whole seconds
    user.user_conversations.list()

    before = chat_calls.count
    again = user.user_conversations.list()
    assert [c.unread_messages_count for c in again] == [0] * CONVERSATIONS
    assert chat_calls.count - before == 1  # the thread list only

    client.conversations.v1.conversations(sids[2]).messages.create(author="x", body="new")
    time.sleep(1.2)
    before = chat_calls.count
    counts = {c.conversation_sid: c.unread_messages_count for c in user.user_conversations.list()}
    assert counts == {sid: 1 if sid == sids[2] else 0 for sid in sids}
    assert chat_calls.count - before == 2  # the thread list, then the one that changed


def test_each_listed_conversation_shows_what_fetching_it_shows(client: Client, unique: str) -> None:
    """The list reads unread counts and notification levels for the whole page at once; each
    item matches the same user conversation fetched on its own."""
    identity = f"mixed-{unique}"
    for number, (horizon, muted) in enumerate([(None, False), (0, True), (2, False), (1, True)]):
        conversation = client.conversations.v1.conversations.create(friendly_name=f"m {number}")
        member = conversation.participants.create(identity=identity)
        for _ in range(3):
            conversation.messages.create(author="someone", body="hello")
        if horizon is not None:
            conversation.participants(member.sid).update(last_read_message_index=horizon)
        if muted:
            client.conversations.v1.users(identity).user_conversations(conversation.sid).update(
                notification_level="muted"
            )
    user = client.conversations.v1.users(identity)
    listed = user.user_conversations.list()
    seen = [(c.unread_messages_count, c.notification_level) for c in listed]
    assert seen == [(None, "default"), (2, "muted"), (0, "default"), (1, "muted")]
    for item in listed:
        fetched = user.user_conversations(item.conversation_sid).fetch()
        assert (fetched.unread_messages_count, fetched.notification_level) == (
            item.unread_messages_count,
            item.notification_level,
        )
        assert fetched.participant_sid == item.participant_sid
        assert fetched.friendly_name == item.friendly_name
