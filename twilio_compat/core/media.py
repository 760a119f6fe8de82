"""Chat media (``ME...``): bytes in the media store, a record in the mapping store.

ACS Chat has no media upload, so a message refers to its media through metadata
(``hasAttachment`` plus a JSON list of ``{sid, contentType, filename, size}``) that ACS-native
apps can read too. Temporary URLs expire after Twilio's five minutes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from acs_adapter.errors import NotFound
from acs_adapter.store.media import MediaItem
from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.codec import ATTACHMENT_FLAG, ATTACHMENTS
from twilio_compat.sids import is_sid, new_sid

TEMPORARY_URL_SECONDS = 300

__all__ = [
    "ATTACHMENTS",
    "ATTACHMENT_FLAG",
    "TEMPORARY_URL_SECONDS",
    "MediaLibrary",
    "to_record",
]
"""The attachment metadata keys are `twilio_compat.core.codec`'s, importable from here too."""


def to_record(item: MediaItem) -> records.Media:
    return records.Media(
        sid=item.sid,
        service_sid=item.scope,
        content_type=item.content_type,
        filename=item.filename,
        size=item.size,
        date_created=item.created_at,
        message_sid=item.message_sid,
    )


class MediaLibrary:
    """Upload, find, attach and serve chat media."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def upload(
        self, service_sid: str, data: bytes, *, content_type: str, filename: str | None
    ) -> records.Media:
        if not data:
            raise errors.invalid("Media content must not be empty")
        media_store = self._context.adapter.media
        stored = media_store.put(data, content_type=content_type, filename=filename)
        try:
            item = self._context.store.media.insert(
                sid=new_sid("ME"),
                scope=service_sid,
                content_type=stored.content_type,
                size=stored.size,
                storage_key=stored.key,
                filename=stored.filename,
                created_at=stored.created_at,
            )
        except BaseException:
            media_store.delete(stored.key)
            raise
        return to_record(item)

    def _item(self, service_sid: str, sid: str) -> MediaItem:
        item = self._context.store.media.get(sid) if is_sid(sid, "ME") else None
        if item is None or item.scope != service_sid:
            raise errors.ResourceNotFound(f"/Services/{service_sid}/Media/{sid}")
        return item

    def get(self, service_sid: str, sid: str) -> records.Media:
        return to_record(self._item(service_sid, sid))

    def for_message(self, service_sid: str, sids: list[str]) -> list[records.Media]:
        """The media a new message will carry: each must exist and be still unattached."""
        found = []
        for sid in sids:
            item = self._context.store.media.get(sid) if is_sid(sid, "ME") else None
            if item is None or item.scope != service_sid:
                raise errors.invalid(f"Media {sid} was not found")
            if item.message_sid is not None:
                raise errors.invalid(f"Media {sid} is already attached to a message")
            found.append(to_record(item))
        return found

    def attach(self, media: Iterable[records.Media], message_sid: str) -> None:
        for item in media:
            self._context.store.media.update(item.sid, message_sid=message_sid)

    def temporary_url(self, media: records.Media) -> str | None:
        item = self._context.store.media.get(media.sid)
        if item is None:
            return None
        try:
            return self._context.adapter.media.temporary_url(
                item.storage_key, ttl_seconds=TEMPORARY_URL_SECONDS
            )
        except NotFound:
            return None

    def close(self) -> None:
        """Nothing to stop: the adapter serves local media files while it is open."""

    def delete(self, service_sid: str, sid: str) -> None:
        item = self._item(service_sid, sid)
        with contextlib.suppress(NotFound):
            self._context.adapter.media.delete(item.storage_key)
        self._context.store.media.delete(item.sid)
