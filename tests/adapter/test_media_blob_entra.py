"""Azure Blob media on Microsoft Entra ID: Azurite (`--oauth basic`, HTTPS) takes the tokens a
real azure-identity credential gets from the emulator's Entra ID, and temporary URLs are user
delegation SAS URLs that work without any credential and only for reading.

Azurite checks a token's shape (v1 issuer, storage audience, times), not its signature; that
the token is a genuine Entra ID one is the emulator's tenant's part, tested with ACS.
"""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.errors import AdapterError, NotFound
from acs_adapter.media import AzureBlobMediaStore, media_store_from_setting
from acs_emulator import AcsEmulator
from tests.fixtures.entra import app_credential, clean_env

__all__ = ["clean_env"]  # a fixture the tests here take

SECRET = b"unused-local-secret-0123456789"


@pytest.fixture(scope="module")
def emulator() -> Iterator[AcsEmulator]:
    with AcsEmulator() as emu:
        yield emu


@pytest.fixture
def credential(emulator: AcsEmulator) -> Iterator[ClientSecretCredential]:
    with app_credential(emulator) as made:
        yield made


def _container_url(azurite_oauth: tuple[str, Path]) -> str:
    return f"{azurite_oauth[0]}/media-{uuid.uuid4().hex[:12]}"


def _require_sas_aware_azurite(azurite_oauth: tuple[str, Path]) -> None:
    """azure-storage-blob signs SAS version 2026-10-06, whose layout Azurite knows from 3.37."""
    server = httpx.get(f"{azurite_oauth[0]}?comp=list", verify=ssl_context(azurite_oauth[1]))
    version = server.headers.get("server", "").rpartition("/")[2]
    if tuple(int(part) for part in version.split(".") if part.isdigit()) < (3, 37):
        pytest.skip(
            f"AZURITE {version} TOO OLD for user delegation SAS of version 2026-10-06: "
            "npm install azurite@^3.37 (make tools) to check temporary URLs on Entra ID"
        )


def ssl_context(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def test_a_container_url_without_sas_is_reached_with_entra_id(
    azurite_oauth: tuple[str, Path], credential: ClientSecretCredential
) -> None:
    ca = str(azurite_oauth[1])
    store = media_store_from_setting(
        _container_url(azurite_oauth), secret=SECRET, ca_bundle=ca, credential=credential
    )
    assert isinstance(store, AzureBlobMediaStore) and store.can_sign_urls
    with store:
        record = store.put(b"hello over entra", content_type="text/plain", filename="a b.txt")
        assert store.get(record.key)[1] == b"hello over entra"
        assert store.info(record.key).filename == "a b.txt"
        store.delete(record.key)
        with pytest.raises(NotFound):
            store.info(record.key)


def test_temporary_urls_are_read_only_user_delegation_sas(
    azurite_oauth: tuple[str, Path], credential: ClientSecretCredential, emulator: AcsEmulator
) -> None:
    _require_sas_aware_azurite(azurite_oauth)
    verify = ssl_context(azurite_oauth[1])
    store = media_store_from_setting(
        _container_url(azurite_oauth),
        secret=SECRET,
        ca_bundle=str(azurite_oauth[1]),
        credential=credential,
    )
    with closing(store):
        record = store.put(b"hello over entra", content_type="text/plain")
        url = store.temporary_url(record.key, ttl_seconds=120)
        query = dict(parse_qsl(urlsplit(url).query))
        assert {"skoid", "sktid", "skt", "ske", "sks", "skv"} <= set(query)
        assert (query["sp"], query["sr"], query["sktid"]) == ("r", "b", emulator.entra.tenant_id)
        got = httpx.get(url, verify=verify)
        assert (got.status_code, got.content) == (200, b"hello over entra")
        overwrite = httpx.put(
            url, content=b"overwritten", headers={"x-ms-blob-type": "BlockBlob"}, verify=verify
        )
        assert overwrite.is_error
        assert httpx.get(url.replace("sp=r", "sp=rw"), verify=verify).status_code == 403
        # One delegation key serves every URL until it nears its end.
        again = store.temporary_url(record.key, ttl_seconds=60)
        assert dict(parse_qsl(urlsplit(again).query))["skt"] == query["skt"]
        assert httpx.get(again, verify=verify).content == b"hello over entra"


class IssuedToken:
    """A TokenCredential handing out one token the emulator's tenant issued."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3000)


def test_a_token_for_another_resource_is_refused_as_azure_does(
    azurite_oauth: tuple[str, Path], emulator: AcsEmulator
) -> None:
    entra = emulator.entra
    for token in (
        entra.issue(entra.client_id, "https://vault.azure.net"),
        entra.issue(entra.client_id, "https://storage.azure.com", version="2.0"),
    ):
        store = media_store_from_setting(
            _container_url(azurite_oauth),
            secret=SECRET,
            ca_bundle=str(azurite_oauth[1]),
            credential=IssuedToken(token),
        )
        with closing(store), pytest.raises(AdapterError):
            store.put(b"x", content_type="text/plain")


def test_the_adapter_builds_default_azure_credential_for_a_blob_url_without_key(
    azurite_oauth: tuple[str, Path],
    emulator: AcsEmulator,
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    """TWILIO_COMPAT_MEDIA=https://... alone plus the standard AZURE_* variables."""
    for name, value in emulator.entra.environ().items():
        clean_env.setenv(name, value)
    bundle = tmp_path / "cas.pem"  # the emulator's CA (Entra ID) and Azurite's
    bundle.write_text(Path(emulator.ca_bundle).read_text() + azurite_oauth[1].read_text())
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=bundle,
        store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        media=_container_url(azurite_oauth),
        environ={**emulator.entra.environ()},
    )
    with AcsAdapter.open(settings) as adapter:
        record = adapter.media.put(b"via DefaultAzureCredential", content_type="text/plain")
        assert adapter.media.get(record.key)[1] == b"via DefaultAzureCredential"
        assert adapter.media.temporary_url(record.key).startswith(azurite_oauth[0])


def test_a_blob_url_without_sas_means_default_azure_credential(
    clean_env: pytest.MonkeyPatch,
) -> None:
    store = media_store_from_setting("https://acct.blob.core.windows.net/chat-media", secret=SECRET)
    with closing(store):
        assert isinstance(store, AzureBlobMediaStore) and store.can_sign_urls
        assert (store.account_name, store.container_name) == ("acct", "chat-media")


def test_entra_urls_must_be_https_and_well_formed(credential: ClientSecretCredential) -> None:
    for bad in (
        "https://acct.blob.core.windows.net/a/b",
        "https://127.0.0.1:10000/",
        "https://acct.blob.core.windows.net/Bad_Name",
    ):
        with pytest.raises(AdapterError):
            AzureBlobMediaStore.from_account_url(bad, credential)
    default = AzureBlobMediaStore.from_account_url("https://acct.blob.core.windows.net", credential)
    assert (default.account_name, default.container_name) == ("acct", "twilio-media")
