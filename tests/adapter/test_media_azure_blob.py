"""The Azure Blob media store's own promises, against a real Azurite."""

from __future__ import annotations

import base64
import io
import logging
import os
import socket
import ssl
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from azure.storage.blob import (
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    generate_container_sas,
)

from acs_adapter.errors import ConfigurationError, Conflict, NotFound, Unavailable
from acs_adapter.media import AzureBlobMediaStore, media_store_from_setting
from tests.fixtures.azurite import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME

SECRET = b"unused-local-secret-0123456789"


@pytest.fixture
def container_name() -> str:
    return f"media-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def service(azurite: str) -> Iterator[BlobServiceClient]:
    with BlobServiceClient.from_connection_string(azurite) as client:
        yield client


def _container_sas_url(service: BlobServiceClient, name: str, **permissions: bool) -> str:
    container = service.get_container_client(name)
    sas = generate_container_sas(
        DEV_ACCOUNT_NAME,
        name,
        account_key=DEV_ACCOUNT_KEY,
        permission=ContainerSasPermissions(**permissions),
        expiry=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    return f"{container.url}?{sas}"


def test_container_is_created_on_first_upload(
    azurite: str, service: BlobServiceClient, container_name: str
) -> None:
    store = media_store_from_setting(f"{azurite};Container={container_name}", secret=SECRET)
    assert not service.get_container_client(container_name).exists()

    record = store.put(b"hello", content_type="text/plain")

    assert service.get_container_client(container_name).exists()
    assert store.get(record.key)[1] == b"hello"


def test_default_container_is_twilio_media(azurite: str, service: BlobServiceClient) -> None:
    store = media_store_from_setting(azurite, secret=SECRET)

    record = store.put(b"default", content_type="text/plain")

    blob = service.get_blob_client("twilio-media", record.key)
    assert blob.download_blob().readall() == b"default"
    store.delete(record.key)


def test_blob_carries_type_disposition_and_filename(
    azurite: str, service: BlobServiceClient, container_name: str
) -> None:
    store = AzureBlobMediaStore.from_connection_string(azurite, container_name)

    record = store.put(b"%PDF", content_type="application/pdf", filename="Bericht März.pdf")

    properties = service.get_blob_client(container_name, record.key).get_blob_properties()
    assert properties.content_settings.content_type == "application/pdf"
    assert properties.content_settings.content_disposition == (
        "attachment; filename=\"Bericht M_rz.pdf\"; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf"
    )
    assert properties.metadata == {"filename": "Bericht%20M%C3%A4rz.pdf"}
    assert store.info(record.key).filename == "Bericht März.pdf"


def test_blob_written_by_another_tool_is_readable(
    azurite: str, service: BlobServiceClient, container_name: str
) -> None:
    service.create_container(container_name)
    service.get_blob_client(container_name, "foreign-blob").upload_blob(b"from elsewhere")
    store = AzureBlobMediaStore.from_connection_string(azurite, container_name)

    record = store.info("foreign-blob")

    assert (record.size, record.filename) == (len(b"from elsewhere"), None)
    assert record.content_type == "application/octet-stream"


def test_large_upload_to_a_taken_key_stages_nothing(azurite: str, container_name: str) -> None:
    store = AzureBlobMediaStore.from_connection_string(azurite, container_name)
    store.put(b"original", content_type="text/plain", key="taken")

    with pytest.raises(Conflict):
        store.put(io.BytesIO(b"n" * (9 * 1024 * 1024)), content_type="text/plain", key="taken")

    blob = ContainerClient.from_connection_string(azurite, container_name).get_blob_client("taken")
    assert blob.get_block_list("uncommitted")[1] == []
    assert store.get("taken")[1] == b"original"


def test_temporary_url_is_a_read_only_blob_sas(azurite: str, container_name: str) -> None:
    store = AzureBlobMediaStore.from_connection_string(azurite, container_name)
    record = store.put(b"read only", content_type="text/plain")
    url = store.temporary_url(record.key, ttl_seconds=120)

    query = dict(parse_qsl(urlsplit(url).query))

    assert urlsplit(url).path.endswith(f"/{container_name}/{record.key}")
    assert query["sp"] == "r"
    assert query["sr"] == "b"
    assert httpx.put(url, content=b"overwritten", headers={"x-ms-blob-type": "BlockBlob"}).is_error
    assert httpx.delete(url).is_error
    assert store.get(record.key)[1] == b"read only"


def test_container_sas_url_store_works_but_cannot_mint_links(
    service: BlobServiceClient, container_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service.create_container(container_name)
    url = _container_sas_url(
        service, container_name, read=True, write=True, create=True, delete=True
    )
    signature = dict(parse_qsl(urlsplit(url).query))["sig"]

    store = media_store_from_setting(url, secret=SECRET)
    record = store.put(b"via sas", content_type="text/plain", filename="s.txt")
    assert store.get(record.key) == (store.info(record.key), b"via sas")
    with pytest.raises(ConfigurationError, match="AccountKey") as caught:
        store.temporary_url(record.key)
    with pytest.raises(NotFound) as missing:
        store.info("missing-one")
    store.delete(record.key)

    assert isinstance(store, AzureBlobMediaStore)
    assert not store.can_sign_urls
    assert "TWILIO_COMPAT_MEDIA" in str(caught.value)
    texts = [repr(store), str(caught.value), repr(caught.value), str(missing.value), caplog.text]
    for text in texts:
        assert signature not in text


def test_sas_url_for_a_missing_container_is_a_configuration_error(
    service: BlobServiceClient, container_name: str
) -> None:
    url = _container_sas_url(service, container_name, read=True, write=True, create=True)
    store = AzureBlobMediaStore.from_container_url(url)

    with pytest.raises(ConfigurationError, match="does not exist"):
        store.put(b"x", content_type="text/plain")


def test_read_only_sas_cannot_upload(service: BlobServiceClient, container_name: str) -> None:
    service.create_container(container_name)
    store = AzureBlobMediaStore.from_container_url(
        _container_sas_url(service, container_name, read=True)
    )

    with pytest.raises(ConfigurationError, match="refused the credentials"):
        store.put(b"x" * 10, content_type="text/plain")
    assert list(service.get_container_client(container_name).list_blobs()) == []


def test_wrong_account_key_is_a_configuration_error_without_the_key(
    azurite: str, container_name: str
) -> None:
    wrong_key = base64.b64encode(os.urandom(64)).decode()
    setting = azurite.replace(DEV_ACCOUNT_KEY, wrong_key) + f";Container={container_name}"
    store = media_store_from_setting(setting, secret=SECRET)

    with pytest.raises(ConfigurationError) as caught:
        store.put(b"x", content_type="text/plain")

    assert "TWILIO_COMPAT_MEDIA" in str(caught.value)
    assert wrong_key not in str(caught.value) + repr(caught.value) + repr(store)
    assert caught.value.__cause__ is None


def test_unreachable_storage_is_unavailable(container_name: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    setting = (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT_NAME};"
        f"AccountKey={DEV_ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT_NAME}"
    )
    store = AzureBlobMediaStore.from_connection_string(setting, container_name, retry_total=0)

    with pytest.raises(Unavailable) as put_error:
        store.put(b"x", content_type="text/plain")
    with pytest.raises(Unavailable):
        store.info("some-key")

    assert put_error.value.status == 503
    assert DEV_ACCOUNT_KEY not in str(put_error.value)


def test_store_can_wrap_a_container_client(azurite: str, container_name: str) -> None:
    container = ContainerClient.from_connection_string(azurite, container_name)
    container.create_container()
    store = AzureBlobMediaStore(container, max_bytes=4)

    assert store.put(b"four", content_type="text/plain").size == 4
    assert not store.can_sign_urls


def test_ca_bundle_lets_the_store_trust_a_private_https_endpoint(
    azurite_https: tuple[str, Path], container_name: str
) -> None:
    connection_string, ca_bundle = azurite_https
    setting = f"{connection_string};Container={container_name}"

    trusting = media_store_from_setting(setting, secret=SECRET, ca_bundle=str(ca_bundle))
    record = trusting.put(b"over tls", content_type="text/plain")
    url = trusting.temporary_url(record.key)

    assert url.startswith("https://127.0.0.1:")
    trusted = ssl.create_default_context(cafile=ca_bundle)
    assert httpx.get(url, verify=trusted).content == b"over tls"
    untrusting = AzureBlobMediaStore.from_connection_string(
        connection_string, container_name, retry_total=0
    )
    with pytest.raises(Unavailable):
        untrusting.info(record.key)
