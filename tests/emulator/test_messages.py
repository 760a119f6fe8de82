"""ACS Advanced Messaging 2024-08-30 (WhatsApp) on the emulator, driven by the real
azure-communication-messages SDK: sends, templates, media streams, the 24-hour window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.communication.messages.models import (
    AudioNotificationContent,
    DocumentNotificationContent,
    ImageNotificationContent,
    MessageTemplate,
    MessageTemplateText,
    MessageTemplateValue,
    TemplateNotificationContent,
    TextNotificationContent,
    VideoNotificationContent,
    WhatsAppMessageTemplateBindings,
    WhatsAppMessageTemplateBindingsComponent,
)
from azure.core.exceptions import HttpResponseError

from acs_emulator import AcsEmulator
from acs_emulator.numbers import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_NUMBER, WhatsAppTemplate
from tests.emulator.helpers import WebhookReceiver
from tests.emulator.messaging_helpers import (
    emu,
    events_of,
    messaging_clock,
    notification_client,
    receiver,
    signed_json,
    template_client,
    wired,
)
from tests.fixtures.clock import SteppedClock

__all__ = ["emu", "messaging_clock", "receiver", "wired"]  # fixtures

CHANNEL = DEFAULT_CHANNEL_ID
SEND = "/messages/notifications:send?api-version=2024-08-30"
DAY = 24 * 60 * 60


def text(to: str, content: str) -> TextNotificationContent:
    return TextNotificationContent(channel_registration_id=CHANNEL, to=[to], content=content)


def template(to: str, name: str, language: str, *params: str) -> TemplateNotificationContent:
    values: list[MessageTemplateValue] = [
        MessageTemplateText(name=str(n), text=p) for n, p in enumerate(params, 1)
    ]
    body = [WhatsAppMessageTemplateBindingsComponent(ref_value=v.name) for v in values]
    return TemplateNotificationContent(
        channel_registration_id=CHANNEL,
        to=[to],
        template=MessageTemplate(
            name=name,
            language=language,
            template_values=values,
            bindings=WhatsAppMessageTemplateBindings(body=body) if body else None,
        ),
    )


def statuses(emu: AcsEmulator, receiver: WebhookReceiver, message_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in events_of(emu, receiver, "AdvancedMessageDeliveryStatusUpdated")
        if e["data"]["messageId"] == message_id
    ]


def send_id(emu: AcsEmulator, content: Any) -> str:
    [receipt] = notification_client(emu).send(content).receipts
    return str(receipt.message_id)


def test_free_form_outside_the_window_is_accepted_then_fails(
    emu: AcsEmulator, receiver: WebhookReceiver
) -> None:
    message_id = send_id(emu, text("+14255550201", "hello?"))
    [failed] = statuses(emu, receiver, message_id)
    assert failed["data"]["status"] == "failed"
    assert failed["data"]["error"] == {
        "channelCode": "131047",
        "channelMessage": "Re-engagement message",
    }
    assert failed["subject"] == f"advancedMessage/{message_id}/status/Failed"
    [line] = emu.whatsapp_outbox(to="+14255550201")
    assert (line["status"], line["error_code"], line["body"]) == ("failed", "131047", "hello?")


def test_an_inbound_message_opens_the_window_for_a_day(
    emu: AcsEmulator, receiver: WebhookReceiver, messaging_clock: SteppedClock
) -> None:
    user = "+14255550202"
    emu.send_inbound_whatsapp(user, CHANNEL, "hi there")
    inside = send_id(emu, text(user, "welcome"))
    sent, delivered = statuses(emu, receiver, inside)
    assert [sent["data"]["status"], delivered["data"]["status"]] == ["sent", "delivered"]
    assert delivered["data"]["from"] == CHANNEL and delivered["data"]["to"] == "14255550202"
    assert "error" not in delivered["data"]
    assert delivered["subject"] == f"advancedMessage/{inside}/status/Delivered"
    messaging_clock.step(DAY + 1)
    late = send_id(emu, text(user, "still there?"))
    assert [e["data"]["status"] for e in statuses(emu, receiver, late)] == ["failed"]
    reply = send_id(emu, template(user, "order_update", "en_US", "Ann", "A-17"))
    assert [e["data"]["status"] for e in statuses(emu, receiver, reply)] == ["sent", "delivered"]
    line = emu.whatsapp_outbox(to=user)[-1]
    assert line["body"] == "Hi Ann, your order A-17 has been updated."
    assert line["template"] == {
        "name": "order_update",
        "language": "en_US",
        "parameters": ["Ann", "A-17"],
    }
    assert (line["from"], line["channel_id"], line["media"]) == (
        DEFAULT_CHANNEL_NUMBER,
        CHANNEL,
        None,
    )


@pytest.mark.parametrize(
    ("name", "language", "params", "code"),
    [
        ("no_such_template", "en_US", (), "TemplateNotFound"),
        ("order_update", "fr_FR", ("Ann", "1"), "TemplateNotFound"),
        ("order_update", "en_US", ("Ann",), "TemplateParameterMismatch"),
        ("hello_world", "en_US", ("extra",), "TemplateParameterMismatch"),
    ],
)
def test_templates_are_checked_against_the_channel(
    emu: AcsEmulator, name: str, language: str, params: tuple[str, ...], code: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        notification_client(emu).send(template("+14255550203", name, language, *params))
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == code
    response: Any = caught.value.response
    assert response.headers["x-ms-error-code"] == code
    assert emu.whatsapp_outbox(to="+14255550203") == []


def test_hello_world_needs_no_parameters(emu: AcsEmulator) -> None:
    send_id(emu, template("+14255550204", "hello_world", "en_US"))
    assert [line["body"] for line in emu.whatsapp_outbox(to="+14255550204")] == ["Hello World"]


def test_media_kinds_reach_the_outbox(emu: AcsEmulator) -> None:
    user = "+14255550205"
    emu.send_inbound_whatsapp(user, CHANNEL, "send me things")
    url = "https://media.example/f"
    client = notification_client(emu)
    for content in (
        ImageNotificationContent(
            channel_registration_id=CHANNEL, to=[user], media_uri=url + ".png", content="a photo"
        ),
        DocumentNotificationContent(
            channel_registration_id=CHANNEL,
            to=[user],
            media_uri=url + ".pdf",
            caption="terms",
            file_name="terms.pdf",
        ),
        VideoNotificationContent(
            channel_registration_id=CHANNEL, to=[user], media_uri=url + ".mp4"
        ),
        AudioNotificationContent(
            channel_registration_id=CHANNEL, to=[user], media_uri=url + ".mp3"
        ),
    ):
        client.send(content)
    media = [line["media"] for line in emu.whatsapp_outbox(to=user)]
    assert media == [
        {"url": url + ".png", "kind": "image", "caption": "a photo"},
        {"url": url + ".pdf", "kind": "document", "caption": "terms", "file_name": "terms.pdf"},
        {"url": url + ".mp4", "kind": "video", "caption": None},
        {"url": url + ".mp3", "kind": "audio", "caption": None},
    ]
    assert all(line["status"] == "delivered" for line in emu.whatsapp_outbox(to=user))


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"kind": "image", "to": ["14255550206"]}, "mediaUri"),
        ({"kind": "text", "to": ["14255550206"]}, "content"),
        ({"kind": "text", "to": [], "content": "x"}, "to"),
        ({"kind": "text", "to": ["not-a-number"], "content": "x"}, "to"),
        ({"kind": "sticker", "to": ["14255550206"]}, "kind"),
        ({"kind": "template", "to": ["14255550206"]}, "template"),
    ],
)
def test_malformed_sends_are_refused(emu: AcsEmulator, body: dict[str, Any], target: str) -> None:
    response = signed_json(emu, "POST", SEND, {"channelRegistrationId": CHANNEL, **body})
    assert response.status_code == 400
    assert response.json()["error"]["target"] == target
    assert response.headers["x-ms-error-code"] == "BadRequest"


def test_an_unregistered_channel_is_refused(emu: AcsEmulator) -> None:
    other = "11111111-2222-3333-4444-555555555555"
    body = {"channelRegistrationId": other, "kind": "text", "to": ["14255550207"], "content": "x"}
    response = signed_json(emu, "POST", SEND, body)
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "ChannelNotFound"


def test_a_repeated_request_returns_the_first_receipts_and_sends_nothing(emu: AcsEmulator) -> None:
    body = {
        "channelRegistrationId": CHANNEL,
        "kind": "text",
        "to": ["14255550208"],
        "content": "one",
    }
    headers = {
        "Repeatability-Request-ID": "0b3c8a57-3f8f-4b7e-9c2f-6c1b7f6a0b01",
        "Repeatability-First-Sent": "Sun, 06 Dec 2026 01:14:37 GMT",
    }
    first = signed_json(emu, "POST", SEND, body, headers=headers)
    again = signed_json(emu, "POST", SEND, body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert first.json()["receipts"][0]["to"] == "14255550208"
    assert again.headers["Repeatability-Result"] == "accepted"
    assert len(emu.whatsapp_outbox(to="+14255550208")) == 1
    bad = signed_json(
        emu,
        "POST",
        SEND,
        body,
        headers={**headers, "Repeatability-Request-ID": "x-2", "Repeatability-First-Sent": "soon"},
    )
    assert bad.status_code == 400 and bad.headers["Repeatability-Result"] == "rejected"


def test_inbound_media_is_announced_and_downloadable(
    emu: AcsEmulator, receiver: WebhookReceiver
) -> None:
    photo = b"\x89PNG fake image bytes"
    message_id = emu.send_inbound_whatsapp(
        "+14255550209",
        CHANNEL,
        media={
            "content": photo,
            "content_type": "image/png",
            "filename": "p.png",
            "caption": "look",
        },
    )
    [event] = [
        e
        for e in events_of(emu, receiver, "AdvancedMessageReceived")
        if e["data"]["messageId"] == message_id
    ]
    data = event["data"]
    assert (data["from"], data["to"], data["channelType"], data["messageType"]) == (
        "14255550209",
        CHANNEL,
        "whatsapp",
        "image",
    )
    assert "content" not in data
    media = data["media"]
    assert {k: media[k] for k in ("mimeType", "fileName", "caption")} == {
        "mimeType": "image/png",
        "fileName": "p.png",
        "caption": "look",
    }
    assert event["subject"] == f"advancedMessage/sender/14255550209/recipient/{CHANNEL}"
    assert b"".join(notification_client(emu).download_media(media["id"])) == photo
    raw = signed_json(emu, "GET", f"/messages/streams/{media['id']}?api-version=2024-08-30")
    assert raw.headers["content-type"] == "image/png" and raw.content == photo
    missing = signed_json(emu, "GET", "/messages/streams/nope?api-version=2024-08-30")
    assert missing.status_code == 404 and missing.headers["x-ms-error-code"] == "NotFound"


def test_inbound_needs_a_registered_channel_and_something_to_say(emu: AcsEmulator) -> None:
    with pytest.raises(ValueError, match="registered"):
        emu.send_inbound_whatsapp("+14255550210", "11111111-2222-3333-4444-555555555555", "hi")
    with pytest.raises(ValueError, match="body, media"):
        emu.send_inbound_whatsapp("+14255550210", CHANNEL)


def test_a_planned_failure_is_reported_with_its_code(
    emu: AcsEmulator, receiver: WebhookReceiver
) -> None:
    user = "+14255550211"
    emu.set_delivery_outcome(user, "failed", "131026")
    message_id = send_id(emu, template(user, "hello_world", "en_US"))
    [failed] = statuses(emu, receiver, message_id)
    assert failed["data"]["error"] == {
        "channelCode": "131026",
        "channelMessage": "Message undeliverable",
    }
    emu.set_delivery_outcome(user, "none")
    assert statuses(emu, receiver, send_id(emu, template(user, "hello_world", "en_US"))) == []


def test_templates_are_listed_in_pages(emu: AcsEmulator) -> None:
    emu.add_whatsapp_template(CHANNEL, "appointment", "es_ES", "Su cita es el {{1}}.")
    emu.add_whatsapp_template(CHANNEL, "draft", "en_US", "Not yet", status="pending")
    listed = {(t.name, t.language, t.status) for t in template_client(emu).list_templates(CHANNEL)}
    assert {
        ("hello_world", "en_US", "approved"),
        ("order_update", "en_US", "approved"),
        ("appointment", "es_ES", "approved"),
        ("draft", "en_US", "pending"),
    } <= listed
    path = f"/messages/channels/{CHANNEL}/templates?api-version=2024-08-30&maxpagesize=3"
    first = signed_json(emu, "GET", path).json()
    assert len(first["value"]) == 3 and first["value"][0]["kind"] == "whatsApp"
    next_path = first["nextLink"].removeprefix(emu.endpoint.rstrip("/"))
    second = signed_json(emu, "GET", next_path).json()
    assert len(second["value"]) == len(listed) - 3 and "nextLink" not in second
    with pytest.raises(HttpResponseError) as pending:
        notification_client(emu).send(template("+14255550212", "draft", "en_US"))
    assert pending.value.error is not None and pending.value.error.code == "TemplateNotApproved"
    unknown = signed_json(
        emu,
        "GET",
        "/messages/channels/11111111-2222-3333-4444-555555555555/templates?api-version=2024-08-30",
    )
    assert unknown.status_code == 404


def test_channels_templates_and_windows_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    channel = "5d1c7a0e-3f2b-4c55-8e0a-9b7f6e5d4c3b"
    user = "+14255550213"
    with AcsEmulator(state=state, whatsapp_channels={channel: "+18005550125"}) as first:
        first.add_whatsapp_template(channel, "kept", "en", "Kept {{1}}")
        first.send_inbound_whatsapp(user, channel, "hi")
    with AcsEmulator(state=state) as again:
        assert again.whatsapp_channels == {channel: "+18005550125"}
        names = {t.name for t in template_client(again).list_templates(channel)}
        assert names == {"hello_world", "order_update", "kept"}
        content = TextNotificationContent(channel_registration_id=channel, to=[user], content="x")
        notification_client(again).send(content)
        assert again.wait_for_deliveries(30)
        [line] = again.whatsapp_outbox(to=user)
        assert line["status"] == "delivered"  # the window opened before the restart


def test_templates_may_be_given_at_construction() -> None:
    extra = WhatsAppTemplate("welcome", "de", "Willkommen {{1}}")
    with pytest.raises(ValueError, match="registered"):
        AcsEmulator(whatsapp_templates={"11111111-2222-3333-4444-555555555555": [extra]})
    with pytest.raises(ValueError, match="status"):
        WhatsAppTemplate("x", "en", "x", status="maybe")
    with AcsEmulator(whatsapp_templates={CHANNEL: [extra]}) as emu:
        listed = {(t.name, t.language) for t in template_client(emu).list_templates(CHANNEL)}
    assert ("welcome", "de") in listed
