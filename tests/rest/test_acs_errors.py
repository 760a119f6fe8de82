"""ACS failures reach twilio code as the Twilio errors the same situation gives on Twilio."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter._retry import RetrySettings
from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan
from twilio_compat.rest import AcsHttpClient, WireHandler

from .conftest import ACCOUNT_SID, AUTH_TOKEN, adapter_settings


@pytest.fixture
def impatient_client(emulator: AcsEmulator, tmp_path: Path) -> Iterator[Client]:
    """A shim whose adapter does not retry, so one injected fault is what the caller sees."""
    settings = replace(adapter_settings(emulator, tmp_path), retry=RetrySettings(total=0))
    with AcsAdapter.open(settings) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        yield Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))
        handler.close()


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [(Fault(throttled=1.0, limit=1), 429, 20429), (Fault(unavailable=1.0, limit=1), 503, 20503)],
)
def test_acs_throttling_and_outages_become_twilio_errors(
    impatient_client: Client, emulator: AcsEmulator, fault: Fault, status: int, code: int
) -> None:
    impatient_client.conversations.v1.conversations.create()  # service user and token ready
    emulator.set_faults(FaultPlan({"Chat_CreateChatThread": fault}))
    try:
        with pytest.raises(TwilioRestException) as caught:
            impatient_client.conversations.v1.conversations.create(unique_name="never-made")
    finally:
        emulator.clear_faults()
    assert (caught.value.status, caught.value.code) == (status, code)
    with pytest.raises(TwilioRestException) as missing:
        impatient_client.conversations.v1.conversations("never-made").fetch()
    assert missing.value.code == 20404
