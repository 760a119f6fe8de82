"""The adapter's settings: explicit arguments first, then the environment, then defaults.

Everything is checked when the settings are loaded, so a typo in a connection string fails at
start-up with an error naming the setting, not later inside an Azure SDK call. Values that may
carry credentials (the ACS access key, store and media settings) are kept as `Secret`.

ACS is reached with the access key of the connection string, or with Microsoft Entra ID: an
explicit azure-core `TokenCredential`, else `DefaultAzureCredential` when the connection string
has an endpoint and no key (the standard `AZURE_*` variables then pick the identity).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from acs_adapter._retry import RetrySettings
from acs_adapter.errors import ConfigurationError
from acs_adapter.events.entra_auth import EVENT_GRID_APP_IDS
from acs_adapter.secret import Secret

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

CONNECTION_STRING_ENV = "ACS_CONNECTION_STRING"
CA_BUNDLE_ENV = "ACS_CA_BUNDLE"
STORE_ENV = "TWILIO_COMPAT_STORE"
MEDIA_ENV = "TWILIO_COMPAT_MEDIA"
MEDIA_SECRET_ENV = "TWILIO_COMPAT_MEDIA_SECRET"  # noqa: S105 (a setting name)
AUTHORITY_HOST_ENV = "AZURE_AUTHORITY_HOST"  # read by azure-identity too
EVENTGRID_SECRET_ENV = "ACS_EVENTGRID_SECRET"  # noqa: S105 (a setting name)
EVENTGRID_TENANT_ENV = "ACS_EVENTGRID_TENANT_ID"
EVENTGRID_AUDIENCE_ENV = "ACS_EVENTGRID_AUDIENCE"
EVENTGRID_ALLOWED_APPS_ENV = "ACS_EVENTGRID_ALLOWED_APPS"
ANY_APP = "*"
"""The `ACS_EVENTGRID_ALLOWED_APPS` value that accepts Entra ID tokens of any calling app."""
CHANGE_RETENTION_ENV = "TWILIO_COMPAT_CHANGE_RETENTION"
NUMBERS_ENV = "TWILIO_COMPAT_NUMBERS"
WHATSAPP_PREFIX = "whatsapp:"
DEFAULT_CHANGE_RETENTION = timedelta(days=1)
CACHED_USERS_ENV = "TWILIO_COMPAT_CACHED_USERS"
DEFAULT_CACHED_USERS = 1_000
"""Users whose ACS token and chat client a process keeps (the most recently active)."""
CACHED_THREAD_CLIENTS_ENV = "TWILIO_COMPAT_CACHED_THREAD_CLIENTS"
DEFAULT_CACHED_THREAD_CLIENTS = 1_000
"""(User, thread) chat clients a process keeps, across all users (the most recently used)."""
CACHE_SIZE_MAX = 1_000_000
STORE_POOL_SIZE_ENV = "TWILIO_COMPAT_STORE_POOL_SIZE"
STORE_POOL_SIZE_MAX = 1_000
REQUESTS_CA_BUNDLE_ENVS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""What `requests` itself reads for a CA bundle, in its order of preference."""

EMBEDDED = "embedded"
DEFAULT_STORE_URL = "sqlite:///twilio_compat.sqlite3"
DEFAULT_MEDIA_FOLDER = "twilio_compat_media"
EMBEDDED_STATE_FILE = "twilio_compat_emulator.sqlite3"

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_e164(value: str) -> bool:
    """True for a phone number in E.164 form: ``+`` then 2 to 15 digits, no leading zero."""
    return _E164.fullmatch(value) is not None


