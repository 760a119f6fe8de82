"""`Events`: where the client face and the webhooks plug into what happens in conversations.

Outward, the core calls one set of write hooks around every write (the webhooks install
theirs). Inward, ACS changes arrive as chat events: from Event Grid, or from a poller acting
as one ACS user with a durable cursor in the store. Consumers also need to tell the shim's
own edits and deletions from an ACS-native client's, and a conversation's own webhooks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from acs_adapter.events import (
    DEFAULT_MAX_AGE,
    AcsConfirmation,
    ChatEventPoller,
    EventGridReceiver,
)
from twilio_compat.core._context import Context
from twilio_compat.core.hooks import WriteHooks

if TYPE_CHECKING:
    from acs_adapter.events import EventBus
    from acs_adapter.secret import Secret


class Events:
    """Write hooks, chat-event pollers and the shim's marks of its own writes."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def install_hooks(self, hooks: WriteHooks) -> None:
        """Make the core call `hooks` around every write from now on."""
        self._context.hooks = hooks

    def remove_hooks(self, hooks: WriteHooks) -> None:
        """Stop calling `hooks` (if they are the installed ones); writes then call none."""
        if self._context.hooks is hooks:
            self._context.hooks = WriteHooks()

    def poller(
        self, bus: EventBus, acs_user: str, *, interval: float, consumer: str
    ) -> ChatEventPoller:
        """A poller (not started) publishing on `bus` what `acs_user` sees change in ACS.

        Its cursor is kept in the store under `consumer`, so a restart resumes where it was.
        """
        adapter = self._context.adapter
        return ChatEventPoller(
            adapter.chat, adapter.store.cursors, bus, acs_user, interval=interval, consumer=consumer
        )

    def eventgrid_receiver(self, bus: EventBus, secret: str | Secret) -> EventGridReceiver:
        """The ASGI app that takes Event Grid's ACS chat events (checked by `secret`) to `bus`:
        only those ACS confirms to the service user, each once across restarts and processes
        sharing the store."""
        context = self._context
        return EventGridReceiver(
            bus,
            secret,
            max_age=DEFAULT_MAX_AGE,
            receipts=context.store.receipts,
            confirm=AcsConfirmation(context.service_chat(), max_age=DEFAULT_MAX_AGE),
        )

    def forget_cursor(self, poller: ChatEventPoller) -> None:
        """Drop a stopped poller's cursor (for consumers that never resume, like a client)."""
        self._context.store.cursors.delete(poller.cursor_name)

    def made_by_shim(self, thread_id: str, acs_message_id: str, action: str) -> bool:
        """Whether this ACS message edit or deletion (`action`) was made through the shim."""
        return self._context.shim_writes.made_by_shim(thread_id, acs_message_id, action)

    def conversation_webhooks(
        self, conversation_sid: str, *, limit: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """(target, configuration) of a conversation's own webhooks, oldest first."""
        rows = self._context.store.webhooks.list(conversation_sid, limit=limit)
        return [(row.target, dict(json.loads(row.config))) for row in rows]
