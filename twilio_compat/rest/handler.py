"""The REST face: one synchronous handler from a Twilio wire request to a Twilio wire response.

It routes the request against the operation table, validates every form parameter before the
core is asked to change anything, and renders the core's records (or its errors) in Twilio's
JSON. Both ``AcsHttpClient`` twins and the ASGI app call ``handle``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twilio_compat import wire
from twilio_compat.core import Core, errors
from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.hooks import Origin, write_origin
from twilio_compat.rest import _routing, resources
from twilio_compat.rest._forms import PAGING, Form
from twilio_compat.rest._wire import WireRequest, WireResponse
from twilio_compat.rest.operations import Operation, Support
from twilio_compat.rest.resources import media
from twilio_compat.runtime import Runtime
from twilio_compat.sids import is_sid

if TYPE_CHECKING:
    from twilio_compat.runtime import AcsAdapter
    from twilio_compat.settings import AdapterSettings, Settings

_log = logging.getLogger("twilio_compat.rest")

Json = dict[str, Any]


class Call:
    """Everything a resource handler needs about one request."""

    def __init__(
        self,
        request: WireRequest,
        operation: Operation,
        path: dict[str, str],
        form: Form,
        scope: wire.Scope,
    ) -> None:
        self.request = request
        self.operation = operation
        self.path = path
        self.form = form
        self.scope = scope

    @property
    def service(self) -> str:
        return self.scope.service_sid


Result = tuple[int, Json | None]
Handler = Callable[[Call], Result]


def request_account(request: WireRequest) -> str | None:
    """The account a request names: its Basic-auth user when that is an ``AC...`` SID (twilio
    clients send ``auth=(account_sid, auth_token)`` unless they use an API key)."""
    user = request.username
    return user if user is not None and is_sid(user, "AC") else None


class WireHandler:
    """Twilio Conversations v1 over the core; thread-safe, one per process is enough.

    Each request is answered as the account it names (see ``handle``), by that account's core
    (``Core.for_account``), so clients built with different accounts over one handler each see
    their own ``account_sid``.
    """

    def __init__(self, core: Core, *, runtime: Runtime | None = None) -> None:
        self.core = core
        self._runtime = runtime

    @classmethod
    def open(
        cls,
        *,
        settings: Settings | AdapterSettings | None = None,
        adapter: AcsAdapter | None = None,
        account_sid: str | None = None,
    ) -> WireHandler:
        """A handler over its own runtime: a core on ``adapter`` if given (it stays open when
        the handler closes), else on an adapter opened from ``settings``."""
        if adapter is not None:
            runtime = Runtime.over(adapter, account_sid=account_sid)
        else:
            runtime = Runtime.open(settings, account_sid=account_sid)
        return cls(runtime.core, runtime=runtime)

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        else:
            self.core.close()

    # -- the one entry point ------------------------------------------------------------

    def handle(self, request: WireRequest, *, account_sid: str | None = None) -> WireResponse:
        """Answer one request as the account it names in its credentials, else as
        ``account_sid`` (the twilio client's account when it signs in with an API key), else
        as this handler's core's account."""
        relative = request.path[3:] if request.path.startswith("/v1/") else request.path
        core = self.core.for_account(request_account(request) or account_sid)
        try:
            if media.is_media_request(request, relative):
                return media.answer(core, request, relative)
            operation, path = _routing.match(request.method, relative)
            with write_origin(Origin.rest(request.header("x-twilio-webhook-enabled"))):
                status, body = _dispatch(core, request, operation, path)
        except errors.TwilioApiError as exc:
            return _error(exc, relative)
        except AdapterError as exc:
            return _error(errors.from_adapter(exc, relative), relative)
        except Exception:
            _log.exception("unexpected failure answering %s %s", request.method, relative)
            return _error(errors.TwilioApiError(500, errors.INTERNAL, "Internal Server Error"), "")
        if body is None:
            return WireResponse(status, "", {})
        return WireResponse(status, wire.dumps(body))


def _dispatch(
    core: Core, request: WireRequest, operation: Operation, path: dict[str, str]
) -> Result:
    scoped = "chat_service_sid" in path
    service_sid = core.services.resolve(path.get("chat_service_sid"))
    scope = wire.Scope(account_sid=core.account_sid, service_sid=service_sid, service_scoped=scoped)
    if operation.support is Support.UNSUPPORTED:
        raise errors.not_supported(operation.note or operation.resource)
    values = request.query if operation.method in ("GET", "DELETE") else request.form
    allowed = operation.params + PAGING if operation.action == "list" else operation.params
    form = Form(values, allowed)
    handler = resources.HANDLERS.get((operation.resource, operation.action))
    if handler is None:
        handler = resources.HANDLERS[
            (operation.resource.removeprefix("service."), operation.action)
        ]
    status, body = handler(core, Call(request, operation, path, form, scope))
    return status or operation.success_status, body


def _error(exc: errors.TwilioApiError, path: str) -> WireResponse:
    if exc.code == errors.NOT_FOUND and path and isinstance(exc, errors.ResourceNotFound):
        exc = errors.not_found(path)
    return WireResponse(exc.status, json.dumps(exc.as_body()))
