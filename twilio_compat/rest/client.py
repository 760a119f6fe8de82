"""``Client``: ``twilio.rest.Client`` answered by ACS, so only the import line changes.

It takes exactly the arguments of twilio's ``Client`` (falling back, as twilio does, to
``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``) and reads the ACS settings from the adapter's
configuration (``ACS_CONNECTION_STRING`` and friends). Conversations requests are answered
from ACS; other Twilio products still go to Twilio through the usual (or given) http_client.
Clients share one wire handler per process, so creating many clients opens one adapter.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import MutableMapping
from typing import Any

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from twilio_compat.rest.handler import WireHandler
from twilio_compat.rest.http_client import AcsHttpClient, AsyncAcsHttpClient
from twilio_compat.rest.routing import AsyncRoutingHttpClient, RoutingHttpClient

_shared: WireHandler | None = None
_shared_lock = threading.Lock()


def shared_handler() -> WireHandler:
    """The process-wide handler over the adapter configured by the environment."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WireHandler.open()
            atexit.register(close_shared_handler)
        return _shared


def close_shared_handler() -> None:
    """Close the process-wide handler (and its adapter), if one was opened."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close()
            _shared = None


class SharedAcsHttpClient(AcsHttpClient):
    """``AcsHttpClient`` over the process-wide handler, opened on the first request."""

    @property
    def handler(self) -> WireHandler:
        return shared_handler()


class SharedAsyncAcsHttpClient(AsyncAcsHttpClient):
    """``AsyncAcsHttpClient`` over the process-wide handler, opened on the first request."""

    @property
    def handler(self) -> WireHandler:
        return shared_handler()


def routed(http_client: HttpClient | None) -> HttpClient:
    """An http_client that answers Conversations from ACS and passes the rest to the original."""
    if isinstance(http_client, AcsHttpClient | AsyncAcsHttpClient):
        return http_client
    if isinstance(http_client, RoutingHttpClient | AsyncRoutingHttpClient):
        return http_client
    if isinstance(http_client, AsyncHttpClient):
        return AsyncRoutingHttpClient(SharedAsyncAcsHttpClient(), http_client)
    return RoutingHttpClient(SharedAcsHttpClient(), http_client or TwilioHttpClient())


class Client(TwilioClient):  # type: ignore[misc]
    """A drop-in ``twilio.rest.Client`` whose Conversations calls run on ACS."""

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        account_sid: str | None = None,
        region: str | None = None,
        http_client: HttpClient | None = None,
        environment: MutableMapping[str, str] | None = None,
        edge: str | None = None,
        user_agent_extensions: list[str] | None = None,
        credential_provider: Any | None = None,
    ) -> None:
        # twilio 8.x has no ``credential_provider``: pass it only when given, so each twilio
        # version accepts (or refuses) exactly what its own ``Client`` does.
        extra = {} if credential_provider is None else {"credential_provider": credential_provider}
        super().__init__(
            username,
            password,
            account_sid,
            region,
            routed(http_client),
            environment,
            edge,
            user_agent_extensions,
            **extra,
        )
