"""Twilio's error codes for what happens to SMS and WhatsApp deliveries.

ACS reports failures in its own words (an SMS send's per-recipient message, an SMS delivery
report's details, Meta's code in a WhatsApp status); a Twilio receipt carries Twilio's code
for the same situation (twilio.com/docs/api/errors/<code>).
"""

from __future__ import annotations

INVALID_TO_NUMBER = 21211
"""The recipient is not a valid phone number."""
NO_TEXT_FOR_SMS = 21619
"""A text message needs a body: an SMS participant cannot receive media (ACS has no MMS)."""
UNSUBSCRIBED = 21610
"""The recipient replied STOP: the number blocks texts from this sender."""
UNKNOWN_ERROR = 30008
"""The channel failed without saying why."""
OUTSIDE_WHATSAPP_WINDOW = 63016
"""A free-form WhatsApp message outside the 24-hour window after the user's last message."""

_WHATSAPP = {
    "131047": OUTSIDE_WHATSAPP_WINDOW,  # Meta: re-engagement message (the 24-hour window)
    "470": OUTSIDE_WHATSAPP_WINDOW,  # the same, as WhatsApp's older API numbered it
    "131050": UNSUBSCRIBED,  # Meta: the user stopped marketing messages
}


def sms_send_error(status: int, message: str | None) -> int:
    """The code for one recipient ACS refused in an SMS send's answer."""
    if status == 400 and message and "to phone number" in message.lower():
        return INVALID_TO_NUMBER
    return UNKNOWN_ERROR


def sms_report_error(detail: str | None) -> int:
    """The code for an SMS delivery report of a failure."""
    if detail and "blocked" in detail.lower():
        return UNSUBSCRIBED
    return UNKNOWN_ERROR


def whatsapp_error(channel_code: str | None) -> int:
    """The code for a WhatsApp failure, from the channel's (Meta's) code."""
    return _WHATSAPP.get((channel_code or "").strip(), UNKNOWN_ERROR)
