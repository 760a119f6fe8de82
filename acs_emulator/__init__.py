"""A local emulator of Azure Communication Services: Chat 2024-03-07, Identity 2023-10-01,
SMS 2021-03-07 and Advanced Messaging for WhatsApp 2024-08-30, with their Event Grid events and
a handset surface that plays the customer's phone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acs_emulator.server import AcsEmulator

__all__ = ["AcsEmulator"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so `python -m acs_emulator` can say which extra is missing
    # instead of failing while the package itself is imported.
    if name == "AcsEmulator":
        from acs_emulator.server import AcsEmulator

        return AcsEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
