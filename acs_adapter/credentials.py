"""Which credential ACS identity calls use: the access key, or Microsoft Entra ID.

An explicit azure-core `TokenCredential` wins; else the connection string's access key; else
`DefaultAzureCredential`, configured the Azure way from the environment (`AZURE_TENANT_ID`,
`AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, managed identity, workload identity, ...). azure-identity
is imported only then, so key-based installs do not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from azure.core.credentials import AzureKeyCredential

from acs_adapter.config import AcsConnection
from acs_adapter.errors import ConfigurationError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

ENTRA_EXTRA_HINT = "pip install 'twilio-acs-compat[entra]'"
PUBLIC_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.microsoftonline.de",
    }
)
"""Entra clouds MSAL knows; any other authority (a private or local one) skips instance discovery,
which would otherwise ask login.microsoftonline.com about it."""
_ENTRA_MODULES = ("azure.identity", "msal", "msal_extensions")
"""azure-identity and what the `entra` extra installs with it: missing, they mean the extra is."""


def _is_entra_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in _ENTRA_MODULES)


ACS_WITHOUT_KEY = (
    "ACS_CONNECTION_STRING has no access key, so ACS is reached with Microsoft Entra ID"
)
BLOB_WITHOUT_KEY = (
    "TWILIO_COMPAT_MEDIA names Azure Blob storage without a key or SAS token, so it is reached "
    "with Microsoft Entra ID"
)


def default_azure_credential(
    *,
    ca_bundle: str | None = None,
    authority_host: str | None = None,
    reason: str = ACS_WITHOUT_KEY,
) -> TokenCredential:
    """`DefaultAzureCredential` for the environment; a private `AZURE_AUTHORITY_HOST` gets
    instance discovery disabled and the ACS CA bundle trusted (the emulator's Entra ID).
    `reason` says why Entra ID is needed when the extra is missing."""
    try:
        from azure.identity import DefaultAzureCredential
    except ModuleNotFoundError as missing:
        if not _is_entra_module(missing.name or ""):
            raise
        raise ConfigurationError(
            f"{reason}, which needs the entra extra: {ENTRA_EXTRA_HINT}"
        ) from None
    options: dict[str, Any] = {}
    authority = (authority_host or "").strip()
    if authority:
        host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname
        if host not in PUBLIC_AUTHORITY_HOSTS:
            options["disable_instance_discovery"] = True
            if ca_bundle is not None:
                options["connection_verify"] = ca_bundle
    credential: TokenCredential = DefaultAzureCredential(**options)
    return credential


def acs_credential(
    connection: AcsConnection,
    explicit: TokenCredential | None,
    *,
    ca_bundle: str | None = None,
    authority_host: str | None = None,
) -> tuple[AzureKeyCredential | TokenCredential, bool]:
    """The identity client's credential, and whether the adapter made it (and so closes it)."""
    if explicit is not None:
        return explicit, False
    if connection.access_key is not None:
        return AzureKeyCredential(connection.access_key.reveal()), False
    return default_azure_credential(ca_bundle=ca_bundle, authority_host=authority_host), True
