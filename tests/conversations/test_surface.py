"""The JS surface: every member under its JS name and a snake_case alias, and the parity table."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conversations import test_cross_process_events
from twilio_compat.conversations import Client, Conversation, Message, event_delivery, parity
from twilio_compat.conversations.parity import IMPLEMENTED, JS_SURFACE, in_scope, table


def test_parity_lists_exactly_the_js_surface(shared_reference: Path) -> None:
    surface = json.loads((shared_reference / "twilio_js_surface.json").read_text())
    for name, cls in surface["classes"].items():
        listed = JS_SURFACE[name]
        for kind in ("methods", "static_methods", "properties", "static_properties"):
            expected = sorted(member["name"] for member in cls.get(kind, []))
            assert sorted(listed.get(kind, "").split()) == expected, (name, kind)
        events = sorted(event["name"] for event in cls.get("events", []))
        assert sorted(listed.get("events", "").split()) == events, name
    assert set(JS_SURFACE) == set(surface["classes"])


def test_internal_properties_are_the_sdks_internal_getters(shared_reference: Path) -> None:
    """``Client.token`` and ``Conversation.bindings`` are ``@internal`` yet public getters."""
    surface = json.loads((shared_reference / "twilio_js_surface.json").read_text())
    listed = {
        (name, member)
        for name, members in JS_SURFACE.items()
        for member in members.get("internal_properties", "").split()
    }
    assert listed == {("Client", "token"), ("Conversation", "bindings")}
    for name, member in listed:
        internal = {m["name"]: m["reason"] for m in surface["classes"][name]["internal_members"]}
        assert internal[member] == "@internal", (name, member)
    rows = {(row.js_class, row.js_name): row for row in table() if row.kind == "internal_property"}
    assert set(rows) == listed
    assert all(row.status == IMPLEMENTED for row in rows.values())


def test_everything_outside_the_missing_areas_is_implemented() -> None:
    missing = [
        row
        for row in table()
        if in_scope(row) and row.kind != "event" and row.status != IMPLEMENTED
    ]
    assert missing == []
    assert parity.coverage() == 1.0


def test_an_event_works_only_where_a_test_sees_it_reach_another_process() -> None:
    """The table's "works" for an event is a claim ``test_cross_process_events`` checks."""
    events = [row for row in table() if row.kind == "event"]
    keys = {f"{row.js_class}.event.{row.js_name}" for row in events}
    works = {f"{row.js_class}.event.{row.js_name}" for row in events if row.status == IMPLEMENTED}
    assert works == set(event_delivery.DELIVERED)
    for test in {*event_delivery.DELIVERED.values(), *event_delivery.NOT_ACROSS_TESTED}:
        assert callable(getattr(test_cross_process_events, test, None)), test
    assert not set(event_delivery.DELIVERED) & set(event_delivery.ELSEWHERE)
    pushed = {key for key in keys if key.endswith(".pushNotification")}
    assert set(event_delivery.DELIVERED) | set(event_delivery.ELSEWHERE) == keys - pushed
    for checked in event_delivery.NOT_ACROSS_TESTED.values():
        for key in checked:
            assert event_delivery.ELSEWHERE[key][0] == event_delivery.SAME_PROCESS, key


def test_every_member_has_its_js_name_and_a_snake_case_alias() -> None:
    for row in table():
        if row.kind in ("event", "class") or row.js_class not in parity.PYTHON_CLASSES:
            continue
        target = parity.PYTHON_CLASSES[row.js_class]
        fields = parity.instance_fields(target)
        for name in row.python_names:
            assert hasattr(target, name) or name in fields, (row.js_class, name)


def test_one_implementation_two_names() -> None:
    assert Client.getConversationBySid is Client.get_conversation_by_sid
    assert Conversation.prepareMessage is Conversation.prepare_message
    assert Conversation.lastReadMessageIndex is Conversation.last_read_message_index
    assert Message.getTemporaryContentUrlsForAttachedMedia is (
        Message.get_temporary_content_urls_for_attached_media
    )


def test_not_supported_rows_say_why() -> None:
    rows = [row for row in table() if row.status != IMPLEMENTED]
    assert rows
    assert all(row.note for row in rows)
    refused = [row for row in rows if row.status == parity.NOT_SUPPORTED]
    assert not any(in_scope(row) for row in refused)
    local = {parity.SAME_PROCESS, parity.THIS_CLIENT}
    assert all(row.kind == "event" for row in rows if row.status in local)


def test_markdown_renders_every_row() -> None:
    text = parity.markdown()
    assert text.count("\n|") == len(table()) + 1
    assert "In-scope coverage: 100%" in text
