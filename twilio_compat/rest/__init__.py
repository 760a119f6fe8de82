"""The REST face: twilio-python's Conversations API answered from ACS at the http_client seam.

- ``Client``: ``from twilio_compat.rest import Client`` instead of ``from twilio.rest import
  Client``; nothing else changes.
- ``AcsHttpClient`` / ``AsyncAcsHttpClient``: pass as ``http_client=`` to twilio's own
  ``Client`` (the async one makes every ``*_async`` method work).
- ``WireHandler``: the shared synchronous handler; ``create_app`` serves it over HTTP.
- ``OPERATIONS``: the 103 Twilio operations and how each is supported.
"""

from typing import TYPE_CHECKING

from twilio_compat.rest.client import Client
from twilio_compat.rest.http_client import AcsHttpClient, AsyncAcsHttpClient
from twilio_compat.rest.operations import OPERATIONS, Operation, Support

if TYPE_CHECKING:
    from twilio_compat.rest.handler import WireHandler


def __getattr__(name: str) -> object:
    # The handler brings the core, the adapter and SQLAlchemy: loaded when first named, so
    # `from twilio_compat.rest import Client` stays about as light as `twilio.rest`.
    if name == "WireHandler":
        from twilio_compat.rest.handler import WireHandler

        return WireHandler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPERATIONS",
    "AcsHttpClient",
    "AsyncAcsHttpClient",
    "Client",
    "Operation",
    "Support",
    "WireHandler",
]
