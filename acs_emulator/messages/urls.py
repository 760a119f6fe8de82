"""The Advanced Messaging routes, named by the 2024-08-30 spec's operationIds; the app puts the
guard in front. `{id}` arrives percent-decoded, as the SDK quotes it."""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.messages.models import MessagesBackend
from acs_emulator.messages.responses import MessagesResponses
from acs_emulator.numbers import NumberRegistry


def routes(backend: MessagesBackend, registry: NumberRegistry) -> list[Route]:
    messages = MessagesResponses(backend, registry)
    table = [
        (
            "POST",
            "/messages/notifications:send",
            messages.send,
            "NotificationMessagesOperations_Send",
        ),
        ("GET", "/messages/streams/{id:path}", messages.get_media, "StreamOperations_GetMedia"),
        (
            "GET",
            "/messages/channels/{channelId}/templates",
            messages.list_templates,
            "TemplateOperations_ListTemplates",
        ),
    ]
    return [
        Route(path, endpoint, methods=[method], name=name) for method, path, endpoint, name in table
    ]
