"""The emulator's SMS and Advanced Messaging answers and events against the published specs.

A tour provokes each answer (per-recipient results, receipts, template pages, refusals) and each
event type, then validates every body strictly: a property the spec does not define fails.
Definitions built with `allOf` are flattened first so strictness sees the inherited properties;
enums are checked against the wire values (`x-ms-enum`), which are lower-case for WhatsApp
statuses while the swagger's enum names are PascalCase.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from acs_emulator import AcsEmulator
from acs_emulator.numbers import DEFAULT_CHANNEL_ID, DEFAULT_PHONE_NUMBER
from tests.emulator.helpers import WebhookReceiver
from tests.emulator.messaging_helpers import (
    emu,
    events_of,
    messaging_clock,
    receiver,
    signed_json,
    wired,
)

__all__ = ["emu", "messaging_clock", "receiver", "wired"]  # fixtures

SMS_SPEC = "acs/Sms/stable/2021-03-07/communicationservicessms.json"
MESSAGES_SPEC = "acs/Messages/stable/2024-08-30/communicationservicesmessages.json"
COMMON_SPEC = "acs/Common/stable/2023-11-15/common.json"
EVENTS_SPEC = "eventgrid/acs_messaging_events.swagger.json"
SEND_SMS = "/sms?api-version=2021-03-07"
SEND_MESSAGE = "/messages/notifications:send?api-version=2024-08-30"
TEMPLATES = f"/messages/channels/{DEFAULT_CHANNEL_ID}/templates?api-version=2024-08-30"


class Definitions:
    """One spec's definitions, flattened and strict, validating bodies by definition name."""

    def __init__(self, document: dict[str, Any]) -> None:
        raw = document["definitions"]
        flat = {name: _flatten(raw, name) for name in raw}
        self._document = {"definitions": _strict(_wire_enums(flat))}

    def alias(self, name: str, target: str) -> None:
        self._document["definitions"][name] = self._document["definitions"][target]

    def problems(self, name: str, body: Any) -> list[str]:
        schema = {**self._document, "$ref": f"#/definitions/{name}"}
        validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def _flatten(definitions: dict[str, Any], name: str) -> dict[str, Any]:
    node: dict[str, Any] = copy.deepcopy(definitions[name])
    parents = node.pop("allOf", [])
    if not parents:
        return node
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parent in parents:
        base = _flatten(definitions, parent["$ref"].rsplit("/", 1)[1])
        properties.update(base.get("properties", {}))
        required += base.get("required", [])
    properties.update(node.get("properties", {}))
    node.update(properties=properties, required=required + node.get("required", []))
    node.pop("discriminator", None)
    return node


def _wire_enums(document: Any) -> Any:
    if isinstance(document, dict):
        values = document.get("x-ms-enum", {}).get("values")
        if "enum" in document and values:
            document["enum"] = [value["value"] for value in values]
        for value in document.values():
            _wire_enums(value)
    elif isinstance(document, list):
        for value in document:
            _wire_enums(value)
    return document


def _strict(document: Any) -> Any:
    if isinstance(document, dict):
        if "properties" in document and "additionalProperties" not in document:
            document["additionalProperties"] = False
        document.pop("discriminator", None)
        for value in document.values():
            _strict(value)
    elif isinstance(document, list):
        for value in document:
            _strict(value)
    return document


@pytest.fixture(scope="module")
def specs(shared_reference: Path) -> dict[str, Definitions]:
    root = shared_reference / "specs"
    loaded = {
        path: Definitions(json.loads((root / path).read_text()))
        for path in (SMS_SPEC, MESSAGES_SPEC, COMMON_SPEC, EVENTS_SPEC)
    }
    loaded[MESSAGES_SPEC].alias("MessageTemplateItem", "WhatsAppMessageTemplateItem")
    return loaded


