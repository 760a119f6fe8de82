"""The emulated ACS SMS service (2021-03-07): backend state and rules, wire format, routes."""

from acs_emulator.sms.models import SmsBackend
from acs_emulator.sms.urls import routes

__all__ = ["SmsBackend", "routes"]
