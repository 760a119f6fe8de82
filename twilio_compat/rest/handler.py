"""The REST face: one synchronous handler from a Twilio wire request to a Twilio wire response.

It routes the request against the operation table, validates every form parameter before the
core is asked to change anything, and renders the core's records (or its errors) in Twilio's
JSON. Both ``AcsHttpClient`` twins and the ASGI app call ``handle``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from twilio_compat.core import Core, errors
from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.hooks import Origin, write_origin
from twilio_compat.rest import _render as render
from twilio_compat.rest import _resources, _routing
from twilio_compat.rest._forms import PAGING, Form
from twilio_compat.rest._multipart import file_part, is_multipart
from twilio_compat.rest._wire import WireRequest, WireResponse
from twilio_compat.rest.operations import Operation, Support
from twilio_compat.runtime import Runtime

if TYPE_CHECKING:
    from twilio_compat.runtime import AcsAdapter
    from twilio_compat.settings import AdapterSettings, Settings

_log = logging.getLogger("twilio_compat.rest")
_MEDIA_PATH = re.compile(r"^/Services/[^/]+/Media(/[^/]+)?$")

Json = dict[str, Any]


class Call:
    """Everything a resource handler needs about one request."""

    def __init__(
        self,
        request: WireRequest,
        operation: Operation,
        path: dict[str, str],
        form: Form,
        scope: render.Scope,
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


class WireHandler:
    """Twilio Conversations v1 over the core; thread-safe, one per process is enough."""

    def __init__(self, core: Core, *, runtime: Runtime | None = None) -> None:
        self.core = core
        self._runtime = runtime
        self._handlers: dict[tuple[str, str], Handler] = _resources.handlers(core)

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

    def handle(self, request: WireRequest) -> WireResponse:
        relative = request.path[3:] if request.path.startswith("/v1/") else request.path
        try:
            if request.host.startswith("mcs.") or _MEDIA_PATH.match(relative):
                return self._media(request, relative)
            operation, path = _routing.match(request.method, relative)
            with write_origin(Origin.rest(request.header("x-twilio-webhook-enabled"))):
                status, body = self._dispatch(request, operation, path)
        except errors.TwilioApiError as exc:
            return _error(exc, relative)
        except AdapterError as exc:
            return _error(errors.from_adapter(exc, relative), relative)
        except Exception:
            _log.exception("unexpected failure answering %s %s", request.method, relative)
            return _error(errors.TwilioApiError(500, errors.INTERNAL, "Internal Server Error"), "")
        if body is None:
            return WireResponse(status, "", {})
        return WireResponse(status, render.dumps(body))

    def _dispatch(self, request: WireRequest, operation: Operation, path: dict[str, str]) -> Result:
        scoped = "chat_service_sid" in path
        service_sid = self.core.services.resolve(path.get("chat_service_sid"))
        scope = render.Scope(
            account_sid=self.core.account_sid, service_sid=service_sid, service_scoped=scoped
        )
        if operation.support is Support.UNSUPPORTED:
            raise errors.not_supported(operation.note or operation.resource)
        values = request.query if operation.method in ("GET", "DELETE") else request.form
        allowed = operation.params + PAGING if operation.action == "list" else operation.params
        form = Form(values, allowed)
        handler = self._handlers.get((operation.resource, operation.action))
        if handler is None:
            resource = operation.resource.removeprefix("service.")
            handler = self._handlers[(resource, operation.action)]
        status, body = handler(Call(request, operation, path, form, scope))
        return status or operation.success_status, body

    # -- Media Content Service (mcs.us1.twilio.com) -------------------------------------

    def _media(self, request: WireRequest, relative: str) -> WireResponse:
        parts = relative.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "Services" or parts[2] != "Media":
            raise errors.not_found(relative)
        service_sid = self.core.services.resolve(parts[1])
        account = self.core.account_sid
        if request.method == "POST" and len(parts) == 3:
            content_type = request.header("content-type") or "application/octet-stream"
            data, filename = request.body, _filename(request.header("content-disposition"))
            if is_multipart(content_type):
                uploaded = file_part(content_type, request.body)
                data, content_type, filename = (
                    uploaded.data,
                    uploaded.content_type,
                    uploaded.filename,
                )
            item = self.core.media.upload(
                service_sid, data, content_type=content_type, filename=filename
            )
            body = render.media_resource(account, item, self.core.media.temporary_url(item))
            return WireResponse(201, render.dumps(body))
        if request.method == "GET" and len(parts) == 4:
            item = self.core.media.get(service_sid, parts[3])
            body = render.media_resource(account, item, self.core.media.temporary_url(item))
            return WireResponse(200, render.dumps(body))
        if request.method == "DELETE" and len(parts) == 4:
            self.core.media.delete(service_sid, parts[3])
            return WireResponse(204, "", {})
        raise errors.not_found(relative)


def _filename(disposition: str | None) -> str | None:
    """The ``filename`` of a ``Content-Disposition`` header, as uploads name their file."""
    if not disposition:
        return None
    message = EmailMessage()
    message["content-disposition"] = disposition
    name = message.get_filename()
    return str(name) if name else None


def _error(exc: errors.TwilioApiError, path: str) -> WireResponse:
    if exc.code == errors.NOT_FOUND and path and isinstance(exc, errors.ResourceNotFound):
        exc = errors.not_found(path)
    return WireResponse(exc.status, json.dumps(exc.as_body()))