@dataclass(frozen=True)
class OwnedNumber:
    """A proxy address the shim owns: ``+E.164`` for SMS, or ``whatsapp:+E.164`` with the
    ACS WhatsApp channel registration id it sends from."""

    address: str
    channel_id: str | None = None

    @property
    def type(self) -> str:
        """``sms`` or ``whatsapp``."""
        return "whatsapp" if self.address.startswith(WHATSAPP_PREFIX) else "sms"

    @classmethod
    def parse(cls, value: str, *, setting: str = NUMBERS_ENV) -> OwnedNumber:
        """One `TWILIO_COMPAT_NUMBERS` item: ``+E.164`` or ``whatsapp:+E.164=<channel-guid>``."""
        address, sep, channel = (part.strip() for part in value.partition("="))
        return cls.checked(address, channel if sep else None, setting=setting)

    @classmethod
    def checked(
        cls, address: str, channel_id: str | None = None, *, setting: str = NUMBERS_ENV
    ) -> OwnedNumber:
        """The number, or `ConfigurationError` naming `setting` for a malformed one."""
        number = address.removeprefix(WHATSAPP_PREFIX)
        whatsapp = number != address
        if not is_e164(number):
            raise ConfigurationError(f"{setting}: {address!r} is not '+E.164' or 'whatsapp:+E.164'")
        if whatsapp:
            if not channel_id:
                raise ConfigurationError(
                    f"{setting}: {address!r} needs its ACS channel id ('{address}=<channel-guid>')"
                )
            try:
                channel_id = str(uuid.UUID(channel_id))
            except ValueError:
                raise ConfigurationError(
                    f"{setting}: the channel id of {address!r} is not a GUID"
                ) from None
        elif channel_id:
            raise ConfigurationError(f"{setting}: an SMS number ({address!r}) takes no channel id")
        return cls(address, channel_id if whatsapp else None)


EMBEDDED_NUMBERS: tuple[OwnedNumber, ...] = (
    OwnedNumber("+18005550100"),
    OwnedNumber("whatsapp:+18005550101", "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"),
)
"""What the embedded emulator's resource owns by default, so `embedded` needs no setting."""


def parse_numbers(value: str, *, setting: str = NUMBERS_ENV) -> tuple[OwnedNumber, ...]:
    """A comma-separated `TWILIO_COMPAT_NUMBERS` value; an address given twice is refused."""
    numbers = tuple(
        OwnedNumber.parse(item, setting=setting) for item in value.split(",") if item.strip()
    )
    seen: set[str] = set()
    for number in numbers:
        if number.address in seen:
            raise ConfigurationError(f"{setting}: {number.address!r} is listed twice")
        seen.add(number.address)
    return numbers


_BLOB_CONNECTION_KEYS = frozenset(
    {
        "defaultendpointsprotocol",
        "accountname",
        "accountkey",
        "blobendpoint",
        "endpointsuffix",
        "sharedaccesssignature",
        "usedevelopmentstorage",
    }
)


@dataclass(frozen=True)
class AcsConnection:
    """A parsed `endpoint=https://…/;accesskey=…` connection string.

    `endpoint` is `https://host[:port]`, without a path or trailing slash. `access_key` is None
    for `endpoint=https://…/` alone: ACS is then reached with Microsoft Entra ID.
    """

    endpoint: str
    access_key: Secret | None

    @classmethod
    def parse(cls, value: str, *, setting: str = CONNECTION_STRING_ENV) -> AcsConnection:
        """Parse case-insensitively on keys; errors name the setting and never echo the key."""
        pairs = _split_pairs(value, setting)
        endpoint = pairs.get("endpoint", "")
        key = pairs.get("accesskey", "")
        if not endpoint:
            raise ConfigurationError(f"{setting} has no 'endpoint=' part")
        parts = urlsplit(endpoint)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise ConfigurationError(
                f"{setting}: the endpoint must be an https:// URL with a host "
                f"(or set the whole setting to '{EMBEDDED}')"
            )
        # No trailing slash: the identity SDK signs the endpoint's text as the Host it sends.
        endpoint = f"https://{parts.netloc}"
        if "accesskey" not in pairs:
            return cls(endpoint=endpoint, access_key=None)
        try:
            decoded = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not decoded:
            raise ConfigurationError(f"{setting}: the access key is not valid base64")
        return cls(endpoint=endpoint, access_key=Secret(key))

    @property
    def key_bytes(self) -> bytes:
        """The decoded access key, the HMAC secret the identity service checks."""
        if self.access_key is None:
            raise ConfigurationError("the ACS connection string has no access key")
        return base64.b64decode(self.access_key.reveal())

    def connection_string(self) -> Secret:
        if self.access_key is None:
            return Secret(f"endpoint={self.endpoint}/")
        return Secret(f"endpoint={self.endpoint}/;accesskey={self.access_key.reveal()}")


