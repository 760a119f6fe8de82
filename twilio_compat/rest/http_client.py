"""twilio-python's ``http_client`` seam, answered in-process by the shim instead of Twilio.

``twilio.rest.Client(sid, token, http_client=AcsHttpClient())`` builds its real
``ConversationInstance``/``MessageInstance`` objects and raises its real
``TwilioRestException`` from the Twilio-format bodies the shim returns.

Sync and async share one synchronous wire handler: ``AsyncAcsHttpClient`` runs it on its own
bounded worker pool (an ``Offload``), so both faces of twilio-python see identical behaviour
and the event loop never blocks on ACS or the store.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response

from twilio_compat.core.offload import Offload
from twilio_compat.rest._wire import WireRequest, from_twilio_call
from twilio_compat.rest.seam import AsyncSeamHttpClient, RequestOptions, SeamHttpClient

if TYPE_CHECKING:
    from twilio_compat.rest._wire import WireResponse
    from twilio_compat.rest.handler import WireHandler
    from twilio_compat.runtime import AcsAdapter
    from twilio_compat.settings import AdapterSettings, Settings

_logger = logging.getLogger("twilio_compat.http_client")


class _HandlerOwner:
    """Opens the adapter and the wire handler on first use (once, however many requests race
    for it), closes them if it opened them."""

    def __init__(
        self,
        settings: Settings | AdapterSettings | None,
        adapter: AcsAdapter | None,
        handler: WireHandler | None,
        account_sid: str | None,
    ) -> None:
        self._settings = settings
        self._adapter = adapter
        self._handler = handler
        self._account_sid = account_sid
        self._owned: WireHandler | None = None
        self._lock = threading.Lock()

    def get(self) -> WireHandler:
        handler = self._handler
        if handler is not None:
            return handler
        from twilio_compat.rest.handler import WireHandler  # the core, loaded on first use

        with self._lock:
            if self._handler is None:
                self._owned = WireHandler.open(
                    settings=self._settings, adapter=self._adapter, account_sid=self._account_sid
                )
                self._handler = self._owned
            return self._handler

    def close(self) -> None:
        with self._lock:
            owned, self._owned = self._owned, None
            if owned is not None:
                self._handler = None
        if owned is not None:
            owned.close()


class _AcsFace:
    """What both clients do around the handler: open it on first use, turn twilio's call
    into a wire request, and the handler's answer into twilio's ``Response`` (keeping both
    where twilio's own clients keep the last ones)."""

    _owner: _HandlerOwner
    _account_sid: str | None

    @property
    def handler(self) -> WireHandler:
        return self._owner.get()

    def _handle(self, wire: WireRequest) -> WireResponse:
        return self.handler.handle(wire, account_sid=self._account_sid)

    def _accept(self, method: str, url: str, options: RequestOptions) -> WireRequest:
        params, data = options["params"], options["data"]
        headers, auth = options["headers"], options["auth"]
        self._test_only_last_request = TwilioRequest(
            method=method, url=url, params=params, data=data, headers=headers, auth=auth
        )
        return from_twilio_call(method, url, params, data, headers, auth)

    def _reply(self, answer: WireResponse) -> Response:
        self._test_only_last_response = Response(answer.status, answer.text, answer.headers)
        return self._test_only_last_response


class AcsHttpClient(SeamHttpClient, _AcsFace):
    """A twilio ``HttpClient`` that answers Conversations requests from ACS.

    Give it ``settings`` (``twilio_compat.settings.Settings`` or the adapter's own; nothing:
    ``Settings.load()`` from the environment), an already open ``adapter`` to share, or a
    ``handler`` to share one wire handler between clients.

    Each request is answered as the account the twilio client signs in with (its
    ``auth=(account_sid, ...)``); with an API key, as ``account_sid``, else the settings'
    ``TWILIO_ACCOUNT_SID`` (see ``WireHandler.handle``).
    """

    def __init__(
        self,
        settings: Settings | AdapterSettings | None = None,
        *,
        adapter: AcsAdapter | None = None,
        handler: WireHandler | None = None,
        account_sid: str | None = None,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        super().__init__(logger, False, timeout)
        self._owner = _HandlerOwner(settings, adapter, handler, account_sid)
        self._account_sid = account_sid

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        wire = self._accept(method, url, options)
        return self._reply(self._handle(wire))

    def close(self) -> None:
        """Close the adapter if this client opened it."""
        self._owner.close()

    def __enter__(self) -> AcsHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAcsHttpClient(AsyncSeamHttpClient, _AcsFace):
    """The async twin: makes every ``*_async`` method of twilio-python run on ACS.

    The handler runs on ``offload`` (default: a bounded pool of this client's own), never on
    the event loop or its default executor.
    """

    def __init__(
        self,
        settings: Settings | AdapterSettings | None = None,
        *,
        adapter: AcsAdapter | None = None,
        handler: WireHandler | None = None,
        account_sid: str | None = None,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
        offload: Offload | None = None,
    ) -> None:
        super().__init__(logger, True, timeout)
        self._owner = _HandlerOwner(settings, adapter, handler, account_sid)
        self._account_sid = account_sid
        self._owns_offload = offload is None
        self._offload = offload or Offload("twilio-acs-http")

    async def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        wire = self._accept(method, url, options)
        return self._reply(await self._offload.run(self._handle, wire))

    async def close(self) -> None:
        """Close the adapter if this client opened it, then this client's own worker pool."""
        await self._offload.run(self._owner.close)
        if self._owns_offload:
            self._offload.close()

    async def __aenter__(self) -> AsyncAcsHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
