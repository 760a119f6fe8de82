"""What every part of the core shares: the adapter, the account, the service user, the clock."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from twilio_compat.core.hooks import WriteHooks
from twilio_compat.core.shim_writes import ShimWrites
from twilio_compat.sids import stable_sid

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter
    from acs_adapter.chat import UserChat
    from acs_adapter.store import MappingStore

SERVICE_IDENTITY = "urn:twilio-compat:service-user"
"""The directory identity of the ACS user through which the account itself acts.

It creates every thread and is a member of each, but is never shown as a participant; user
identities equal to it are refused so it cannot be impersonated.
"""


def now() -> datetime:
    """Now in UTC, cut to whole milliseconds (what the store keeps)."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


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
