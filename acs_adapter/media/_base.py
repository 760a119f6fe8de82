"""What every media store shares: the stored record, the interface, and the input rules.

Both stores apply the same rules here, so a key, content type or file name that one store
accepts the other accepts too, and an upload that one store refuses the other refuses the same way.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import BinaryIO, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import quote

from acs_adapter.errors import ConfigurationError, InvalidInput

SETTING_NAME = "TWILIO_COMPAT_MEDIA"
"""The setting that chooses the media store; configuration errors name it."""

DEFAULT_MAX_BYTES = 150 * 1024 * 1024
"""Twilio's limit for one chat media file."""

DEFAULT_TTL_SECONDS = 300
"""Twilio's media URLs expire after five minutes; temporary URLs here default to the same."""

MAX_TTL_SECONDS = 7 * 24 * 3600

CHUNK_SIZE = 1024 * 1024
"""Uploads and downloads move in pieces of this size, so 150 MB never has to sit in memory twice."""

_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MIME_WORD = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"[ !#-\[\]-~]*"'
_CONTENT_TYPE = re.compile(
    rf"{_MIME_WORD}/{_MIME_WORD}(?:[ \t]*;[ \t]*{_MIME_WORD}=(?:{_MIME_WORD}|{_QUOTED}))*"
)
_MAX_CONTENT_TYPE = 255
_MAX_FILENAME = 255


class MediaTooLarge(InvalidInput):
    """The upload is bigger than the store's `max_bytes`; nothing was kept."""

    status = 413


@dataclass(frozen=True)
class StoredMedia:
    """What a store knows about one uploaded file, without its bytes."""

    key: str
    content_type: str
    filename: str | None
    size: int
    created_at: datetime


