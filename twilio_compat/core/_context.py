"""What every part of the core shares: the adapter, the account, the service user, the clock."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from twilio_compat.core.hooks import WriteHooks
from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.core.shim_writes import ShimWrites
from twilio_compat.sids import stable_sid

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter
    from acs_adapter.chat import UserChat
    from acs_adapter.store import MappingStore


class Context:
    """The adapter and the few facts derived from it that every resource needs."""

    def __init__(self, adapter: AcsAdapter, account_sid: str | None) -> None:
        self.adapter = adapter
        self.store: MappingStore = adapter.store
        self.account_sid = account_sid or stable_sid("AC", adapter.endpoint)
        self.default_service_sid = stable_sid("IS", adapter.endpoint, "default")
        self._service_user: str | None = None
        self.hooks: WriteHooks = WriteHooks()  # replaced by twilio_compat.webhooks when used
        self.shim_writes = ShimWrites(self.store)
        self._lock = threading.Lock()
        self.configured_default_service: tuple[float, str] | None = None
        """(monotonic time read, SID) of the account's configured default service; see
        ``Services.default_sid``. Cleared when this process changes the account configuration."""

    @property
    def service_user(self) -> str:
        """The ACS user id of the account's service user (created on first use, then kept)."""
        if self._service_user is None:
            with self._lock:
                if self._service_user is None:
                    self._service_user = self.adapter.directory.acs_user_for(SERVICE_IDENTITY)
        return self._service_user

    def service_chat(self) -> UserChat:
        return self.adapter.chat.as_user(self.service_user)

    def chat_as(self, acs_user_id: str) -> UserChat:
        return self.adapter.chat.as_user(acs_user_id)
