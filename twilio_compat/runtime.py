"""`Runtime`: the shim's composition root, where settings become an open adapter and one core.

Every face (the REST handler and its http_clients, `twilio-acs serve`, the client SDK port,
the migration commands) gets its core from here, so the adapter is opened in one place and
closed by whoever opened it. `shared_runtime()` is the process-wide one that
`twilio_compat.rest.Client`, `twilio_compat.install()` and the client face share. The store's
schema maintenance (`schema_revision`, `upgrade_schema`, `stored_webhook_urls`) is offered here
too, for the `store` and `doctor` commands, so nothing else in the shim reaches into the
adapter's store. So is `watch_acs_calls`, which the metrics of `serve` use to count the
requests the adapter makes to ACS, and `served_media_routes`, which `serve` mounts.
"""

from __future__ import annotations

import atexit
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from acs_adapter.adapter import AcsAdapter
from acs_adapter.observing import watch_acs_calls
from acs_adapter.store.revisions import (
    SchemaRevision,
    schema_revision,
    stored_webhook_urls,
    upgrade_schema,
)
from twilio_compat.core import Core
from twilio_compat.settings import AdapterSettings, Settings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


class Runtime:
    """The settings, the adapter they open and the core over it; `close()` ends what it opened.

    `core` answers as the settings' account; clients built with other accounts get their own
    core over the same adapter from `core.for_account(...)`, closed with this one.
    """

    def __init__(
        self, settings: Settings, adapter: AcsAdapter, core: Core, *, owns_adapter: bool
    ) -> None:
        self.settings = settings
        self.adapter = adapter
        self.core = core
        self._owns_adapter = owns_adapter

    @classmethod
    def open(
        cls,
        settings: Settings | AdapterSettings | None = None,
        *,
        account_sid: str | None = None,
    ) -> Runtime:
        """Open the adapter `settings` describe (default: `Settings.load()`) and a core on it.

        `account_sid` is the account the core answers as; without it the settings' account
        (`TWILIO_ACCOUNT_SID`), else one derived from the ACS resource.
        """
        if settings is None:
            settings = Settings.load()
        elif isinstance(settings, AdapterSettings):
            settings = Settings(acs=settings)
        adapter = AcsAdapter.open(settings.acs)
        try:
            core = Core(adapter, account_sid=account_sid or settings.account.account_sid)
            _start_channels(core, adapter)
        except BaseException:
            adapter.close()
            raise
        return cls(settings, adapter, core, owns_adapter=True)

    @classmethod
    def over(cls, adapter: AcsAdapter, *, account_sid: str | None = None) -> Runtime:
        """A core over an adapter someone else opened (and will close)."""
        core = Core(adapter, account_sid=account_sid)
        _start_channels(core, adapter)
        return cls(Settings(acs=adapter.settings), adapter, core, owns_adapter=False)

    def served_media_routes(self) -> list[BaseRoute]:
        """The routes (`/media/<key>`) a server mounts when the adapter's local media links
        point at it (`media_base_url`); none for other media stores."""
        from acs_adapter.media.local import LocalMediaStore
        from acs_adapter.media.server import media_routes

        media, base_url = self.adapter.media, self.adapter.settings.media_base_url
        if base_url is None or not isinstance(media, LocalMediaStore) or media.base_url != base_url:
            return []
        return list(media_routes(media))

    def close(self) -> None:
        """Close the core, and the adapter if this runtime opened it."""
        self.core.close()
        if self._owns_adapter:
            self._owns_adapter = False
            self.adapter.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _start_channels(core: Core, adapter: AcsAdapter) -> None:
    """Run the channels' job if the store has SMS/WhatsApp participants, and in embedded mode
    take the emulator's SMS and WhatsApp events."""
    core.channels.start_if_used()
    if adapter.embedded_events is not None:
        adapter.embedded_events.attach(core.events.channel_receiver(adapter.embedded_events.secret))


_shared: Runtime | None = None
_shared_lock = threading.Lock()
_close_registered = False


def shared_runtime() -> Runtime:
    """The process-wide runtime, opened from `Settings.load()` on first use."""
    return _shared_or_open(None)


def open_shared_runtime(settings: Settings) -> Runtime:
    """Open the process-wide runtime with explicit `settings` (for a program that configures
    the shim in code); an error if one is already open."""
    return _shared_or_open(settings, fresh=True)


def close_shared_runtime() -> None:
    """Close the process-wide runtime (its core and adapter), if one is open."""
    global _shared
    with _shared_lock:
        runtime, _shared = _shared, None
    if runtime is not None:
        runtime.close()


def _shared_or_open(settings: Settings | None, *, fresh: bool = False) -> Runtime:
    global _shared, _close_registered
    with _shared_lock:
        if fresh and _shared is not None:
            raise RuntimeError("the shared runtime is already open; close it first")
        if _shared is None:
            _shared = Runtime.open(settings)
            if not _close_registered:
                atexit.register(close_shared_runtime)
                _close_registered = True
        return _shared


__all__ = [
    "AcsAdapter",
    "Runtime",
    "SchemaRevision",
    "close_shared_runtime",
    "open_shared_runtime",
    "schema_revision",
    "shared_runtime",
    "stored_webhook_urls",
    "upgrade_schema",
    "watch_acs_calls",
]
