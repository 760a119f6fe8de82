"""What every part of the core shares: the adapter, the account, the service user, the clock."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from twilio_compat.core.hooks import WriteHooks
from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.core.shim_writes import ShimWrites
from twilio_compat.sids import stable_sid

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter
    from acs_adapter.chat import UserChat
    from acs_adapter.store import MappingStore


def resource_name(endpoint: str) -> str:
    """The ACS resource an endpoint names: the endpoint without its port.

    Derived SIDs come from this, not from the endpoint itself, so they survive a restart of a
    local emulator on another port (``embedded`` picks a random one each time). Endpoints
    without a port (every Azure resource) are unchanged.
    """
    parts = urlsplit(endpoint)
    if parts.port is None:
        return endpoint
    host = parts.netloc[: parts.netloc.rfind(":")]
    return parts._replace(netloc=host).geturl()


class AdapterState:
    """What every account's context over one adapter shares: the service user, the marks of
    shim-made writes and the cached configured default service."""

    def __init__(self, adapter: AcsAdapter) -> None:
        self.adapter = adapter
        self.shim_writes = ShimWrites(adapter.store)
        self.lock = threading.Lock()
        self.service_user: str | None = None
        self.configured_default_service: tuple[float, str] | None = None


class Context:
    """The adapter, the account answered as, and the few facts every resource needs."""

    def __init__(
        self, adapter: AcsAdapter, account_sid: str | None, *, shared: AdapterState | None = None
    ) -> None:
        self.adapter = adapter
        self.store: MappingStore = adapter.store
        resource = resource_name(adapter.endpoint)
        self.account_sid = account_sid or stable_sid("AC", resource)
        self.default_service_sid = stable_sid("IS", resource, "default")
        self.shared = shared or AdapterState(adapter)
        self.hooks: WriteHooks = WriteHooks()  # replaced by twilio_compat.webhooks when used
        self.shim_writes = self.shared.shim_writes

    @property
    def configured_default_service(self) -> tuple[float, str] | None:
        """(monotonic time read, SID) of the account's configured default service; see
        ``Services.default_sid``. Cleared when this process changes the account configuration."""
        return self.shared.configured_default_service

    @configured_default_service.setter
    def configured_default_service(self, value: tuple[float, str] | None) -> None:
        self.shared.configured_default_service = value

    @property
    def service_user(self) -> str:
        """The ACS user id of the account's service user (created on first use, then kept)."""
        shared = self.shared
        if shared.service_user is None:
            with shared.lock:
                if shared.service_user is None:
                    shared.service_user = self.adapter.directory.acs_user_for(SERVICE_IDENTITY)
        return shared.service_user

    def service_chat(self) -> UserChat:
        return self.adapter.chat.as_user(self.service_user)

    def chat_as(self, acs_user_id: str) -> UserChat:
        return self.adapter.chat.as_user(acs_user_id)
