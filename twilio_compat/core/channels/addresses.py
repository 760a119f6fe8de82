"""Twilio's WhatsApp addresses (`whatsapp:+E.164`) and the bare numbers ACS uses."""

from __future__ import annotations

from acs_adapter.config import WHATSAPP_PREFIX


def bare_number(address: str) -> str:
    """`whatsapp:+E.164` or `+E.164` as `+E.164`."""
    return address.removeprefix(WHATSAPP_PREFIX)


def whatsapp_address(number: str) -> str:
    return WHATSAPP_PREFIX + number
