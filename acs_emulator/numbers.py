"""The phone numbers and WhatsApp channel registrations the emulated resource owns.

SMS may only be sent from an owned number, and WhatsApp only through a registered channel
(a GUID that stands for a business number), so both services and the handset surface ask this
registry. Each channel carries its WhatsApp templates: template sends and `ListTemplates` are
checked against them. With a state file the registry is kept there, so a restarted emulator
started without numbers owns the ones it had.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from acs_emulator.db import Database
from acs_emulator.tokens import setting, store_setting

DEFAULT_PHONE_NUMBER = "+18005550100"
DEFAULT_CHANNEL_ID = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"
DEFAULT_CHANNEL_NUMBER = "+18005550101"
TEMPLATE_STATUSES = ("approved", "rejected", "pending", "paused")

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_STATE_KEY = "messaging_registry"


def is_e164(number: str) -> bool:
    return bool(_E164.match(number))


def require_e164(number: str, what: str = "phone number") -> str:
    if not isinstance(number, str) or not is_e164(number):
        raise ValueError(f"a {what} must be +E.164 (e.g. +14255550123), got {number!r}")
    return number


def require_channel_id(channel_id: str) -> str:
    """The channel id in its canonical lower-case GUID form."""
    try:
        return str(uuid.UUID(channel_id))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"a WhatsApp channel id must be a GUID, got {channel_id!r}") from None


@dataclass(frozen=True)
class WhatsAppTemplate:
    """A WhatsApp message template as Meta approved it: body text with `{{1}}`-style slots."""

    name: str
    language: str
    body_text: str
    status: str = "approved"

    def __post_init__(self) -> None:
        if not self.name or not self.language:
            raise ValueError("a template needs a name and a language")
        if self.status not in TEMPLATE_STATUSES:
            raise ValueError(
                f"a template status is one of {TEMPLATE_STATUSES}, not {self.status!r}"
            )

    @property
    def parameter_count(self) -> int:
        """How many body values a send must bind: the distinct `{{n}}` slots."""
        return len(set(_PLACEHOLDER.findall(self.body_text)))

    def render(self, parameters: Sequence[str]) -> str:
        """The body text with `{{n}}` replaced by the n-th parameter."""

        def fill(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            return parameters[index] if 0 <= index < len(parameters) else match.group(0)

        return _PLACEHOLDER.sub(fill, self.body_text)

    def content(self) -> list[dict[str, str]]:
        """Meta's component list, as `ListTemplates` returns it."""
        return [{"type": "BODY", "text": self.body_text}]


def default_templates() -> list[WhatsAppTemplate]:
    return [
        WhatsAppTemplate("hello_world", "en_US", "Hello World"),
        WhatsAppTemplate("order_update", "en_US", "Hi {{1}}, your order {{2}} has been updated."),
    ]


class NumberRegistry:
    """Owned SMS numbers, WhatsApp channels (id -> +E.164 number) and their templates."""

    def __init__(
        self,
        phone_numbers: Sequence[str] | None = None,
        whatsapp_channels: Mapping[str, str] | None = None,
        whatsapp_templates: Mapping[str, Iterable[WhatsAppTemplate]] | None = None,
    ) -> None:
        self._given = phone_numbers is not None or whatsapp_channels is not None
        self._lock = threading.Lock()
        self._db: Database | None = None
        numbers = [DEFAULT_PHONE_NUMBER] if phone_numbers is None else list(phone_numbers)
        if whatsapp_channels is None:
            whatsapp_channels = {DEFAULT_CHANNEL_ID: DEFAULT_CHANNEL_NUMBER}
        self._numbers = [require_e164(n) for n in dict.fromkeys(numbers)]
        self._channels = {
            require_channel_id(cid): require_e164(number, "WhatsApp channel number")
            for cid, number in whatsapp_channels.items()
        }
        self._templates: dict[str, dict[tuple[str, str], WhatsAppTemplate]] = {
            cid: {(t.name, t.language): t for t in default_templates()} for cid in self._channels
        }
        for cid, templates in (whatsapp_templates or {}).items():
            for template in templates:
                self._put_template(require_channel_id(cid), template)

    def attach(self, db: Database) -> None:
        """Keep the registry in `db`: adopt the stored one unless numbers were given."""
        with self._lock:
            self._db = db
            stored = setting(db, _STATE_KEY, "")
            if stored and not self._given:
                self._load(json.loads(stored))
            else:
                self._save()

    @property
    def phone_numbers(self) -> list[str]:
        with self._lock:
            return list(self._numbers)

    @property
    def whatsapp_channels(self) -> dict[str, str]:
        with self._lock:
            return dict(self._channels)

    def owns_number(self, number: str) -> bool:
        with self._lock:
            return number in self._numbers

    def channel_number(self, channel_id: str) -> str | None:
        """The business number of a registered channel, else None."""
        try:
            key = require_channel_id(channel_id)
        except ValueError:
            return None
        with self._lock:
            return self._channels.get(key)

    def templates(self, channel_id: str) -> list[WhatsAppTemplate]:
        with self._lock:
            return list(self._templates.get(require_channel_id(channel_id), {}).values())

    def template(self, channel_id: str, name: str, language: str) -> WhatsAppTemplate | None:
        with self._lock:
            return self._templates.get(require_channel_id(channel_id), {}).get((name, language))

    def add_template(self, channel_id: str, template: WhatsAppTemplate) -> None:
        key = require_channel_id(channel_id)
        with self._lock:
            if key not in self._channels:
                raise ValueError(f"no WhatsApp channel {channel_id!r} is registered")
            self._put_template(key, template)
            self._save()

    def _put_template(self, channel_id: str, template: WhatsAppTemplate) -> None:
        if channel_id not in self._templates:
            raise ValueError(f"no WhatsApp channel {channel_id!r} is registered")
        self._templates[channel_id][(template.name, template.language)] = template

    def _save(self) -> None:
        if self._db is None:
            return
        state = {
            "phoneNumbers": self._numbers,
            "channels": self._channels,
            "templates": {
                cid: [asdict(t) for t in templates.values()]
                for cid, templates in self._templates.items()
            },
        }
        store_setting(self._db, _STATE_KEY, json.dumps(state))

    def _load(self, state: dict[str, object]) -> None:
        numbers = state.get("phoneNumbers")
        channels = state.get("channels")
        templates = state.get("templates")
        if not isinstance(numbers, list) or not isinstance(channels, dict):
            return
        if not isinstance(templates, dict):
            templates = {}
        self._numbers = [str(n) for n in numbers]
        self._channels = {str(k): str(v) for k, v in channels.items()}
        self._templates = {
            cid: {
                (t["name"], t["language"]): WhatsAppTemplate(**t)
                for t in templates.get(cid, [])
                if isinstance(t, dict)
            }
            for cid in self._channels
        }
