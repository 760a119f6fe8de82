"""The emulated ACS Advanced Messaging service for WhatsApp (2024-08-30): state and rules,
wire format, routes."""

from acs_emulator.messages.models import MessagesBackend
from acs_emulator.messages.urls import routes

__all__ = ["MessagesBackend", "routes"]
