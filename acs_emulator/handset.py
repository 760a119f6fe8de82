"""The handset test surface over HTTP: tests in any language play the customer's phone.

Every route sits under `/_emulator/` and is signed like the ACS API (HMAC with the resource's
access key, or an Entra ID token), so nobody without the key can read the outboxes or inject
messages. Numbers are +E.164; in a query string write the `+` as `%2B` (a bare `+` reads as a
space, which is also understood).

- `GET /_emulator/numbers`: 200 `{"phoneNumbers": [...], "whatsappChannels": {id: number}}`
- `GET /_emulator/sms/outbox?to=` and `GET /_emulator/whatsapp/outbox?to=` (`to` optional):
  200 `{"value": [outbox lines]}`
- `POST /_emulator/sms/inbound` `{"from", "to", "body"}`: 202 `{"messageId"}`
- `POST /_emulator/whatsapp/inbound` `{"from", "channelId", "body"?, "media"?}`:
  202 `{"messageId"}`
- `POST /_emulator/delivery-outcomes` `{"to", "outcome", "errorCode"?}`: 204
- `POST /_emulator/whatsapp/templates`
  `{"channelId", "name", "language", "bodyText", "status"?}`: 204

Outbox lines carry the keys of `AcsEmulator.sms_outbox()` / `whatsapp_outbox()`. Inbound
WhatsApp `media` is `{"contentBase64", "contentType", "filename"?, "caption"?}`. A value the
Python surface refuses is a 400 in ACS's error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from acs_emulator.chat.parsing import json_object
from acs_emulator.delivery_outcomes import DeliveryOutcomes
from acs_emulator.exceptions import bad_request
from acs_emulator.messages.models import MessagesBackend
from acs_emulator.numbers import NumberRegistry, WhatsAppTemplate
from acs_emulator.sms.models import SmsBackend

PREFIX = "/_emulator"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
Endpoint = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


class HandsetResponses:
    def __init__(
        self,
        registry: NumberRegistry,
        sms: SmsBackend,
        messages: MessagesBackend,
        outcomes: DeliveryOutcomes,
    ) -> None:
        self.registry = registry
        self.sms = sms
        self.messages = messages
        self.outcomes = outcomes

    async def numbers(self, request: Request) -> Response:
        return _json(
            200,
            {
                "phoneNumbers": self.registry.phone_numbers,
                "whatsappChannels": self.registry.whatsapp_channels,
            },
        )

    async def sms_outbox(self, request: Request) -> Response:
        return _json(200, {"value": self.sms.outbox(_to_filter(request))})

    async def whatsapp_outbox(self, request: Request) -> Response:
        return _json(200, {"value": self.messages.outbox(_to_filter(request))})

    async def sms_inbound(self, request: Request) -> Response:
        body = await json_object(request)
        message_id = _refusing_bad_values(
            lambda: self.sms.receive(_text(body, "from"), _text(body, "to"), _text(body, "body"))
        )
        return _json(202, {"messageId": message_id})

    async def whatsapp_inbound(self, request: Request) -> Response:
        body = await json_object(request)
        text = _optional_text(body, "body")
        media = _media(body.get("media"))
        message_id = _refusing_bad_values(
            lambda: self.messages.receive(
                _text(body, "from"), _text(body, "channelId"), text, media
            )
        )
        return _json(202, {"messageId": message_id})

    async def delivery_outcome(self, request: Request) -> Response:
        body = await json_object(request)
        _refusing_bad_values(
            lambda: self.outcomes.set(
                _text(body, "to"), _text(body, "outcome"), _optional_text(body, "errorCode")
            )
        )
        return Response(status_code=204)

    async def add_template(self, request: Request) -> Response:
        body = await json_object(request)

        def add() -> None:
            template = WhatsAppTemplate(
                _text(body, "name"),
                _text(body, "language"),
                _text(body, "bodyText"),
                _optional_text(body, "status") or "approved",
            )
            self.registry.add_template(_text(body, "channelId"), template)

        _refusing_bad_values(add)
        return Response(status_code=204)


def routes(
    registry: NumberRegistry,
    sms: SmsBackend,
    messages: MessagesBackend,
    outcomes: DeliveryOutcomes,
) -> list[Route]:
    handset = HandsetResponses(registry, sms, messages, outcomes)
    table: list[tuple[str, str, Endpoint, str]] = [
        ("GET", "/numbers", handset.numbers, "Handset_ListNumbers"),
        ("GET", "/sms/outbox", handset.sms_outbox, "Handset_GetSmsOutbox"),
        ("GET", "/whatsapp/outbox", handset.whatsapp_outbox, "Handset_GetWhatsAppOutbox"),
        ("POST", "/sms/inbound", handset.sms_inbound, "Handset_SendInboundSms"),
        ("POST", "/whatsapp/inbound", handset.whatsapp_inbound, "Handset_SendInboundWhatsApp"),
        ("POST", "/delivery-outcomes", handset.delivery_outcome, "Handset_SetDeliveryOutcome"),
        ("POST", "/whatsapp/templates", handset.add_template, "Handset_AddWhatsAppTemplate"),
    ]
    return [
        Route(PREFIX + path, endpoint, methods=[method], name=name)
        for method, path, endpoint, name in table
    ]


def _refusing_bad_values(action: Callable[[], T]) -> T:
    try:
        return action()
    except ValueError as exc:
        raise bad_request(str(exc)) from None


def _to_filter(request: Request) -> str | None:
    to = request.query_params.get("to")
    if to is None or not to.strip():
        return None
    to = to.strip()
    return to if to.startswith("+") else "+" + to


def _media(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("media must be an object.", target="media")
    try:
        content = base64.b64decode(_text(value, "contentBase64"), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("media.contentBase64 must be base64.", target="media") from None
    return {
        "content": content,
        "content_type": _text(value, "contentType"),
        "filename": _optional_text(value, "filename"),
        "caption": _optional_text(value, "caption"),
    }


def _text(body: Mapping[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if value is None:
        raise bad_request(f"{name} is required.", target=name)
    return value


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string.", target=name)
    return value


def _json(status: int, body: Any) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status, media_type=JSON_MEDIA_TYPE
    )
