"""SMS and WhatsApp events as Event Grid delivers them, read into the adapter's neutral shapes.

The service's own examples (copied into `../shared/reference/specs/eventgrid/examples`) disagree
with their schema: PascalCase keys and numbers without `+` in SMSReceived, lowercase WhatsApp
statuses. Each one must read the same as the schema's camelCase form.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from acs_adapter.events.channels import (
    SMS_DELIVERY_REPORT,
    SMS_RECEIVED,
    WHATSAPP_RECEIVED,
    WHATSAPP_STATUS,
    DeliveryReport,
    InboundMessage,
    channel_event,
    e164,
)

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def _example(reference: Path, name: str) -> dict[str, Any]:
    path = reference / "specs" / "eventgrid" / "examples" / "event-grid-schema" / name
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _read(event: dict[str, Any]):
    return channel_event(event["eventType"], event["id"], event["data"], NOW)


def test_the_services_sms_received_example_reads_with_e164_numbers(shared_reference):
    event = _read(_example(shared_reference, "sms_received.json"))
    assert isinstance(event, InboundMessage)
    assert (event.channel, event.sender, event.recipient) == ("sms", "+15555555555", "+15555555555")
    assert event.body == "Great to connect with ACS events"
    assert event.message_id.startswith("Incoming_")
    assert event.time == datetime(2020, 9, 18, 0, 27, 45, 320000, tzinfo=timezone.utc)


def test_the_services_sms_delivery_report_example_reads(shared_reference):
    event = _read(_example(shared_reference, "sms_delivery_report_received.json"))
    assert isinstance(event, DeliveryReport)
    assert (event.channel, event.status, event.recipient) == ("sms", "delivered", "+15555555555")
    assert event.detail == "No error."


def test_the_services_whatsapp_examples_read(shared_reference):
    received = _read(_example(shared_reference, "advanced_message_received.json"))
    assert isinstance(received, InboundMessage)
    assert received.channel == "whatsapp"
    assert received.sender == "+12375679879"
    assert received.body == "Come on guys, lets go for lunch together."
    assert received.media is not None and received.media.media_id == "mediaId"
    assert received.message_id == received.event_id  # the example predates `messageId`
    status = _read(_example(shared_reference, "advanced_message_delivery_status_updated.json"))
    assert isinstance(status, DeliveryReport)
    assert (status.channel, status.status) == ("whatsapp", "delivered")
    assert status.error_code == "channelCode"


def test_keys_are_read_whatever_their_case():
    camel = {"messageId": "m1", "from": "+14255550101", "to": "+18005550100", "message": "hi"}
    pascal = {"MessageId": "m1", "From": "14255550101", "To": "18005550100", "Message": "hi"}
    assert channel_event(SMS_RECEIVED, "e", camel, NOW) == channel_event(
        SMS_RECEIVED, "e", pascal, NOW
    )


def test_whatsapp_statuses_are_lowercase_and_failures_keep_the_channel_code():
    data = {
        "messageId": "m2",
        "status": "Failed",
        "channelType": "whatsapp",
        "to": "14255550101",
        "error": {"channelCode": "131047", "channelMessage": "Re-engagement message"},
    }
    event = channel_event(WHATSAPP_STATUS, "e", data, NOW)
    assert isinstance(event, DeliveryReport)
    assert (event.status, event.error_code, event.recipient) == ("failed", "131047", "+14255550101")
    assert event.time == NOW  # no receivedTimestamp: the envelope's time


def test_a_whatsapp_media_message_without_text_takes_its_caption():
    data = {
        "messageId": "m3",
        "from": "14255550101",
        "to": "0F6A3B5E-6F0B-4D8E-9A57-2C4C8F4E0A11",
        "media": {"id": "media-1", "mimeType": "image/jpeg", "caption": "look"},
    }
    event = channel_event(WHATSAPP_RECEIVED, "e", data, NOW)
    assert isinstance(event, InboundMessage)
    assert event.body == "look"
    assert event.recipient == "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"
    assert event.media is not None and event.media.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        (SMS_RECEIVED, {"from": "+14255550101", "to": "+18005550100", "message": "no id"}),
        (SMS_RECEIVED, {"messageId": "m", "from": "not a number", "to": "+18005550100"}),
        (WHATSAPP_RECEIVED, {"messageId": "m", "from": "14255550101"}),
        (WHATSAPP_STATUS, {"status": "sent", "to": "14255550101"}),
        (SMS_DELIVERY_REPORT, ["not", "an", "object"]),
        ("Microsoft.Communication.ChatMessageReceived", {"messageId": "m"}),
    ],
)
def test_events_missing_what_they_must_carry_are_not_read(event_type, data):
    assert channel_event(event_type, "e", data, NOW) is None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+1 425-555-0101", "+14255550101"),
        ("14255550101", "+14255550101"),
        ("(425) 555.0101", "+4255550101"),
        ("+0123456789", None),
        ("12", None),
        ("", None),
        ("whatsapp:+14255550101", None),
    ],
)
def test_numbers_are_normalised_to_e164(raw, normalised):
    assert e164(raw) == normalised


@pytest.mark.parametrize(
    ("extra", "body"),
    [
        ({"messageType": "button", "button": {"text": "Yes", "payload": "y"}}, "Yes"),
        (
            {
                "messageType": "interactive",
                "interactive": {"type": "listReply", "listReply": {"id": "2", "title": "Tuesday"}},
            },
            "Tuesday",
        ),
    ],
)
def test_a_customers_choice_reads_as_its_text(extra, body):
    data = {"messageId": "m4", "from": "14255550101", "to": "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"}
    event = channel_event(WHATSAPP_RECEIVED, "e", {**data, **extra}, NOW)
    assert isinstance(event, InboundMessage) and event.body == body


def test_a_reaction_is_not_a_message():
    data = {
        "messageId": "m5",
        "from": "14255550101",
        "to": "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11",
        "messageType": "reaction",
        "reaction": {"messageId": "m1", "emoji": "+1"},
    }
    assert channel_event(WHATSAPP_RECEIVED, "e", data, NOW) is None
