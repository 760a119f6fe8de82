"""`twilio-acs numbers`: owned numbers from the settings and the store, in embedded mode."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from twilio_compat.cli import app
from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["numbers", *args])
    return result.exit_code, result.output


@pytest.mark.usefixtures("embedded_environment")
def test_embedded_mode_owns_the_emulators_numbers_and_the_store_adds_more() -> None:
    code, listed = _run("list")
    assert code == OK, listed
    assert "+18005550100\tsms\t-\tsettings" in listed
    assert (
        "whatsapp:+18005550101\twhatsapp\t0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11\tsettings" in listed
    )

    assert _run("add", "+15550100200")[0] == OK
    channel = "1b7e5a1c-0000-4000-8000-000000000001"
    assert _run("add", "whatsapp:+15550100201", "--channel", channel)[0] == OK
    code, listed = _run("list")
    assert "+15550100200\tsms\t-\tstore" in listed
    assert f"whatsapp:+15550100201\twhatsapp\t{channel}\tstore" in listed

    code, output = _run("add", "+15550100200")
    assert code == CONFIGURATION and "already owned" in output
    code, output = _run("add", "whatsapp:+15550100202")
    assert code == CONFIGURATION and "channel id" in output
    code, output = _run("remove", "+18005550100")
    assert code == CONFIGURATION and "TWILIO_COMPAT_NUMBERS" in output

    assert _run("remove", "+15550100200")[0] == OK
    assert _run("remove", "+15550100200")[0] == FINDING
    assert "+15550100200" not in _run("list")[1]
