"""Owned numbers: the proxy addresses SMS/WhatsApp participants may be bound through.

The shim owns the numbers of its settings (`TWILIO_COMPAT_NUMBERS`, or the embedded
emulator's defaults) plus those kept in the store, which every process sharing the store sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acs_adapter.config import OwnedNumber
from acs_adapter.errors import ConfigurationError, Conflict
from twilio_compat.core import errors

if TYPE_CHECKING:
    from twilio_compat.core._context import Context


class Numbers:
    """The owned numbers: settings first, then the store's; `add` and `remove` change the store."""

    def __init__(self, context: Context) -> None:
        self._context = context

    @property
    def configured(self) -> tuple[OwnedNumber, ...]:
        """The numbers the settings own (fixed while the process runs)."""
        return self._context.adapter.settings.numbers

    def list(self) -> list[OwnedNumber]:
        """Every owned number, settings first, each address once."""
        owned = {number.address: number for number in self.configured}
        for kept in self._context.store.numbers.list():
            owned.setdefault(kept.address, OwnedNumber(kept.address, kept.channel_id))
        return list(owned.values())

    def get(self, address: str) -> OwnedNumber | None:
        """The owned number with this address (``+E.164`` or ``whatsapp:+E.164``), if any."""
        for number in self.configured:
            if number.address == address:
                return number
        if not address or len(address) > 256:
            return None
        kept = self._context.store.numbers.get(address)
        return None if kept is None else OwnedNumber(kept.address, kept.channel_id)

    def add(self, address: str, channel_id: str | None = None) -> OwnedNumber:
        """Own a number from now on (in every process sharing the store); a WhatsApp address
        needs its ACS channel registration id."""
        try:
            number = OwnedNumber.checked(address, channel_id, setting="number")
        except ConfigurationError as exc:
            raise errors.invalid(exc.message) from None
        if self.get(number.address) is not None:
            raise errors.TwilioApiError(
                409, errors.UNKNOWN_PARAMETER, f"{number.address} is already owned"
            )
        try:
            self._context.store.numbers.add(number.address, number.channel_id)
        except Conflict:
            raise errors.TwilioApiError(
                409, errors.UNKNOWN_PARAMETER, f"{number.address} is already owned"
            ) from None
        return number

    def remove(self, address: str) -> bool:
        """Stop owning a number kept in the store; True if it was kept there.

        Participants already bound through it keep their binding. A number of the settings
        cannot be removed here: change the setting.
        """
        if any(number.address == address for number in self.configured):
            raise errors.invalid(
                f"{address} is owned by the settings (TWILIO_COMPAT_NUMBERS): change it there"
            )
        if not address or len(address) > 256:
            return False
        return self._context.store.numbers.remove(address)

    def channel_id(self, proxy_address: str) -> str | None:
        """The WhatsApp channel registration a `whatsapp:` proxy address sends from."""
        number = self.get(proxy_address)
        return None if number is None else number.channel_id

    def whatsapp_proxy(self, channel_id: str) -> str | None:
        """The `whatsapp:+E.164` proxy address of a channel registration, if owned."""
        wanted = channel_id.lower()
        for number in self.list():
            if number.channel_id is not None and number.channel_id.lower() == wanted:
                return number.address
        return None
