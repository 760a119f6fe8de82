"""Hooks around the writes made through the shim, and who is making them.

A face says who writes (`write_origin(Origin.rest(...))` around a REST request,
`Origin.sdk(identity)` for the client face); the core reads it with `current_origin()`, records
it on the messages it sends (so ACS-side consumers can tell) and hands it to the hooks.

`WriteHooks` is what the core calls: `before(action)` ahead of a write (Twilio's pre-event
webhooks: raise `rejected()` to veto, or return changed fields) and `after(action)` once it is
done (post-event webhooks). The default does nothing, so the core works without webhooks;
`twilio_compat.webhooks` installs a real one with `core.events.install_hooks(...)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from acs_adapter.store import ChangeOrigin, changes_by
from twilio_compat.core.errors import TwilioApiError

T = TypeVar("T")

API = "API"
SDK = "SDK"
FORBIDDEN = 20403

# Metadata keys the core writes on the ACS messages it sends, saying where they came from.
SOURCE_KEY = "twilioSource"
CLIENT_IDENTITY_KEY = "twilioClientIdentity"


@dataclass(frozen=True)
class Origin:
    """Who is writing: Twilio's webhook `Source` and `ClientIdentity`, and whether webhooks fire.

    REST writes fire webhooks only with `X-Twilio-Webhook-Enabled: true`, as on Twilio; writes
    from the client face always do.
    """

    source: str = API
    client_identity: str | None = None
    webhooks_enabled: bool = False

    @classmethod
    def rest(cls, webhook_enabled_header: str | None) -> Origin:
        """A REST request, given its `X-Twilio-Webhook-Enabled` header (None if absent)."""
        enabled = (webhook_enabled_header or "").strip().lower() == "true"
        return cls(API, None, enabled)

    @classmethod
    def sdk(cls, identity: str) -> Origin:
        """A write by the client face acting as `identity`."""
        return cls(SDK, identity, True)


_DEFAULT_ORIGIN = Origin()
_ORIGIN: ContextVar[Origin | None] = ContextVar("twilio_compat_write_origin", default=None)


def current_origin() -> Origin:
    """The origin of the write in progress (a REST write without the header by default)."""
    return _ORIGIN.get() or _DEFAULT_ORIGIN


@contextmanager
def write_origin(origin: Origin) -> Iterator[Origin]:
    """Attribute the core writes made inside the block to `origin` (on the change feed too)."""
    token = _ORIGIN.set(origin)
    try:
        with changes_by(ChangeOrigin(origin.source, origin.client_identity)):
            yield origin
    finally:
        _ORIGIN.reset(token)


@dataclass(frozen=True)
class Action:
    """One write through the shim, as Twilio's webhooks describe it.

    `event_type` is the pre-event name for `before` (`onMessageAdd`) and the post-event name
    for `after` (`onMessageAdded`). `record` is the core record the write concerns (None for a
    pre-event of a resource that does not exist yet; for removals, the record as it was);
    `proposed` holds the values the write is about to set, by Twilio field name (`body`,
    `author`, `attributes`, `friendly_name`, `identity`, ...).
    """

    event_type: str
    service_sid: str
    conversation_sid: str | None
    record: object | None = None
    proposed: Mapping[str, object] = field(default_factory=dict)
    origin: Origin = field(default_factory=current_origin)


class WriteHooks:
    """What the core calls around writes; this base class allows everything and says nothing."""

    def before(self, action: Action) -> Mapping[str, str]:
        """Changed values (`body`, `author`, `attributes`, `friendly_name`) to apply, or raise
        `rejected()`."""
        return {}

    def vets(self, service_sid: str, event_type: str) -> bool:
        """Whether `before` may refuse or change this pre-event in this service; when not, the
        core takes its shortest path for the write (a send: one store transaction)."""
        return type(self).before is not WriteHooks.before

    def after(self, action: Action) -> None:
        """The write is done (post-event); must not raise."""


def amend(fields: T, changes: Mapping[str, str], allowed: tuple[str, ...]) -> T:
    """`fields` (a dataclass of the write) with the pre-event webhook's allowed changes."""
    picked = {name: str(changes[name]) for name in allowed if changes.get(name) is not None}
    return dataclasses.replace(fields, **picked) if picked else fields  # type: ignore[type-var]


def origin_metadata(origin: Origin) -> dict[str, str]:
    """The metadata recording `origin` on an ACS message the shim sends."""
    metadata = {SOURCE_KEY: origin.source}
    if origin.client_identity is not None:
        metadata[CLIENT_IDENTITY_KEY] = origin.client_identity
    return metadata


def rejected(event_type: str, status: int) -> TwilioApiError:
    """The error a caller gets when a pre-event webhook refuses its write."""
    return TwilioApiError(
        403, FORBIDDEN, f"The {event_type} webhook rejected the action (it answered {status})"
    )
