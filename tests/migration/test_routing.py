"""MigrationRoutingHttpClient: one twilio Client over both backends, per conversation."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.migration.conftest import ACCOUNT_SID, AUTH_TOKEN, Side, seed
from twilio_compat.core import Core
from twilio_compat.migration import HistoryImport, ImportOptions, TwilioSource
from twilio_compat.migration.routing import (
    MigrationRoutingHttpClient,
    NewConversation,
    RoutingPolicy,
)
from twilio_compat.rest import AcsHttpClient


def routed_client(twilio: Side, acs: Side, policy: RoutingPolicy) -> Client:
    http = MigrationRoutingHttpClient(
        twilio=AcsHttpClient(handler=twilio.handler),
        acs=AcsHttpClient(handler=acs.handler),
        policy=policy,
    )
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)


def on(side: Side, sid: str) -> bool:
    return side.adapter.store.conversations.get(sid) is not None


def test_policy_places_new_conversations_and_requests_follow_the_owner(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    tenant_acme = RoutingPolicy.where(lambda new: new.attributes.get("tenant") == "acme")
    client = routed_client(twilio_side, acs_side, tenant_acme)
    conversations = client.conversations.v1.conversations
    moved = conversations.create(unique_name=f"acme-{unique}", attributes='{"tenant": "acme"}')
    stayed = conversations.create(unique_name=f"other-{unique}", attributes='{"tenant": "x"}')

    assert on(acs_side, moved.sid) and not on(twilio_side, moved.sid)
    assert on(twilio_side, stayed.sid) and not on(acs_side, stayed.sid)
    for conversation in (moved, stayed):
        by_name = conversations(conversation.unique_name)
        by_name.participants.create(identity=f"ann-{unique}")
        sent = by_name.messages.create(author=f"ann-{unique}", body="hello")
        assert sent.index == 0
        assert [m.body for m in conversations(conversation.sid).messages.list()] == ["hello"]
    with pytest.raises(TwilioRestException) as missing:
        conversations(f"nowhere-{unique}").fetch()
    assert missing.value.status == 404


def test_lists_merge_both_backends_in_order_with_one_paging(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    alternate = iter([True, False] * 5)
    client = routed_client(twilio_side, acs_side, RoutingPolicy(lambda new: next(alternate)))
    created = [
        client.conversations.v1.conversations.create(unique_name=f"c{i}-{unique}").sid
        for i in range(7)
    ]
    assert sum(on(acs_side, sid) for sid in created) == 4

    paged = client.conversations.v1.conversations.list(page_size=2)
    listed = [c.sid for c in paged]
    assert sorted(listed) == sorted(created) and len(listed) == 7
    assert listed == [c.sid for c in client.conversations.v1.conversations.list(page_size=50)]
    dates = [c.date_created for c in paged]
    assert dates == sorted(dates)
    for side in (twilio_side, acs_side):  # each backend's own order is kept
        own = [c.sid for c in side.client.conversations.v1.conversations.list()]
        assert [sid for sid in listed if sid in own] == own
    first = client.conversations.v1.conversations.page(page_size=3)
    assert len(list(first)) == 3 and first.next_page_url


def test_imported_conversation_moves_to_acs_and_continues_its_indices(
    twilio_side: Side, acs_side: Side
) -> None:
    client = routed_client(twilio_side, acs_side, RoutingPolicy.none())
    (sid,) = seed(client, conversations=1, messages=3)
    assert on(twilio_side, sid) and not on(acs_side, sid)

    core = Core(acs_side.adapter)
    try:
        summary = HistoryImport(TwilioSource(twilio_side.client), core, ImportOptions()).run()
    finally:
        core.close()
    assert summary.ok

    messages = client.conversations.v1.conversations(sid).messages
    author = client.conversations.v1.conversations(sid).participants.list()[0].identity
    live = messages.create(author=author, body="now on ACS")
    assert live.index == 3
    stored = acs_side.adapter.store.messages.get(live.sid)
    assert stored is not None and stored.acs_message_id
    assert twilio_side.adapter.store.messages.get(live.sid) is None
    assert [m.index for m in messages.list()] == [0, 1, 2, 3]


def test_user_writes_go_to_twilio_and_are_mirrored_with_the_same_sid(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    client = routed_client(twilio_side, acs_side, RoutingPolicy.all())
    user = client.conversations.v1.users.create(identity=f"zoe-{unique}", friendly_name="Zoe")
    mirrored = acs_side.adapter.store.users.get(user.sid)
    assert mirrored is not None and mirrored.friendly_name == "Zoe"
    client.conversations.v1.users(user.sid).update(friendly_name="Zoë")
    assert acs_side.adapter.store.users.get(user.sid).friendly_name == "Zoë"  # type: ignore[union-attr]
    client.conversations.v1.users(user.sid).delete()
    assert acs_side.adapter.store.users.get(user.sid) is None


def test_percentage_policy_is_stable_per_unique_name() -> None:
    half = RoutingPolicy.percentage(50)
    names = [NewConversation(f"room-{i}", None, {}) for i in range(400)]
    first = [half.sends_to_acs(n) for n in names]
    assert first == [half.sends_to_acs(n) for n in names]
    assert 140 < sum(first) < 260
    assert not any(RoutingPolicy.percentage(0).sends_to_acs(n) for n in names)
    assert all(RoutingPolicy.percentage(100).sends_to_acs(n) for n in names)
    with pytest.raises(ValueError):
        RoutingPolicy.percentage(101)
