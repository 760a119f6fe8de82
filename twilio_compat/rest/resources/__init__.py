"""The REST face's resources: one module per Twilio resource, each a map of handlers.

A handler reads the form, calls the core and renders Twilio JSON with ``twilio_compat.wire``;
it takes the core and the request (``Call``) as arguments. ``HANDLERS`` is the one map from an
operation's ``(resource, action)`` to its handler; service-scoped twins
(``service.conversation`` and so on) answer through their account-level handler, as the
``Call``'s scope carries the service and the URL prefix to render with. List paging lives in
``paging``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from twilio_compat.rest.operations import SERVICE_TWINS, Operation
from twilio_compat.rest.resources import (
    address_configurations,
    configuration,
    conversation_with_participants,
    conversations,
    delivery_receipts,
    messages,
    participant_conversations,
    participants,
    roles,
    services,
    user_conversations,
    users,
    webhooks,
)
from twilio_compat.rest.resources.handler_types import Key, ResourceHandler

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result


def _with_service_twins(table: dict[Key, ResourceHandler]) -> dict[Key, ResourceHandler]:
    twins = {
        (f"service.{resource}", action): handler
        for (resource, action), handler in table.items()
        if resource in SERVICE_TWINS
    }
    return {**table, **twins}


HANDLERS: dict[Key, ResourceHandler] = _with_service_twins(
    {
        **conversations.HANDLERS,
        **address_configurations.HANDLERS,
        **conversation_with_participants.HANDLERS,
        **participants.HANDLERS,
        **messages.HANDLERS,
        **delivery_receipts.HANDLERS,
        **webhooks.HANDLERS,
        **users.HANDLERS,
        **user_conversations.HANDLERS,
        **participant_conversations.HANDLERS,
        **roles.HANDLERS,
        **services.HANDLERS,
        **configuration.HANDLERS,
    }
)


def handler_for(operation: Operation) -> ResourceHandler:
    """The handler of a supported operation (KeyError for one the shim refuses)."""
    return HANDLERS[(operation.resource, operation.action)]


def handlers(core: Core) -> dict[Key, Callable[[Call], Result]]:
    """Every handler with ``core`` bound, for callers that pass only the request."""
    return {key: partial(handler, core) for key, handler in HANDLERS.items()}


__all__ = ["HANDLERS", "ResourceHandler", "handler_for", "handlers"]
