"""The SMS REST operation: read `SendMessageRequest`, ask the backend, render `SmsSendResponse`.

The body is checked against the 2021-03-07 spec; a malformed field is a 400 for the whole
request in ACS's error shape, while a bad recipient number only fails its own line of the 202.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acs_emulator.chat.parsing import json_object
from acs_emulator.exceptions import bad_request
from acs_emulator.sms.models import SmsBackend, SmsRecipient, SmsResult, SmsSend

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


class SmsResponses:
    def __init__(self, backend: SmsBackend) -> None:
        self.backend = backend

    async def send(self, request: Request) -> Response:
        results = self.backend.send(send_request(await json_object(request)))
        body = {"value": [result_item(result) for result in results]}
        return Response(
            json.dumps(body, separators=(",", ":")), status_code=202, media_type=JSON_MEDIA_TYPE
        )


def send_request(body: Mapping[str, Any]) -> SmsSend:
    sender = _string(body, "from", required=True)
    message = _string(body, "message", required=True)
    assert sender is not None and message is not None
    recipients = body.get("smsRecipients")
    if not isinstance(recipients, list):
        raise bad_request("smsRecipients must be an array.", target="smsRecipients")
    options = body.get("smsSendOptions")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise bad_request("smsSendOptions must be an object.", target="smsSendOptions")
    report = options.get("enableDeliveryReport", False)
    if not isinstance(report, bool):
        raise bad_request(
            "enableDeliveryReport must be a boolean.", target="smsSendOptions.enableDeliveryReport"
        )
    return SmsSend(
        from_=sender,
        recipients=[_recipient(item) for item in recipients],
        message=message,
        enable_delivery_report=report,
        tag=_string(options, "tag", required=False),
    )


def _recipient(item: Any) -> SmsRecipient:
    if not isinstance(item, dict):
        raise bad_request("Each of smsRecipients must be an object.", target="smsRecipients")
    to = _string(item, "to", required=True)
    assert to is not None
    return SmsRecipient(
        to=to,
        repeatability_request_id=_string(item, "repeatabilityRequestId", required=False),
        repeatability_first_sent=_string(item, "repeatabilityFirstSent", required=False),
    )


def _string(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name} is required.", target=name)
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string.", target=name)
    return value


def result_item(result: SmsResult) -> dict[str, Any]:
    """One `SmsSendResponseItem`; absent fields are left out, as the service does."""
    item: dict[str, Any] = {"to": result.to}
    if result.message_id is not None:
        item["messageId"] = result.message_id
    item["httpStatusCode"] = result.http_status_code
    if result.repeatability_result is not None:
        item["repeatabilityResult"] = result.repeatability_result
    if result.error_message is not None:
        item["errorMessage"] = result.error_message
    item["successful"] = result.successful
    return item
