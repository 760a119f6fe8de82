"""Inbound auto-creation: a message to a configured address that no conversation expects.

As on Twilio, an address configuration with `auto_creation.enabled` makes the first message
from a new sender open a conversation: in the configured service (else the default one), with
the sender as its SMS or WhatsApp participant, and for the `webhook` type with a
conversation-scoped webhook posting the configured events to the configured URL. The message
itself is then added to it like any other inbound message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.core.webhooks import WebhookFields

if TYPE_CHECKING:
    from twilio_compat.core.address_configurations import AddressConfigurations
    from twilio_compat.core.conversations import Conversations
    from twilio_compat.core.participants import Participants
    from twilio_compat.core.services import Services
    from twilio_compat.core.webhooks import ConversationWebhooks

logger = logging.getLogger("twilio_compat.channels")


class AutoCreation:
    """Opens a conversation for a new sender when the proxy address's configuration says so."""

    def __init__(
        self,
        configurations: AddressConfigurations,
        services: Services,
        conversations: Conversations,
        participants: Participants,
        webhooks: ConversationWebhooks,
    ) -> None:
        self._configurations = configurations
        self._services = services
        self._conversations = conversations
        self._participants = participants
        self._webhooks = webhooks

    def open(self, address: str, proxy_address: str) -> str | None:
        """The SID of the conversation opened for `address` writing to `proxy_address`, or
        None when no enabled configuration asks for one."""
        configuration = self._configurations.by_address(proxy_address)
        if configuration is None:
            return None
        settings = configuration.auto_creation
        if not settings.get("enabled"):
            return None
        service_sid = settings.get("conversation_service_sid") or self._services.default_sid
        conversation = self._conversations.create(service_sid, ConversationFields())
        self._participants.create(
            service_sid,
            conversation.sid,
            ParticipantFields(
                messaging_binding_address=address, messaging_binding_proxy_address=proxy_address
            ),
        )
        if settings.get("type") == "webhook" and settings.get("webhook_url"):
            self._webhooks.create(
                service_sid,
                conversation.sid,
                WebhookFields(
                    target="webhook",
                    url=str(settings["webhook_url"]),
                    method=str(settings.get("webhook_method") or "POST"),
                    filters=tuple(settings.get("webhook_filters") or ()),
                ),
            )
        logger.info(
            "opened conversation %s for %s writing to %s (address configuration %s)",
            conversation.sid,
            address,
            proxy_address,
            configuration.sid,
        )
        return conversation.sid
