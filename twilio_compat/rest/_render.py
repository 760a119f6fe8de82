"""The wire shapes the REST handler and app render with; they live in ``twilio_compat.wire``."""

from twilio_compat.wire import BASE_URL, Scope, dumps, media_resource

__all__ = ["BASE_URL", "Scope", "dumps", "media_resource"]
