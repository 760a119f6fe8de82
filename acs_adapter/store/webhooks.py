"""Webhooks attached to a single conversation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update

from acs_adapter.errors import NotFound
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import webhooks


@dataclass(frozen=True, slots=True)
class ConversationWebhook:
    """One webhook of a conversation; `config` is JSON text (url, method, filters...)."""

    sid: str
    conversation_sid: str
    target: str
    config: str
    created_at: datetime
    updated_at: datetime


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "target": lambda v: check.text("target", v, max_length=16),
    "config": lambda v: check.json_text("config", v),
}


def _webhook(row: Any) -> ConversationWebhook:
    return ConversationWebhook(**row._mapping)


class WebhookRepository(Repository):
    """Conversation webhooks by SID, or listed per conversation."""

    table = webhooks
    change_kind = "webhook"

    def insert(
        self,
        *,
        sid: str,
        conversation_sid: str,
        target: str,
        config: str = "{}",
        created_at: datetime | None = None,
    ) -> ConversationWebhook:
        """Add a webhook; an unknown conversation raises `NotFound`."""
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "created_at": created,
            "updated_at": created,
            **checked({"target": target, "config": config}, _CHANGE_CHECKS),
        }
        with self._write(values) as conn:
            conn.execute(webhooks.insert().values(values))
            row = conn.execute(select(webhooks).where(webhooks.c.sid == sid)).one()
            self._changed(conn, "added", row)
        return _webhook(row)

    def get(self, sid: str) -> ConversationWebhook | None:
        """The webhook with this SID, if any."""
        row = self._first(select(webhooks).where(webhooks.c.sid == check.sid("sid", sid)))
        return None if row is None else _webhook(row)

    def update(
        self,
        sid: str,
        *,
        target: str | Unset = UNSET,
        config: str | Unset = UNSET,
        updated_at: datetime | None = None,
    ) -> ConversationWebhook:
        """Change the named fields; `updated_at` defaults to now."""
        sid = check.sid("sid", sid)
        values = checked(given(target=target, config=config), _CHANGE_CHECKS)
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(webhooks).where(webhooks.c.sid == sid).values(values))
            row = conn.execute(select(webhooks).where(webhooks.c.sid == sid)).first()
            if row is not None:
                self._changed(conn, "updated", row, values)
        if row is None:
            raise NotFound(f"conversation webhook {sid!r} does not exist")
        return _webhook(row)

    def delete(self, sid: str) -> bool:
        """Remove a webhook; True if there was one."""
        return self._remove(sid)

    def list(
        self, conversation_sid: str, *, limit: int = 100, offset: int = 0
    ) -> list[ConversationWebhook]:
        """Webhooks of a conversation, oldest first."""
        statement = (
            self._of(conversation_sid)
            .order_by(webhooks.c.created_at, webhooks.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [_webhook(row) for row in self._all(statement)]

    def count(self, conversation_sid: str) -> int:
        """How many webhooks a conversation has."""
        return self._count(self._of(conversation_sid))

    def _of(self, conversation_sid: str) -> Select[Any]:
        return select(webhooks).where(
            webhooks.c.conversation_sid == check.sid("conversation_sid", conversation_sid)
        )
