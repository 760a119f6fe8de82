"""Address configurations (``/Configuration/Addresses``, ``IG...``): what an inbound message
to one of the shim's numbers does when no open conversation binds its sender.

Twilio keeps one per address; fetch, update and delete accept the SID or the address. Only
SMS and WhatsApp addresses exist on ACS, and Studio has no Azure counterpart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acs_adapter.errors import Conflict
from acs_adapter.store.address_configurations import AddressConfiguration as Stored
from twilio_compat.core import errors, records
from twilio_compat.core.bindings import address_type
from twilio_compat.core.numbers import Numbers
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, new_sid

if TYPE_CHECKING:
    from twilio_compat.core._context import Context
    from twilio_compat.core.services import Services

TYPES = ("sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat")
"""Twilio's address types; only ``sms`` and ``whatsapp`` have an ACS channel."""
BRIDGED_TYPES = ("sms", "whatsapp")
AUTO_CREATION_TYPES = ("webhook", "studio", "default")
WEBHOOK_METHODS = ("get", "post")
WEBHOOK_FILTERS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onConversationUpdated",
    "onConversationStateUpdated",
    "onConversationRemoved",
    "onParticipantAdded",
    "onParticipantUpdated",
    "onParticipantRemoved",
    "onDeliveryUpdated",
)
STUDIO = (
    "Studio auto-creation (AutoCreation.Type=studio)",
    "Azure has no Twilio Studio: use a webhook address configuration",
)


@dataclass(frozen=True)
class AutoCreationFields:
    """The ``AutoCreation.*`` parameters of a create or update; None means "not given"."""

    enabled: bool | None = None
    type: str | None = None
    conversation_service_sid: str | None = None
    webhook_url: str | None = None
    webhook_method: str | None = None
    webhook_filters: tuple[str, ...] | None = None
    studio_flow_sid: str | None = None
    studio_retry_count: int | None = None

    def __post_init__(self) -> None:
        check_unicode_fields(self)


@dataclass(frozen=True)
class AddressConfigurationFields:
    """A create (type and address required) or update (neither allowed) of a configuration."""

    type: str | None = None
    address: str | None = None
    friendly_name: str | None = None
    address_country: str | None = None
    auto_creation: AutoCreationFields = AutoCreationFields()

    def __post_init__(self) -> None:
        check_unicode_fields(self)


