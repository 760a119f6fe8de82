"""Twilio Conversations on Azure Communication Services Chat."""

__version__ = "0.1.0"
