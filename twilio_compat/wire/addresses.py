"""Address configurations (``/Configuration/Addresses``) as Twilio's JSON."""

from __future__ import annotations

from twilio_compat.core import records
from twilio_compat.wire.scope import BASE_URL, Json, Scope, timestamp


def address_configuration(scope: Scope, item: records.AddressConfiguration) -> Json:
    """Always account-level: Twilio has no service-scoped address configurations."""
    return {
        "account_sid": scope.account_sid,
        "sid": item.sid,
        "address": item.address,
        "type": item.type,
        "friendly_name": item.friendly_name,
        "address_country": item.address_country,
        "auto_creation": dict(item.auto_creation),
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": f"{BASE_URL}/Configuration/Addresses/{item.sid}",
    }
