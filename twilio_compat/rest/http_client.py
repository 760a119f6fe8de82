"""twilio-python's ``http_client`` seam, answered in-process by the shim instead of Twilio.

``twilio.rest.Client(sid, token, http_client=AcsHttpClient())`` builds its real
``ConversationInstance``/``MessageInstance`` objects and raises its real
``TwilioRestException`` from the Twilio-format bodies the shim returns.

Sync and async share one synchronous wire handler: ``AsyncAcsHttpClient`` runs it in a worker
thread with ``asyncio.to_thread``, so both faces of twilio-python see identical behaviour and
the event loop never blocks on ACS or the store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response

from twilio_compat.rest._wire import from_twilio_call

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter
    from acs_adapter.config import Settings
    from twilio_compat.rest.handler import WireHandler

_logger = logging.getLogger("twilio_compat.http_client")


class _HandlerOwner:
    """Opens the adapter and the wire handler on first use, closes them if it opened them."""

    def __init__(
        self,
        settings: Settings | None,
        adapter: AcsAdapter | None,
        handler: WireHandler | None,
        account_sid: str | None,
    ) -> None:
        self._settings = settings
        self._adapter = adapter
        self._handler = handler
        self._account_sid = account_sid
        self._owned: WireHandler | None = None

    def get(self) -> WireHandler:
        if self._handler is None:
            from twilio_compat.rest.handler import WireHandler

            self._owned = WireHandler.open(
                settings=self._settings, adapter=self._adapter, account_sid=self._account_sid
            )
            self._handler = self._owned
        return self._handler

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None
            self._handler = None


def _to_twilio(response_status: int, text: str, headers: dict[str, str]) -> Response:
    return Response(response_status, text, headers)


class AcsHttpClient(HttpClient):  # type: ignore[misc]
    """A twilio ``HttpClient`` that answers Conversations requests from ACS.

    Give it ``settings`` (or nothing: the adapter reads the environment), an already open
    ``adapter`` to share, or a ``handler`` to share one wire handler between clients.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        adapter: AcsAdapter | None = None,
        handler: WireHandler | None = None,
        account_sid: str | None = None,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        super().__init__(logger, False, timeout)
        self._owner = _HandlerOwner(settings, adapter, handler, account_sid)

    @property
    def handler(self) -> WireHandler:
        return self._owner.get()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self._test_only_last_request = TwilioRequest(
            method=method, url=url, params=params, data=data, headers=headers, auth=auth
        )
        wire = from_twilio_call(method, url, params, data, headers, auth)
        answer = self.handler.handle(wire)
        self._test_only_last_response = _to_twilio(answer.status, answer.text, answer.headers)
        return self._test_only_last_response

    def close(self) -> None:
        """Close the adapter if this client opened it."""
        self._owner.close()

    def __enter__(self) -> AcsHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAcsHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """The async twin: makes every ``*_async`` method of twilio-python run on ACS."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        adapter: AcsAdapter | None = None,
        handler: WireHandler | None = None,
        account_sid: str | None = None,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        super().__init__(logger, True, timeout)
        self._owner = _HandlerOwner(settings, adapter, handler, account_sid)

    @property
    def handler(self) -> WireHandler:
        return self._owner.get()

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self._test_only_last_request = TwilioRequest(
            method=method, url=url, params=params, data=data, headers=headers, auth=auth
        )
        wire = from_twilio_call(method, url, params, data, headers, auth)
        handler = await asyncio.to_thread(getattr, self, "handler")
        answer = await asyncio.to_thread(handler.handle, wire)
        self._test_only_last_response = _to_twilio(answer.status, answer.text, answer.headers)
        return self._test_only_last_response

    async def close(self) -> None:
        await asyncio.to_thread(self._owner.close)

    async def __aenter__(self) -> AsyncAcsHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
