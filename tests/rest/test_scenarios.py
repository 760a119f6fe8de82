"""Whole flows written the way Twilio users write them; only the client's construction differs.

Each function below could run against Twilio unchanged: it uses twilio-python's public API
(create/fetch/list/stream/page, ``TwilioRestException.code``) and nothing of the shim.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def get_or_create_conversation(client: Client, unique_name: str, friendly_name: str) -> Any:
    """Find by unique name; create if missing; if another worker created it first, fetch it."""
    conversations = client.conversations.v1.conversations
    try:
        return conversations(unique_name).fetch()
    except TwilioRestException as e:
        if e.code != 20404:
            raise
    try:
        return conversations.create(unique_name=unique_name, friendly_name=friendly_name)
    except TwilioRestException as e:
        if e.code != 50353:  # unique name taken meanwhile
            raise
        return conversations(unique_name).fetch()


def ensure_participant(client: Client, conversation_sid: str, identity: str) -> Any:
    participants = client.conversations.v1.conversations(conversation_sid).participants
    try:
        return participants.create(identity=identity)
    except TwilioRestException as e:
        if e.code == 50433:  # already in the conversation
            return next(p for p in participants.stream() if p.identity == identity)
        raise


def test_support_desk_flow(client: Client, unique: str) -> None:
    """A ticket room per customer: find-or-create, join agents, talk, hand over, close."""
    room = get_or_create_conversation(client, f"ticket-{unique}", "Ticket: billing question")
    assert get_or_create_conversation(client, f"ticket-{unique}", "ignored").sid == room.sid
    # A second worker that lost the race gets the existing room through 50353.
    with pytest.raises(TwilioRestException) as taken:
        client.conversations.v1.conversations.create(unique_name=f"ticket-{unique}")
    assert taken.value.code == 50353

    customer = ensure_participant(client, room.sid, f"customer-{unique}")
    agent = ensure_participant(client, room.sid, f"agent-{unique}")
    assert ensure_participant(client, room.sid, f"agent-{unique}").sid == agent.sid

    chat = client.conversations.v1.conversations(room.sid)
    chat.messages.create(author=customer.identity, body="My invoice is wrong")
    chat.messages.create(
        author=agent.identity,
        body="Looking into it",
        attributes=json.dumps({"internal": False, "template": "ack"}),
    )
    chat.messages.create(author="system", body="Agent joined")
    latest = chat.messages.list(order="desc", limit=1)[0]
    assert (latest.author, latest.body, latest.participant_sid) == ("system", "Agent joined", None)

    # Hand over: the agent leaves, a supervisor joins, the customer's view is unchanged.
    chat.participants(agent.sid).delete()
    ensure_participant(client, room.sid, f"supervisor-{unique}")
    assert sorted(p.identity for p in chat.participants.list()) == [
        f"customer-{unique}",
        f"supervisor-{unique}",
    ]
    mine = client.conversations.v1.participant_conversations.list(identity=f"customer-{unique}")
    assert [c.conversation_sid for c in mine] == [room.sid]

    chat.update(state="closed", attributes=json.dumps({"resolution": "refund"}))
    with pytest.raises(TwilioRestException) as closed:
        chat.messages.create(author=customer.identity, body="one more thing")
    assert closed.value.code == 50377
    transcript = [(m.index, m.author, m.body) for m in chat.messages.stream()]
    assert transcript == [
        (0, f"customer-{unique}", "My invoice is wrong"),
        (1, f"agent-{unique}", "Looking into it"),
        (2, "system", "Agent joined"),
    ]


def test_paging_the_way_twilio_code_does(client: Client, unique: str) -> None:
    conversation = client.conversations.v1.conversations.create(unique_name=f"pages-{unique}")
    messages = client.conversations.v1.conversations(conversation.sid).messages
    for i in range(23):
        messages.create(author="bot", body=f"n{i}")

    assert [m.body for m in messages.stream(page_size=5)] == [f"n{i}" for i in range(23)]
    assert [m.index for m in messages.list(limit=7, page_size=3)] == list(range(7))
    assert [m.index for m in messages.list(order="desc", limit=4)] == [22, 21, 20, 19]
    assert len(messages.list()) == 23  # default page size 50: one page

    page = messages.page(page_size=10)
    seen: list[int] = []
    while page is not None:
        seen.extend(m.index for m in page)
        page = page.next_page()
    assert seen == list(range(23))

    newest_page = messages.page(order="desc", page_size=10)
    assert newest_page.previous_page() is None
    older = newest_page.next_page()
    assert [m.index for m in older] == list(range(12, 2, -1))
    back = older.previous_page()
    assert [m.index for m in back] == list(range(22, 12, -1))
    assert back.previous_page() is None  # back at the newest end
    assert [m.index for m in back.next_page()] == list(range(12, 2, -1))

    first = messages.page(page_size=10)
    third = first.next_page().next_page()
    assert [m.index for m in third] == [20, 21, 22] and third.next_page() is None
    assert [m.index for m in third.previous_page()] == list(range(10, 20))
    assert [m.index for m in third.previous_page().previous_page()] == list(range(10))


def test_error_handling_the_way_twilio_code_does(client: Client, unique: str) -> None:
    missing = f"CH{'0' * 32}"
    try:
        client.conversations.v1.conversations(missing).fetch()
    except TwilioRestException as e:
        assert (e.status, e.code, e.method) == (404, 20404, "GET")
        assert e.uri == f"/Conversations/{missing}"
        assert e.msg.startswith("Unable to fetch record:")
        assert str(e).startswith("HTTP 404 error: Unable to fetch record")
    else:
        pytest.fail("fetching an unknown conversation must raise")

    conversation = client.conversations.v1.conversations.create()
    chat = client.conversations.v1.conversations(conversation.sid)
    with pytest.raises(TwilioRestException) as bad_json:
        chat.update(attributes="{not json")
    assert bad_json.value.status == 400
    with pytest.raises(TwilioRestException) as too_long:
        chat.participants.create(identity="x" * 257)
    assert too_long.value.status == 400
    with pytest.raises(TwilioRestException) as nobody:
        chat.participants(f"ghost-{unique}").delete()
    assert nobody.value.code == 20404
    assert chat.participants.list() == []  # nothing was half-written
    assert chat.fetch().attributes == "{}"


def test_cleanup_script_deletes_tagged_conversations(client: Client, unique: str) -> None:
    """A nightly job: find conversations by an attribute and delete them while streaming."""
    service = client.conversations.v1.services.create(friendly_name=f"cleanup {unique}")
    scoped = client.conversations.v1.services(service.sid).conversations
    keep = scoped.create(attributes=json.dumps({"tag": "keep"}))
    for _ in range(3):
        scoped.create(attributes=json.dumps({"tag": "stale"}))

    first = scoped.page(page_size=2)
    assert [c.sid for c in first.next_page().previous_page()] == [c.sid for c in first]
    doomed = [
        c.sid for c in scoped.stream(page_size=2) if json.loads(c.attributes)["tag"] == "stale"
    ]
    for sid in doomed:
        assert scoped(sid).delete() is True
    assert [c.sid for c in scoped.list()] == [keep.sid]
