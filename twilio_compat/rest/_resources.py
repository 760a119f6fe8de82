"""The resource handlers, bound to one core; they live in ``twilio_compat.rest.resources``."""

from twilio_compat.rest.resources import handlers

__all__ = ["handlers"]