@dataclass(frozen=True)
class Settings:
    """Everything the adapter needs to open; build it with `Settings.load()`.

    `connection` is None exactly when `embedded` is true: the adapter then starts an in-process
    emulator and learns its endpoint, key and CA at open time. `credential`, when set, is the
    Entra ID credential ACS identity calls use instead of the access key. `media_secret` signs
    local media URLs; without it they are signed with a key derived from the access key.
    """

    connection: AcsConnection | None
    embedded: bool
    ca_bundle: Path | None
    store_url: Secret
    media: Secret
    retry: RetrySettings = field(default_factory=RetrySettings)
    credential: TokenCredential | None = field(default=None, compare=False, repr=False)
    media_secret: Secret | None = None
    authority_host: str | None = None
    """`AZURE_AUTHORITY_HOST` as azure-identity reads it: a private one (the emulator's Entra
    ID) turns off instance discovery for the credential the adapter makes."""
    change_retention: timedelta = DEFAULT_CHANGE_RETENTION
    """How long the store's change feed keeps a change: a consumer stopped for longer misses
    what is older."""
    numbers: tuple[OwnedNumber, ...] = ()
    """The proxy addresses the shim owns by configuration (more can be kept in the store);
    in embedded mode without a setting, the emulator's default numbers."""
    media_base_url: str | None = None
    """Where local media's temporary URLs point (`<base>/media/<key>?...`): the public URL of
    a server that mounts the media routes (`twilio-acs serve --public-url`); without it the
    adapter serves them itself on a loopback port that changes with every start."""
    cached_users: int = DEFAULT_CACHED_USERS
    """How many users' tokens and chat clients the adapter keeps; others are rebuilt on use."""
    cached_thread_clients: int = DEFAULT_CACHED_THREAD_CLIENTS
    """How many (user, thread) chat clients the adapter keeps; others are rebuilt on use."""
    store_pool_size: int | None = None
    """Database connections the store keeps open; None: SQLAlchemy's default (5, with 10 more
    for bursts). Size it to the threads that use the store (`serve` does)."""

    @classmethod
    def load(
        cls,
        *,
        connection_string: str | Secret | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        store_url: str | Secret | None = None,
        media: str | Secret | None = None,
        retry: RetrySettings | None = None,
        environ: Mapping[str, str] | None = None,
        credential: TokenCredential | None = None,
        media_secret: str | Secret | None = None,
        authority_host: str | None = None,
        change_retention: timedelta | float | str | None = None,
        numbers: str | tuple[OwnedNumber, ...] | None = None,
        media_base_url: str | None = None,
        cached_users: int | str | None = None,
        cached_thread_clients: int | str | None = None,
        store_pool_size: int | str | None = None,
    ) -> Settings:
        """Resolve each setting from the argument, else the environment, else the default."""
        env = _environment(environ)

        raw_connection = _pick(connection_string, env, CONNECTION_STRING_ENV)
        if raw_connection is None:
            raise ConfigurationError(
                f"{CONNECTION_STRING_ENV} is not set: give 'endpoint=https://…/;accesskey=…', "
                f"'endpoint=https://…/' for Microsoft Entra ID, or '{EMBEDDED}' for a local "
                "emulator"
            )
        embedded = raw_connection.strip().lower() == EMBEDDED
        connection = None if embedded else AcsConnection.parse(raw_connection)

        ca_value = _pick(ca_bundle, env, CA_BUNDLE_ENV)
        ca_path = _check_ca_bundle(ca_value) if ca_value is not None else None

        store_value = _pick(store_url, env, STORE_ENV) or DEFAULT_STORE_URL
        _check_store_url(store_value)

        media_value = _pick(media, env, MEDIA_ENV)
        media_setting = (
            _default_media(store_value) if media_value is None else _check_media(media_value)
        )

        media_secret_value = _pick(media_secret, env, MEDIA_SECRET_ENV)
        authority_value = _pick(authority_host, env, AUTHORITY_HOST_ENV)
        retention = _retention(
            change_retention if change_retention is not None else env.get(CHANGE_RETENTION_ENV)
        )
        if isinstance(numbers, tuple):
            owned = numbers
        else:
            numbers_value = _pick(numbers, env, NUMBERS_ENV)
            owned = parse_numbers(numbers_value) if numbers_value is not None else ()
        if embedded and numbers is None and not owned:
            owned = EMBEDDED_NUMBERS

        return cls(
            connection=connection,
            embedded=embedded,
            ca_bundle=ca_path,
            store_url=Secret(store_value),
            media=Secret(media_setting),
            retry=retry or RetrySettings(),
            credential=credential,
            media_secret=Secret(media_secret_value) if media_secret_value is not None else None,
            authority_host=authority_value.strip() if authority_value else None,
            change_retention=retention,
            numbers=owned,
            media_base_url=media_base_url,
            cached_users=_cache_size(cached_users, env, CACHED_USERS_ENV, DEFAULT_CACHED_USERS),
            cached_thread_clients=_cache_size(
                cached_thread_clients, env, CACHED_THREAD_CLIENTS_ENV, DEFAULT_CACHED_THREAD_CLIENTS
            ),
            store_pool_size=_whole_number(
                store_pool_size, env, STORE_POOL_SIZE_ENV, None, STORE_POOL_SIZE_MAX
            ),
        )

    @property
    def embedded_state(self) -> Path:
        """Where the embedded emulator keeps its users and threads: beside the store, so the
        identities a file store maps still exist in ACS the next time the adapter opens."""
        return store_folder(self.store_url.reveal()) / EMBEDDED_STATE_FILE

    @property
    def store_display(self) -> str:
        """The store URL with any password masked, for logs and status output."""
        return make_url(self.store_url.reveal()).render_as_string(hide_password=True)


