"""Conversations, participants, users, roles, webhooks and user settings in the mapping store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter.errors import Conflict, InvalidInput, NotFound
from acs_adapter.store import MappingStore, open_store

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


# --- conversations -------------------------------------------------------------------------


def test_conversation_round_trip_with_defaults(store: MappingStore) -> None:
    created = store.conversations.insert(sid="CH1", scope="IS1", thread_id="19:a@thread.v2")
    assert created.attributes == "{}"
    assert created.state == "active"
    assert created.next_index == 0
    assert created.archived is False
    assert created.unique_name is None
    assert created.created_at == created.updated_at
    assert created.created_at.tzinfo is not None
    assert store.conversations.get("CH1") == created


def test_conversation_keeps_every_field_and_millisecond_times(store: MappingStore) -> None:
    kept = store.conversations.insert(
        sid="CH1",
        scope="IS1",
        thread_id="19:a@thread.v2",
        unique_name="support-42",
        friendly_name="Support ✨",
        attributes='{"tier": "gold"}',
        state="inactive",
        timers='{"closed": "PT1H"}',
        messaging_service_sid="MG1",
        created_by="alice",
        created_at=T0,
        updated_at=T0 + timedelta(seconds=1),
        archived=True,
    )
    again = store.conversations.get("CH1")
    assert again == kept
    assert again is not None
    assert again.created_at == T0.replace(microsecond=123000)
    assert again.updated_at == T0.replace(microsecond=123000) + timedelta(seconds=1)
    assert (again.unique_name, again.friendly_name, again.timers) == (
        "support-42",
        "Support ✨",
        '{"closed": "PT1H"}',
    )
    assert (again.messaging_service_sid, again.created_by, again.archived) == ("MG1", "alice", True)


def test_times_in_other_zones_come_back_as_utc(store: MappingStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    kept = store.conversations.insert(
        sid="CH1", scope="IS1", created_at=datetime(2024, 5, 1, 14, 0, tzinfo=plus_two)
    )
    assert kept.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert kept.created_at.utcoffset() == timedelta(0)


def test_lookup_by_unique_name_thread_and_either_key(store: MappingStore) -> None:
    kept = store.conversations.insert(
        sid="CH1", scope="IS1", unique_name="support", thread_id="19:a@thread.v2"
    )
    assert store.conversations.get_by_unique_name("IS1", "support") == kept
    assert store.conversations.get_by_unique_name("IS2", "support") is None
    assert store.conversations.get_by_thread_id("19:a@thread.v2") == kept
    assert store.conversations.find("IS1", "CH1") == kept
    assert store.conversations.find("IS1", "support") == kept
    assert store.conversations.find("IS2", "CH1") is None
    assert store.conversations.find("IS1", "nothing") is None


def test_unique_name_is_unique_per_scope_only(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", unique_name="support")
    store.conversations.insert(sid="CH2", scope="IS2", unique_name="support")
    store.conversations.insert(sid="CH3", scope="IS1")
    store.conversations.insert(sid="CH4", scope="IS1")  # many without a unique name
    with pytest.raises(Conflict, match="unique_name='support'") as caught:
        store.conversations.insert(sid="CH5", scope="IS1", unique_name="support")
    assert "INSERT" not in str(caught.value)
    assert store.conversations.get("CH5") is None


def test_duplicate_sid_and_thread_are_conflicts(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", thread_id="19:a@thread.v2")
    with pytest.raises(Conflict, match="sid='CH1'"):
        store.conversations.insert(sid="CH1", scope="IS1")
    with pytest.raises(Conflict, match=re.escape("thread_id='19:a@thread.v2'")):
        store.conversations.insert(sid="CH2", scope="IS1", thread_id="19:a@thread.v2")


def test_update_changes_only_named_fields(store: MappingStore) -> None:
    before = store.conversations.insert(
        sid="CH1", scope="IS1", unique_name="u", friendly_name="F", created_at=T0
    )
    after = store.conversations.update(
        "CH1", friendly_name=None, attributes='{"a": 1}', state="closed", thread_id="19:t"
    )
    assert after.friendly_name is None
    assert after.attributes == '{"a": 1}'
    assert after.state == "closed"
    assert after.thread_id == "19:t"
    assert after.unique_name == "u"
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    assert store.conversations.get("CH1") == after


def test_update_to_a_taken_unique_name_is_a_conflict(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", unique_name="taken")
    store.conversations.insert(sid="CH2", scope="IS1", unique_name="mine")
    with pytest.raises(Conflict, match="unique_name='taken'"):
        store.conversations.update("CH2", unique_name="taken")
    conversation = store.conversations.get("CH2")
    assert conversation is not None and conversation.unique_name == "mine"


def test_update_or_delete_of_a_missing_conversation(store: MappingStore) -> None:
    with pytest.raises(NotFound, match="CHnope"):
        store.conversations.update("CHnope", state="closed")
    assert store.conversations.delete("CHnope") is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attributes", "{not json"),
        ("timers", "[1,"),
        ("sid", ""),
        ("scope", "x" * 65),
        ("unique_name", "u" * 257),
        ("state", "s" * 17),
        ("created_at", datetime(2024, 1, 1)),
        ("archived", "yes"),
    ],
)
def test_bad_conversation_fields_are_invalid_input(
    store: MappingStore, field: str, value: object
) -> None:
    fields: dict[str, object] = {"sid": "CH1", "scope": "IS1", field: value}
    with pytest.raises(InvalidInput, match=field):
        store.conversations.insert(**fields)  # type: ignore[arg-type]
    assert store.conversations.count("IS1") == 0


def test_delete_removes_everything_that_belongs_to_the_conversation(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
    store.messages.insert(sid="IM1", conversation_sid="CH1", author="alice")
    store.webhooks.insert(sid="WH1", conversation_sid="CH1", target="webhook")
    store.user_conversations.set("alice", "CH1", notification_level="muted")
    assert store.conversations.delete("CH1") is True
    assert store.conversations.get("CH1") is None
    assert store.participants.get("MB1") is None
    assert store.messages.get("IM1") is None
    assert store.webhooks.get("WH1") is None
    assert store.user_conversations.get("alice", "CH1") is None


def test_list_orders_filters_and_pages(store: MappingStore) -> None:
    for n in range(5):
        store.conversations.insert(
            sid=f"CH{n}",
            scope="IS1",
            state="closed" if n % 2 else "active",
            created_at=T0 + timedelta(minutes=n),
        )
    store.conversations.insert(sid="CHother", scope="IS2", created_at=T0)

    def sids(**kw: object) -> list[str]:
        return [c.sid for c in store.conversations.list("IS1", **kw)]  # type: ignore[arg-type]

    assert sids() == ["CH0", "CH1", "CH2", "CH3", "CH4"]
    assert sids(newest_first=True) == ["CH4", "CH3", "CH2", "CH1", "CH0"]
    assert sids(limit=2) == ["CH0", "CH1"]
    assert sids(limit=2, offset=2) == ["CH2", "CH3"]
    assert sids(state="closed") == ["CH1", "CH3"]
    assert sids(
        created_from=T0 + timedelta(minutes=1), created_before=T0 + timedelta(minutes=3)
    ) == [
        "CH1",
        "CH2",
    ]
    assert store.conversations.count("IS1") == 5
    assert store.conversations.count("IS1", state="active") == 3
    assert store.conversations.count("IS2") == 1


def test_list_conversations_of_a_participant(store: MappingStore) -> None:
    for n in range(3):
        store.conversations.insert(sid=f"CH{n}", scope="IS1", created_at=T0 + timedelta(minutes=n))
    store.participants.insert(sid="MB0", conversation_sid="CH0", identity="alice")
    store.participants.insert(sid="MB2", conversation_sid="CH2", identity="alice")
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="bob")
    listed = store.conversations.list("IS1", participant_identity="alice")
    assert [c.sid for c in listed] == ["CH0", "CH2"]
    assert store.conversations.count("IS1", participant_identity="alice") == 2
    assert store.conversations.list("IS1", participant_identity="carol") == []


def test_seek_pages_by_position_both_ways(store: MappingStore) -> None:
    for n in range(6):
        store.conversations.insert(
            sid=f"CH{n}",
            scope="IS1",
            state=("active", "inactive", "closed")[n % 3],
            timers='{"closed": "PT1H"}' if n in (0, 4) else None,
            created_at=T0 + timedelta(minutes=n // 2),  # pairs share a time: the SID decides
        )
    store.conversations.insert(sid="CHother", scope="IS2", created_at=T0)
    seek = store.conversations.seek

    def sids(**kw: object) -> list[str]:
        return [c.sid for c in seek("IS1", **kw)]  # type: ignore[arg-type]

    everything = seek("IS1")
    assert [c.sid for c in everything] == ["CH0", "CH1", "CH2", "CH3", "CH4", "CH5"]
    assert sids(after=everything[1].position, limit=3) == ["CH2", "CH3", "CH4"]
    assert sids(before=everything[4].position, limit=3) == ["CH3", "CH2", "CH1"]
    assert sids(states=("closed",)) == ["CH2", "CH5"]
    assert sids(states=("active", "inactive"), with_timers=True) == ["CH0", "CH4"]
    assert sids(after=everything[0].position, with_timers=True) == ["CH4"]
    assert sids(created_from=T0 + timedelta(minutes=1), before=everything[5].position) == [
        "CH4",
        "CH3",
        "CH2",
    ]


@pytest.mark.parametrize(
    "kw",
    [
        {"after": (T0, "CH1"), "before": (T0, "CH2")},
        {"after": (T0.replace(tzinfo=None), "CH1")},
        {"after": (T0,)},
        {"before": "CH1"},
        {"limit": 0},
    ],
)
def test_bad_seek_is_invalid_input(store: MappingStore, kw: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        store.conversations.seek("IS1", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (10, -1), (True, 0)])
def test_bad_paging_is_invalid_input(store: MappingStore, limit: int, offset: int) -> None:
    with pytest.raises(InvalidInput):
        store.conversations.list("IS1", limit=limit, offset=offset)


# --- participants --------------------------------------------------------------------------


def test_participant_round_trip_and_lookups(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    kept = store.participants.insert(
        sid="MB1",
        conversation_sid="CH1",
        identity="alice",
        acs_user_id="8:acs:alice",
        attributes='{"seat": 3}',
        role_sid="RL1",
    )
    assert kept.last_read_index is None and kept.last_read_at is None
    assert store.participants.get("MB1") == kept
    assert store.participants.get_by_identity("CH1", "alice") == kept
    assert store.participants.get_by_acs_user_id("CH1", "8:acs:alice") == kept
    assert store.participants.get_by_identity("CH1", "bob") is None


def test_same_identity_twice_in_a_conversation_is_a_conflict(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    store.conversations.insert(sid="CH2", scope="IS1")
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
    store.participants.insert(sid="MB2", conversation_sid="CH2", identity="alice")
    with pytest.raises(Conflict, match="identity='alice'") as caught:
        store.participants.insert(sid="MB3", conversation_sid="CH1", identity="alice")
    assert "conversation_sid='CH1'" in str(caught.value)
    assert store.participants.count("CH1") == 1


def test_participant_of_a_missing_conversation_is_not_found(store: MappingStore) -> None:
    with pytest.raises(NotFound, match="conversation 'CHnope' does not exist"):
        store.participants.insert(sid="MB1", conversation_sid="CHnope", identity="alice")


def test_participant_read_horizon_update(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
    updated = store.participants.update("MB1", last_read_index=7, last_read_at=T0)
    assert (updated.last_read_index, updated.last_read_at) == (7, T0.replace(microsecond=123000))
    cleared = store.participants.update("MB1", last_read_index=None, role_sid="RL2")
    assert cleared.last_read_index is None
    assert cleared.role_sid == "RL2"
    with pytest.raises(InvalidInput, match="last_read_index"):
        store.participants.update("MB1", last_read_index=-1)
    with pytest.raises(NotFound):
        store.participants.update("MBnope", attributes="{}")


def test_participants_listed_by_conversation_or_identity(store: MappingStore) -> None:
    for conv in ("CH1", "CH2"):
        store.conversations.insert(sid=conv, scope="IS1")
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice", created_at=T0)
    store.participants.insert(
        sid="MB2", conversation_sid="CH1", identity="bob", created_at=T0 + timedelta(seconds=1)
    )
    store.participants.insert(sid="MB3", conversation_sid="CH2", identity="alice", created_at=T0)
    assert [p.sid for p in store.participants.list("CH1")] == ["MB1", "MB2"]
    assert [p.sid for p in store.participants.list("CH1", limit=1, offset=1)] == ["MB2"]
    assert [p.sid for p in store.participants.list(identity="alice")] == ["MB1", "MB3"]
    assert [p.sid for p in store.participants.list("CH2", identity="alice")] == ["MB3"]
    assert store.participants.count("CH1") == 2
    assert store.participants.count(identity="alice") == 2
    with pytest.raises(InvalidInput):
        store.participants.list()
    assert store.participants.delete("MB2") is True
    assert store.participants.delete("MB2") is False


# --- users -----------------------------------------------------------------------------------


def test_users_by_sid_and_identity_unique_per_scope(store: MappingStore) -> None:
    kept = store.users.insert(sid="US1", scope="IS1", identity="alice", friendly_name="Alice")
    store.users.insert(sid="US2", scope="IS2", identity="alice")
    assert store.users.get("US1") == kept
    assert store.users.get_by_identity("IS1", "alice") == kept
    with pytest.raises(Conflict, match="identity='alice'"):
        store.users.insert(sid="US3", scope="IS1", identity="alice")
    updated = store.users.update("US1", friendly_name=None, attributes='{"x": true}')
    assert (updated.friendly_name, updated.attributes) == (None, '{"x": true}')
    assert [u.sid for u in store.users.seek("IS1")] == ["US1"]
    assert store.users.count("IS2") == 1
    assert store.users.delete("US1") is True
    assert store.users.get("US1") is None
    with pytest.raises(NotFound):
        store.users.update("US1", role_sid="RL1")


# --- roles -----------------------------------------------------------------------------------


def test_roles_by_scope_and_type(store: MappingStore) -> None:
    store.roles.insert(
        sid="RL1",
        scope="IS1",
        friendly_name="member",
        type="conversation",
        permissions='["sendMessage"]',
        created_at=T0,
    )
    store.roles.insert(
        sid="RL2",
        scope="IS1",
        friendly_name="admin",
        type="service",
        permissions='["createConversation"]',
        created_at=T0 + timedelta(seconds=1),
    )
    assert [r.sid for r in store.roles.list("IS1")] == ["RL1", "RL2"]
    assert [r.sid for r in store.roles.list("IS1", type="service")] == ["RL2"]
    assert store.roles.count("IS1", type="conversation") == 1
    updated = store.roles.update("RL1", permissions='["sendMessage", "leaveConversation"]')
    assert updated.permissions == '["sendMessage", "leaveConversation"]'
    assert updated.friendly_name == "member"
    with pytest.raises(InvalidInput, match="permissions"):
        store.roles.update("RL1", permissions="sendMessage")
    assert store.roles.delete("RL1") is True
    assert store.roles.get("RL1") is None


# --- conversation webhooks ------------------------------------------------------------------


def test_conversation_webhooks(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    kept = store.webhooks.insert(
        sid="WH1", conversation_sid="CH1", target="webhook", config='{"url": "https://x"}'
    )
    assert store.webhooks.get("WH1") == kept
    updated = store.webhooks.update("WH1", config='{"url": "https://y"}')
    assert updated.config == '{"url": "https://y"}'
    assert updated.target == "webhook"
    assert [w.sid for w in store.webhooks.list("CH1")] == ["WH1"]
    assert store.webhooks.count("CH1") == 1
    with pytest.raises(NotFound, match="conversation 'CH2'"):
        store.webhooks.insert(sid="WH2", conversation_sid="CH2", target="webhook")
    assert store.webhooks.delete("WH1") is True
    assert store.webhooks.count("CH1") == 0


# --- user conversation settings -------------------------------------------------------------


def test_user_conversation_settings_are_set_replaced_and_dropped(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    store.conversations.insert(sid="CH2", scope="IS1")
    assert store.user_conversations.get("alice", "CH1") is None
    first = store.user_conversations.set("alice", "CH1", notification_level="muted")
    assert first.notification_level == "muted"
    second = store.user_conversations.set("alice", "CH1", notification_level="default")
    assert store.user_conversations.get("alice", "CH1") == second
    store.user_conversations.set("alice", "CH2", notification_level="muted")
    assert [s.conversation_sid for s in store.user_conversations.list("alice")] == ["CH1", "CH2"]
    assert store.user_conversations.delete("alice", "CH1") is True
    assert store.user_conversations.delete("alice", "CH1") is False
    with pytest.raises(NotFound, match="conversation 'CH9'"):
        store.user_conversations.set("alice", "CH9", notification_level="muted")


def test_a_page_of_user_conversations_is_read_in_single_queries(store: MappingStore) -> None:
    """`get_many`, `count_each` and the settings' `get_many` answer for a whole page at once."""
    for sid in ("CH1", "CH2", "CH3"):
        store.conversations.insert(sid=sid, scope="IS1")
    for n in range(4):
        store.messages.insert(sid=f"IM{n}", conversation_sid="CH1")
    store.messages.insert(sid="IM9", conversation_sid="CH2")
    store.user_conversations.set("alice", "CH2", notification_level="muted")

    assert set(store.conversations.get_many(["CH1", "CH3", "CH9"])) == {"CH1", "CH3"}
    assert store.conversations.get_many([]) == {}
    assert store.messages.count_each({"CH1": 2, "CH2": None, "CH3": 0}) == {"CH1": 2, "CH2": 1}
    assert store.messages.count_each({}) == {}
    levels = store.user_conversations.get_many("alice", ["CH1", "CH2"])
    assert {sid: s.notification_level for sid, s in levels.items()} == {"CH2": "muted"}
    with pytest.raises(InvalidInput):
        store.messages.count_each({"CH1": -1})
