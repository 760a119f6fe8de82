"""Settings: arguments beat the environment, which beats defaults; bad values fail at load."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from acs_adapter import ConfigurationError, RetrySettings, Secret, Settings
from acs_adapter.config import DEFAULT_STORE_URL, AcsConnection

KEY = base64.b64encode(b"k" * 32).decode()
CONN = f"endpoint=https://example.communication.azure.com/;accesskey={KEY}"
OTHER_KEY = base64.b64encode(b"o" * 32).decode()
OTHER_CONN = f"endpoint=https://other.communication.azure.com/;accesskey={OTHER_KEY}"


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    return pem


def test_environment_supplies_every_setting(tmp_path: Path, ca_file: Path) -> None:
    env = {
        "ACS_CONNECTION_STRING": CONN,
        "ACS_CA_BUNDLE": str(ca_file),
        "TWILIO_COMPAT_STORE": "postgresql+psycopg://app:pw@db/chat",
        "TWILIO_COMPAT_MEDIA": (tmp_path / "media").as_uri(),
    }
    settings = Settings.load(environ=env)

    assert settings.connection is not None
    assert settings.connection.endpoint == "https://example.communication.azure.com"
    assert settings.connection.access_key is not None
    assert settings.connection.access_key.reveal() == KEY
    assert not settings.embedded
    assert settings.ca_bundle == ca_file.resolve()
    assert settings.store_url.reveal() == "postgresql+psycopg://app:pw@db/chat"
    assert settings.media.reveal() == (tmp_path / "media").as_uri()


def test_explicit_arguments_win_over_environment(tmp_path: Path, ca_file: Path) -> None:
    env = {
        "ACS_CONNECTION_STRING": CONN,
        "ACS_CA_BUNDLE": "/nonexistent/ca.pem",
        "TWILIO_COMPAT_STORE": "sqlite:///from-env.sqlite3",
        "TWILIO_COMPAT_MEDIA": "file:///from/env",
    }
    settings = Settings.load(
        connection_string=OTHER_CONN,
        ca_bundle=ca_file,
        store_url="sqlite:////data/explicit.sqlite3",
        media=Secret("file:///explicit/media"),
        retry=RetrySettings(total=1, timeout=2.0),
        environ=env,
    )

    assert settings.connection is not None
    assert settings.connection.endpoint == "https://other.communication.azure.com"
    assert settings.ca_bundle == ca_file.resolve()
    assert settings.store_url.reveal() == "sqlite:////data/explicit.sqlite3"
    assert settings.media.reveal() == "file:///explicit/media"
    assert settings.retry == RetrySettings(total=1, timeout=2.0)


def test_defaults_put_media_beside_the_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    default = Settings.load(connection_string=CONN, environ={})
    assert default.store_url.reveal() == DEFAULT_STORE_URL
    assert default.media.reveal() == (tmp_path.resolve() / "twilio_compat_media").as_uri()
    assert default.ca_bundle is None

    elsewhere = Settings.load(
        connection_string=CONN, store_url=f"sqlite:///{tmp_path}/db/s.sqlite3", environ={}
    )
    assert elsewhere.media.reveal() == (tmp_path.resolve() / "db" / "twilio_compat_media").as_uri()


def test_blank_environment_values_count_as_unset(tmp_path: Path) -> None:
    settings = Settings.load(
        connection_string=CONN,
        store_url=f"sqlite:///{tmp_path}/s.sqlite3",
        environ={"ACS_CA_BUNDLE": "  ", "TWILIO_COMPAT_MEDIA": ""},
    )
    assert settings.ca_bundle is None
    assert settings.media.reveal().endswith("/twilio_compat_media")


def test_connection_string_keys_are_case_insensitive_and_order_free() -> None:
    conn = f" AccessKey={KEY} ; ENDPOINT=https://Example.communication.azure.com:8443/ ;"
    parsed = AcsConnection.parse(conn)
    assert parsed.endpoint == "https://Example.communication.azure.com:8443"
    assert parsed.key_bytes == b"k" * 32
    assert AcsConnection.parse(parsed.connection_string().reveal()) == parsed


def test_embedded_needs_no_endpoint_or_key() -> None:
    settings = Settings.load(environ={"ACS_CONNECTION_STRING": "Embedded"})
    assert settings.embedded
    assert settings.connection is None


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (f"accesskey={KEY}", "endpoint"),
        ("endpoint=https://example.communication.azure.com/;accesskey=", "base64"),
        (f"endpoint=http://example.communication.azure.com/;accesskey={KEY}", "https"),
        (f"endpoint=https:///;accesskey={KEY}", "https"),
        ("endpoint=https://example.communication.azure.com/;accesskey=not*base64!", "base64"),
        ("just some words", "name=value"),
    ],
)
def test_malformed_connection_strings_name_the_setting_not_the_key(
    value: str, complaint: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(connection_string=value, environ={})
    text = str(caught.value)
    assert "ACS_CONNECTION_STRING" in text
    assert complaint in text
    assert KEY not in text and "not*base64!" not in text and "just some words" not in text


def test_missing_connection_string_says_how_to_fix_it() -> None:
    with pytest.raises(ConfigurationError, match=r"ACS_CONNECTION_STRING is not set.*embedded"):
        Settings.load(environ={})


def test_missing_ca_bundle_file_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="ACS_CA_BUNDLE"):
        Settings.load(connection_string=CONN, ca_bundle="/nonexistent/ca.pem", environ={})


def test_malformed_store_url_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_STORE") as caught:
        Settings.load(connection_string=CONN, store_url="::hunter2::", environ={})
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        "relative/folder",
        "file://remotehost/share",
        "file:relative",
        "ftp://example.com/media",
        "Foo=bar;Baz=qux",
    ],
)
def test_malformed_media_setting_is_rejected(value: str) -> None:
    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_MEDIA") as caught:
        Settings.load(connection_string=CONN, media=value, environ={})
    assert value not in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        "file:///var/lib/media",
        "https://acct.blob.core.windows.net/media?sv=2024&sig=abc",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
        "UseDevelopmentStorage=true",
    ],
)
def test_media_setting_forms_are_accepted(value: str) -> None:
    assert Settings.load(connection_string=CONN, media=value, environ={}).media.reveal() == value


def test_absolute_media_folder_becomes_a_file_url(tmp_path: Path) -> None:
    settings = Settings.load(connection_string=CONN, media=str(tmp_path), environ={})
    assert settings.media.reveal() == tmp_path.resolve().as_uri()


def test_store_display_masks_the_password() -> None:
    settings = Settings.load(
        connection_string=CONN, store_url="postgresql+psycopg://app:s3cret@db/chat", environ={}
    )
    assert settings.store_display == "postgresql+psycopg://app:***@db/chat"


def test_settings_repr_shows_no_secret() -> None:
    settings = Settings.load(
        connection_string=CONN, store_url="postgresql+psycopg://app:s3cret@db/chat", environ={}
    )
    text = repr(settings) + str(settings)
    assert KEY not in text and "s3cret" not in text
    assert "Secret('***')" in text


def test_retry_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        RetrySettings(timeout=0)
    with pytest.raises(ValueError):
        RetrySettings(total=-1)


def test_change_feed_retention_is_seconds_within_bounds() -> None:
    assert Settings.load(environ={"ACS_CONNECTION_STRING": CONN}).change_retention.days == 1
    env = {"ACS_CONNECTION_STRING": CONN, "TWILIO_COMPAT_CHANGE_RETENTION": "3600"}
    assert Settings.load(environ=env).change_retention.total_seconds() == 3600
    assert Settings.load(environ=env, change_retention=120).change_retention.seconds == 120
    for bad in ("0", "-5", "soon", "nan", "1e12"):
        env["TWILIO_COMPAT_CHANGE_RETENTION"] = bad
        with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_CHANGE_RETENTION"):
            Settings.load(environ=env)


def test_cache_bounds_come_from_the_environment_and_are_checked() -> None:
    loaded = Settings.load(environ={"ACS_CONNECTION_STRING": CONN})
    assert (loaded.cached_users, loaded.cached_thread_clients) == (1000, 1000)
    env = {
        "ACS_CONNECTION_STRING": CONN,
        "TWILIO_COMPAT_CACHED_USERS": "50",
        "TWILIO_COMPAT_CACHED_THREAD_CLIENTS": " 70 ",
    }
    loaded = Settings.load(environ=env)
    assert (loaded.cached_users, loaded.cached_thread_clients) == (50, 70)
    assert Settings.load(environ=env, cached_users=5).cached_users == 5
    for name in ("TWILIO_COMPAT_CACHED_USERS", "TWILIO_COMPAT_CACHED_THREAD_CLIENTS"):
        for bad in ("0", "-3", "1.5", "many", "1000001"):
            with pytest.raises(ConfigurationError, match=name):
                Settings.load(environ={**env, name: bad})


def test_the_store_pool_size_is_optional_and_checked() -> None:
    assert Settings.load(environ={"ACS_CONNECTION_STRING": CONN}).store_pool_size is None
    env = {"ACS_CONNECTION_STRING": CONN, "TWILIO_COMPAT_STORE_POOL_SIZE": "44"}
    assert Settings.load(environ=env).store_pool_size == 44
    assert Settings.load(environ=env, store_pool_size=3).store_pool_size == 3
    for bad in ("0", "x", "1001", "4.5"):
        with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_STORE_POOL_SIZE"):
            Settings.load(environ={**env, "TWILIO_COMPAT_STORE_POOL_SIZE": bad})
