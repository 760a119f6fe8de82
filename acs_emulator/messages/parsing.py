"""Reading `NotificationContent` (Advanced Messaging 2024-08-30) into checked values.

Each `kind` has its own required fields; anything missing or of the wrong type is a 400 naming
the field. Recipients are WhatsApp user ids (phone digits, with or without `+`): the receipt
echoes them as sent, while state keeps them as +E.164.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from acs_emulator.exceptions import AcsError
from acs_emulator.numbers import is_e164, require_channel_id

MAX_TEXT_LENGTH = 4096
MEDIA_KINDS = ("image", "document", "video", "audio")
# The deprecated `image_v0` carries its caption in `content`; it still goes as an image.
_LEGACY_IMAGE = "image_v0"
_LATER_KINDS = ("interactive", "reaction", "sticker")


def invalid(message: str, target: str | None = None, code: str = "BadRequest") -> AcsError:
    return AcsError(400, code, message, target=target)


@dataclass(frozen=True)
class Media:
    kind: str
    url: str
    caption: str | None = None
    file_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        media: dict[str, Any] = {"url": self.url, "kind": self.kind, "caption": self.caption}
        if self.kind == "document":
            media["file_name"] = self.file_name
        return media


@dataclass(frozen=True)
class TemplateRequest:
    """The `template` object of a template send, as sent."""

    name: str
    language: str
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    body_refs: list[str] = field(default_factory=list)
    other_refs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Notification:
    """One send request: exactly one of `text`, `media`, `template` is set."""

    channel_id: str
    to: list[str]
    kind: str
    text: str | None = None
    media: Media | None = None
    template: TemplateRequest | None = None


def user_number(user_id: str) -> str | None:
    """A WhatsApp user id as +E.164, or None when it is no phone number."""
    number = user_id if user_id.startswith("+") else "+" + user_id
    return number if is_e164(number) else None


def notification(body: Mapping[str, Any]) -> Notification:
    kind = _string(body, "kind")
    channel = _string(body, "channelRegistrationId")
    try:
        channel_id = require_channel_id(channel)
    except ValueError:
        raise invalid("channelRegistrationId must be a GUID.", "channelRegistrationId") from None
    to = body.get("to")
    if not isinstance(to, list) or not to or not all(isinstance(t, str) for t in to):
        raise invalid("to must be a non-empty array of user ids.", "to")
    for user_id in to:
        if user_number(user_id) is None:
            raise invalid(f"'{user_id}' is not a valid WhatsApp user id.", "to")
    if kind == "text":
        text = _string(body, "content")
        if len(text) > MAX_TEXT_LENGTH:
            raise invalid(f"content is longer than {MAX_TEXT_LENGTH} characters.", "content")
        return Notification(channel_id, list(to), kind, text=text)
    if kind in MEDIA_KINDS or kind == _LEGACY_IMAGE:
        return Notification(channel_id, list(to), kind, media=_media(body, kind))
    if kind == "template":
        return Notification(channel_id, list(to), kind, template=_template(body.get("template")))
    if kind in _LATER_KINDS:
        raise invalid(f"kind '{kind}' needs a later api-version than 2024-08-30.", "kind")
    raise invalid(f"kind '{kind}' is not a notification kind.", "kind")


def _media(body: Mapping[str, Any], kind: str) -> Media:
    url = _string(body, "mediaUri")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("mediaUri must be an absolute http(s) URL.", "mediaUri")
    if kind == _LEGACY_IMAGE:
        return Media("image", url, _optional_string(body, "content"))
    caption = None if kind == "audio" else _optional_string(body, "caption")
    file_name = _optional_string(body, "fileName") if kind == "document" else None
    return Media(kind, url, caption, file_name)


def _template(value: Any) -> TemplateRequest:
    if not isinstance(value, dict):
        raise invalid("template is required.", "template")
    name = _string(value, "name", target="template.name")
    language = _string(value, "language", target="template.language")
    values: dict[str, dict[str, Any]] = {}
    raw_values = value.get("values") or []
    if not isinstance(raw_values, list):
        raise invalid("template.values must be an array.", "template.values")
    for item in raw_values:
        if not isinstance(item, dict):
            raise invalid("Each template value must be an object.", "template.values")
        value_name = _string(item, "name", target="template.values.name")
        _string(item, "kind", target="template.values.kind")
        if value_name in values:
            raise invalid(f"Template value '{value_name}' is given twice.", "template.values")
        values[value_name] = item
    body_refs: list[str] = []
    other_refs: list[str] = []
    bindings = value.get("bindings")
    if bindings is not None:
        if not isinstance(bindings, dict) or bindings.get("kind") != "whatsApp":
            raise invalid("template.bindings must be whatsApp bindings.", "template.bindings")
        for section in ("header", "body", "footer", "buttons"):
            refs = _refs(bindings, section)
            (body_refs if section == "body" else other_refs).extend(refs)
    return TemplateRequest(name, language, values, body_refs, other_refs)


def _refs(bindings: Mapping[str, Any], section: str) -> list[str]:
    items = bindings.get(section) or []
    target = f"template.bindings.{section}"
    if not isinstance(items, list):
        raise invalid(f"{target} must be an array.", target)
    refs = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid(f"Each of {target} must be an object.", target)
        refs.append(_string(item, "refValue", target=target))
    return refs


def _string(body: Mapping[str, Any], name: str, *, target: str | None = None) -> str:
    value = _optional_string(body, name, target=target)
    if value is None:
        raise invalid(f"{target or name} is required.", target or name)
    return value


def _optional_string(
    body: Mapping[str, Any], name: str, *, target: str | None = None
) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{target or name} must be a string.", target or name)
    return value