@runtime_checkable
class MediaStore(Protocol):
    """Where chat media bytes live; messages only carry the key.

    Keys are 1 to 128 characters from `A-Z a-z 0-9 _ -`, so they are safe as file names,
    blob names and URL segments without escaping. A key names one upload for good: putting
    the same key twice is a `Conflict`, so a temporary URL never serves other bytes than
    the ones it was made for.
    """

    @property
    def max_bytes(self) -> int:
        """The largest upload accepted, in bytes."""
        ...

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        content_type: str,
        filename: str | None = None,
        key: str | None = None,
    ) -> StoredMedia:
        """Store bytes (or a binary stream, read in chunks) under a new or given key."""
        ...

    def get(self, key: str) -> tuple[StoredMedia, bytes]:
        """The record and all the bytes; prefer `open` for large files."""
        ...

    def open(self, key: str) -> tuple[StoredMedia, Iterator[bytes]]:
        """The record and the bytes as chunks; `NotFound` is raised here, not while iterating."""
        ...

    def info(self, key: str) -> StoredMedia:
        """The record alone."""
        ...

    def delete(self, key: str) -> None:
        """Remove the bytes and the record; `NotFound` if there is nothing to remove."""
        ...

    def temporary_url(self, key: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
        """An absolute URL that serves the bytes to anyone holding it, until it expires."""
        ...

    def close(self) -> None:
        """Release connections and servers the store holds."""
        ...


@dataclass(frozen=True)
class Upload:
    """A `put` whose key, content type and file name passed the checks; `chunks` are checked
    for size while they are read."""

    key: str
    key_given: bool
    content_type: str
    filename: str | None
    chunks: Iterator[bytes]


_Store = TypeVar("_Store", bound="MediaStoreBase")


class MediaStoreBase:
    """What the stores share around their own storage: input checks before `_keep`, `get`
    on top of `open`, the size limit and use as a context manager."""

    _max_bytes: int

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def put(
        self,
        data: bytes | BinaryIO,
        *,
        content_type: str,
        filename: str | None = None,
        key: str | None = None,
    ) -> StoredMedia:
        upload = Upload(
            key=new_key() if key is None else check_key(key),
            key_given=key is not None,
            content_type=check_content_type(content_type),
            filename=check_filename(filename),
            chunks=upload_chunks(data, self._max_bytes),
        )
        return self._keep(upload)

    def get(self, key: str) -> tuple[StoredMedia, bytes]:
        record, chunks = self.open(key)
        return record, b"".join(chunks)

    def open(self, key: str) -> tuple[StoredMedia, Iterator[bytes]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _keep(self, upload: Upload) -> StoredMedia:
        """Store a checked upload; nothing of it may stay behind if this raises."""
        raise NotImplementedError


def new_key() -> str:
    """A random, URL-safe key that no one can guess."""
    return secrets.token_urlsafe(24)


def check_key(key: object) -> str:
    """Refuse any key that could name something other than one entry of the store."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidInput(
            "media key must be 1 to 128 characters from A-Z, a-z, 0-9, '_' and '-'",
            code="InvalidMediaKey",
        )
    return key


def check_content_type(content_type: object) -> str:
    """A MIME type such as `image/png` or `text/plain; charset=utf-8`, safe to send as a header."""
    if (
        not isinstance(content_type, str)
        or len(content_type) > _MAX_CONTENT_TYPE
        or not _CONTENT_TYPE.fullmatch(content_type)
    ):
        raise InvalidInput(
            "content_type must be a MIME type such as 'image/png'", code="InvalidContentType"
        )
    return content_type


def check_filename(filename: object) -> str | None:
    """A display name for downloads: no folders, no control characters, at most 255 characters."""
    if filename is None:
        return None
    if (
        not isinstance(filename, str)
        or not 0 < len(filename) <= _MAX_FILENAME
        or filename in {".", ".."}
        or any(ch in "/\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in filename)
    ):
        raise InvalidInput(
            "filename must be 1 to 255 characters without '/', '\\' or control characters",
            code="InvalidFilename",
        )
    try:
        filename.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("filename is not valid text", code="InvalidFilename") from None
    return filename


def check_ttl(ttl_seconds: object) -> int:
    """Temporary URLs live between one second and seven days."""
    if (
        not isinstance(ttl_seconds, int)
        or isinstance(ttl_seconds, bool)
        or not 1 <= ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise InvalidInput(
            f"ttl_seconds must be a whole number from 1 to {MAX_TTL_SECONDS}", code="InvalidTtl"
        )
    return ttl_seconds


def content_disposition(filename: str | None) -> str:
    """An `attachment` header that carries the file name, with a UTF-8 form when it needs one.

    Media is always offered as an attachment so that an uploaded HTML or SVG file is never
    rendered as a page of the site that serves it.
    """
    if filename is None:
        return "attachment"
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in filename)
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def upload_chunks(data: object, max_bytes: int) -> Iterator[bytes]:
    """The upload as chunks, refusing it as soon as it is known to be empty or too large.

    Bytes are checked at once; a stream is checked while it is read, so a store must be ready
    to throw away what it has written when iteration raises.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
        _check_size(len(payload), max_bytes)
        return iter((payload,))
    read = getattr(data, "read", None)
    if not callable(read):
        raise InvalidInput(
            "media must be bytes or a binary file object opened for reading", code="InvalidMedia"
        )
    return _read_stream(cast(_Readable, data), max_bytes)


class _Readable(Protocol):
    def read(self, size: int, /) -> object: ...


def _read_stream(stream: _Readable, max_bytes: int) -> Iterator[bytes]:
    total = 0
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            break
        if not isinstance(chunk, (bytes, bytearray)):
            raise InvalidInput(
                "media stream must be opened in binary mode ('rb')", code="InvalidMedia"
            )
        total += len(chunk)
        if total > max_bytes:
            raise too_large(max_bytes)
        yield bytes(chunk)
    _check_size(total, max_bytes)


def _check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise InvalidInput("media is empty", code="EmptyMedia")
    if size > max_bytes:
        raise too_large(max_bytes)


def too_large(max_bytes: int) -> MediaTooLarge:
    return MediaTooLarge(
        f"media is larger than the limit of {max_bytes} bytes", code="MediaTooLarge"
    )


def check_max_bytes(max_bytes: object) -> int:
    """The configured size limit must be a positive whole number of bytes."""
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        raise ConfigurationError("max_bytes for the media store must be a positive whole number")
    return max_bytes