def _retention(value: timedelta | float | str | None) -> timedelta:
    """A change-feed retention: a timedelta, or seconds (a positive number, at most a year)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_CHANGE_RETENTION
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
    if not 60 <= seconds <= 366 * 86400:
        raise ConfigurationError(
            f"{CHANGE_RETENTION_ENV} must be a number of seconds from 60 to 31622400"
        )
    return timedelta(seconds=seconds)


def _cache_size(given: int | str | None, env: Mapping[str, str], name: str, default: int) -> int:
    """A cache bound: a whole number from 1 to `CACHE_SIZE_MAX`; unset or empty is `default`."""
    size = _whole_number(given, env, name, default, CACHE_SIZE_MAX)
    assert size is not None
    return size


def _whole_number(
    given: int | str | None, env: Mapping[str, str], name: str, default: int | None, maximum: int
) -> int | None:
    """The argument, else the environment: a whole number from 1 to `maximum`, or `default`
    when unset or blank."""
    value = given if given is not None else env.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = (
            value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
        )
    except ValueError:
        number = 0
    if not 1 <= number <= maximum:
        raise ConfigurationError(f"{name} must be a whole number from 1 to {maximum}")
    return number


def _environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def configured_store_url(environ: Mapping[str, str] | None = None) -> str:
    """`TWILIO_COMPAT_STORE` from the environment, else the default file beside the process."""
    return _environment(environ).get(STORE_ENV) or DEFAULT_STORE_URL


def eventgrid_secret(environ: Mapping[str, str] | None = None) -> str | None:
    """`ACS_EVENTGRID_SECRET` from the environment, or None when it is unset."""
    return _environment(environ).get(EVENTGRID_SECRET_ENV)


def eventgrid_entra(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(tenant id, audience) of Event Grid's Entra ID tokens from `ACS_EVENTGRID_TENANT_ID`
    and `ACS_EVENTGRID_AUDIENCE`; None when neither is set, an error naming the missing one
    when only one is."""
    env = _environment(environ)
    tenant = env.get(EVENTGRID_TENANT_ENV, "").strip()
    audience = env.get(EVENTGRID_AUDIENCE_ENV, "").strip()
    if not tenant and not audience:
        return None
    if not tenant or not audience:
        missing = EVENTGRID_TENANT_ENV if not tenant else EVENTGRID_AUDIENCE_ENV
        raise ConfigurationError(
            f"{missing} is not set: Event Grid with Entra ID needs both "
            f"{EVENTGRID_TENANT_ENV} and {EVENTGRID_AUDIENCE_ENV}"
        )
    return tenant, audience


