"""Conversation Services (``IS...``): named scopes over the one ACS resource.

ACS has no such thing, so services are a document in the store. Every account has a default
service (what account-level URLs act on); others can be created, and each scopes its own
conversations, users, roles and configuration.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.stamps import dumps, iso, now, parse_iso
from twilio_compat.sids import is_sid, new_sid

SERVICES_KEY = "services"
DEFAULT_FRIENDLY_NAME = "Default Conversations Service"
DEFAULT_SERVICE_TTL = 2.0


class Services:
    """Create, find, list and delete services; resolve the service a request acts on."""

    def __init__(self, context: Context) -> None:
        self._context = context

    @property
    def default_sid(self) -> str:
        """The account's default service: configurable, else derived from the ACS endpoint.

        Every account-level request needs it, so it is read from the store at most once per
        ``DEFAULT_SERVICE_TTL`` seconds: a change made through this process applies at once,
        one made by another process sharing the store within that time.
        """
        from twilio_compat.core.configuration import ACCOUNT_KEY

        cached = self._context.configured_default_service
        if cached is not None and time.monotonic() - cached[0] < DEFAULT_SERVICE_TTL:
            return cached[1]
        read_at = time.monotonic()
        sid = self._context.default_service_sid
        found = self._context.store.configuration.get(ACCOUNT_KEY)
        if found is not None:
            chosen = json.loads(found.document).get("default_chat_service_sid")
            if isinstance(chosen, str) and chosen:
                sid = chosen
        self._context.configured_default_service = (read_at, sid)
        return sid

    def resolve(self, service_sid: str | None) -> str:
        """The service a request acts on: the one in its path, else the default one."""
        if service_sid is None:
            return self.default_sid
        self.get(service_sid)
        return service_sid

    def _all(self) -> dict[str, dict[str, str]]:
        found = self._context.store.configuration.get(SERVICES_KEY)
        stored: dict[str, dict[str, str]] = json.loads(found.document) if found else {}
        default = self._context.default_service_sid
        if default not in stored:
            stored[default] = {
                "friendly_name": DEFAULT_FRIENDLY_NAME,
                "created": iso(_EPOCH),
                "updated": iso(_EPOCH),
            }
        return stored

    def get(self, service_sid: str) -> records.Service:
        entry = self._all().get(service_sid) if is_sid(service_sid, "IS") else None
        if entry is None:
            raise errors.ResourceNotFound(f"/Services/{service_sid}")
        return _service(service_sid, entry)

    def create(self, friendly_name: str) -> records.Service:
        sid = new_sid("IS")
        stamp = iso(now())
        with self._context.store.transaction() as tx:
            found = tx.configuration.get(SERVICES_KEY)
            stored = json.loads(found.document) if found else {}
            stored[sid] = {"friendly_name": friendly_name, "created": stamp, "updated": stamp}
            tx.configuration.put(SERVICES_KEY, dumps(stored))
        return _service(sid, stored[sid])

    def adopt(
        self, service_sid: str, friendly_name: str, date_created: datetime, date_updated: datetime
    ) -> records.Service:
        """Keep a service under the SID it already has (imported history); a no-op if known."""
        if not is_sid(service_sid, "IS"):
            raise errors.invalid("A Conversation Service SID starts with IS")
        with self._context.store.transaction() as tx:
            found = tx.configuration.get(SERVICES_KEY)
            stored = json.loads(found.document) if found else {}
            if service_sid not in stored and service_sid != self._context.default_service_sid:
                stored[service_sid] = {
                    "friendly_name": friendly_name,
                    "created": iso(date_created),
                    "updated": iso(date_updated),
                }
                tx.configuration.put(SERVICES_KEY, dumps(stored))
        return self.get(service_sid)

    def delete(self, service_sid: str) -> None:
        """Forget a service (its conversations must be deleted first, as on Twilio)."""
        if service_sid == self._context.default_service_sid:
            raise errors.invalid("The default Conversation Service cannot be deleted")
        self.get(service_sid)
        if self._context.store.conversations.count(service_sid) > 0:
            raise errors.invalid("Delete the service's conversations before the service")
        with self._context.store.transaction() as tx:
            found = tx.configuration.get(SERVICES_KEY)
            stored = json.loads(found.document) if found else {}
            stored.pop(service_sid, None)
            tx.configuration.put(SERVICES_KEY, dumps(stored))

    def list(self) -> list[records.Service]:
        services = [_service(sid, entry) for sid, entry in self._all().items()]
        return sorted(services, key=lambda s: (s.date_created, s.sid))


def _service(sid: str, entry: dict[str, str]) -> records.Service:
    return records.Service(
        sid=sid,
        friendly_name=entry["friendly_name"],
        date_created=parse_iso(entry["created"]),
        date_updated=parse_iso(entry["updated"]),
    )


_EPOCH = parse_iso("2020-01-01T00:00:00Z")
