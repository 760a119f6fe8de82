"""Conversation-scoped webhooks (``WH...``): stored here, fired by the webhook sender.

Twilio allows at most five per conversation, post-event only. Studio targets need Twilio
Studio, which has no ACS counterpart, so they are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from acs_adapter.store.webhooks import ConversationWebhook
from twilio_compat.core import errors
from twilio_compat.core._context import Context
from twilio_compat.core.participants import Participants
from twilio_compat.core.records import Webhook
from twilio_compat.core.stamps import dumps
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, new_sid

TARGETS = ("webhook", "trigger")
METHODS = ("GET", "POST")
MAX_PER_CONVERSATION = 5


@dataclass(frozen=True)
class WebhookFields:
    target: str | None = None
    url: str | None = None
    method: str | None = None
    filters: tuple[str, ...] | None = None
    triggers: tuple[str, ...] | None = None
    replay_after: int | None = None
    flow_sid: str | None = None

    def __post_init__(self) -> None:
        check_unicode_fields(self)


def _configuration(fields: WebhookFields, current: dict[str, Any]) -> dict[str, Any]:
    out = dict(current)
    if fields.url is not None:
        if not fields.url.startswith(("http://", "https://")):
            raise errors.invalid("Parameter 'Configuration.Url' must be an http(s) URL")
        out["url"] = fields.url
    if fields.method is not None:
        method = fields.method.upper()
        if method not in METHODS:
            raise errors.invalid("Parameter 'Configuration.Method' must be GET or POST")
        out["method"] = method
    if fields.filters is not None:
        out["filters"] = list(fields.filters)
    if fields.triggers is not None:
        out["triggers"] = list(fields.triggers)
    if fields.replay_after is not None:
        out["replay_after"] = fields.replay_after
    return out


class ConversationWebhooks:
    """Create, read, update and delete a conversation's webhooks."""

    def __init__(self, context: Context, participants: Participants) -> None:
        self._context = context
        self._participants = participants

    def _record(self, row: ConversationWebhook, service_sid: str) -> Webhook:
        return Webhook(
            sid=row.sid,
            conversation_sid=row.conversation_sid,
            service_sid=service_sid,
            target=row.target,
            configuration=dict(json.loads(row.config)),
            date_created=row.created_at,
            date_updated=row.updated_at,
        )

    def _stored(self, conversation_sid: str, sid: str) -> ConversationWebhook:
        row = self._context.store.webhooks.get(sid) if is_sid(sid, "WH") else None
        if row is None or row.conversation_sid != conversation_sid:
            raise errors.ResourceNotFound(f"/Conversations/{conversation_sid}/Webhooks/{sid}")
        return row

    def create(self, service_sid: str, conversation_key: str, fields: WebhookFields) -> Webhook:
        conversation = self._participants.conversation(service_sid, conversation_key)
        if fields.flow_sid is not None or fields.target == "studio":
            raise errors.not_supported("A Studio webhook target", "ACS has no Twilio Studio flows")
        if fields.target not in TARGETS:
            raise errors.invalid("Parameter 'Target' must be webhook or trigger")
        configuration = _configuration(fields, {"method": "POST"})
        if "url" not in configuration:
            raise errors.invalid("Missing required parameter Configuration.Url in the post body")
        store = self._context.store.webhooks
        if store.count(conversation.sid) >= MAX_PER_CONVERSATION:
            raise errors.invalid("A conversation can have at most 5 webhooks")
        row = store.insert(
            sid=new_sid("WH"),
            conversation_sid=conversation.sid,
            target=fields.target,
            config=dumps(configuration),
        )
        return self._record(row, service_sid)

    def get(self, service_sid: str, conversation_key: str, sid: str) -> Webhook:
        conversation = self._participants.conversation(service_sid, conversation_key)
        return self._record(self._stored(conversation.sid, sid), service_sid)

    def update(
        self, service_sid: str, conversation_key: str, sid: str, fields: WebhookFields
    ) -> Webhook:
        conversation = self._participants.conversation(service_sid, conversation_key)
        if fields.flow_sid is not None:
            raise errors.not_supported("A Studio webhook target", "ACS has no Twilio Studio flows")
        row = self._stored(conversation.sid, sid)
        configuration = _configuration(fields, dict(json.loads(row.config)))
        updated = self._context.store.webhooks.update(row.sid, config=dumps(configuration))
        return self._record(updated, service_sid)

    def delete(self, service_sid: str, conversation_key: str, sid: str) -> None:
        conversation = self._participants.conversation(service_sid, conversation_key)
        row = self._stored(conversation.sid, sid)
        self._context.store.webhooks.delete(row.sid)

    def page(
        self, service_sid: str, conversation_key: str, *, offset: int, limit: int
    ) -> tuple[list[Webhook], bool]:
        conversation = self._participants.conversation(service_sid, conversation_key)
        rows = self._context.store.webhooks.list(conversation.sid, offset=offset, limit=limit + 1)
        return [self._record(r, service_sid) for r in rows[:limit]], len(rows) > limit
