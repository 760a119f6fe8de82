"""Per-identity settings of a conversation (notification level), kept apart from participants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from acs_adapter.store import _append as feed
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import user_conversations


@dataclass(frozen=True, slots=True)
class UserConversationSetting:
    """How one identity wants to hear about one conversation."""

    identity: str
    conversation_sid: str
    notification_level: str
    updated_at: datetime


def _setting(row: Any) -> UserConversationSetting:
    return UserConversationSetting(**row._mapping)


class UserConversationRepository(Repository):
    """Settings by (identity, conversation); `set` creates or replaces."""

    table = user_conversations

    def get(self, identity: str, conversation_sid: str) -> UserConversationSetting | None:
        """The setting of `identity` for a conversation, if one was made."""
        row = self._first(
            select(user_conversations).where(
                user_conversations.c.identity == check.text("identity", identity),
                user_conversations.c.conversation_sid
                == check.sid("conversation_sid", conversation_sid),
            )
        )
        return None if row is None else _setting(row)

    def get_many(
        self, identity: str, conversation_sids: Iterable[str]
    ) -> dict[str, UserConversationSetting]:
        """The settings `identity` made for these conversations, by conversation (one query)."""
        wanted = sorted({check.sid("conversation_sid", sid) for sid in conversation_sids})
        if not wanted:
            return {}
        rows = self._all(
            select(user_conversations).where(
                user_conversations.c.identity == check.text("identity", identity),
                user_conversations.c.conversation_sid.in_(wanted),
            )
        )
        return {row.conversation_sid: _setting(row) for row in rows}

    def set(
        self, identity: str, conversation_sid: str, *, notification_level: str
    ) -> UserConversationSetting:
        """Create or replace the setting; an unknown conversation raises `NotFound`."""
        values = {
            "identity": check.text("identity", identity),
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "notification_level": check.text(
                "notification_level", notification_level, max_length=16
            ),
            "updated_at": utc_now(),
        }
        with self._write(values) as conn:
            statement = upsert_insert(conn, user_conversations).values(values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["identity", "conversation_sid"],
                    set_={
                        "notification_level": values["notification_level"],
                        "updated_at": values["updated_at"],
                    },
                )
            )
            row = conn.execute(
                select(user_conversations).where(
                    user_conversations.c.identity == values["identity"],
                    user_conversations.c.conversation_sid == values["conversation_sid"],
                )
            ).one()
            feed.record(
                conn,
                "notification_level.updated",
                row.identity,
                conversation_sid=row.conversation_sid,
                fields=["notification_level"],
            )
        return _setting(row)

    def delete(self, identity: str, conversation_sid: str) -> bool:
        """Drop the setting (back to the default); True if there was one."""
        with self._write() as conn:
            return (
                conn.execute(
                    delete(user_conversations).where(
                        user_conversations.c.identity == check.text("identity", identity),
                        user_conversations.c.conversation_sid
                        == check.sid("conversation_sid", conversation_sid),
                    )
                ).rowcount
                > 0
            )

    def list(self, identity: str) -> list[UserConversationSetting]:
        """Every setting `identity` made, by conversation SID."""
        statement = (
            select(user_conversations)
            .where(user_conversations.c.identity == check.text("identity", identity))
            .order_by(user_conversations.c.conversation_sid)
        )
        return [_setting(row) for row in self._all(statement)]