def eventgrid_allowed_apps(environ: Mapping[str, str] | None = None) -> frozenset[str] | None:
    """The calling apps (`appid`/`azp`) whose Event Grid Entra ID tokens are accepted, from
    `ACS_EVENTGRID_ALLOWED_APPS` (app ids, comma-separated); Event Grid's own (public cloud and
    US Government) when unset; None, meaning any app holding the role, for `*`."""
    value = _environment(environ).get(EVENTGRID_ALLOWED_APPS_ENV, "").strip()
    if not value:
        return EVENT_GRID_APP_IDS
    if value == ANY_APP:
        return None
    apps = [app.strip() for app in value.split(",")]
    if not all(apps) or ANY_APP in apps:
        raise ConfigurationError(
            f"{EVENTGRID_ALLOWED_APPS_ENV} must be app ids separated by commas, or "
            f"{ANY_APP!r} alone for any calling app"
        )
    return frozenset(app.lower() for app in apps)


def entra_authority(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(`AZURE_AUTHORITY_HOST`, `ACS_CA_BUNDLE`) from the environment, each None when unset:
    where Entra ID tokens come from, and the CA a private authority (the emulator's) needs."""
    env = _environment(environ)
    authority = env.get(AUTHORITY_HOST_ENV, "").strip() or None
    ca_bundle = env.get(CA_BUNDLE_ENV, "").strip() or None
    return authority, ca_bundle


def requests_ca_bundle(environ: Mapping[str, str] | None = None) -> str | None:
    """The CA bundle the environment names for `requests`, or None for the system defaults."""
    env = _environment(environ)
    for name in REQUESTS_CA_BUNDLE_ENVS:
        if env.get(name):
            return env[name]
    return None


def _pick(
    explicit: str | os.PathLike[str] | Secret | None, env: Mapping[str, str], name: str
) -> str | None:
    if isinstance(explicit, Secret):
        return explicit.reveal()
    if explicit is not None:
        return os.fspath(explicit)
    value = env.get(name, "")
    return value if value.strip() else None


def _split_pairs(value: str, setting: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        name, sep, item = part.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"{setting} must be ';'-separated 'name=value' pairs")
        pairs[name.strip().lower()] = item.strip()
    return pairs


def _check_ca_bundle(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigurationError(f"{CA_BUNDLE_ENV} does not name a readable PEM file")
    return path.resolve()


def _check_store_url(value: str) -> None:
    try:
        make_url(value)
    except (ArgumentError, ValueError):
        raise ConfigurationError(
            f"{STORE_ENV} is not a valid SQLAlchemy URL (e.g. sqlite:///path.sqlite3)"
        ) from None


def store_folder(store_value: str) -> Path:
    """The folder of a SQLite store file, else the working directory: where local state goes."""
    url = make_url(store_value)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent
    return Path.cwd().resolve()


def _default_media(store_value: str) -> str:
    return (store_folder(store_value) / DEFAULT_MEDIA_FOLDER).as_uri()


def _check_media(value: str) -> str:
    error = ConfigurationError(
        f"{MEDIA_ENV} must be a file:/// URL, an absolute folder path, an Azure Blob container "
        "URL or an Azure Storage connection string"
    )
    text = value.strip()
    if text.startswith("/"):
        return Path(text).resolve().as_uri()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not unquote(parts.path).startswith("/"):
            raise error
        return text
    if scheme in ("https", "http"):
        if not parts.hostname:
            raise error
        return text
    if "=" in text:
        pairs = _split_pairs(text, MEDIA_ENV)
        if pairs.keys() & _BLOB_CONNECTION_KEYS:
            return text
    raise error
