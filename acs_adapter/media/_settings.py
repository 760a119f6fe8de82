"""`media_store_from_setting`: the `TWILIO_COMPAT_MEDIA` string to a media store.

Accepted forms:
- `file:///absolute/folder` (percent-encoded like any file URL): `LocalMediaStore`;
- an Azure Storage connection string (it has `AccountName=`, `BlobEndpoint=` or
  `UseDevelopmentStorage=`), optionally ending in `;Container=<name>` (default `twilio-media`):
  `AzureBlobMediaStore`, container created if missing;
- `https://<account>.blob.core.windows.net/<container>?<SAS token>` (`http` only for loopback
  hosts, where Azurite's path-style `http://127.0.0.1:10000/<account>/<container>?<SAS>` fits):
  `AzureBlobMediaStore` over an existing container;
- `https://<account>.blob.core.windows.net[/<container>]` without a SAS token: Microsoft Entra
  ID, with the `TokenCredential` given (by default `DefaultAzureCredential`), container created
  if missing, temporary URLs as user delegation SAS.

Errors name the setting and never repeat its value, which may hold a key or SAS signature.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit
from urllib.request import url2pathname

from acs_adapter.errors import ConfigurationError

from ._base import DEFAULT_MAX_BYTES, SETTING_NAME, MediaStore
from .local import LocalMediaStore

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from .azure_blob import AzureBlobMediaStore

CredentialFactory = Callable[[], "TokenCredential"]

_CONNECTION_STRING_NAMES = {"accountname", "blobendpoint", "usedevelopmentstorage"}


def media_store_from_setting(
    value: str,
    *,
    secret: bytes,
    max_bytes: int = DEFAULT_MAX_BYTES,
    public_base_url: str | None = None,
    ca_bundle: str | None = None,
    credential: TokenCredential | None = None,
    make_credential: CredentialFactory | None = None,
) -> MediaStore:
    """Build the media store a `TWILIO_COMPAT_MEDIA` value describes (forms in the module doc).

    `secret` signs the local store's temporary URLs and `public_base_url` is where its app is
    reachable; `ca_bundle` is a PEM file to trust for the storage endpoint. A Blob URL without
    a SAS token is reached with `credential`, else one `make_credential` makes (default:
    `DefaultAzureCredential`), which the store then closes. Each applies only to the store
    kind that uses it. Nothing is contacted until the store is first used.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ConfigurationError(f"{SETTING_NAME} is empty", code="MediaSetting")
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        raise ConfigurationError(
            f"the CA bundle given for {SETTING_NAME} is not a readable file", code="MediaSetting"
        )
    if text.lower().startswith("file:"):
        return LocalMediaStore(
            _folder_from_file_url(text),
            secret=secret,
            base_url=public_base_url,
            max_bytes=max_bytes,
        )
    if _is_connection_string(text):
        blob_store = _blob_store()
        connection_string, container = _split_container(text)
        return blob_store.from_connection_string(
            connection_string, container, max_bytes=max_bytes, ca_bundle=ca_bundle
        )
    if text.lower().startswith("https://") and not _has_sas(text):
        owned = credential is None
        if credential is None:
            credential = (make_credential or _default_credential)()
        return _blob_store().from_account_url(
            text,
            credential,
            max_bytes=max_bytes,
            ca_bundle=ca_bundle,
            close_credential=owned,
        )
    if text.lower().startswith(("https://", "http://")):
        return _blob_store().from_container_url(text, max_bytes=max_bytes, ca_bundle=ca_bundle)
    raise ConfigurationError(
        f"{SETTING_NAME} must be file:///absolute/folder, an Azure Storage connection string, "
        "or an https container URL with a SAS token",
        code="MediaSetting",
    )


def _default_credential() -> TokenCredential:
    from acs_adapter.credentials import BLOB_WITHOUT_KEY, default_azure_credential

    return default_azure_credential(reason=BLOB_WITHOUT_KEY)


def _has_sas(url: str) -> bool:
    try:
        return "sig" in parse_qs(urlsplit(url).query)
    except ValueError:
        return True  # malformed: `from_container_url` says so


def _folder_from_file_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.netloc not in {"", "localhost"} or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{SETTING_NAME} file URLs must look like file:///absolute/folder",
            code="MediaSetting",
        )
    folder = url2pathname(parts.path)
    if not parts.path.startswith("/") or not os.path.isabs(folder) or "\x00" in folder:
        raise ConfigurationError(
            f"{SETTING_NAME} file URLs must name an absolute folder (file:///absolute/folder)",
            code="MediaSetting",
        )
    return folder


def _blob_store() -> type[AzureBlobMediaStore]:
    """The Blob media store, or the one-line `ConfigurationError` naming its extra."""
    try:
        from .azure_blob import AzureBlobMediaStore
    except ImportError as missing:
        if not (missing.name or "").startswith("azure"):
            raise
        raise ConfigurationError(
            f"{SETTING_NAME} names Azure Blob storage, which needs the blob extra: "
            "pip install 'twilio-acs-compat[blob]'",
            code="MediaSetting",
        ) from None
    return AzureBlobMediaStore


def _is_connection_string(text: str) -> bool:
    names = {segment.partition("=")[0].strip().lower() for segment in text.split(";")}
    return bool(names & _CONNECTION_STRING_NAMES)


def _split_container(text: str) -> tuple[str, str]:
    """Take a `Container=<name>` segment out of a connection string (the SDK has no such key)."""
    from .azure_blob import DEFAULT_CONTAINER

    kept: list[str] = []
    container = DEFAULT_CONTAINER
    for segment in text.split(";"):
        name, _, setting = segment.partition("=")
        if name.strip().lower() == "container":
            container = setting.strip()
        elif segment.strip():
            kept.append(segment)
    return ";".join(kept), container
