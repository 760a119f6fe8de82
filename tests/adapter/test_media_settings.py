"""`media_store_from_setting`: each accepted form of TWILIO_COMPAT_MEDIA, and clear refusals.

No store is contacted here: building a store from a setting never touches the network.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from acs_adapter.errors import ConfigurationError
from acs_adapter.media import (
    AzureBlobMediaStore,
    LocalMediaStore,
    MediaStore,
    media_store_from_setting,
)

SECRET = b"settings-secret-for-tests-0123456789"
ACCOUNT_KEY = base64.b64encode(b"k" * 64).decode()
SAS_SIG = "c2lnbmF0dXJlLW9mLXRoZS1zYXM%3D"
CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=https;AccountName=mediaacct;AccountKey={ACCOUNT_KEY};"
    "EndpointSuffix=core.windows.net"
)
CONTAINER_URL = (
    "https://mediaacct.blob.core.windows.net/chat-media"
    f"?sv=2024-11-04&sr=c&sp=rcwd&se=2030-01-01T00%3A00%3A00Z&sig={SAS_SIG}"
)


def test_file_url_gives_a_local_store(tmp_path: Path) -> None:
    store = media_store_from_setting(tmp_path.as_uri(), secret=SECRET, max_bytes=1234)

    assert isinstance(store, LocalMediaStore)
    assert isinstance(store, MediaStore)
    assert store.root == tmp_path
    assert store.max_bytes == 1234


def test_file_url_is_percent_decoded_and_created(tmp_path: Path) -> None:
    folder = tmp_path / "my media" / "nested"

    store = media_store_from_setting(folder.as_uri(), secret=SECRET)

    assert "%20" in folder.as_uri()
    assert isinstance(store, LocalMediaStore)
    assert store.root == folder
    assert folder.is_dir()


def test_file_url_with_localhost_and_public_base_url(tmp_path: Path) -> None:
    store = media_store_from_setting(
        f"file://localhost{tmp_path}", secret=SECRET, public_base_url="https://chat.example.com/x"
    )
    assert isinstance(store, LocalMediaStore)
    record = store.put(b"x", content_type="text/plain")

    url = store.temporary_url(record.key)

    assert url.startswith(f"https://chat.example.com/x/media/{record.key}?expires=")


def test_connection_string_gives_a_blob_store_with_the_default_container() -> None:
    store = media_store_from_setting(CONNECTION_STRING, secret=SECRET, max_bytes=99)

    assert isinstance(store, AzureBlobMediaStore)
    assert (store.account_name, store.container_name) == ("mediaacct", "twilio-media")
    assert store.can_sign_urls
    assert store.max_bytes == 99


@pytest.mark.parametrize(
    "setting",
    [
        f"{CONNECTION_STRING};Container=chat-media",
        f"Container=chat-media;{CONNECTION_STRING}",
        f"{CONNECTION_STRING};container=chat-media;",
    ],
)
def test_connection_string_names_its_container(setting: str) -> None:
    store = media_store_from_setting(setting, secret=SECRET)

    assert isinstance(store, AzureBlobMediaStore)
    assert store.container_name == "chat-media"


def test_azurite_style_connection_string_with_blob_endpoint() -> None:
    setting = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};"
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;Container=media"
    )

    store = media_store_from_setting(setting, secret=SECRET)

    assert isinstance(store, AzureBlobMediaStore)
    assert (store.account_name, store.container_name) == ("devstoreaccount1", "media")


def test_connection_string_without_endpoint_means_the_public_cloud() -> None:
    store = media_store_from_setting(
        f"AccountName=mediaacct;AccountKey={ACCOUNT_KEY};Container=media", secret=SECRET
    )

    assert isinstance(store, AzureBlobMediaStore)
    assert store.account_name == "mediaacct"
    assert store.container_name == "media"


def test_development_storage_shortcut() -> None:
    store = media_store_from_setting("UseDevelopmentStorage=true", secret=SECRET)

    assert isinstance(store, AzureBlobMediaStore)
    assert store.account_name == "devstoreaccount1"
    assert store.can_sign_urls


def test_container_sas_url_gives_a_blob_store_that_cannot_sign() -> None:
    store = media_store_from_setting(CONTAINER_URL, secret=SECRET)

    assert isinstance(store, AzureBlobMediaStore)
    assert (store.account_name, store.container_name) == ("mediaacct", "chat-media")
    assert not store.can_sign_urls
    assert SAS_SIG not in repr(store)


def test_azurite_path_style_container_url_on_loopback() -> None:
    url = f"http://127.0.0.1:10000/devstoreaccount1/media?sv=2024-11-04&sr=c&sp=r&sig={SAS_SIG}"

    store = media_store_from_setting(url, secret=SECRET)

    assert isinstance(store, AzureBlobMediaStore)
    assert (store.account_name, store.container_name) == ("devstoreaccount1", "media")


MALFORMED = {
    "empty": "",
    "blank": "   ",
    "relative file URL": "file://relative/dir",
    "file URL without slashes": "file:relative/dir",
    "file URL with query": "file:///tmp/media?mode=fast",
    "file URL on another host": "file://fileserver/share/media",
    "other scheme": "s3://bucket/media",
    "words": "my media folder",
    "bare path": "/var/media",
    "account name only": "AccountName=mediaacct",
    "no credentials": "DefaultEndpointsProtocol=https;AccountName=mediaacct;EndpointSuffix=x",
    "garbage segment": f"{CONNECTION_STRING};this-is-not-a-pair",
    "bad container name": f"{CONNECTION_STRING};Container=Bad_Name",
    "short container name": f"{CONNECTION_STRING};Container=ab",
    "empty container name": f"{CONNECTION_STRING};Container=",
    "account key not base64": CONNECTION_STRING.replace(ACCOUNT_KEY, "not*base64!"),
    "plain http to a real host": CONTAINER_URL.replace("https://", "http://"),
    "URL without container": f"https://mediaacct.blob.core.windows.net/?sig={SAS_SIG}",
    "URL to a blob, not a container": CONTAINER_URL.replace("/chat-media?", "/chat-media/b?"),
    "URL with bad container name": CONTAINER_URL.replace("/chat-media?", "/Chat_Media?"),
    "broken URL": f"https://[mediaacct/chat-media?sig={SAS_SIG}",
}


@pytest.mark.parametrize("setting", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_setting_names_the_setting_and_hides_secrets(setting: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        media_store_from_setting(setting, secret=SECRET)

    message = str(caught.value)
    assert "TWILIO_COMPAT_MEDIA" in message
    for secret in (ACCOUNT_KEY, SAS_SIG, SECRET.decode()):
        assert secret not in message
        assert secret not in repr(caught.value)
    assert caught.value.__cause__ is None


def test_missing_ca_bundle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CA bundle"):
        media_store_from_setting(
            CONNECTION_STRING, secret=SECRET, ca_bundle=str(tmp_path / "nope.pem")
        )


def test_ca_bundle_is_accepted_when_present(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    store = media_store_from_setting(CONNECTION_STRING, secret=SECRET, ca_bundle=str(bundle))

    assert isinstance(store, AzureBlobMediaStore)


def test_local_store_needs_a_real_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="secret"):
        media_store_from_setting(tmp_path.as_uri(), secret=b"tiny")


def test_bad_size_limit_is_refused(tmp_path: Path) -> None:
    for limit in (0, -1):
        with pytest.raises(ConfigurationError, match="max_bytes"):
            media_store_from_setting(tmp_path.as_uri(), secret=SECRET, max_bytes=limit)
    assert os.listdir(tmp_path) == []