def _shown(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """Twilio's ``auto_creation`` object: the keys its type uses (default: enabled and type)."""
    shown: dict[str, Any] = {"enabled": bool(document.get("enabled", False)), "type": kind}
    if kind == "webhook":
        shown["conversation_service_sid"] = document.get("conversation_service_sid")
        shown["webhook_url"] = document.get("webhook_url")
        shown["webhook_method"] = document.get("webhook_method", "POST")
        shown["webhook_filters"] = list(document.get("webhook_filters", []))
    return shown


def to_record(row: Stored) -> records.AddressConfiguration:
    document = json.loads(row.auto_creation or "{}")
    kind = str(document.get("type") or "default")
    return records.AddressConfiguration(
        sid=row.sid,
        type=row.type,
        address=row.address,
        friendly_name=row.friendly_name,
        address_country=row.address_country,
        auto_creation=_shown(kind, document),
        date_created=row.created_at,
        date_updated=row.updated_at,
    )


class AddressConfigurations:
    """Twilio's Address Configuration resource, kept in the store."""

    def __init__(self, context: Context, numbers: Numbers, services: Services) -> None:
        self._context = context
        self._numbers = numbers
        self._services = services

    def create(self, fields: AddressConfigurationFields) -> records.AddressConfiguration:
        kind = fields.type
        if not kind:
            raise errors.invalid("Missing required parameter Type in the post body")
        if kind not in TYPES:
            raise errors.invalid(f"Parameter 'Type' must be one of {', '.join(TYPES)}")
        if kind not in BRIDGED_TYPES:
            raise errors.not_supported(
                f"An address configuration of type {kind}",
                "Azure Communication Services has SMS and WhatsApp channels only",
            )
        address = fields.address
        if not address:
            raise errors.invalid("Missing required parameter Address in the post body")
        self._check_owned(kind, address)
        document = self._auto_creation({}, fields.auto_creation)
        store = self._context.store.address_configurations
        if store.get_by_address(address) is not None:
            raise _exists(address)
        try:
            row = store.insert(
                sid=new_sid("IG"),
                type=kind,
                address=address,
                friendly_name=fields.friendly_name,
                address_country=fields.address_country,
                auto_creation=json.dumps(document),
            )
        except Conflict:
            raise _exists(address) from None
        return to_record(row)

    def get(self, key: str) -> records.AddressConfiguration:
        return to_record(self._stored(key))

    def by_address(self, address: str) -> records.AddressConfiguration | None:
        """The configuration of an address (where inbound auto-creation looks), if any."""
        if not address or len(address) > 256:
            return None
        row = self._context.store.address_configurations.get_by_address(address)
        return None if row is None else to_record(row)

    def update(self, key: str, fields: AddressConfigurationFields) -> records.AddressConfiguration:
        row = self._stored(key)
        document = self._auto_creation(json.loads(row.auto_creation or "{}"), fields.auto_creation)
        changes: dict[str, Any] = {"auto_creation": json.dumps(document)}
        if fields.friendly_name is not None:
            changes["friendly_name"] = fields.friendly_name
        if fields.address_country is not None:
            changes["address_country"] = fields.address_country
        updated = self._context.store.address_configurations.update(row.sid, **changes)
        return to_record(updated)

    def delete(self, key: str) -> None:
        row = self._stored(key)
        if not self._context.store.address_configurations.delete(row.sid):
            raise errors.ResourceNotFound(f"/Configuration/Addresses/{key}")

    def page(
        self, kind: str | None, *, offset: int, limit: int
    ) -> tuple[list[records.AddressConfiguration], bool]:
        if kind is not None and kind not in TYPES:
            raise errors.invalid(f"Parameter 'Type' must be one of {', '.join(TYPES)}")
        rows = self._context.store.address_configurations.list(kind, offset=offset, limit=limit + 1)
        return [to_record(row) for row in rows[:limit]], len(rows) > limit

    def _stored(self, key: str) -> Stored:
        store = self._context.store.address_configurations
        found = store.get(key) if is_sid(key, "IG") else None
        if found is None and key and len(key) <= 256:
            found = store.get_by_address(key)
        if found is None:
            raise errors.ResourceNotFound(f"/Configuration/Addresses/{key}")
        return found

    def _check_owned(self, kind: str, address: str) -> None:
        if address_type(address) != kind:
            expected = "whatsapp:+E.164" if kind == "whatsapp" else "+E.164"
            raise errors.invalid(f"Parameter 'Address' must be {expected} for type {kind}")
        if self._numbers.get(address) is None:
            raise errors.invalid(
                f"The account is not authorized to use the address {address}: it is none of "
                "the shim's numbers (TWILIO_COMPAT_NUMBERS or `twilio-acs numbers add`)",
                errors.BINDING_PROXY_NOT_OWNED,
            )

    def _auto_creation(
        self, document: dict[str, Any], fields: AutoCreationFields
    ) -> dict[str, Any]:
        """`document` with the given ``AutoCreation.*`` applied and checked."""
        if fields.type is not None:
            if fields.type not in AUTO_CREATION_TYPES:
                raise errors.invalid(
                    f"Parameter 'AutoCreation.Type' must be one of {', '.join(AUTO_CREATION_TYPES)}"
                )
            document["type"] = fields.type
        if document.get("type") == "studio" or fields.studio_flow_sid is not None:
            raise errors.not_supported(*STUDIO)
        if fields.enabled is not None:
            document["enabled"] = fields.enabled
        if fields.conversation_service_sid is not None:
            self._services.get(fields.conversation_service_sid)
            document["conversation_service_sid"] = fields.conversation_service_sid
        if fields.webhook_url is not None:
            document["webhook_url"] = fields.webhook_url
        if fields.webhook_method is not None:
            if fields.webhook_method.lower() not in WEBHOOK_METHODS:
                raise errors.invalid("Parameter 'AutoCreation.WebhookMethod' must be GET or POST")
            document["webhook_method"] = fields.webhook_method.upper()
        if fields.webhook_filters is not None:
            unknown = [f for f in fields.webhook_filters if f not in WEBHOOK_FILTERS]
            if unknown:
                raise errors.invalid(f"Unknown AutoCreation.WebhookFilters: {', '.join(unknown)}")
            document["webhook_filters"] = list(fields.webhook_filters)
        if document.get("type") == "webhook":
            document.setdefault("conversation_service_sid", self._services.default_sid)
            if not document.get("webhook_url"):
                raise errors.invalid(
                    "AutoCreation.WebhookUrl is required for a webhook address configuration"
                )
        return document


def _exists(address: str) -> errors.TwilioApiError:
    return errors.TwilioApiError(
        409, errors.UNKNOWN_PARAMETER, f"An address configuration for {address} already exists"
    )
