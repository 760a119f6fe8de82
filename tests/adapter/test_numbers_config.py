"""`TWILIO_COMPAT_NUMBERS`: the proxy addresses the shim owns by configuration."""

from __future__ import annotations

import pytest

from acs_adapter.config import EMBEDDED_NUMBERS, NUMBERS_ENV, OwnedNumber, Settings
from acs_adapter.errors import ConfigurationError

CHANNEL = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"
CONNECTION = "endpoint=https://acs.example.com/;accesskey=c2VjcmV0"


def _numbers(value: str, connection: str = CONNECTION) -> tuple[OwnedNumber, ...]:
    env = {"ACS_CONNECTION_STRING": connection, NUMBERS_ENV: value}
    return Settings.load(environ=env).numbers


def test_sms_and_whatsapp_numbers_are_parsed() -> None:
    numbers = _numbers(f"+18005550100, whatsapp:+18005550101={CHANNEL.upper()}")
    assert numbers == (
        OwnedNumber("+18005550100"),
        OwnedNumber("whatsapp:+18005550101", CHANNEL),
    )
    assert [n.type for n in numbers] == ["sms", "whatsapp"]


def test_unset_means_none_owned_except_in_embedded_mode() -> None:
    assert _numbers("") == ()
    assert _numbers("", connection="embedded") == EMBEDDED_NUMBERS
    assert _numbers("+15550001111", connection="embedded") == (OwnedNumber("+15550001111"),)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("18005550100", "is not '+E.164'"),
        ("+0800", "is not '+E.164'"),
        ("whatsapp:+18005550101", "needs its ACS channel id"),
        ("whatsapp:+18005550101=not-a-guid", "is not a GUID"),
        (f"+18005550100={CHANNEL}", "takes no channel id"),
        ("+18005550100,+18005550100", "listed twice"),
    ],
)
def test_malformed_numbers_are_refused_naming_the_setting(value: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=NUMBERS_ENV) as caught:
        _numbers(value)
    assert complaint in str(caught.value)
