"""Media in a local folder, with signed temporary URLs served by `media_asgi_app`.

Layout: one folder per key holding `data` (the bytes) and `meta.json` (content type, file
name, size, creation time). An upload is written into a hidden staging folder and renamed
into place in one step, so readers see a whole upload or none, and a refused or failed
upload leaves nothing behind. Deleting renames the folder away before removing it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from acs_adapter.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    NotFound,
    Unavailable,
)

from ._base import (
    CHUNK_SIZE,
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    MediaStoreBase,
    StoredMedia,
    Upload,
    check_key,
    check_max_bytes,
    check_ttl,
    new_key,
)
from ._signing import UrlSigner

if TYPE_CHECKING:
    from .server import MediaServer

logger = logging.getLogger("acs_adapter.media")

_DATA = "data"
_META = "meta.json"
_STAGING_PREFIX = ".upload-"
_TRASH_PREFIX = ".trash-"
_STALE_SECONDS = 24 * 3600


class LocalMediaStore(MediaStoreBase):
    """Media files under `root`; temporary URLs point at `base_url` or at `serve()`'s server.

    `secret` signs temporary URLs (at least 16 bytes; keep it stable across restarts so
    URLs already handed out keep working). `base_url` is where `media_asgi_app(store)` is
    reachable from the outside (URLs look like `<base_url>/media/<key>?expires=..&signature=..`);
    without it, call `serve()` to run the app on a loopback port for this process.
    `clock` (epoch seconds) dates and checks those URLs' expiry.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        secret: bytes,
        base_url: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = UrlSigner(secret)
        self._clock = clock
        self._max_bytes = check_max_bytes(max_bytes)
        self._base_url = _check_base_url(base_url)
        self._root = Path(root).absolute()
        try:
            self._root.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise ConfigurationError(
                "the media folder (TWILIO_COMPAT_MEDIA) cannot be created"
            ) from None
        if not self._root.is_dir():
            raise ConfigurationError("the media folder (TWILIO_COMPAT_MEDIA) is not a folder")
        self._server: MediaServer | None = None
        self._sweep_stale()

    def __repr__(self) -> str:
        return (
            f"LocalMediaStore(root={str(self._root)!r}, base_url={self.base_url!r}, "
            f"max_bytes={self._max_bytes})"
        )

    @property
    def root(self) -> Path:
        return self._root

    @property
    def base_url(self) -> str | None:
        """Where temporary URLs point: the configured URL, else the running server's, else None."""
        if self._base_url is not None:
            return self._base_url
        if self._server is not None and self._server.running:
            return self._server.url
        return None

    # -- the MediaStore interface -------------------------------------------------------

    def _keep(self, upload: Upload) -> StoredMedia:
        key = upload.key
        if self._folder(key).exists():
            raise _conflict(key)
        staging = self._make_staging()
        try:
            size = _write_chunks(staging / _DATA, upload.chunks)
            record = StoredMedia(
                key=key,
                content_type=upload.content_type,
                filename=upload.filename,
                size=size,
                created_at=datetime.now(timezone.utc),
            )
            _write_meta(staging / _META, record)
            self._commit(staging, key)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.debug("stored media %s (%d bytes)", key, size)
        return record

    def open(self, key: str) -> tuple[StoredMedia, Iterator[bytes]]:
        folder = self._folder(check_key(key))
        try:
            # Open the bytes first: an open file stays readable even if deleted meanwhile.
            handle = (folder / _DATA).open("rb")
        except FileNotFoundError:
            raise _not_found(key) from None
        except OSError:
            raise _unreadable(key) from None
        try:
            record = self._read_meta(key)
        except BaseException:
            handle.close()
            raise
        return record, FileChunks(handle)

    def info(self, key: str) -> StoredMedia:
        return self._read_meta(check_key(key))

    def delete(self, key: str) -> None:
        folder = self._folder(check_key(key))
        trash = self._root / f"{_TRASH_PREFIX}{new_key()}"
        try:
            os.rename(folder, trash)
        except FileNotFoundError:
            raise _not_found(key) from None
        except OSError:
            raise Unavailable(
                f"media {key!r} could not be deleted from the media folder", code="MediaStoreError"
            ) from None
        shutil.rmtree(trash, ignore_errors=True)
        logger.debug("deleted media %s", key)

    def temporary_url(self, key: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
        self.info(key)
        ttl = check_ttl(ttl_seconds)
        base = self.base_url
        if base is None:
            raise ConfigurationError(
                "temporary URLs of the local media store need a base URL: pass base_url "
                "(public_base_url) or start LocalMediaStore.serve()"
            )
        expires = int(self._clock()) + ttl
        signature = self._signer.sign(key, expires)
        return f"{base}/media/{key}?expires={expires}&signature={signature}"

    def close(self) -> None:
        """Stop the server started by `serve()`, if any; the files stay."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    # -- serving --------------------------------------------------------------------------

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> MediaServer:
        """Serve this store's temporary URLs from a background server until it is stopped.

        Without a `base_url`, temporary URLs then point at this server. Use it as a context
        manager, or call `stop()` (or the store's `close()`).
        """
        from .server import MediaServer, media_asgi_app

        if self._server is not None and self._server.running:
            raise Conflict("this media store is already being served", code="AlreadyServing")
        server = MediaServer(media_asgi_app(self), host=host, port=port)
        server.start()
        self._server = server
        return server

    def check_access(self, key: str, *, expires: str | None, signature: str | None) -> None:
        """Raise `Forbidden` unless `expires` and `signature` belong to a live URL for `key`."""
        if not self._signer.is_valid(key, expires, signature, now=self._clock()):
            raise Forbidden("this media link is invalid or has expired", code="InvalidSignature")

    # -- files ------------------------------------------------------------------------------

    def _folder(self, key: str) -> Path:
        return self._root / key

    def _make_staging(self) -> Path:
        try:
            return Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self._root))
        except OSError:
            raise _unwritable() from None

    def _commit(self, staging: Path, key: str) -> None:
        """Move a complete upload into place in one rename, refusing to replace an existing key."""
        try:
            os.rename(staging, self._folder(key))
        except OSError:
            if self._folder(key).exists():
                raise _conflict(key) from None
            raise Unavailable(
                f"media {key!r} could not be saved in the media folder", code="MediaStoreError"
            ) from None

    def _read_meta(self, key: str) -> StoredMedia:
        try:
            raw = (self._folder(key) / _META).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise _not_found(key) from None
        except OSError:
            raise _unreadable(key) from None
        try:
            meta = json.loads(raw)
            return StoredMedia(
                key=key,
                content_type=str(meta["content_type"]),
                filename=None if meta["filename"] is None else str(meta["filename"]),
                size=int(meta["size"]),
                created_at=datetime.fromisoformat(meta["created_at"]),
            )
        except (ValueError, KeyError, TypeError):
            raise _unreadable(key) from None

    def _sweep_stale(self) -> None:
        """Remove staging and trash folders left by a process that died mid-way."""
        cutoff = time.time() - _STALE_SECONDS
        for entry in self._root.iterdir():
            if not entry.name.startswith((_STAGING_PREFIX, _TRASH_PREFIX)):
                continue
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue


def _write_chunks(path: Path, chunks: Iterator[bytes]) -> int:
    """Write the upload; the caller's own stream errors pass through, disk errors become ours."""
    try:
        out = path.open("xb")
    except OSError:
        raise _unwritable() from None
    size = 0
    with out:
        for chunk in chunks:
            try:
                out.write(chunk)
            except OSError:
                raise _unwritable() from None
            size += len(chunk)
        try:
            out.flush()
            os.fsync(out.fileno())
        except OSError:
            raise _unwritable() from None
    return size


def _write_meta(path: Path, record: StoredMedia) -> None:
    meta = {
        "content_type": record.content_type,
        "filename": record.filename,
        "size": record.size,
        "created_at": record.created_at.isoformat(),
    }
    try:
        path.write_text(json.dumps(meta), encoding="utf-8")
    except OSError:
        raise _unwritable() from None


class FileChunks(Iterator[bytes]):
    """An open file as chunks; `close()` releases it even if iteration never started."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def __next__(self) -> bytes:
        chunk = b"" if self._handle.closed else self._handle.read(CHUNK_SIZE)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._handle.close()


def _check_base_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            "the media base URL must be an http(s) URL without query or fragment"
        )
    return base_url.rstrip("/")


def _not_found(key: str) -> NotFound:
    return NotFound(f"media {key!r} not found", code="MediaNotFound")


def _conflict(key: str) -> Conflict:
    return Conflict(f"media {key!r} already exists", code="MediaExists")


def _unreadable(key: str) -> Unavailable:
    return Unavailable(
        f"media {key!r} could not be read from the media folder", code="MediaStoreError"
    )


def _unwritable() -> Unavailable:
    return Unavailable("the media folder is not writable", code="MediaStoreError")
