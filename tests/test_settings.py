"""The shim's one settings object: explicit arguments win, secrets stay hidden, docs match."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from acs_adapter.secret import Secret
from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.runtime import Runtime
from twilio_compat.settings import (
    DEFAULT_POLL_INTERVAL,
    SERVE_STORE_POOL_SIZE,
    SETTINGS,
    EventSource,
    ServeOptions,
    Settings,
    TwilioAccount,
    WebhookOptions,
    configured,
    markdown_table,
)

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

README = Path(__file__).resolve().parents[1] / "README.md"
KEY = "c2VjcmV0LWtleS1ieXRlcw=="
CONNECTION = f"endpoint=https://acs.example.com/;accesskey={KEY}"

ENVIRONMENT = {
    "ACS_CONNECTION_STRING": CONNECTION,
    "TWILIO_COMPAT_STORE": "sqlite:///from-env.sqlite3",
    "TWILIO_ACCOUNT_SID": "AC" + "e" * 32,
    "TWILIO_AUTH_TOKEN": "token-from-env",
    "TWILIO_API_KEY": "SK" + "e" * 32,
    "TWILIO_API_SECRET": "api-secret-from-env",
    "ACS_EVENTGRID_SECRET": "eventgrid-secret-from-env",
    "TWILIO_COMPAT_POLL_INTERVAL": "0.5",
    "TWILIO_COMPAT_PUBLIC_URL": "https://chat.example.com",
    "TWILIO_COMPAT_LOG_LEVEL": "DEBUG",
    "TWILIO_COMPAT_LOG_JSON": "true",
    "TWILIO_COMPAT_WORKERS": "3",
    "TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS": "true",
    "TWILIO_COMPAT_CHANGE_RETENTION": "7200",
    "TWILIO_COMPAT_NUMBERS": "+18005550100, whatsapp:+18005550101="
    "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11",
    "TWILIO_COMPAT_CACHED_USERS": "300",
    "TWILIO_COMPAT_CACHED_THREAD_CLIENTS": "400",
    "TWILIO_COMPAT_STORE_POOL_SIZE": "12",
}


def test_the_readme_table_is_the_settings_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration\n", 1)[1]
    table = "\n".join(re.findall(r"^\|.*\|$", section.split("\n\n## ", 1)[0], re.MULTILINE))
    assert table == markdown_table(), "regenerate README's table from twilio_compat.settings"


def test_every_documented_variable_is_read() -> None:
    documented = {name for setting in SETTINGS for name in setting.names}
    env = {
        **ENVIRONMENT,
        "TWILIO_COMPAT_MEDIA": "file:///srv/media",
        "TWILIO_COMPAT_MEDIA_SECRET": "media-secret-from-env",
        "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.com",
        "ACS_EVENTGRID_TENANT_ID": "contoso-tenant",
        "ACS_EVENTGRID_AUDIENCE": "api://chat-webhook",
        "ACS_EVENTGRID_ALLOWED_APPS": "*",
    }
    assert set(env) | {"ACS_CA_BUNDLE"} == documented
    assert configured(env) == frozenset(env)
    assert configured({"ACS_CONNECTION_STRING": "  ", "UNRELATED": "x"}) == frozenset()


def test_the_environment_fills_every_part() -> None:
    settings = Settings.load(ENVIRONMENT)
    assert settings.acs.connection is not None
    assert settings.acs.connection.endpoint == "https://acs.example.com"
    assert settings.acs.store_url.reveal() == "sqlite:///from-env.sqlite3"
    account = settings.account
    assert account.account_sid == "AC" + "e" * 32
    assert account.auth_token == Secret("token-from-env")
    assert (account.api_key, account.api_secret) == ("SK" + "e" * 32, Secret("api-secret-from-env"))
    assert settings.events == EventSource(Secret("eventgrid-secret-from-env"), 0.5)
    assert settings.serve == ServeOptions("https://chat.example.com", "debug", True, 3)
    assert settings.webhooks == WebhookOptions(allow_private=True)
    assert settings.acs.change_retention.total_seconds() == 7200
    assert [(n.address, n.channel_id) for n in settings.acs.numbers] == [
        ("+18005550100", None),
        ("whatsapp:+18005550101", "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"),
    ]
    assert (settings.acs.cached_users, settings.acs.cached_thread_clients) == (300, 400)
    assert settings.acs.store_pool_size == 12
    assert settings.for_serve() is settings  # a pool size that is set is kept


def test_event_grid_with_entra_id_pushes_without_a_secret() -> None:
    env = {"ACS_EVENTGRID_TENANT_ID": " t-1 ", "ACS_EVENTGRID_AUDIENCE": "api://hook"}
    events = EventSource.load(env)
    assert events.eventgrid_entra == ("t-1", "api://hook") and events.push
    assert not EventSource.load({}).push
    assert events.eventgrid_allowed_apps == frozenset(
        {
            "4962773b-9cdb-44cf-a8bf-237846a00ab7",  # Event Grid, public cloud
            "54316b56-3481-47f9-8f30-0300f5542a7b",  # Event Grid, US Government
        }
    )
    assert (
        EventSource.load({**env, "ACS_EVENTGRID_ALLOWED_APPS": "*"}).eventgrid_allowed_apps is None
    )
    listed = EventSource.load({**env, "ACS_EVENTGRID_ALLOWED_APPS": " AB-1 ,cd-2"})
    assert listed.eventgrid_allowed_apps == frozenset({"ab-1", "cd-2"})


def test_explicit_arguments_win() -> None:
    settings = Settings.load(
        ENVIRONMENT,
        connection_string="embedded",
        store_url="sqlite:///given.sqlite3",
        account_sid="AC" + "1" * 32,
        auth_token=Secret("given-token"),
        eventgrid_secret="given-eventgrid-secret",
        poll_interval=7,
    )
    assert settings.acs.embedded and settings.acs.store_url.reveal() == "sqlite:///given.sqlite3"
    assert settings.account.account_sid == "AC" + "1" * 32
    assert settings.account.auth_token == Secret("given-token")
    assert settings.events == EventSource(Secret("given-eventgrid-secret"), 7.0)


def test_unset_and_blank_values_take_the_defaults() -> None:
    settings = Settings.load(
        {"ACS_CONNECTION_STRING": "embedded", "ACS_EVENTGRID_SECRET": "  "},
        store_url="sqlite:///x.sqlite3",
    )
    assert settings.account == TwilioAccount()
    assert settings.events == EventSource(None, DEFAULT_POLL_INTERVAL)
    assert settings.serve == ServeOptions()
    assert settings.webhooks == WebhookOptions(allow_private=False)


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_bad_poll_interval_names_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="TWILIO_COMPAT_POLL_INTERVAL"):
        Settings.load({**ENVIRONMENT, "TWILIO_COMPAT_POLL_INTERVAL": value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_COMPAT_LOG_LEVEL", "loud"),
        ("TWILIO_COMPAT_LOG_JSON", "maybe"),
        ("TWILIO_COMPAT_WORKERS", "0"),
        ("TWILIO_COMPAT_WORKERS", "two"),
        ("TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS", "sometimes"),
    ],
)
def test_a_bad_serve_option_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.load({**ENVIRONMENT, name: value})


def test_secrets_never_show_in_the_repr() -> None:
    shown = repr(Settings.load(ENVIRONMENT))
    for secret in (KEY, "token-from-env", "api-secret-from-env", "eventgrid-secret-from-env"):
        assert secret not in shown


def test_the_runtime_opens_the_adapter_and_core_once_and_closes_both(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    settings = Settings.load(
        {},
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        media=(tmp_path / "media").as_uri(),
    )
    with Runtime.open(settings, account_sid="AC" + "3" * 32) as runtime:
        assert runtime.settings is settings
        assert runtime.core.account_sid == "AC" + "3" * 32
        # The core acts through the runtime's adapter: the identities in its store.
        service_user = runtime.adapter.directory.acs_user_for(SERVICE_IDENTITY)
        assert runtime.core.directory.service_user == service_user
        over = Runtime.over(runtime.adapter)
        over.close()  # a runtime over someone else's adapter leaves it open
        assert runtime.core.services.resolve(None).startswith("IS")


def test_serve_sizes_the_store_pool_to_its_threads_unless_set() -> None:
    settings = Settings.load({"ACS_CONNECTION_STRING": "embedded"})
    assert settings.acs.store_pool_size is None  # a library process: SQLAlchemy's default
    assert settings.for_serve().acs.store_pool_size == SERVE_STORE_POOL_SIZE
