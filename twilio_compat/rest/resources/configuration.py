"""``/Configuration`` and ``/Services/IS.../Configuration``, with their ``Webhooks`` documents.

The core stores each document; the shim's webhook sender reads the webhook ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.wire import Json

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _texts(call: Call, names: tuple[tuple[str, str], ...]) -> Json:
    """``{document name: value}`` for each ``(wire name, document name)`` that was sent."""
    changes: Json = {}
    for wire_name, name in names:
        value = call.form.text(wire_name)
        if value is not None:
            changes[name] = value
    return changes


def account_fetch(core: Core, call: Call) -> Result:
    return 200, wire.account_configuration(call.scope, core.configuration.account())


def account_update(core: Core, call: Call) -> Result:
    changes: Json = {}
    service_sid = call.form.text("DefaultChatServiceSid")
    if service_sid is not None:
        core.services.get(service_sid)
        changes["default_chat_service_sid"] = service_sid
    changes |= _texts(
        call,
        (
            ("DefaultMessagingServiceSid", "default_messaging_service_sid"),
            ("DefaultInactiveTimer", "default_inactive_timer"),
            ("DefaultClosedTimer", "default_closed_timer"),
        ),
    )
    document = core.configuration.update_account(changes)
    return 200, wire.account_configuration(call.scope, document)


def _webhook_changes(call: Call) -> Json:
    changes = _texts(
        call,
        (
            ("PreWebhookUrl", "pre_webhook_url"),
            ("PostWebhookUrl", "post_webhook_url"),
            ("Method", "method"),
            ("Target", "target"),
        ),
    )
    if "method" in changes:
        changes["method"] = changes["method"].upper()
    if call.form.has("Filters"):
        changes["filters"] = call.form.many("Filters")
    return changes


def account_webhooks_fetch(core: Core, call: Call) -> Result:
    return 200, wire.account_webhooks(call.scope, core.configuration.account_webhooks())


def account_webhooks_update(core: Core, call: Call) -> Result:
    document = core.configuration.update_account_webhooks(_webhook_changes(call))
    return 200, wire.account_webhooks(call.scope, document)


def service_fetch(core: Core, call: Call) -> Result:
    document = core.configuration.service(call.service)
    return 200, wire.service_configuration(call.scope, document)


def service_update(core: Core, call: Call) -> Result:
    changes = _texts(
        call,
        (
            ("DefaultConversationCreatorRoleSid", "default_conversation_creator_role_sid"),
            ("DefaultConversationRoleSid", "default_conversation_role_sid"),
            ("DefaultChatServiceRoleSid", "default_chat_service_role_sid"),
        ),
    )
    reachability = call.form.boolean("ReachabilityEnabled")
    if reachability is not None:
        changes["reachability_enabled"] = reachability
    document = core.configuration.update_service(call.service, changes)
    return 200, wire.service_configuration(call.scope, document)


def service_webhooks_fetch(core: Core, call: Call) -> Result:
    document = core.configuration.service_webhooks(call.service)
    return 200, wire.service_webhooks(call.scope, document)


def service_webhooks_update(core: Core, call: Call) -> Result:
    document = core.configuration.update_service_webhooks(call.service, _webhook_changes(call))
    return 200, wire.service_webhooks(call.scope, document)


HANDLERS: dict[Key, ResourceHandler] = {
    ("configuration", "fetch"): account_fetch,
    ("configuration", "update"): account_update,
    ("configuration.webhook", "fetch"): account_webhooks_fetch,
    ("configuration.webhook", "update"): account_webhooks_update,
    ("service.configuration", "fetch"): service_fetch,
    ("service.configuration", "update"): service_update,
    ("service.configuration.webhook", "fetch"): service_webhooks_fetch,
    ("service.configuration.webhook", "update"): service_webhooks_update,
}
