"""The shim's settings, in one place: explicit arguments first, then the environment, then defaults.

`Settings.load()` reads the environment once; every part of the shim takes the values it
needs from the loaded object and never reads the environment itself. The ACS side is the
adapter's own `acs_adapter.Settings`, composed here with what only the shim uses (the Twilio
account it answers as, the event source of `twilio-acs serve`, where webhooks may go).
`SETTINGS` documents every
variable; the README's configuration table is `markdown_table()`, and a test keeps them equal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from acs_adapter.config import (
    AUTHORITY_HOST_ENV,
    CA_BUNDLE_ENV,
    CACHED_THREAD_CLIENTS_ENV,
    CACHED_USERS_ENV,
    CHANGE_RETENTION_ENV,
    CONNECTION_STRING_ENV,
    DEFAULT_CACHED_THREAD_CLIENTS,
    DEFAULT_CACHED_USERS,
    DEFAULT_CHANGE_RETENTION,
    EMBEDDED,
    EVENTGRID_ALLOWED_APPS_ENV,
    EVENTGRID_AUDIENCE_ENV,
    EVENTGRID_SECRET_ENV,
    EVENTGRID_TENANT_ENV,
    MEDIA_ENV,
    MEDIA_SECRET_ENV,
    NUMBERS_ENV,
    STORE_ENV,
    STORE_POOL_SIZE_ENV,
    eventgrid_allowed_apps,
    eventgrid_entra,
)
from acs_adapter.config import Settings as AdapterSettings
from acs_adapter.events.entra_auth import EVENT_GRID_APP_IDS
from acs_adapter.secret import Secret

ACCOUNT_SID_ENV = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"  # noqa: S105 (a setting name)
API_KEY_ENV = "TWILIO_API_KEY"
API_SECRET_ENV = "TWILIO_API_SECRET"  # noqa: S105 (a setting name)
POLL_INTERVAL_ENV = "TWILIO_COMPAT_POLL_INTERVAL"
DEFAULT_POLL_INTERVAL = 2.0
PUBLIC_URL_ENV = "TWILIO_COMPAT_PUBLIC_URL"
LOG_LEVEL_ENV = "TWILIO_COMPAT_LOG_LEVEL"
LOG_JSON_ENV = "TWILIO_COMPAT_LOG_JSON"
WORKERS_ENV = "TWILIO_COMPAT_WORKERS"
ALLOW_PRIVATE_WEBHOOKS_ENV = "TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS"
SERVE_REQUEST_THREADS = 40
"""Threads a `serve` process answers requests on: anyio's default limiter, which Starlette's
`run_in_threadpool` uses."""
SERVE_BACKGROUND_THREADS = 8
"""Other threads of a `serve` process that use the store: event source, sent log, webhooks,
readiness checks."""
SERVE_STORE_POOL_SIZE = SERVE_REQUEST_THREADS + SERVE_BACKGROUND_THREADS
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
DEFAULT_LOG_LEVEL = "info"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    """One documented row: the environment variables, what they mean, what applies if unset."""

    names: tuple[str, ...]
    meaning: str
    default: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        (CONNECTION_STRING_ENV,),
        "`endpoint=https://<resource>.communication.azure.com/;accesskey=<key>`, the endpoint "
        "alone for Microsoft Entra ID (`DefaultAzureCredential`), or `embedded` for an "
        "in-process emulator",
        "none",
    ),
    Setting((CA_BUNDLE_ENV,), "PEM of a CA to trust (the emulator's)", "system trust"),
    Setting(
        (STORE_ENV,),
        "SQLAlchemy URL of the mapping store (SQLite or PostgreSQL)",
        "`sqlite:///twilio_compat.sqlite3`",
    ),
    Setting(
        (MEDIA_ENV,),
        "`file:///dir`, an Azure Blob connection string, a container URL with a SAS token, or "
        "one without (Microsoft Entra ID: `DefaultAzureCredential`, user delegation SAS links)",
        "a folder beside the store",
    ),
    Setting(
        (AUTHORITY_HOST_ENV,),
        "Entra ID authority host for `DefaultAzureCredential`; a private one (the emulator's) "
        "turns off instance discovery and trusts `ACS_CA_BUNDLE`",
        "Azure's public cloud",
    ),
    Setting(
        (MEDIA_SECRET_ENV,),
        "secret that signs local media URLs when ACS is reached with Entra ID (no access key)",
        "derived from the access key",
    ),
    Setting((ACCOUNT_SID_ENV, AUTH_TOKEN_ENV), "as in twilio-python", "as in twilio-python"),
    Setting(
        (EVENTGRID_SECRET_ENV,),
        "shared secret every Event Grid delivery carries, in the `X-Event-Secret` header (a "
        "delivery attribute of the subscription) or the subscription URL's `?secret=`",
        "none",
    ),
    Setting(
        (EVENTGRID_TENANT_ENV, EVENTGRID_AUDIENCE_ENV),
        "for an Event Grid subscription protected by Microsoft Entra ID: the webhook app's "
        "tenant and its client id or `api://` App ID URI; deliveries then carry a bearer token "
        "(checked against the tenant's keys at `AZURE_AUTHORITY_HOST`) instead of the secret",
        "none",
    ),
    Setting(
        (EVENTGRID_ALLOWED_APPS_ENV,),
        "with Entra ID: the calling apps whose tokens are accepted (a token's `appid` in v1, "
        "`azp` in v2), comma-separated app ids, or `*` for any app that holds the "
        "`AzureEventGridSecureWebhookSubscriber` role",
        "Event Grid's own: `" + "`, `".join(sorted(EVENT_GRID_APP_IDS)) + "` (public cloud, "
        "US Government)",
    ),
    Setting(
        (CHANGE_RETENTION_ENV,),
        "seconds the store's change feed keeps a change (client events, webhooks and replicas "
        "follow it); a consumer stopped for longer misses what is older",
        f"`{int(DEFAULT_CHANGE_RETENTION.total_seconds())}` (a day)",
    ),
    Setting(
        (NUMBERS_ENV,),
        "proxy addresses the shim owns for SMS/WhatsApp participants, comma-separated: "
        "`+E.164`, or `whatsapp:+E.164=<channel-guid>` (the ACS channel registration); "
        "`twilio-acs numbers add` keeps more in the store",
        "none (`embedded`: the emulator's `+18005550100` and `whatsapp:+18005550101`)",
    ),
    Setting(
        (STORE_POOL_SIZE_ENV,),
        "database connections each process keeps open to the store (PostgreSQL: workers x this "
        "must fit the server's `max_connections`)",
        f"`{SERVE_STORE_POOL_SIZE}` in `twilio-acs serve` (its threads), else SQLAlchemy's `5`",
    ),
    Setting(
        (CACHED_USERS_ENV,),
        "users whose ACS token and chat client a process keeps, the most recently active "
        "(about 34 KB each); others get theirs again when next active",
        f"`{DEFAULT_CACHED_USERS}`",
    ),
    Setting(
        (CACHED_THREAD_CLIENTS_ENV,),
        "chat clients for a (user, thread) pair a process keeps, the most recently used "
        "(about 32 KB each)",
        f"`{DEFAULT_CACHED_THREAD_CLIENTS}`",
    ),
    Setting(
        (POLL_INTERVAL_ENV,),
        "seconds between polls when `twilio-acs serve` has no Event Grid secret",
        f"`{DEFAULT_POLL_INTERVAL:g}`",
    ),
    Setting(
        (API_KEY_ENV, API_SECRET_ENV),
        "signing key the client face accepts for `AccessToken`s (else `TWILIO_AUTH_TOKEN`)",
        "none",
    ),
    Setting(
        (PUBLIC_URL_ENV,),
        "where clients reach `twilio-acs serve` (e.g. `https://chat.example.com`); "
        "resource and paging URLs point there, and so do local media links (`/media/...`), "
        "which `serve` answers itself",
        "Twilio's own URLs",
    ),
    Setting(
        (LOG_LEVEL_ENV,),
        "level of the `twilio_compat`, `acs_adapter` and uvicorn logs of `twilio-acs serve`: "
        + ", ".join(f"`{level}`" for level in LOG_LEVELS),
        f"`{DEFAULT_LOG_LEVEL}`",
    ),
    Setting((LOG_JSON_ENV,), "`true` for one JSON object per log line", "`false`"),
    Setting((WORKERS_ENV,), "worker processes of `twilio-acs serve`", "`1`"),
    Setting(
        (ALLOW_PRIVATE_WEBHOOKS_ENV,),
        "`true` lets webhook URLs resolve to private, loopback or link-local addresses "
        "(a receiver on the same machine or network); otherwise such targets are refused",
        "`false`",
    ),
)
"""Every environment variable the shim and its adapter read, as the README documents them."""


def markdown_table() -> str:
    """The README's configuration table, rendered from `SETTINGS`."""
    lines = ["| setting | meaning | default |", "|---|---|---|"]
    for setting in SETTINGS:
        names = ", ".join(f"`{name}`" for name in setting.names)
        lines.append(f"| {names} | {setting.meaning} | {setting.default} |")
    return "\n".join(lines)


