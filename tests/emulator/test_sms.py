"""ACS SMS 2021-03-07 on the emulator, driven by the real azure-communication-sms SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from acs_emulator import AcsEmulator
from acs_emulator.numbers import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_NUMBER, DEFAULT_PHONE_NUMBER
from tests.emulator.helpers import WebhookReceiver
from tests.emulator.messaging_helpers import (
    emu,
    events_of,
    messaging_clock,
    receiver,
    signed_json,
    sms_client,
    wired,
)
from tests.fixtures.entra import app_credential, clean_env

__all__ = ["clean_env", "emu", "messaging_clock", "receiver", "wired"]  # fixtures

OURS = DEFAULT_PHONE_NUMBER
SEND = "/sms?api-version=2021-03-07"
FIRST_SENT = "Sun, 06 Dec 2026 01:14:37 GMT"


def test_default_numbers_and_validation() -> None:
    emu = AcsEmulator()
    assert emu.phone_numbers == [DEFAULT_PHONE_NUMBER]
    assert emu.whatsapp_channels == {DEFAULT_CHANNEL_ID: DEFAULT_CHANNEL_NUMBER}
    with pytest.raises(ValueError, match=r"E\.164"):
        AcsEmulator(phone_numbers=["18005550100"])
    with pytest.raises(ValueError, match="GUID"):
        AcsEmulator(whatsapp_channels={"not-a-guid": "+18005550101"})
    with pytest.raises(ValueError, match=r"E\.164"):
        AcsEmulator(whatsapp_channels={DEFAULT_CHANNEL_ID: "+1 800"})


def test_each_recipient_gets_its_own_result_and_outbox_line(emu: AcsEmulator) -> None:
    results = sms_client(emu).send(OURS, ["+14255550101", "+1425", "+14255550102"], "hello")
    good, bad, other = results
    assert good.successful and good.http_status_code == 202 and good.message_id
    assert other.successful and other.message_id != good.message_id
    assert not bad.successful and bad.http_status_code == 400 and bad.message_id is None
    assert bad.error_message == "Invalid To phone number format."
    assert emu.sms_outbox(to="+1425") == []
    [line] = emu.sms_outbox(to="+14255550101")
    assert {k: line[k] for k in ("from", "to", "body", "message_id")} == {
        "from": OURS,
        "to": "+14255550101",
        "body": "hello",
        "message_id": good.message_id,
    }


def test_sending_from_a_number_the_resource_does_not_own_fails_whole(emu: AcsEmulator) -> None:
    with pytest.raises(HttpResponseError) as caught:
        sms_client(emu).send("+18005550199", "+14255550103", "hi")
    assert caught.value.status_code == 400
    assert emu.sms_outbox(to="+14255550103") == []


def test_service_limits_refuse_the_request(emu: AcsEmulator) -> None:
    client = sms_client(emu)
    with pytest.raises(HttpResponseError) as too_long:
        client.send(OURS, "+14255550104", "x" * 2049)
    assert too_long.value.status_code == 400
    many = [f"+1425555{n:04d}" for n in range(101)]
    with pytest.raises(HttpResponseError) as too_many:
        client.send(OURS, many, "hi")
    assert too_many.value.status_code == 400
    assert client.send(OURS, "+14255550104", "x" * 2048)[0].successful


def test_a_repeated_recipient_request_id_returns_the_first_message_and_sends_nothing(
    emu: AcsEmulator,
) -> None:
    body = {
        "from": OURS,
        "smsRecipients": [
            {
                "to": "+14255550105",
                "repeatabilityRequestId": "r-105",
                "repeatabilityFirstSent": FIRST_SENT,
            }
        ],
        "message": "once",
        "smsSendOptions": {"enableDeliveryReport": False},
    }
    first = signed_json(emu, "POST", SEND, body)
    again = signed_json(emu, "POST", SEND, body)
    assert first.status_code == again.status_code == 202
    [one], [two] = first.json()["value"], again.json()["value"]
    assert two["messageId"] == one["messageId"]
    assert two["repeatabilityResult"] == "accepted" and two["successful"] is True
    assert len(emu.sms_outbox(to="+14255550105")) == 1


def test_a_bad_first_sent_date_is_rejected_per_recipient(emu: AcsEmulator) -> None:
    body = {
        "from": OURS,
        "smsRecipients": [{"to": "+14255550106", "repeatabilityRequestId": "r-106"}],
        "message": "no date",
    }
    [item] = signed_json(emu, "POST", SEND, body).json()["value"]
    assert item["httpStatusCode"] == 400 and item["repeatabilityResult"] == "rejected"
    assert item["successful"] is False
    assert emu.sms_outbox(to="+14255550106") == []


def test_malformed_body_and_wrong_key_are_refused(emu: AcsEmulator) -> None:
    response = signed_json(emu, "POST", SEND, {"from": OURS, "message": "no recipients"})
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "smsRecipients"
    stranger = sms_client(emu, AzureKeyCredential("ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleWZha2U="))
    with pytest.raises(ClientAuthenticationError):
        stranger.send(OURS, "+14255550107", "hi")


def test_delivery_reports_follow_only_when_asked_and_carry_the_outcome(
    emu: AcsEmulator, receiver: WebhookReceiver
) -> None:
    client = sms_client(emu)
    emu.set_delivery_outcome("+14255550109", "failed", "Sender blocked for given recipient.")
    emu.set_delivery_outcome("+14255550110", "none")
    sent = client.send(
        OURS,
        ["+14255550108", "+14255550109", "+14255550110"],
        "reported",
        enable_delivery_report=True,
        tag="IM1:MB1",
    )
    quiet = client.send(OURS, "+14255550108", "not reported")[0]
    ids = {r.message_id: r.to for r in sent}
    reports = [
        e
        for e in events_of(emu, receiver, "SMSDeliveryReportReceived")
        if e["data"]["messageId"] in ids
    ]
    by_to = {e["data"]["to"]: e for e in reports}
    assert set(by_to) == {"+14255550108", "+14255550109"}
    delivered, failed = by_to["+14255550108"], by_to["+14255550109"]
    assert delivered["data"]["deliveryStatus"] == "Delivered"
    assert delivered["data"]["tag"] == "IM1:MB1"
    assert delivered["data"]["from"] == OURS
    assert delivered["data"]["deliveryAttempts"][0]["segmentsSucceeded"] == 1
    assert delivered["subject"] == "/phonenumber/18005550100"
    assert delivered["dataVersion"] == "1.0"
    assert failed["data"]["deliveryStatus"] == "Failed"
    assert failed["data"]["deliveryStatusDetails"] == "Sender blocked for given recipient."
    all_reported = {
        e["data"]["messageId"] for e in events_of(emu, receiver, "SMSDeliveryReportReceived")
    }
    assert quiet.message_id not in all_reported
    statuses = {
        line["to"]: line["status"] for line in emu.sms_outbox() if line["body"] == "reported"
    }
    assert statuses == {
        "+14255550108": "delivered",
        "+14255550109": "failed",
        "+14255550110": "sent",
    }


def test_an_inbound_text_raises_sms_received(emu: AcsEmulator, receiver: WebhookReceiver) -> None:
    message_id = emu.send_inbound_sms("+14255550111", OURS, "STOP")
    [event] = [
        e for e in events_of(emu, receiver, "SMSReceived") if e["data"]["messageId"] == message_id
    ]
    data = event["data"]
    assert (data["from"], data["to"], data["message"], data["segmentCount"]) == (
        "+14255550111",
        OURS,
        "STOP",
        1,
    )
    assert data["receivedTimestamp"].endswith("Z")
    assert event["subject"] == "/phonenumber/18005550100"
    with pytest.raises(ValueError, match="not one of"):
        emu.send_inbound_sms("+14255550111", "+18005550199", "hi")
    with pytest.raises(ValueError, match=r"E\.164"):
        emu.send_inbound_sms("4255550111", OURS, "hi")


def test_an_entra_token_sends_too(emulator: AcsEmulator, clean_env: pytest.MonkeyPatch) -> None:
    with app_credential(emulator) as credential:
        [result] = sms_client(emulator, credential).send(OURS, "+14255550112", "via Entra")
    assert result.successful


def test_numbers_and_outbox_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    with AcsEmulator(state=state, phone_numbers=["+18005550177"]) as emu:
        sms_client(emu).send("+18005550177", "+14255550113", "kept")
    with AcsEmulator(state=state) as emu:
        assert emu.phone_numbers == ["+18005550177"]
        assert [line["body"] for line in emu.sms_outbox()] == ["kept"]


def test_with_throttling_each_number_gets_200_requests_a_minute() -> None:
    with AcsEmulator(throttle=True, phone_numbers=[OURS, "+18005550178"]) as emu:
        client = sms_client(emu, retry_total=0)
        for _ in range(200):
            client.send(OURS, "+14255550114", "burst")
        with pytest.raises(HttpResponseError) as throttled:
            client.send(OURS, "+14255550114", "one too many")
        assert throttled.value.status_code == 429
        response: Any = throttled.value.response
        assert int(response.headers["Retry-After"]) >= 1
        assert client.send("+18005550178", "+14255550114", "another number")[0].successful
        assert len(emu.sms_outbox(to="+14255550114")) == 201
