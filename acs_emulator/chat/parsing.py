"""Reading chat requests: JSON bodies and query strings checked against the 2024-03-07 spec.

Every malformed input (not JSON, not an object, a wrong type, a missing required field) becomes
a 400 with an ACS error body whose `target` names the offending field. Optional fields sent as
JSON `null` count as absent, except in PATCH bodies, which are JSON merge patches (RFC 7396):
there `null` means "remove", which only message `metadata` (and its keys) allow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from acs_emulator.chat.identifiers import raw_id_of
from acs_emulator.chat.records import HTML, TEXT, MessageEdit, NewMessage, Participant
from acs_emulator.chat.timestamps import parse_time
from acs_emulator.exceptions import bad_request

_MAX_REQUEST_ID_LENGTH = 256
_SENDABLE_TYPES = {TEXT: TEXT, HTML: HTML}


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object body; `optional` bodies may be empty (read as `{}`)."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise bad_request("The request body is required.")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object.")
    try:
        # An escaped lone surrogate (JSON "\ud800") parses, but is no Unicode text.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise bad_request("The request body holds text that is not valid Unicode.") from None
    return value


def create_thread(body: Mapping[str, Any]) -> tuple[str, list[Participant]]:
    """`CreateChatThreadRequest`: the topic and the requested participants."""
    topic = _required_string(body, "topic")
    if not topic.strip():
        raise bad_request("topic must not be empty.", target="topic")
    return topic, participants(body, required=False)


def participants(body: Mapping[str, Any], *, required: bool) -> list[Participant]:
    value = body.get("participants")
    if value is None:
        if required:
            raise bad_request("participants is required.", target="participants")
        return []
    if not isinstance(value, list):
        raise bad_request("participants must be an array.", target="participants")
    return [_participant(item, f"participants[{i}]") for i, item in enumerate(value)]


def topic_update(body: Mapping[str, Any]) -> str | None:
    """`UpdateChatThreadRequest`: the new topic, or None when the patch leaves it alone."""
    if "topic" not in body:
        return None
    topic = body["topic"]
    if not isinstance(topic, str) or not topic.strip():
        raise bad_request("topic must be a non-empty string.", target="topic")
    return topic


def new_message(body: Mapping[str, Any]) -> NewMessage:
    """`SendChatMessageRequest`; only `text` (the default) and `html` can be sent."""
    content = _required_string(body, "content")
    raw_type = _string(body, "type") or TEXT
    message_type = _SENDABLE_TYPES.get(raw_type.lower())
    if message_type is None:
        raise bad_request(
            f"type must be 'text' or 'html'; '{raw_type}' messages cannot be sent.",
            target="type",
        )
    metadata = body.get("metadata")
    return NewMessage(
        body=content,
        type=message_type,
        sender_display_name=_string(body, "senderDisplayName") or "",
        metadata=_metadata(metadata) if metadata is not None else None,
    )


def message_edit(body: Mapping[str, Any]) -> MessageEdit:
    """`UpdateChatMessageRequest` read as a JSON merge patch."""
    if "content" in body and not isinstance(body["content"], str):
        raise bad_request("content must be a string.", target="content")
    patch: dict[str, str | None] | None = None
    clear = False
    if "metadata" in body:
        value = body["metadata"]
        if value is None:
            clear = True
        elif isinstance(value, dict) and all(
            isinstance(v, str) or v is None for v in value.values()
        ):
            patch = dict(value)
        else:
            raise bad_request(
                "metadata must be an object of string values (null removes a key).",
                target="metadata",
            )
    return MessageEdit(body=body.get("content"), metadata=patch, clear_metadata=clear)


def removed_participant(body: Mapping[str, Any]) -> str:
    """The body of `:remove` is itself a `CommunicationIdentifierModel`."""
    return raw_id_of(body, field="participantCommunicationIdentifier")


def read_receipt(body: Mapping[str, Any]) -> str:
    """`SendReadReceiptRequest`: the id of the message read."""
    return _required_string(body, "chatMessageId")


def typing_display_name(body: Mapping[str, Any]) -> str:
    return _string(body, "senderDisplayName") or ""


def start_time(query: Mapping[str, str]) -> int | None:
    raw = query.get("startTime")
    if raw is None or raw == "":
        return None
    parsed = parse_time(raw)
    if parsed is None:
        raise bad_request(
            "startTime must be an RFC 3339 date-time, e.g. 2024-01-02T03:04:05Z.",
            target="startTime",
        )
    return parsed


def repeatability_request_id(headers: Mapping[str, str]) -> str | None:
    value = headers.get("repeatability-request-id")
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > _MAX_REQUEST_ID_LENGTH:
        raise bad_request(
            f"repeatability-request-id must be 1 to {_MAX_REQUEST_ID_LENGTH} characters.",
            target="repeatability-request-id",
        )
    return value


def _participant(value: Any, field: str) -> Participant:
    """`ChatParticipant`: identifier, optional display name and history share time."""
    if not isinstance(value, dict):
        raise bad_request(f"{field} must be an object.", target=field)
    raw_id = raw_id_of(
        value.get("communicationIdentifier"), field=f"{field}.communicationIdentifier"
    )
    display_name = _string(value, "displayName", field=f"{field}.displayName")
    share = _string(value, "shareHistoryTime", field=f"{field}.shareHistoryTime")
    share_ms = 0
    if share is not None:
        parsed = parse_time(share)
        if parsed is None:
            raise bad_request(
                f"{field}.shareHistoryTime must be an RFC 3339 date-time.",
                target=f"{field}.shareHistoryTime",
            )
        share_ms = max(parsed, 0)
    return Participant(raw_id=raw_id, display_name=display_name, share_history_ms=share_ms)


def _metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad_request("metadata must be an object of string values.", target="metadata")
    return dict(value)


def _required_string(body: Mapping[str, Any], key: str) -> str:
    value = _string(body, key)
    if value is None:
        raise bad_request(f"{key} is required.", target=key)
    return value


def _string(body: Mapping[str, Any], key: str, *, field: str | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        name = field or key
        raise bad_request(f"{name} must be a string.", target=name)
    return value