def configured(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The documented variables the environment sets to something other than blanks."""
    env = _environment(environ)
    names = (name for setting in SETTINGS for name in setting.names)
    return frozenset(name for name in names if env.get(name, "").strip())


@dataclass(frozen=True)
class TwilioAccount:
    """The Twilio account the shim answers as: what clients authenticate and sign tokens with."""

    account_sid: str | None = None
    auth_token: Secret | None = None
    api_key: str | None = None
    api_secret: Secret | None = None

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        account_sid: str | None = None,
        auth_token: str | Secret | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
    ) -> TwilioAccount:
        """Each value from its (non-empty) argument, else the environment, else None."""
        env = _environment(environ)
        return cls(
            account_sid=account_sid or env.get(ACCOUNT_SID_ENV) or None,
            auth_token=_secret(auth_token) or _secret(env.get(AUTH_TOKEN_ENV)),
            api_key=api_key or env.get(API_KEY_ENV) or None,
            api_secret=_secret(api_secret) or _secret(env.get(API_SECRET_ENV)),
        )


@dataclass(frozen=True)
class EventSource:
    """Where `twilio-acs serve` learns of ACS changes: Event Grid when a secret or its Entra ID
    tenant and audience are set, else a poller every `poll_interval` seconds."""

    eventgrid_secret: Secret | None = None
    poll_interval: float = DEFAULT_POLL_INTERVAL
    eventgrid_entra: tuple[str, str] | None = None
    """(tenant id, audience) of the Entra ID tokens Event Grid deliveries carry."""
    eventgrid_allowed_apps: frozenset[str] | None = EVENT_GRID_APP_IDS
    """The calling apps whose Entra ID tokens pass (Event Grid's); None accepts any."""

    @property
    def push(self) -> bool:
        """Whether Event Grid delivers the events (else they are polled)."""
        return self.eventgrid_secret is not None or self.eventgrid_entra is not None

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        eventgrid_secret: str | Secret | None = None,
        poll_interval: float | str | None = None,
    ) -> EventSource:
        """The argument, else the environment; a poll interval must be a positive number."""
        env = _environment(environ)
        secret = eventgrid_secret if eventgrid_secret is not None else env.get(EVENTGRID_SECRET_ENV)
        interval = poll_interval if poll_interval is not None else env.get(POLL_INTERVAL_ENV)
        return cls(
            eventgrid_secret=_blank_is_none(secret),
            poll_interval=_interval(interval),
            eventgrid_entra=eventgrid_entra(env),
            eventgrid_allowed_apps=eventgrid_allowed_apps(env),
        )


@dataclass(frozen=True)
class WebhookOptions:
    """Where webhooks may be sent: public addresses only, unless `allow_private`."""

    allow_private: bool = False

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, *, allow_private: bool | str | None = None
    ) -> WebhookOptions:
        """The argument, else the environment, else public addresses only."""
        env = _environment(environ)
        value = allow_private if allow_private is not None else env.get(ALLOW_PRIVATE_WEBHOOKS_ENV)
        return cls(allow_private=_flag(value, ALLOW_PRIVATE_WEBHOOKS_ENV))


