"""The handset test surface over HTTP (`/_emulator/...`), as a test in another language uses it."""

from __future__ import annotations

import base64
import ssl

import httpx
import pytest

from acs_emulator import AcsEmulator
from acs_emulator.numbers import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_NUMBER, DEFAULT_PHONE_NUMBER
from tests.emulator.helpers import WebhookReceiver
from tests.emulator.messaging_helpers import (
    emu,
    events_of,
    messaging_clock,
    notification_client,
    receiver,
    signed_json,
    sms_client,
    wired,
)
from tests.fixtures.entra import app_credential, clean_env

__all__ = ["clean_env", "emu", "messaging_clock", "receiver", "wired"]  # fixtures


def test_numbers_are_listed(emu: AcsEmulator) -> None:
    response = signed_json(emu, "GET", "/_emulator/numbers")
    assert response.status_code == 200
    assert response.json() == {
        "phoneNumbers": [DEFAULT_PHONE_NUMBER],
        "whatsappChannels": {DEFAULT_CHANNEL_ID: DEFAULT_CHANNEL_NUMBER},
    }


def test_strangers_cannot_read_or_inject(emu: AcsEmulator) -> None:
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    with httpx.Client(verify=context) as client:
        base = emu.endpoint.rstrip("/")
        assert client.get(base + "/_emulator/sms/outbox").status_code == 401
        forged = client.post(
            base + "/_emulator/sms/inbound",
            json={"from": "+14255550301", "to": DEFAULT_PHONE_NUMBER, "body": "hi"},
        )
        assert forged.status_code == 401


def test_an_entra_token_opens_the_surface(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    with app_credential(emulator) as credential:
        token = credential.get_token("https://communication.azure.com//.default").token
    context = ssl.create_default_context(cafile=emulator.ca_bundle)
    with httpx.Client(verify=context) as client:
        response = client.get(
            emulator.endpoint + "_emulator/numbers", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200


def test_sms_round_trip_over_http(emu: AcsEmulator, receiver: WebhookReceiver) -> None:
    phone = "+14255550302"
    inbound = signed_json(
        emu,
        "POST",
        "/_emulator/sms/inbound",
        {"from": phone, "to": DEFAULT_PHONE_NUMBER, "body": "hi"},
    )
    assert inbound.status_code == 202
    message_id = inbound.json()["messageId"]
    assert [
        e["data"]["message"]
        for e in events_of(emu, receiver, "SMSReceived")
        if e["data"]["messageId"] == message_id
    ] == ["hi"]
    outcome = signed_json(
        emu,
        "POST",
        "/_emulator/delivery-outcomes",
        {"to": phone, "outcome": "failed", "errorCode": "blocked"},
    )
    assert outcome.status_code == 204
    sms_client(emu).send(DEFAULT_PHONE_NUMBER, phone, "hello back", enable_delivery_report=True)
    for query in ("%2B14255550302", "+14255550302", "14255550302"):
        lines = signed_json(emu, "GET", f"/_emulator/sms/outbox?to={query}").json()["value"]
        assert [(line["body"], line["status"], line["error_code"]) for line in lines] == [
            ("hello back", "failed", "blocked")
        ]
    everything = signed_json(emu, "GET", "/_emulator/sms/outbox").json()["value"]
    assert any(line["to"] == phone for line in everything)


def test_whatsapp_round_trip_over_http(emu: AcsEmulator, receiver: WebhookReceiver) -> None:
    user = "+14255550303"
    media = {
        "contentBase64": base64.b64encode(b"%PDF-1.7").decode(),
        "contentType": "application/pdf",
        "filename": "invoice.pdf",
    }
    inbound = signed_json(
        emu,
        "POST",
        "/_emulator/whatsapp/inbound",
        {"from": user, "channelId": DEFAULT_CHANNEL_ID, "body": "my invoice", "media": media},
    )
    assert inbound.status_code == 202
    [event] = [
        e
        for e in events_of(emu, receiver, "AdvancedMessageReceived")
        if e["data"]["messageId"] == inbound.json()["messageId"]
    ]
    assert event["data"]["messageType"] == "document" and event["data"]["content"] == "my invoice"
    assert (
        b"".join(notification_client(emu).download_media(event["data"]["media"]["id"]))
        == b"%PDF-1.7"
    )
    added = signed_json(
        emu,
        "POST",
        "/_emulator/whatsapp/templates",
        {
            "channelId": DEFAULT_CHANNEL_ID,
            "name": "thanks",
            "language": "en",
            "bodyText": "Thanks {{1}}",
        },
    )
    assert added.status_code == 204
    body = {
        "channelRegistrationId": DEFAULT_CHANNEL_ID,
        "kind": "template",
        "to": [user.lstrip("+")],
        "template": {
            "name": "thanks",
            "language": "en",
            "values": [{"kind": "text", "name": "who", "text": "Ann"}],
            "bindings": {"kind": "whatsApp", "body": [{"refValue": "who"}]},
        },
    }
    assert (
        signed_json(
            emu, "POST", "/messages/notifications:send?api-version=2024-08-30", body
        ).status_code
        == 202
    )
    [line] = signed_json(emu, "GET", f"/_emulator/whatsapp/outbox?to=%2B{user[1:]}").json()["value"]
    assert (line["body"], line["channel_id"], line["template"]["name"]) == (
        "Thanks Ann",
        DEFAULT_CHANNEL_ID,
        "thanks",
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_emulator/sms/inbound", {"from": "+14255550304", "to": "+18005550199", "body": "x"}),
        ("/_emulator/sms/inbound", {"from": "+14255550304", "to": DEFAULT_PHONE_NUMBER}),
        ("/_emulator/whatsapp/inbound", {"from": "+14255550304", "channelId": "nope", "body": "x"}),
        (
            "/_emulator/whatsapp/inbound",
            {
                "from": "+14255550304",
                "channelId": DEFAULT_CHANNEL_ID,
                "media": {"contentBase64": "%%", "contentType": "image/png"},
            },
        ),
        ("/_emulator/delivery-outcomes", {"to": "+14255550304", "outcome": "lost"}),
    ],
)
def test_bad_values_are_400s(emu: AcsEmulator, path: str, body: dict[str, object]) -> None:
    response = signed_json(emu, "POST", path, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
