"""Conversations through twilio-python on ACS: what a Twilio user writes, unchanged."""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timedelta, timezone

import pytest
import twilio
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from tests.fixtures.threads import thread_of
from twilio_compat.rest import WireHandler


def find_or_create(client: Client, unique_name: str, friendly_name: str) -> object:
    """The usual Twilio idiom: fetch by unique name, create on 20404."""
    conversations = client.conversations.v1.conversations
    try:
        return conversations(unique_name).fetch()
    except TwilioRestException as error:
        if error.code != 20404:
            raise
        return conversations.create(unique_name=unique_name, friendly_name=friendly_name)


def test_find_or_create_by_unique_name_returns_one_conversation(
    client: Client, unique: str
) -> None:
    first = find_or_create(client, f"room-{unique}", "Room")
    second = find_or_create(client, f"room-{unique}", "Room")
    assert first.sid == second.sid  # type: ignore[attr-defined]
    assert first.sid.startswith("CH") and len(first.sid) == 34  # type: ignore[attr-defined]


def test_create_reports_twilio_fields(client: Client, unique: str) -> None:
    created = client.conversations.v1.conversations.create(
        friendly_name="service|friendly&name",
        unique_name=f"u-{unique}",
        attributes=json.dumps({"topic": "feedback"}),
    )
    assert created.friendly_name == "service|friendly&name"
    assert created.unique_name == f"u-{unique}"
    assert json.loads(created.attributes) == {"topic": "feedback"}
    assert created.state == "active"
    assert created.chat_service_sid.startswith("IS")
    assert created.account_sid.startswith("AC")
    assert isinstance(created.date_created, datetime)
    assert created.url == f"https://conversations.twilio.com/v1/Conversations/{created.sid}"
    assert created.links["messages"].endswith(f"/Conversations/{created.sid}/Messages")
    fetched = client.conversations.v1.conversations(created.sid).fetch()
    assert fetched.friendly_name == "service|friendly&name"


def test_friendly_name_becomes_the_acs_topic(
    client: Client, adapter: AcsAdapter, handler: WireHandler, unique: str
) -> None:
    created = client.conversations.v1.conversations.create(friendly_name=f"Topic {unique}")
    thread_id = thread_of(adapter, created.sid)
    chat = handler.core.directory.service_chat()
    assert chat.get_thread(thread_id).topic == f"Topic {unique}"

    client.conversations.v1.conversations(created.sid).update(friendly_name="Renamed")
    assert chat.get_thread(thread_id).topic == "Renamed"


def test_topic_falls_back_to_unique_name_but_twilio_value_is_reported(
    client: Client, adapter: AcsAdapter, handler: WireHandler, unique: str
) -> None:
    created = client.conversations.v1.conversations.create(unique_name=f"only-{unique}")
    assert created.friendly_name is None
    thread_id = thread_of(adapter, created.sid)
    assert handler.core.directory.service_chat().get_thread(thread_id).topic == f"only-{unique}"


def test_update_by_unique_name_and_default_attributes(client: Client, unique: str) -> None:
    client.conversations.v1.conversations.create(unique_name=f"upd-{unique}")
    updated = client.conversations.v1.conversations(f"upd-{unique}").update(
        attributes='{"x": 1}', state="inactive"
    )
    assert updated.attributes == '{"x": 1}'
    assert updated.state == "inactive"
    fresh = client.conversations.v1.conversations.create()
    assert fresh.attributes == "{}"


def test_unique_name_taken_is_50353(client: Client, unique: str) -> None:
    client.conversations.v1.conversations.create(unique_name=f"dup-{unique}")
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(unique_name=f"dup-{unique}")
    assert caught.value.code == 50353
    assert caught.value.status == 409