@dataclass(frozen=True)
class ServeOptions:
    """How `twilio-acs serve` runs: its public URL, its logs and its worker processes."""

    public_url: str | None = None
    log_level: str = DEFAULT_LOG_LEVEL
    log_json: bool = False
    workers: int = 1

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        public_url: str | None = None,
        log_level: str | None = None,
        log_json: bool | str | None = None,
        workers: int | str | None = None,
    ) -> ServeOptions:
        """The argument, else the environment, else the default; bad values name the setting."""
        env = _environment(environ)
        url = public_url if public_url is not None else env.get(PUBLIC_URL_ENV, "")
        return cls(
            public_url=url.strip() or None,
            log_level=_log_level(log_level if log_level is not None else env.get(LOG_LEVEL_ENV)),
            log_json=_flag(
                log_json if log_json is not None else env.get(LOG_JSON_ENV), LOG_JSON_ENV
            ),
            workers=_workers(workers if workers is not None else env.get(WORKERS_ENV)),
        )

    def as_environment(self) -> dict[str, str]:
        """These options as the variables that `load` reads, for worker processes to inherit."""
        env = {
            LOG_LEVEL_ENV: self.log_level,
            LOG_JSON_ENV: "true" if self.log_json else "false",
            WORKERS_ENV: str(self.workers),
        }
        if self.public_url:
            env[PUBLIC_URL_ENV] = self.public_url
        return env


