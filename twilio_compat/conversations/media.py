"""``Media``: an attachment of a message, served through expiring URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat.conversations._names import js_names

if TYPE_CHECKING:
    from twilio_compat.conversations._session import Session
    from twilio_compat.core import records


@js_names
class Media:
    """``sid``, ``filename``, ``contentType``, ``size``, ``category`` and a temporary URL."""

    def __init__(self, session: Session, record: records.Media, category: str = "media") -> None:
        self._session = session
        self._record = record
        self._category = category

    @property
    def sid(self) -> str:
        return self._record.sid

    @property
    def filename(self) -> str | None:
        return self._record.filename

    @property
    def contentType(self) -> str:
        return self._record.content_type

    @property
    def size(self) -> int:
        return self._record.size

    @property
    def category(self) -> str:
        return self._category

    async def getContentTemporaryUrl(self) -> str | None:
        """A URL that serves the bytes for Twilio's five minutes (local store or Blob SAS)."""
        return await self._session.run(self._session.core.media.temporary_url, self._record)

    def __repr__(self) -> str:
        return f"Media(sid={self.sid!r}, contentType={self.contentType!r}, size={self.size})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    content_type = contentType
    get_content_temporary_url = getContentTemporaryUrl
