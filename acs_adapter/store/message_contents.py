"""Message contents: the content template (SID and variables) a message was sent with.

Only messages that name a template have a row, so most reads find nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository
from acs_adapter.store.schema import message_contents


@dataclass(frozen=True, slots=True)
class MessageContent:
    """A template SID and its variables (JSON text of an object of strings)."""

    message_sid: str
    content_sid: str
    variables: str


class MessageContentRepository(Repository):
    """Message contents by message SID."""

    table = message_contents

    def put(self, message_sid: str, content_sid: str, variables: str = "{}") -> MessageContent:
        values = {
            "message_sid": check.sid("message_sid", message_sid),
            "content_sid": check.sid("content_sid", content_sid),
            "variables": check.json_text("variables", variables),
        }
        with self._write(values) as conn:
            conn.execute(message_contents.insert().values(values))
        return MessageContent(**values)

    def for_messages(self, message_sids: Iterable[str]) -> dict[str, MessageContent]:
        sids = [check.sid("message_sid", sid) for sid in message_sids]
        if not sids:
            return {}
        rows = self._all(select(message_contents).where(message_contents.c.message_sid.in_(sids)))
        return {row.message_sid: MessageContent(**row._mapping) for row in rows}
