"""Twilio's proxy addresses and the ACS senders behind them.

An SMS proxy address is the resource's phone number itself (`+E.164`). A WhatsApp one
(`whatsapp:+E.164`) is a business number that ACS sends from through a channel registration
(a GUID): the owned numbers (`TWILIO_COMPAT_NUMBERS` and those kept in the store) say which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acs_adapter.config import OwnedNumber
    from twilio_compat.core._context import Context

WHATSAPP_PREFIX = "whatsapp:"


def bare_number(address: str) -> str:
    """`whatsapp:+E.164` or `+E.164` as `+E.164`."""
    return address.removeprefix(WHATSAPP_PREFIX)


def whatsapp_address(number: str) -> str:
    return WHATSAPP_PREFIX + number


class Numbers:
    """The proxy addresses this deployment owns, from the settings and the store."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def owned(self) -> list[OwnedNumber]:
        configured = list(self._context.adapter.settings.numbers)
        known = {number.address for number in configured}
        stored = [n for n in self._context.store.numbers.list() if n.address not in known]
        return configured + stored

    def channel_id(self, proxy_address: str) -> str | None:
        """The WhatsApp channel registration a `whatsapp:` proxy address sends from."""
        for number in self.owned():
            if number.address == proxy_address:
                return number.channel_id
        return None

    def whatsapp_proxy(self, channel_id: str) -> str | None:
        """The `whatsapp:+E.164` proxy address of a channel registration."""
        wanted = channel_id.lower()
        for number in self.owned():
            if number.channel_id is not None and number.channel_id.lower() == wanted:
                return number.address
        return None
