"""``Client``: ``twilio.rest.Client`` answered by ACS, so only the import line changes.

It takes exactly the arguments of twilio's ``Client`` (falling back, as twilio does, to
``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``); ACS comes from the shim's settings
(``ACS_CONNECTION_STRING`` and friends, see ``twilio_compat.settings``). Conversations
requests are answered from ACS; other Twilio products still go to Twilio through the usual
(or given) http_client. Clients share one wire handler over the process-wide runtime, so
creating many clients opens one adapter; each is answered as the account it is built with.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from twilio_compat.core.offload import Offload
from twilio_compat.rest.http_client import AcsHttpClient, AsyncAcsHttpClient
from twilio_compat.rest.routing import AsyncRoutingHttpClient, RoutingHttpClient

if TYPE_CHECKING:
    from twilio_compat.rest.handler import WireHandler

_shared: WireHandler | None = None
_shared_lock = threading.Lock()
_shared_offload = Offload("twilio-acs-shared-http")
"""One worker pool for every shared async client, however many ``Client``s are built."""


def shared_handler() -> WireHandler:
    """The handler over the process-wide runtime (`twilio_compat.runtime.shared_runtime`)."""
    global _shared
    from twilio_compat.rest.handler import WireHandler
    from twilio_compat.runtime import shared_runtime

    core = shared_runtime().core
    with _shared_lock:
        if _shared is None or _shared.core is not core:
            _shared = WireHandler(core)
        return _shared


def close_shared_handler() -> None:
    """Close the process-wide runtime (its core and adapter), if one was opened."""
    global _shared
    from twilio_compat.runtime import close_shared_runtime

    with _shared_lock:
        _shared = None
    close_shared_runtime()


class SharedAcsHttpClient(AcsHttpClient):
    """``AcsHttpClient`` over the process-wide handler, opened on the first request."""

    def __init__(self, *, account_sid: str | None = None) -> None:
        super().__init__(account_sid=account_sid)

    @property
    def handler(self) -> WireHandler:
        return shared_handler()


class SharedAsyncAcsHttpClient(AsyncAcsHttpClient):
    """``AsyncAcsHttpClient`` over the process-wide handler, opened on the first request."""

    def __init__(self, *, account_sid: str | None = None) -> None:
        super().__init__(account_sid=account_sid, offload=_shared_offload)

    @property
    def handler(self) -> WireHandler:
        return shared_handler()


def routed(http_client: HttpClient | None, *, account_sid: str | None = None) -> HttpClient:
    """An http_client that answers Conversations from ACS and passes the rest to the original.

    ``account_sid`` is the twilio client's account: requests signed with an API key (which
    name no account) are answered as it.
    """
    if isinstance(http_client, AcsHttpClient | AsyncAcsHttpClient):
        return http_client
    if isinstance(http_client, RoutingHttpClient | AsyncRoutingHttpClient):
        return http_client
    if isinstance(http_client, AsyncHttpClient):
        shim = SharedAsyncAcsHttpClient(account_sid=account_sid)
        return AsyncRoutingHttpClient(shim, http_client)
    shim_sync = SharedAcsHttpClient(account_sid=account_sid)
    return RoutingHttpClient(shim_sync, http_client or TwilioHttpClient())


class Client(TwilioClient):  # type: ignore[misc]
    """A drop-in ``twilio.rest.Client`` whose Conversations calls run on ACS, answered as
    the account it is built with."""

    http_client: HttpClient
    account_sid: str

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
            http_client,
            environment,
            edge,
            user_agent_extensions,
            **extra,
        )
        self.http_client = routed(self.http_client, account_sid=self.account_sid)
