"""`twilio-acs emulator` owns the SMS numbers and WhatsApp channels it is given, and prints
them, as `python -m acs_emulator` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.emulator.helpers import printed_settings

CLI = str(Path(sys.executable).parent / "twilio-acs")
CHANNEL = "7c2e9a41-0b6d-4f3a-9e58-1d2c3b4a5f60"


def _emulator(*options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "emulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_numbers_and_channels_given_to_twilio_acs_emulator_are_owned_and_printed() -> None:
    process = _emulator(
        "--phone-number",
        "+18005550133",
        "--phone-number",
        "+18005550134",
        "--whatsapp-channel",
        f"{CHANNEL}=+18005550135",
    )
    try:
        printed = printed_settings(process, "ACS_WHATSAPP_CHANNELS")
        assert printed["ACS_PHONE_NUMBERS"] == "+18005550133,+18005550134"
        assert printed["ACS_WHATSAPP_CHANNELS"] == f"{CHANNEL}=+18005550135"
        endpoint, key = (
            part.split("=", 1)[1] for part in printed["ACS_CONNECTION_STRING"].split(";")
        )
        client: Any = SmsClient(
            endpoint.rstrip("/"),
            AzureKeyCredential(key),
            connection_verify=printed["ACS_CA_BUNDLE"],
        )
        [result] = client.send("+18005550134", "+14255550402", "from twilio-acs")
        assert result.successful
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_a_malformed_channel_or_number_is_a_bad_option() -> None:
    for options in (
        ("--whatsapp-channel", "+18005550135"),
        ("--whatsapp-channel", "nope=+18005550135"),
        ("--phone-number", "555"),
    ):
        process = _emulator(*options)
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 2, (options, errors)
