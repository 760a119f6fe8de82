"""Media in an Azure Blob Storage container, with read-only blob SAS URLs as temporary URLs.

Each upload is one block blob named by its key. The blob's own HTTP headers carry the content
type and an `attachment` Content-Disposition with the file name, so a SAS URL downloads the way
the shim's local URLs do; the file name is also kept (percent-encoded, as metadata is ASCII)
in the blob metadata `filename`, which `info()` reads back.

Three ways to connect:
- a connection string with `AccountKey=`: the container is created if missing, and
  `temporary_url()` signs per-blob read-only SAS URLs with the key;
- an account or container URL without a SAS token, with a Microsoft Entra ID `TokenCredential`
  (an identity holding Storage Blob Data Contributor, which includes the right to get a user
  delegation key): the container is created if missing, and `temporary_url()` signs per-blob
  read-only user delegation SAS URLs with a key the service lends for a day at a time;
- a container URL with a SAS token: the container must exist, and `temporary_url()` raises
  `ConfigurationError`, because the only signature available is the container's own, which
  would give every holder access to every file in the container (and possibly write access).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import chain
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError
from azure.storage.blob import (
    BlobClient,
    BlobProperties,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContentSettings,
    UserDelegationKey,
    generate_blob_sas,
)

from acs_adapter.errors import ConfigurationError, Conflict

from ._azure_errors import translate_azure_error
from ._base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    SETTING_NAME,
    MediaStoreBase,
    StoredMedia,
    Upload,
    check_key,
    check_max_bytes,
    check_ttl,
    content_disposition,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

logger = logging.getLogger("acs_adapter.media")

DEFAULT_CONTAINER = "twilio-media"

_SINGLE_PUT_BYTES = 8 * 1024 * 1024
"""Uploads up to this size go in one request; larger streams go as blocks while being read."""

_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
DELEGATION_KEY_LIFETIME = timedelta(days=1)
"""How long a requested user delegation key is valid, unless a longer-lived URL needs more
(Azure allows at most seven days, the longest temporary URL)."""
_CLOCK_MARGIN = timedelta(minutes=5)


class AzureBlobMediaStore(MediaStoreBase):
    """Media as block blobs in one container; see the module docstring for the two ways in.

    Most callers use `from_connection_string` or `from_container_url`. `client_options` are
    passed to the Azure SDK client as they are (for example `retry_total`, `connection_timeout`).
    `clock` (epoch seconds) dates the expiry of SAS URLs.
    """

    def __init__(
        self,
        container: ContainerClient,
        *,
        account_key: str | None = None,
        create_container: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        service: BlobServiceClient | None = None,
    ) -> None:
        """`service`, an Entra ID client of the account, signs temporary URLs with user
        delegation keys when there is no `account_key`."""
        self._container = container
        self._clock = clock
        self._account_key = account_key
        self._service = service
        self._delegation_key: UserDelegationKey | None = None
        self._delegation_expiry = datetime.min.replace(tzinfo=timezone.utc)
        self._delegation_lock = threading.Lock()
        self._close_credential: Callable[[], object] | None = None
        self._create_container = create_container
        self._container_ready = not create_container
        self._max_bytes = check_max_bytes(max_bytes)

    @classmethod
    def from_connection_string(
        cls,
        connection_string: str,
        container_name: str = DEFAULT_CONTAINER,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ca_bundle: str | None = None,
        clock: Callable[[], float] = time.time,
        **client_options: Any,
    ) -> AzureBlobMediaStore:
        """`DefaultEndpointsProtocol=..;AccountName=..;AccountKey=..[;BlobEndpoint=..]`.

        `UseDevelopmentStorage=true` (Azurite on its default port) works too. The container
        is created on first upload if it does not exist.
        """
        settings = _parse_connection_string(connection_string)
        if not (
            "accountkey" in settings
            or "sharedaccesssignature" in settings
            or settings.get("usedevelopmentstorage", "").lower() == "true"
        ):
            raise ConfigurationError(
                f"the Azure Storage connection string in {SETTING_NAME} needs AccountKey= "
                "or SharedAccessSignature="
            )
        if "accountkey" in settings and not _is_base64(settings["accountkey"]):
            raise ConfigurationError(
                f"the AccountKey in the {SETTING_NAME} connection string is not base64"
            )
        container_name = _check_container_name(container_name)
        if ca_bundle is not None:
            client_options.setdefault("connection_verify", ca_bundle)
        try:
            container = ContainerClient.from_connection_string(
                connection_string, container_name, **client_options
            )
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"the Azure Storage connection string in {SETTING_NAME} is malformed"
            ) from None
        account_key = getattr(container.credential, "account_key", None)
        return cls(
            container,
            account_key=account_key if isinstance(account_key, str) else None,
            create_container=True,
            max_bytes=max_bytes,
            clock=clock,
        )

    @classmethod
    def from_container_url(
        cls,
        url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ca_bundle: str | None = None,
        **client_options: Any,
    ) -> AzureBlobMediaStore:
        """`https://<account>.blob.core.windows.net/<container>?<SAS token>`.

        The SAS needs read, create, write and delete permissions on the container, which must
        exist. Plain `http` is accepted only for loopback hosts (Azurite).
        """
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:
            hostname = None
        if hostname is None:
            raise ConfigurationError(
                f"the Azure Blob container URL in {SETTING_NAME} is malformed"
            ) from None
        path = [segment for segment in parts.path.split("/") if segment]
        loopback = hostname in _LOOPBACK_HOSTS
        if (
            parts.scheme not in {"https", "http"}
            or (parts.scheme == "http" and not loopback)
            or len(path) != (2 if loopback else 1)
            or parts.fragment
        ):
            raise ConfigurationError(
                f"the Azure Blob container URL in {SETTING_NAME} must look like "
                "https://<account>.blob.core.windows.net/<container>?<SAS token>"
            )
        if "sig" not in parse_qs(parts.query):
            raise ConfigurationError(
                f"the Azure Blob container URL in {SETTING_NAME} needs a SAS token (sig=...)"
            )
        _check_container_name(unquote(path[-1]))
        if ca_bundle is not None:
            client_options.setdefault("connection_verify", ca_bundle)
        try:
            container = ContainerClient.from_container_url(url, **client_options)
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"the Azure Blob container URL in {SETTING_NAME} is malformed"
            ) from None
        return cls(container, max_bytes=max_bytes)

    @classmethod
    def from_account_url(
        cls,
        url: str,
        credential: TokenCredential,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ca_bundle: str | None = None,
        clock: Callable[[], float] = time.time,
        close_credential: bool = False,
        **client_options: Any,
    ) -> AzureBlobMediaStore:
        """`https://<account>.blob.core.windows.net[/<container>]` reached with `credential`
        (closed with the store when `close_credential`).

        The container (default `twilio-media`) is created on first upload if it is missing.
        Loopback hosts are path-style (`https://127.0.0.1:10000/<account>[/<container>]`, as
        Azurite serves); Entra ID needs HTTPS everywhere.
        """
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:
            hostname = None
        shape = (
            f"the Azure Blob URL in {SETTING_NAME} must look like "
            "https://<account>.blob.core.windows.net/<container> for Microsoft Entra ID"
        )
        if hostname is None or parts.scheme != "https" or parts.query or parts.fragment:
            raise ConfigurationError(shape)
        path = [unquote(segment) for segment in parts.path.split("/") if segment]
        account_segments = 1 if hostname in _LOOPBACK_HOSTS else 0
        if not account_segments <= len(path) <= account_segments + 1:
            raise ConfigurationError(shape)
        container_name = _check_container_name(
            path[account_segments] if len(path) > account_segments else DEFAULT_CONTAINER
        )
        account_url = f"https://{parts.netloc}" + "".join(
            f"/{quote(p)}" for p in path[:account_segments]
        )
        if ca_bundle is not None:
            client_options.setdefault("connection_verify", ca_bundle)
        service = BlobServiceClient(account_url, credential=credential, **client_options)
        store = cls(
            service.get_container_client(container_name),
            create_container=True,
            max_bytes=max_bytes,
            clock=clock,
            service=service,
        )
        if close_credential:
            store._close_credential = getattr(credential, "close", None)
        return store

    def __repr__(self) -> str:
        return (
            f"AzureBlobMediaStore(account={self.account_name!r}, "
            f"container={self.container_name!r}, temporary_urls={self.can_sign_urls}, "
            f"max_bytes={self._max_bytes})"
        )

    @property
    def account_name(self) -> str | None:
        return self._container.account_name

    @property
    def container_name(self) -> str:
        return self._container.container_name

    @property
    def can_sign_urls(self) -> bool:
        """True when the account key or an Entra ID credential is known, so `temporary_url()`
        can sign blob SAS URLs."""
        return self._account_key is not None or self._service is not None

    # -- the MediaStore interface -------------------------------------------------------

    def _keep(self, upload: Upload) -> StoredMedia:
        key, content_type, filename = upload.key, upload.content_type, upload.filename
        head, rest = _split_head(upload.chunks)
        self._ensure_container()
        blob = self._blob(key)
        if rest is not None and upload.key_given and self._exists(blob):
            # Refuse before sending blocks that a refused commit would leave staged.
            raise Conflict(f"media {key!r} already exists", code="MediaExists")
        settings = ContentSettings(
            content_type=content_type, content_disposition=content_disposition(filename)
        )
        metadata = {} if filename is None else {"filename": quote(filename, safe="")}
        size, created_at = self._upload(blob, head, rest, settings, metadata)
        record = StoredMedia(
            key=key,
            content_type=content_type,
            filename=filename,
            size=size,
            created_at=created_at,
        )
        logger.debug("stored media %s (%d bytes) in Azure Blob", key, record.size)
        return record

    def open(self, key: str) -> tuple[StoredMedia, Iterator[bytes]]:
        blob = self._blob(check_key(key))
        try:
            download = blob.download_blob()
        except AzureError as exc:
            raise translate_azure_error(exc, key) from None
        return _record(key, download.properties), _translated_chunks(download.chunks(), key)

    def info(self, key: str) -> StoredMedia:
        blob = self._blob(check_key(key))
        try:
            return _record(key, blob.get_blob_properties())
        except AzureError as exc:
            raise translate_azure_error(exc, key) from None

    def delete(self, key: str) -> None:
        blob = self._blob(check_key(key))
        try:
            blob.delete_blob()
        except AzureError as exc:
            raise translate_azure_error(exc, key) from None
        logger.debug("deleted media %s from Azure Blob", key)

    def temporary_url(self, key: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
        """A read-only SAS URL for this one blob, signed with the account key or a user
        delegation key (see the module doc)."""
        ttl = check_ttl(ttl_seconds)
        if not self.can_sign_urls or self.account_name is None:
            raise ConfigurationError(
                f"temporary media URLs need the storage account key or Microsoft Entra ID: set "
                f"{SETTING_NAME} to a connection string with AccountKey= or to the container "
                "URL without a SAS token (a container SAS URL cannot mint per-file read-only "
                "links)"
            )
        self.info(key)
        expiry = datetime.fromtimestamp(self._clock() + ttl, timezone.utc)
        signing: dict[str, Any] = (
            {"account_key": self._account_key}
            if self._account_key is not None
            else {"user_delegation_key": self._user_delegation_key(expiry)}
        )
        sas = generate_blob_sas(
            self.account_name,
            self.container_name,
            key,
            permission=BlobSasPermissions(read=True),
            expiry=expiry,
            **signing,
        )
        return f"{self._blob(key).url}?{sas}"

    def close(self) -> None:
        self._container.close()
        if self._service is not None:
            self._service.close()
        if self._close_credential is not None:
            self._close_credential()

    def _user_delegation_key(self, valid_until: datetime) -> UserDelegationKey:
        """A user delegation key still valid at `valid_until`: the last one, else a new one."""
        assert self._service is not None
        with self._delegation_lock:
            if self._delegation_key is None or self._delegation_expiry < valid_until:
                now = datetime.fromtimestamp(self._clock(), timezone.utc)
                # TTLs are at most seven days, Azure's limit for a delegation key too.
                start, expiry = now - _CLOCK_MARGIN, max(now + DELEGATION_KEY_LIFETIME, valid_until)
                try:
                    self._delegation_key = self._service.get_user_delegation_key(start, expiry)
                except AzureError as exc:
                    raise translate_azure_error(exc, None) from None
                self._delegation_expiry = expiry
            return self._delegation_key

    # -- helpers --------------------------------------------------------------------------

    def _blob(self, key: str) -> BlobClient:
        return self._container.get_blob_client(key)

    def _upload(
        self,
        blob: BlobClient,
        head: bytes,
        rest: Iterator[bytes] | None,
        settings: ContentSettings,
        metadata: dict[str, str],
    ) -> tuple[int, datetime]:
        """Upload without replacing anything; return the size sent and the blob's timestamp."""
        sent = [len(head)]
        options: dict[str, Any] = {
            "overwrite": False,
            "content_settings": settings,
            "metadata": metadata,
        }
        try:
            if rest is None:
                response = blob.upload_blob(head, length=len(head), **options)
            else:
                response = blob.upload_blob(chain((head,), _counted(rest, sent)), **options)
        except BaseException as exc:
            if rest is not None and not isinstance(exc, ResourceExistsError):
                self._discard_uncommitted(blob)
            if isinstance(exc, AzureError):
                raise translate_azure_error(exc, blob.blob_name, writing=True) from None
            raise
        last_modified = response.get("last_modified")
        if not isinstance(last_modified, datetime):
            last_modified = datetime.now(timezone.utc)
        return sent[0], last_modified

    @staticmethod
    def _exists(blob: BlobClient) -> bool:
        try:
            return bool(blob.exists())
        except AzureError as exc:
            raise translate_azure_error(exc, blob.blob_name, writing=True) from None

    def _ensure_container(self) -> None:
        if self._container_ready:
            return
        try:
            self._container.create_container()
        except ResourceExistsError:
            pass
        except AzureError as exc:
            raise translate_azure_error(exc, None, writing=True) from None
        self._container_ready = True

    @staticmethod
    def _discard_uncommitted(blob: BlobClient) -> None:
        """Drop blocks staged by a refused upload, unless a blob by that name already exists.

        Committing an empty block list discards every uncommitted block; deleting the empty
        blob then leaves the container as it was.
        """
        try:
            blob.commit_block_list([], match_condition=MatchConditions.IfMissing)
            blob.delete_blob()
        except Exception:  # best effort: Azure drops uncommitted blocks after a week anyway
            logger.debug("could not discard the staged blocks of a refused upload")


