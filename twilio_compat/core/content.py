"""Content templates: Twilio `ContentSid`s mapped to the WhatsApp templates ACS sends.

ACS knows nothing of Twilio's Content API, so a deployment registers each content SID it uses
with the approved WhatsApp template behind it (name and language, as Meta approved it). The
registration is checked against the templates ACS lists for the owned WhatsApp channels, and
keeps the template's body text, so chat readers and SMS participants see the message filled
in. `ContentVariables` (`{"1": "Ann", "2": "12"}`) fill the body's parameters in numeric
order, as WhatsApp fills `{{1}}`, `{{2}}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from acs_adapter.errors import AdapterError
from twilio_compat.core import errors
from twilio_compat.sids import is_sid

if TYPE_CHECKING:
    from twilio_compat.core._context import Context
    from twilio_compat.core.numbers import Numbers

_KEY = "content:"
_SLOT = re.compile(r"\{\{\s*([A-Za-z0-9_]{1,16})\s*\}\}")
MAX_VARIABLES = 100
"""Twilio's limit of variables per content template."""
CONTENT_NOT_FOUND = 21655
"""Twilio's error for a ContentSid it does not know."""


@dataclass(frozen=True)
class ContentTemplate:
    """A registered content SID: the WhatsApp template's name, language and body text."""

    sid: str
    name: str
    language: str
    body: str

    def render(self, variables: Mapping[str, str]) -> str:
        """The body with each `{{key}}` replaced by its variable (kept when not given)."""
        return _SLOT.sub(lambda slot: variables.get(slot.group(1), slot.group(0)), self.body)

    def values(self, variables: Mapping[str, str]) -> list[str]:
        """The body parameters in order: variables `1`, `2`, ... as WhatsApp numbers them."""
        numbered = sorted((key for key in variables if key.isdigit()), key=int)
        return [variables[key] for key in numbered]


def parse_variables(text: str | None) -> dict[str, str]:
    """`ContentVariables` (a JSON object of strings, keys of at most 16 characters without
    spaces), or Twilio's 400 saying what is wrong."""
    if text is None or text == "":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise errors.invalid("Parameter 'ContentVariables' is not valid JSON") from None
    if not isinstance(value, dict) or len(value) > MAX_VARIABLES:
        raise errors.invalid(
            f"Parameter 'ContentVariables' must be a JSON object of at most {MAX_VARIABLES} keys"
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if not re.fullmatch(r"[A-Za-z0-9_]{1,16}", key):
            raise errors.invalid(f"ContentVariables key {key!r} is not a valid variable name")
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise errors.invalid(f"ContentVariables value of {key!r} must be a string")
        out[key] = str(item)
    return out


class ContentTemplates:
    """The registry of content SIDs, kept in the store for every process."""

    def __init__(self, context: Context, numbers: Numbers) -> None:
        self._context = context
        self._numbers = numbers

    def register(self, sid: str, *, name: str, language: str) -> ContentTemplate:
        """Map `sid` to the WhatsApp template `name` in `language`, which an owned WhatsApp
        channel must list as approved."""
        if not is_sid(sid, "HX"):
            raise errors.invalid(f"{sid!r} is not a content SID (HX followed by 32 hex digits)")
        if not name or not language:
            raise errors.invalid("A content template needs a template name and a language")
        body = self._approved_body(name, language)
        template = ContentTemplate(sid, name, language, body)
        self._context.store.configuration.put(_KEY + sid, json.dumps(asdict(template)))
        return template

    def get(self, sid: str) -> ContentTemplate | None:
        if not is_sid(sid, "HX"):
            return None
        found = self._context.store.configuration.get(_KEY + sid)
        return None if found is None else ContentTemplate(**json.loads(found.document))

    def require(self, sid: str) -> ContentTemplate:
        """The registered template, or Twilio's 400 for an unknown ContentSid."""
        template = self.get(sid)
        if template is None:
            raise errors.TwilioApiError(
                400,
                CONTENT_NOT_FOUND,
                f"The ContentSid {sid} is not registered: map it to an approved WhatsApp "
                "template (twilio-acs content add)",
            )
        return template

    def list(self) -> list[ContentTemplate]:
        documents = self._context.store.configuration.list(_KEY)
        return [ContentTemplate(**json.loads(d.document)) for d in documents]

    def remove(self, sid: str) -> bool:
        return is_sid(sid, "HX") and self._context.store.configuration.delete(_KEY + sid)

    def _approved_body(self, name: str, language: str) -> str:
        channels = [n.channel_id for n in self._numbers.list() if n.channel_id]
        if not channels:
            raise errors.invalid("No WhatsApp number is owned: a content template needs one")
        for channel in channels:
            try:
                listed = self._context.adapter.whatsapp.templates(channel)
            except AdapterError:
                continue
            for item in listed:
                if (item.name, item.language) == (name, language) and item.status == "approved":
                    return _body_text(item.content) or name
        raise errors.invalid(
            f"No owned WhatsApp channel has an approved template {name!r} in {language!r}"
        )


def _body_text(components: Any) -> str | None:
    """The BODY component's text of Meta's template components, if any."""
    if isinstance(components, list):
        for component in components:
            if isinstance(component, Mapping) and str(component.get("type", "")).upper() == "BODY":
                text = component.get("text")
                return text if isinstance(text, str) else None
    return None