def test_unique_name_shaped_like_a_sid_is_50390(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(unique_name="CH" + "a" * 32)
    assert caught.value.code == 50390
    assert caught.value.status == 400


def test_unknown_conversation_is_20404_with_twilio_message(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations("CH" + "0" * 32).fetch()
    error = caught.value
    assert (error.status, error.code) == (404, 20404)
    assert error.msg == (
        f"Unable to fetch record: The requested resource /Conversations/CH{'0' * 32} was not found"
    )


def test_malformed_attributes_fail_and_change_nothing(client: Client, unique: str) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(
            unique_name=f"bad-{unique}", attributes="{not json"
        )
    assert caught.value.status == 400
    assert caught.value.code == 50304
    with pytest.raises(TwilioRestException) as missing:
        client.conversations.v1.conversations(f"bad-{unique}").fetch()
    assert missing.value.code == 20404


def test_oversize_friendly_name_is_refused(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(friendly_name="x" * 257)
    assert caught.value.status == 400


def test_delete_then_fetch_is_20404(client: Client, adapter: AcsAdapter, unique: str) -> None:
    created = client.conversations.v1.conversations.create(unique_name=f"del-{unique}")
    assert client.conversations.v1.conversations(f"del-{unique}").delete() is True
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations(created.sid).fetch()
    assert caught.value.code == 20404
    assert adapter.store.conversations.get(created.sid) is None


def test_timers_are_reported_and_move_state(client: Client, unique: str) -> None:
    created = client.conversations.v1.conversations.create(
        unique_name=f"t-{unique}", timers_inactive="PT1M", timers_closed="PT10M"
    )
    inactive = datetime.fromisoformat(created.timers["date_inactive"].replace("Z", "+00:00"))
    closed = datetime.fromisoformat(created.timers["date_closed"].replace("Z", "+00:00"))
    assert closed - inactive == timedelta(minutes=9)
    assert created.state == "active"
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(timers_inactive="PT10S")
    assert caught.value.status == 400


def test_list_with_state_and_date_filters(client: Client, unique: str) -> None:
    conversations = client.conversations.v1.conversations
    closed = conversations.create(unique_name=f"closed-{unique}")
    conversations(closed.sid).update(state="closed")  # Twilio refuses to create it closed
    listed = [c.sid for c in conversations.list(state="closed")]
    assert closed.sid in listed
    assert all(c.state == "closed" for c in conversations.list(state="closed"))
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(conversations.list(start_date=future.strftime("%Y-%m-%dT%H:%M:%SZ"))) == []
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    same_day = [c.sid for c in conversations.list(start_date=today, end_date=today)]
    assert closed.sid in same_day


def test_list_pages_through_next_page_url(client: Client, unique: str) -> None:
    service = client.conversations.v1.services.create(friendly_name=f"paging {unique}")
    made = {service.conversations.create(friendly_name=f"p{i}").sid for i in range(5)}
    scoped = client.conversations.v1.services(service.sid).conversations
    page = scoped.page(page_size=2)
    assert len(list(page)) == 2 and page.next_page_url is not None
    assert "PageToken=" in page.next_page_url
    assert {c.sid for c in scoped.list(page_size=2)} == made


def test_service_scoped_conversations_are_separate(client: Client, unique: str) -> None:
    service = client.conversations.v1.services.create(friendly_name=f"svc {unique}")
    scoped = client.conversations.v1.services(service.sid).conversations
    created = scoped.create(unique_name=f"same-{unique}")
    assert created.chat_service_sid == service.sid
    assert created.url.startswith(f"https://conversations.twilio.com/v1/Services/{service.sid}/")
    # the same unique name is free in the default service
    other = client.conversations.v1.conversations.create(unique_name=f"same-{unique}")
    assert other.sid != created.sid
    fetched = scoped(f"same-{unique}").fetch()
    assert fetched.sid == created.sid
    updated = scoped(created.sid).update(friendly_name="scoped")
    assert updated.friendly_name == "scoped"
    assert created.sid in [c.sid for c in scoped.list()]
    assert scoped(created.sid).delete() is True
    # twilio's list() raises a plain TwilioException on any non-200 page
    with pytest.raises(TwilioException) as caught:
        client.conversations.v1.services("IS" + "0" * 32).conversations.list()
    assert "20404" in str(caught.value.args[1])


def test_unknown_parameter_and_email_bindings_are_refused(client: Client) -> None:
    create = client.conversations.v1.conversations.create
    if "bindings_email_address" not in inspect.signature(create).parameters:
        pytest.skip(f"twilio {twilio.__version__} has no email bindings")
    with pytest.raises(TwilioRestException) as caught:
        client.conversations.v1.conversations.create(bindings_email_address="a@example.com")
    assert caught.value.status == 400
    assert "not supported on Azure Communication Services" in caught.value.msg