def test_sms_answers_match_the_spec(emu: AcsEmulator, specs: dict[str, Definitions]) -> None:
    body = {
        "from": DEFAULT_PHONE_NUMBER,
        "smsRecipients": [
            {"to": "+14255550501"},
            {"to": "+1425"},
            {
                "to": "+14255550502",
                "repeatabilityRequestId": "c-1",
                "repeatabilityFirstSent": "Sun, 06 Dec 2026 01:14:37 GMT",
            },
            {"to": "+14255550503", "repeatabilityRequestId": "c-2"},
        ],
        "message": "conformance",
        "smsSendOptions": {"enableDeliveryReport": True, "tag": "c"},
    }
    for _ in range(2):  # the second time, the repeat answers
        sent = signed_json(emu, "POST", SEND_SMS, body)
        assert sent.status_code == 202
        assert specs[SMS_SPEC].problems("SmsSendResponse", sent.json()) == []
    refused = signed_json(emu, "POST", SEND_SMS, {**body, "from": "+18005550199"})
    assert refused.status_code == 400
    assert specs[COMMON_SPEC].problems("CommunicationErrorResponse", refused.json()) == []


def test_messages_answers_match_the_spec(emu: AcsEmulator, specs: dict[str, Definitions]) -> None:
    spec = specs[MESSAGES_SPEC]
    emu.send_inbound_whatsapp("+14255550504", DEFAULT_CHANNEL_ID, "hi")
    sends: list[dict[str, Any]] = [
        {"kind": "text", "content": "hello"},
        {"kind": "image", "mediaUri": "https://media.example/a.png", "caption": "a"},
        {"kind": "template", "template": {"name": "hello_world", "language": "en_US"}},
    ]
    for send in sends:
        body = {"channelRegistrationId": DEFAULT_CHANNEL_ID, "to": ["14255550504"], **send}
        answer = signed_json(emu, "POST", SEND_MESSAGE, body)
        assert answer.status_code == 202
        assert spec.problems("SendMessageResult", answer.json()) == []
    unknown = {"kind": "template", "template": {"name": "nope", "language": "en_US"}}
    refused = signed_json(
        emu,
        "POST",
        SEND_MESSAGE,
        {"channelRegistrationId": DEFAULT_CHANNEL_ID, "to": ["14255550504"], **unknown},
    )
    assert refused.status_code == 400
    assert spec.problems("Azure.Core.Foundations.ErrorResponse", refused.json()) == []
    first = signed_json(emu, "GET", TEMPLATES + "&maxpagesize=1").json()
    assert "nextLink" in first
    for page in (first, signed_json(emu, "GET", TEMPLATES).json()):
        assert spec.problems("PagedMessageTemplateItem", page) == []


def test_every_event_matches_its_schema(
    emu: AcsEmulator, receiver: WebhookReceiver, specs: dict[str, Definitions]
) -> None:
    emu.send_inbound_sms("+14255550505", DEFAULT_PHONE_NUMBER, "hello")
    emu.send_inbound_whatsapp(
        "+14255550505",
        DEFAULT_CHANNEL_ID,
        "photo",
        media={
            "content": b"img",
            "content_type": "image/jpeg",
            "filename": "a.jpg",
            "caption": "c",
        },
    )
    body = {
        "channelRegistrationId": DEFAULT_CHANNEL_ID,
        "to": ["14255550505", "14255550506"],  # the second is outside the window: failed
        "kind": "text",
        "content": "hi",
    }
    assert signed_json(emu, "POST", SEND_MESSAGE, body).status_code == 202
    emu.set_delivery_outcome("+14255550507", "failed", "Sender blocked for given recipient.")
    sms = {
        "from": DEFAULT_PHONE_NUMBER,
        "smsRecipients": [{"to": "+14255550505"}, {"to": "+14255550507"}],
        "message": "reported",
        "smsSendOptions": {"enableDeliveryReport": True},
    }
    assert signed_json(emu, "POST", SEND_SMS, sms).status_code == 202
    schemas = {
        "SMSReceived": "AcsSmsReceivedEventData",
        "SMSDeliveryReportReceived": "AcsSmsDeliveryReportReceivedEventData",
        "AdvancedMessageReceived": "AcsMessageReceivedEventData",
        "AdvancedMessageDeliveryStatusUpdated": "AcsMessageDeliveryStatusUpdatedEventData",
    }
    for event_type, definition in schemas.items():
        events = events_of(emu, receiver, event_type)
        assert events, f"no {event_type} event was raised"
        for event in events:
            assert specs[EVENTS_SPEC].problems(definition, event["data"]) == [], event
            assert event["dataVersion"] == "1.0" and event["metadataVersion"] == "1"
    statuses = {
        e["data"]["status"]
        for e in events_of(emu, receiver, "AdvancedMessageDeliveryStatusUpdated")
    }
    assert statuses == {"sent", "delivered", "failed"}
