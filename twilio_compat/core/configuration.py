"""Account and service configuration documents, including webhook configuration.

ACS has nothing like them; they are JSON documents in the store. Webhook settings are kept
here for the webhook dispatcher to read (`Configuration.account_webhooks` and
`Configuration.service_webhooks`), under stable keys.

Every message and every change the shim posts webhooks for reads both webhook documents, so a
process keeps what it read for `WEBHOOKS_TTL` seconds, shared by every `Configuration` over the
same store: a change made through this process applies at once, one made by another process
sharing the store within that time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from twilio_compat.core import errors
from twilio_compat.core._context import Context
from twilio_compat.core.roles import Roles, built_in_sid
from twilio_compat.core.stamps import dumps

if TYPE_CHECKING:
    from acs_adapter.store import MappingStore
    from acs_adapter.store.configuration import ConfigurationRepository

ACCOUNT_KEY = "account"
ACCOUNT_WEBHOOKS_KEY = "webhooks"

WEBHOOKS_TTL = 1.0
"""Seconds a process reuses the webhook documents it read (see the module's docstring)."""

WEBHOOK_METHODS = ("GET", "POST")
WEBHOOK_TARGETS = ("webhook", "flex")


def service_key(service_sid: str) -> str:
    return f"service:{service_sid}"


def service_webhooks_key(service_sid: str) -> str:
    return f"service-webhooks:{service_sid}"


Document = dict[str, Any]

# The service configuration's role settings: the built-in role each names until it is set,
# and the type of role it must name.
ROLE_SETTINGS: dict[str, tuple[str, str]] = {
    "default_conversation_creator_role_sid": ("channel admin", "conversation"),
    "default_conversation_role_sid": ("channel user", "conversation"),
    "default_chat_service_role_sid": ("service user", "service"),
}
CONVERSATION_ROLE = "default_conversation_role_sid"
"""The role a participant added without a ``RoleSid`` gets."""
SERVICE_ROLE = "default_chat_service_role_sid"
"""The role a user created without a ``RoleSid`` gets."""


def default_role_sid(configuration: ConfigurationRepository, service_sid: str, name: str) -> str:
    """The role a service's configuration names under ``name`` (one of ``ROLE_SETTINGS``):
    what Twilio gives a participant or user created without a ``RoleSid``."""
    found = configuration.get(service_key(service_sid))
    configured = json.loads(found.document).get(name) if found else None
    return str(configured or built_in_sid(service_sid, ROLE_SETTINGS[name][0]))


class RecentDocuments:
    """Documents read from one store in the last `WEBHOOKS_TTL` seconds, by key.

    A read that raced a write of this process is not kept: `forget` moves a generation count,
    and a read started under an older count leaves the cache as it found it.
    """

    def __init__(self, ttl: float = WEBHOOKS_TTL) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._documents: dict[str, tuple[float, Document]] = {}
        self._generation = 0

    def get(self, key: str, read: Callable[[str], Document]) -> Document:
        """The document under `key`: the one kept, if fresh, else `read(key)` (then kept)."""
        kept = self._documents.get(key)
        now = time.monotonic()
        if kept is not None and now - kept[0] < self._ttl:
            return kept[1]
        generation = self._generation
        document = read(key)
        with self._lock:
            if generation == self._generation:
                self._documents[key] = (now, document)
        return document

    def forget(self, key: str) -> None:
        """Drop `key` (this process just wrote it), and any read of it under way."""
        with self._lock:
            self._generation += 1
            self._documents.pop(key, None)


_RECENT: WeakKeyDictionary[MappingStore, RecentDocuments] = WeakKeyDictionary()
_RECENT_LOCK = threading.Lock()


def recent_documents(store: MappingStore) -> RecentDocuments:
    """The webhook documents this process read from `store` lately (one cache per store)."""
    with _RECENT_LOCK:
        recent = _RECENT.get(store)
        if recent is None:
            recent = _RECENT[store] = RecentDocuments()
        return recent


class Configuration:
    """Read and change the stored configuration documents, with Twilio's defaults."""

    def __init__(self, context: Context, roles: Roles) -> None:
        self._context = context
        self._roles = roles
        self._recent = recent_documents(context.store)

    def _read(self, key: str) -> Document:
        found = self._context.store.configuration.get(key)
        return dict(json.loads(found.document)) if found else {}

    def _write(self, key: str, changes: Document) -> Document:
        try:
            with self._context.store.transaction() as tx:
                found = tx.configuration.get(key)
                document = dict(json.loads(found.document)) if found else {}
                document.update(changes)
                tx.configuration.put(key, dumps(document))
        finally:
            self._recent.forget(key)
        return document

    # Account ---------------------------------------------------------------------------

    def account(self) -> Document:
        document: Document = {
            "default_chat_service_sid": self._context.default_service_sid,
            "default_messaging_service_sid": None,
            "default_inactive_timer": None,
            "default_closed_timer": None,
        }
        document.update(self._read(ACCOUNT_KEY))
        return document

    def update_account(self, changes: Document) -> Document:
        try:
            self._write(ACCOUNT_KEY, changes)
        finally:
            self._context.configured_default_service = None
        return self.account()

    def account_webhooks(self) -> Document:
        document: Document = {
            "method": "POST",
            "filters": [],
            "pre_webhook_url": None,
            "post_webhook_url": None,
            "target": "webhook",
        }
        document.update(self._recent.get(ACCOUNT_WEBHOOKS_KEY, self._read))
        return document

    def update_account_webhooks(self, changes: Document) -> Document:
        _check_webhooks(changes)
        self._write(ACCOUNT_WEBHOOKS_KEY, changes)
        return self.account_webhooks()

    # Service ---------------------------------------------------------------------------

    def service(self, service_sid: str) -> Document:
        document: Document = {
            name: built_in_sid(service_sid, role) for name, (role, _) in ROLE_SETTINGS.items()
        }
        document["reachability_enabled"] = False
        document.update(self._read(service_key(service_sid)))
        return document

    def update_service(self, service_sid: str, changes: Document) -> Document:
        for name, (_, kind) in ROLE_SETTINGS.items():
            if changes.get(name):
                self._roles.check_kind(service_sid, str(changes[name]), kind)
        if changes.get("reachability_enabled"):
            raise errors.not_supported(
                "Reachability (user online state)", "ACS Chat does not report who is online"
            )
        self._write(service_key(service_sid), changes)
        return self.service(service_sid)

    def service_webhooks(self, service_sid: str) -> Document:
        document: Document = {
            "pre_webhook_url": None,
            "post_webhook_url": None,
            "filters": [],
            "method": "POST",
        }
        document.update(self._recent.get(service_webhooks_key(service_sid), self._read))
        return document

    def update_service_webhooks(self, service_sid: str, changes: Document) -> Document:
        _check_webhooks(changes)
        self._write(service_webhooks_key(service_sid), changes)
        return self.service_webhooks(service_sid)


def _check_webhooks(changes: Document) -> None:
    method = changes.get("method")
    if method is not None and method not in WEBHOOK_METHODS:
        raise errors.invalid("Parameter 'Method' must be GET or POST")
    target = changes.get("target")
    if target is not None and target not in WEBHOOK_TARGETS:
        raise errors.invalid("Parameter 'Target' must be webhook or flex")
    for name in ("pre_webhook_url", "post_webhook_url"):
        url = changes.get(name)
        if url and not str(url).startswith(("http://", "https://")):
            raise errors.invalid(f"Parameter '{name}' must be an http(s) URL")
