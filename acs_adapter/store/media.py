"""Media items: metadata of uploaded files whose bytes live in the media store."""

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
from acs_adapter.store.schema import media


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One uploaded file; `message_sid` is None until attached (or after its message is gone)."""

    sid: str
    scope: str
    message_sid: str | None
    content_type: str
    filename: str | None
    size: int
    storage_key: str
    created_at: datetime


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "message_sid": lambda v: check.optional_sid("message_sid", v),
    "filename": lambda v: check.optional_text("filename", v, max_length=None),
}


class MediaRepository(Repository):
    """Media items by SID, by message, or unattached within a scope."""

    table = media
    change_kind = "media"

    def insert(
        self,
        *,
        sid: str,
        scope: str,
        content_type: str,
        size: int,
        storage_key: str,
        filename: str | None = None,
        message_sid: str | None = None,
        created_at: datetime | None = None,
    ) -> MediaItem:
        """Record an uploaded file; a taken SID raises `Conflict`."""
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "scope": check.sid("scope", scope),
            "content_type": check.text("content_type", content_type),
            "size": check.count("size", size),
            "storage_key": check.text("storage_key", storage_key, max_length=None),
            "created_at": check.timestamp("created_at", created_at) if created_at else utc_now(),
            **checked({"filename": filename, "message_sid": message_sid}, _CHANGE_CHECKS),
        }
        with self._write(values) as conn:
            conn.execute(media.insert().values(values))
            row = conn.execute(select(media).where(media.c.sid == sid)).one()
            self._changed(conn, "added", row)
        return MediaItem(**row._mapping)

    def get(self, sid: str) -> MediaItem | None:
        """The media item with this SID, if any."""
        row = self._first(select(media).where(media.c.sid == check.sid("sid", sid)))
        return None if row is None else MediaItem(**row._mapping)

    def update(
        self,
        sid: str,
        *,
        message_sid: str | Unset | None = UNSET,
        filename: str | Unset | None = UNSET,
    ) -> MediaItem:
        """Attach to (or detach from) a message, or rename."""
        sid = check.sid("sid", sid)
        values = checked(given(message_sid=message_sid, filename=filename), _CHANGE_CHECKS)
        with self._write(values) as conn:
            if values:
                conn.execute(update(media).where(media.c.sid == sid).values(values))
            row = conn.execute(select(media).where(media.c.sid == sid)).first()
            if row is not None:
                self._changed(conn, "updated", row, values)
        if row is None:
            raise NotFound(f"media item {sid!r} does not exist")
        return MediaItem(**row._mapping)

    def delete(self, sid: str) -> bool:
        """Forget a media item (the caller removes its bytes); True if there was one."""
        return self._remove(sid)

    def list(
        self,
        *,
        message_sid: str | None = None,
        scope: str | None = None,
        unattached: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[MediaItem]:
        """Media of a message, or of a scope (only unattached ones if asked), oldest first."""
        statement = (
            self._filtered(message_sid, scope, unattached)
            .order_by(media.c.created_at, media.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [MediaItem(**row._mapping) for row in self._all(statement)]

    def count(
        self, *, message_sid: str | None = None, scope: str | None = None, unattached: bool = False
    ) -> int:
        """How many media items `list` would give without limit and offset."""
        return self._count(self._filtered(message_sid, scope, unattached))

    def _filtered(
        self, message_sid: str | None, scope: str | None, unattached: bool
    ) -> Select[Any]:
        statement = select(media)
        if message_sid is not None:
            statement = statement.where(
                media.c.message_sid == check.sid("message_sid", message_sid)
            )
        if scope is not None:
            statement = statement.where(media.c.scope == check.sid("scope", scope))
        if check.flag("unattached", unattached):
            statement = statement.where(media.c.message_sid.is_(None))
        return statement
