"""The Advanced Messaging REST operations (2024-08-30): send, download media, list templates.

Errors take the Azure.Core `ErrorResponse` shape; the guard adds the `x-ms-error-code` header.
Sends honour `Repeatability-Request-ID` / `Repeatability-First-Sent` and say how they were
treated in `Repeatability-Result`.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acs_emulator.chat.parsing import json_object
from acs_emulator.exceptions import AcsError
from acs_emulator.messages.models import MessagesBackend
from acs_emulator.messages.parsing import invalid, notification
from acs_emulator.numbers import NumberRegistry, WhatsAppTemplate, require_channel_id

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
DEFAULT_PAGE_SIZE = 100


class MessagesResponses:
    def __init__(self, backend: MessagesBackend, registry: NumberRegistry) -> None:
        self.backend = backend
        self.registry = registry

    async def send(self, request: Request) -> Response:
        content = notification(await json_object(request))
        request_id = request.headers.get("repeatability-request-id")
        first_sent = request.headers.get("repeatability-first-sent")
        if request_id is not None and first_sent is not None and not _rfc1123(first_sent):
            error = invalid(
                "Repeatability-First-Sent must be an RFC 1123 date.", "Repeatability-First-Sent"
            )
            error.headers["Repeatability-Result"] = "rejected"
            raise error
        outcome = self.backend.send(content, request_id)
        response = _json(202, {"receipts": outcome.receipts})
        if request_id is not None:
            response.headers["Repeatability-Result"] = "accepted"
        return response

    async def get_media(self, request: Request) -> Response:
        media = self.backend.media(request.path_params["id"])
        headers = {}
        if media.file_name:
            headers["Content-Disposition"] = f'attachment; filename="{media.file_name}"'
        return Response(media.content, media_type=media.content_type, headers=headers)

    async def list_templates(self, request: Request) -> Response:
        channel = request.path_params["channelId"]
        try:
            channel_id = require_channel_id(channel)
        except ValueError:
            channel_id = ""
        if not channel_id or self.registry.channel_number(channel_id) is None:
            raise AcsError(404, "ChannelNotFound", f"No channel {channel} is registered.")
        size = _positive(request.query_params.get("maxpagesize"), DEFAULT_PAGE_SIZE, "maxpagesize")
        skip = _positive(request.query_params.get("skip"), 0, "skip", allow_zero=True)
        templates = self.registry.templates(channel_id)
        page = templates[skip : skip + size]
        body: dict[str, Any] = {"value": [template_item(t) for t in page]}
        if skip + size < len(templates):
            base = str(request.base_url).rstrip("/")
            version = request.query_params.get("api-version", "")
            body["nextLink"] = (
                f"{base}/messages/channels/{channel_id}/templates"
                f"?api-version={version}&maxpagesize={size}&skip={skip + size}"
            )
        return _json(200, body)


def template_item(template: WhatsAppTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "language": template.language,
        "status": template.status,
        "kind": "whatsApp",
        "content": template.content(),
    }


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status, media_type=JSON_MEDIA_TYPE
    )


def _rfc1123(value: str) -> bool:
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def _positive(raw: str | None, default: int, name: str, *, allow_zero: bool = False) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer.", name) from None
    if value < (0 if allow_zero else 1):
        raise invalid(f"{name} is out of range.", name)
    return value
