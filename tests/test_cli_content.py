"""`twilio-acs content`: ContentSids mapped to the embedded emulator's WhatsApp templates."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from twilio_compat.cli import app
from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK

SID = "HX" + "c3" * 16


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["content", *args])
    return result.exit_code, result.output


@pytest.mark.usefixtures("embedded_environment")
def test_a_content_sid_maps_to_an_approved_template_of_an_owned_channel() -> None:
    code, output = _run("add", SID, "--template", "order_update", "--language", "en_US")
    assert code == OK, output
    code, listed = _run("list")
    assert f"{SID}\torder_update\ten_US\tHi {{{{1}}}}, your order {{{{2}}}}" in listed

    code, output = _run("add", "HX" + "d4" * 16, "--template", "missing", "--language", "en_US")
    assert code == CONFIGURATION and "approved template 'missing'" in output
    code, output = _run("add", "not-a-sid", "--template", "order_update", "--language", "en_US")
    assert code == CONFIGURATION and "not a content SID" in output

    assert _run("remove", SID)[0] == OK
    assert _run("remove", SID)[0] == FINDING
    assert SID not in _run("list")[1]
