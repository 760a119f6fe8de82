"""`python -m acs_emulator` owns the numbers and channels it is given, and prints them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from acs_emulator.cli import main, whatsapp_channels
from tests.emulator.helpers import printed_settings

CHANNEL = "5d1c7a0e-3f2b-4c55-8e0a-9b7f6e5d4c3b"


def test_numbers_and_channels_from_the_command_line_are_owned_and_printed() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "acs_emulator",
            "--port",
            "0",
            "--phone-number",
            "+18005550123",
            "--phone-number",
            "+18005550124",
            "--whatsapp-channel",
            f"{CHANNEL}=+18005550125",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = printed_settings(process, "ACS_WHATSAPP_CHANNELS")
        assert printed["ACS_PHONE_NUMBERS"] == "+18005550123,+18005550124"
        assert printed["ACS_WHATSAPP_CHANNELS"] == f"{CHANNEL}=+18005550125"
        endpoint, key = (
            part.split("=", 1)[1] for part in printed["ACS_CONNECTION_STRING"].split(";")
        )
        client: Any = SmsClient(
            endpoint.rstrip("/"),
            AzureKeyCredential(key),
            connection_verify=printed["ACS_CA_BUNDLE"],
        )
        [result] = client.send("+18005550124", "+14255550401", "from the CLI")
        assert result.successful
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_channel_pairs_are_parsed_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert whatsapp_channels([]) is None
    assert whatsapp_channels([f" {CHANNEL} = +18005550125 "]) == {CHANNEL: "+18005550125"}
    with pytest.raises(ValueError, match="GUID=\\+E164"):
        whatsapp_channels(["+18005550125"])
    assert main(["--port", "0", "--whatsapp-channel", "+18005550125"]) == 2
    assert main(["--port", "0", "--whatsapp-channel", "nope=+18005550125"]) == 2
    assert main(["--port", "0", "--phone-number", "555"]) == 2
    assert "E.164" in capsys.readouterr().err
