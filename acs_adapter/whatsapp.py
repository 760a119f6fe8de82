"""`WhatsAppGateway`: WhatsApp through ACS Advanced Messaging (`azure-communication-messages`,
REST 2024-08-30).

A business sends from a channel registration (a GUID), not from a phone number, to one user
per request. ACS answers 202 with a message id and reports what became of the message later,
as Event Grid events (sent, delivered, read, failed: the 24-hour rule included). Each send
carries a repeatability id the caller keeps, so a repeat after a lost answer or a crash is
answered with the first result and reaches the user once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from azure.core.pipeline.transport import RequestsTransport

from acs_adapter._errors_map import translated
from acs_adapter._http import endpoint_session, verify_setting
from acs_adapter._retry import RETRY_ANY_METHOD, RetrySettings, retry_policy
from acs_adapter.errors import ConfigurationError
from acs_adapter.observing import ObservedCalls
from acs_adapter.sms import rfc1123

if TYPE_CHECKING:
    from azure.communication.messages import MessageTemplateClient, NotificationMessagesClient
    from azure.core.credentials import AzureKeyCredential, TokenCredential

MediaKind = Literal["image", "video", "audio", "document"]


@dataclass(frozen=True)
class WhatsAppMedia:
    """An attachment WhatsApp fetches from `url` (it must be reachable from the internet)."""

    kind: MediaKind
    url: str
    caption: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class WhatsAppTemplate:
    """A template send: `values` fill the body's parameters {{1}}, {{2}}... in order."""

    name: str
    language: str
    values: Sequence[str] = ()


@dataclass(frozen=True)
class TemplateInfo:
    """One template of a channel as ACS lists it (`status`: approved, pending, ...)."""

    name: str
    language: str
    status: str
    content: Any = None


@dataclass(frozen=True)
class Repeatability:
    """The id and first-attempt time that make a send happen once however often it is made."""

    request_id: str
    first_sent: datetime


def _sdk() -> Any:
    try:
        from azure.communication import messages
    except ModuleNotFoundError:
        raise ConfigurationError(
            "WhatsApp participants need the omnichannel extra: "
            "pip install 'twilio-acs-compat[omnichannel]'"
        ) from None
    return messages


class WhatsAppGateway:
    """ACS Advanced Messaging for one process: one pooled client for sends and media."""

    def __init__(
        self,
        endpoint: str,
        credential: AzureKeyCredential | TokenCredential,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        retry: RetrySettings | None = None,
    ) -> None:
        messages = _sdk()
        settings = retry or RetrySettings()
        self._session = endpoint_session(endpoint, 8)
        options: dict[str, Any] = {
            "transport": RequestsTransport(
                session=self._session,
                session_owner=False,
                connection_verify=verify_setting(ca_bundle),
                connection_timeout=settings.timeout,
                read_timeout=settings.timeout,
            ),
            "retry_policy": retry_policy(settings),
            "per_retry_policies": [ObservedCalls("messages")],
        }
        base = endpoint.rstrip("/")  # a trailing slash would be signed as part of the host
        self._notifications: NotificationMessagesClient = messages.NotificationMessagesClient(
            base, credential, **options
        )
        options["retry_policy"] = retry_policy(settings)
        options["per_retry_policies"] = [ObservedCalls("messages")]
        self._templates: MessageTemplateClient = messages.MessageTemplateClient(
            base, credential, **options
        )

    def send_text(self, channel_id: str, to: str, body: str, repeatability: Repeatability) -> str:
        """Send a free-form text; the message id ACS gives it."""
        models = _sdk().models
        content = models.TextNotificationContent(
            channel_registration_id=channel_id, to=[to], content=body
        )
        return self._send(content, repeatability)

    def send_media(
        self, channel_id: str, to: str, media: WhatsAppMedia, repeatability: Repeatability
    ) -> str:
        """Send one attachment (with its caption); the message id ACS gives it."""
        models = _sdk().models
        common: dict[str, Any] = {
            "channel_registration_id": channel_id,
            "to": [to],
            "media_uri": media.url,
        }
        content: Any
        if media.kind == "image":
            content = models.ImageNotificationContent(**common, content=media.caption)
        elif media.kind == "video":
            content = models.VideoNotificationContent(**common, caption=media.caption)
        elif media.kind == "audio":
            content = models.AudioNotificationContent(**common)
        else:
            content = models.DocumentNotificationContent(
                **common, caption=media.caption, file_name=media.filename
            )
        return self._send(content, repeatability)

    def send_template(
        self, channel_id: str, to: str, template: WhatsAppTemplate, repeatability: Repeatability
    ) -> str:
        """Send an approved template, its body parameters filled in order."""
        models = _sdk().models
        names = [str(number) for number in range(1, len(template.values) + 1)]
        message_template = models.MessageTemplate(
            name=template.name,
            language=template.language,
            template_values=[
                models.MessageTemplateText(name=name, text=value)
                for name, value in zip(names, template.values, strict=True)
            ]
            or None,
            bindings=models.WhatsAppMessageTemplateBindings(
                body=[models.WhatsAppMessageTemplateBindingsComponent(ref_value=n) for n in names]
            )
            if names
            else None,
        )
        content = models.TemplateNotificationContent(
            channel_registration_id=channel_id, to=[to], template=message_template
        )
        return self._send(content, repeatability)

    def _send(self, content: Any, repeatability: Repeatability) -> str:
        headers = {
            "Repeatability-Request-ID": repeatability.request_id,
            "Repeatability-First-Sent": rfc1123(repeatability.first_sent),
        }
        with translated():
            result = self._notifications.send(
                content, headers=headers, retry_on_methods=RETRY_ANY_METHOD
            )
        receipts = list(result.receipts or ())
        return str(receipts[0].message_id) if receipts else ""

    def download_media(self, media_id: str) -> bytes:
        """The bytes of an attachment a user sent (the event names its media id and type)."""
        with translated():
            return b"".join(self._notifications.download_media(media_id))

    def templates(self, channel_id: str) -> list[TemplateInfo]:
        """Every template of a channel, as ACS lists them."""
        with translated():
            return [
                TemplateInfo(
                    str(item.name),
                    str(item.language),
                    str(getattr(item.status, "value", item.status)).lower(),
                    getattr(item, "content", None),
                )
                for item in self._templates.list_templates(channel_id)
            ]

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> WhatsAppGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