def _split_head(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes] | None]:
    """Read up to `_SINGLE_PUT_BYTES`; return them and, if more follow, the rest of the upload.

    Empty and over-limit uploads raise here, before anything is sent.
    """
    head: list[bytes] = []
    size = 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size >= _SINGLE_PUT_BYTES:
            return b"".join(head), chunks
    return b"".join(head), None


def _counted(chunks: Iterator[bytes], total: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        total[0] += len(chunk)
        yield chunk


def _record(key: str, properties: BlobProperties) -> StoredMedia:
    settings = properties.content_settings
    encoded = (properties.metadata or {}).get("filename")
    created = properties.creation_time or properties.last_modified
    return StoredMedia(
        key=key,
        content_type=settings.content_type or "application/octet-stream",
        filename=unquote(encoded) if encoded else None,
        size=int(properties.size),
        created_at=created,
    )


def _translated_chunks(chunks: Iterator[bytes], key: str) -> Iterator[bytes]:
    try:
        yield from chunks
    except AzureError as exc:
        raise translate_azure_error(exc, key) from None


def _parse_connection_string(value: str) -> dict[str, str]:
    """The `Name=value` pairs, keys lower-cased; malformed strings are refused without echo."""
    settings: dict[str, str] = {}
    for segment in value.strip().strip(";").split(";"):
        name, sep, setting = segment.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(
                f"the Azure Storage connection string in {SETTING_NAME} is malformed"
            )
        settings[name.strip().lower()] = setting.strip()
    return settings


def _is_base64(text: str) -> bool:
    try:
        return bool(base64.b64decode(text, validate=True))
    except ValueError:
        return False


def _check_container_name(name: str) -> str:
    if not isinstance(name, str) or not _CONTAINER_NAME.fullmatch(name):
        raise ConfigurationError(
            f"the container name in {SETTING_NAME} must be 3 to 63 lowercase letters, digits "
            "and single hyphens"
        )
    return name
