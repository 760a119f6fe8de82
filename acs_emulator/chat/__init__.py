"""The emulated ACS Chat service (2024-03-07): backend state and rules, wire format, routes."""

from acs_emulator.chat.models import ChatBackend
from acs_emulator.chat.urls import routes

__all__ = ["ChatBackend", "routes"]