@dataclass(frozen=True)
class Settings:
    """Everything the shim needs to run; build it once with `Settings.load()`."""

    acs: AdapterSettings
    account: TwilioAccount = field(default_factory=TwilioAccount)
    events: EventSource = field(default_factory=EventSource)
    serve: ServeOptions = field(default_factory=ServeOptions)
    webhooks: WebhookOptions = field(default_factory=WebhookOptions)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        acs: AdapterSettings | None = None,
        connection_string: str | Secret | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        store_url: str | Secret | None = None,
        media: str | Secret | None = None,
        account_sid: str | None = None,
        auth_token: str | Secret | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        eventgrid_secret: str | Secret | None = None,
        poll_interval: float | str | None = None,
        public_url: str | None = None,
        log_level: str | None = None,
        log_json: bool | str | None = None,
        workers: int | str | None = None,
        allow_private_webhooks: bool | str | None = None,
        numbers: str | None = None,
    ) -> Settings:
        """Resolve every setting: explicit arguments (or ready `acs` settings) win over
        `environ` (default: the process environment); errors name the setting at fault."""
        env = _environment(environ)
        if acs is None:
            acs = AdapterSettings.load(
                connection_string=connection_string,
                ca_bundle=ca_bundle,
                store_url=store_url,
                media=media,
                environ=env,
                numbers=numbers,
            )
        account = TwilioAccount.load(
            env,
            account_sid=account_sid,
            auth_token=auth_token,
            api_key=api_key,
            api_secret=api_secret,
        )
        events = EventSource.load(
            env, eventgrid_secret=eventgrid_secret, poll_interval=poll_interval
        )
        serve = ServeOptions.load(
            env, public_url=public_url, log_level=log_level, log_json=log_json, workers=workers
        )
        webhooks = WebhookOptions.load(env, allow_private=allow_private_webhooks)
        return cls(acs=acs, account=account, events=events, serve=serve, webhooks=webhooks)

    def for_serve(self) -> Settings:
        """These settings as a `serve` process runs them: unless set, the store keeps a
        connection open for each thread that uses it, so busy requests reuse sessions instead
        of opening new ones."""
        if self.acs.store_pool_size is not None:
            return self
        return replace(self, acs=replace(self.acs, store_pool_size=SERVE_STORE_POOL_SIZE))


def _environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


METRICS_FOLDER_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus-client keeps every worker's counts; set for `serve --workers`."""


def metrics_folder(environ: Mapping[str, str] | None = None) -> str | None:
    """The shared metrics folder of this process's workers, if any."""
    return _environment(environ).get(METRICS_FOLDER_ENV) or None


def hand_to_workers(values: Mapping[str, str]) -> None:
    """Settings for worker processes started after this call, which inherit the environment
    (uvicorn and gunicorn start them with the parent's environment and no other channel)."""
    os.environ.update(values)


def _secret(value: str | Secret | None) -> Secret | None:
    if isinstance(value, Secret):
        return value if value.reveal() else None
    return Secret(value) if value else None


def _blank_is_none(value: str | Secret | None) -> Secret | None:
    text = value.reveal() if isinstance(value, Secret) else value
    return Secret(text) if text is not None and text.strip() else None


def _interval(value: float | str | None) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_POLL_INTERVAL
    try:
        interval = float(value)
    except ValueError:
        raise ValueError(f"{POLL_INTERVAL_ENV} must be a number of seconds") from None
    if interval <= 0:
        raise ValueError(f"{POLL_INTERVAL_ENV} must be positive")
    return interval


def _log_level(value: str | None) -> str:
    level = (value or "").strip().lower() or DEFAULT_LOG_LEVEL
    if level not in LOG_LEVELS:
        raise ValueError(f"{LOG_LEVEL_ENV} must be one of {', '.join(LOG_LEVELS)}")
    return level


def _flag(value: bool | str | None, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false")


def _workers(value: int | str | None) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(f"{WORKERS_ENV} must be a whole number") from None
    if workers < 1:
        raise ValueError(f"{WORKERS_ENV} must be at least 1")
    return workers


__all__ = [
    "ACCOUNT_SID_ENV",
    "ALLOW_PRIVATE_WEBHOOKS_ENV",
    "API_KEY_ENV",
    "API_SECRET_ENV",
    "AUTH_TOKEN_ENV",
    "CA_BUNDLE_ENV",
    "CONNECTION_STRING_ENV",
    "DEFAULT_POLL_INTERVAL",
    "EMBEDDED",
    "EVENTGRID_SECRET_ENV",
    "LOG_JSON_ENV",
    "LOG_LEVELS",
    "LOG_LEVEL_ENV",
    "MEDIA_ENV",
    "POLL_INTERVAL_ENV",
    "PUBLIC_URL_ENV",
    "SETTINGS",
    "STORE_ENV",
    "WORKERS_ENV",
    "AdapterSettings",
    "EventSource",
    "ServeOptions",
    "Setting",
    "Settings",
    "TwilioAccount",
    "WebhookOptions",
    "configured",
    "markdown_table",
]
