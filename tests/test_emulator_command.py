"""`twilio-acs emulator` hands its SMS numbers and WhatsApp channels to the emulator, which
prints them (tests/emulator/test_messaging_cli.py shows the emulator owns what it prints)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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


def test_numbers_and_channels_given_to_twilio_acs_emulator_reach_the_emulator() -> None:
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
