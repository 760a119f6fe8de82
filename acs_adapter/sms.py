"""`SmsGateway`: texts sent through ACS SMS (`azure-communication-sms`, REST 2021-03-07).

One request carries one body from one number to up to 100 recipients, and ACS answers per
recipient. Each recipient also carries a repeatability id, which ACS remembers: a request
repeated with the same id (after a lost answer, a crash, a restart) is answered with the first
result and texts nobody twice. The SDK draws fresh ids on every call, so the gateway puts the
caller's stable ids into the request body before it is signed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter._errors_map import translated
from acs_adapter._http import endpoint_session, verify_setting
from acs_adapter._retry import RETRY_ANY_METHOD, RetrySettings, retry_policy
from acs_adapter._validate import text_id
from acs_adapter.errors import ConfigurationError
from acs_adapter.observing import ObservedCalls

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential, TokenCredential

MAX_RECIPIENTS = 100
"""Recipients per request (the service's limit)."""
MAX_BODY = 2048
"""Characters per message (the service's limit; longer texts are split into segments by ACS)."""


@dataclass(frozen=True)
class SmsRecipient:
    """One recipient of a send, with the repeatability id that makes its send happen once and
    the time of its first attempt (ACS wants the same time on every repeat)."""

    to: str
    repeatability_id: str
    first_sent: datetime


@dataclass(frozen=True)
class SmsResult:
    """What ACS said about one recipient: `message_id` is set when it accepted the text."""

    to: str
    message_id: str | None
    successful: bool
    status: int
    error: str | None = None


_stable_ids: ContextVar[dict[str, SmsRecipient] | None] = ContextVar(
    "acs_adapter_sms_repeatability", default=None
)


class _StableRepeatability(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Puts the caller's repeatability ids and first-sent times into the send body (a per-call
    policy, so it runs before the request is signed and before any retry), which makes the
    POST safe to resend after a lost answer: ACS answers a repeat without texting again."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        wanted = _stable_ids.get()
        http = request.http_request
        if not wanted or http.method != "POST" or http.body is None:
            return
        body = json.loads(http.body)
        for item in body.get("smsRecipients", []):
            recipient = wanted.get(item.get("to"))
            if recipient is not None:
                item["repeatabilityRequestId"] = recipient.repeatability_id
                item["repeatabilityFirstSent"] = rfc1123(recipient.first_sent)
        http.set_json_body(body)
        request.context.options["retry_on_methods"] = RETRY_ANY_METHOD


@contextmanager
def _ids(recipients: Sequence[SmsRecipient]) -> Iterator[None]:
    token = _stable_ids.set({recipient.to: recipient for recipient in recipients})
    try:
        yield
    finally:
        _stable_ids.reset(token)


def rfc1123(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


class SmsGateway:
    """ACS SMS for one process: one pooled client on the resource's credential."""

    def __init__(
        self,
        endpoint: str,
        credential: AzureKeyCredential | TokenCredential,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        retry: RetrySettings | None = None,
    ) -> None:
        try:
            from azure.communication.sms import SmsClient
        except ModuleNotFoundError:
            raise ConfigurationError(
                "SMS participants need the omnichannel extra: "
                "pip install 'twilio-acs-compat[omnichannel]'"
            ) from None
        settings = retry or RetrySettings()
        self._session = endpoint_session(endpoint, 8)
        # The SDK's type comments make its `send` unusable to mypy: the client is kept as Any.
        self._client: Any = SmsClient(
            endpoint.rstrip("/"),  # a trailing slash would be signed as part of the host
            credential,
            transport=RequestsTransport(
                session=self._session,
                session_owner=False,
                connection_verify=verify_setting(ca_bundle),
                connection_timeout=settings.timeout,
                read_timeout=settings.timeout,
            ),
            retry_policy=retry_policy(settings),
            per_call_policies=[_StableRepeatability()],
            per_retry_policies=[ObservedCalls("sms")],
        )

    def send(
        self,
        sender: str,
        recipients: Sequence[SmsRecipient],
        body: str,
        *,
        tag: str | None = None,
    ) -> list[SmsResult]:
        """Text `body` from `sender` to each recipient (at most `MAX_RECIPIENTS`), with
        delivery reports on; one result per recipient, in order."""
        text_id(sender, "sender")
        if not recipients or len(recipients) > MAX_RECIPIENTS:
            raise ValueError(f"an SMS send has 1 to {MAX_RECIPIENTS} recipients")
        if len({r.to for r in recipients}) != len(recipients):
            raise ValueError("an SMS send names each recipient once")
        with _ids(recipients), translated():
            results = self._client.send(
                sender, [r.to for r in recipients], body, enable_delivery_report=True, tag=tag
            )
        return [
            SmsResult(
                to=result.to,
                message_id=result.message_id,
                successful=bool(result.successful),
                status=int(result.http_status_code),
                error=result.error_message,
            )
            for result in results
        ]

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SmsGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
