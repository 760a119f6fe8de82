"""A local emulator of Azure Communication Services Chat 2024-03-07 and Identity 2023-10-01."""

from acs_emulator.server import AcsEmulator

__all__ = ["AcsEmulator"]
