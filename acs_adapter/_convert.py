"""Azure SDK chat models to the adapter's records, and records to SDK arguments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from azure.communication.chat import (
    ChatError,
    ChatMessage,
    ChatMessageReadReceipt,
    ChatParticipant,
    ChatThreadItem,
    ChatThreadProperties,
    CommunicationIdentifier,
    CommunicationUserIdentifier,
)

from acs_adapter._validate import IDEMPOTENCY_METADATA_KEY, visible_metadata
from acs_adapter.records import (
    InvalidParticipant,
    MessageRecord,
    ParticipantRecord,
    ReadReceiptRecord,
    ThreadRecord,
    ThreadSummary,
)


def raw_id(identifier: CommunicationIdentifier | None) -> str | None:
    """The ACS raw id (`8:acs:…`) of an SDK identifier, whatever its kind."""
    if identifier is None:
        return None
    value = getattr(identifier, "raw_id", None)
    if value:
        return str(value)
    properties = getattr(identifier, "properties", None) or {}
    found = properties.get("id")
    return str(found) if found else None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


def participant(model: ChatParticipant) -> ParticipantRecord:
    return ParticipantRecord(
        user_id=raw_id(model.identifier) or "",
        display_name=model.display_name,
        share_history_time=_utc(model.share_history_time),
    )


def to_sdk_participants(records: Iterable[ParticipantRecord]) -> list[ChatParticipant]:
    return [
        ChatParticipant(
            identifier=CommunicationUserIdentifier(record.user_id),
            display_name=record.display_name,
            share_history_time=record.share_history_time,
        )
        for record in records
    ]


def invalid_participants(
    errors: Iterable[tuple[ChatParticipant, ChatError]] | None,
) -> tuple[InvalidParticipant, ...]:
    """The SDK reports refusals as `(ChatParticipant, ChatError)` pairs."""
    return tuple(
        InvalidParticipant(
            user_id=raw_id(member.identifier) or "",
            code=getattr(error, "code", None),
            message=getattr(error, "message", None),
        )
        for member, error in (errors or ())
    )


def thread(model: ChatThreadProperties) -> ThreadRecord:
    return ThreadRecord(
        id=model.id,
        topic=model.topic or "",
        created_on=_utc(model.created_on) or datetime.fromtimestamp(0, timezone.utc),
        created_by=raw_id(model.created_by),
    )


def thread_summary(model: ChatThreadItem) -> ThreadSummary:
    return ThreadSummary(
        id=model.id,
        topic=model.topic or "",
        deleted_on=_utc(getattr(model, "deleted_on", None)),
        last_message_received_on=_utc(getattr(model, "last_message_received_on", None)),
    )


def message(model: ChatMessage) -> MessageRecord:
    content = model.content
    return MessageRecord(
        id=model.id,
        type=_enum_text(model.type),
        sequence_id=int(model.sequence_id),
        version=str(model.version),
        content=getattr(content, "message", None),
        sender_id=raw_id(model.sender),
        sender_display_name=model.sender_display_name,
        created_on=_utc(model.created_on) or datetime.fromtimestamp(0, timezone.utc),
        edited_on=_utc(model.edited_on),
        deleted_on=_utc(model.deleted_on),
        metadata=visible_metadata(model.metadata),
        topic=getattr(content, "topic", None),
        participants=tuple(participant(p) for p in (getattr(content, "participants", None) or ())),
        initiator_id=raw_id(getattr(content, "initiator", None)),
    )


def read_receipt(model: ChatMessageReadReceipt) -> ReadReceiptRecord:
    return ReadReceiptRecord(
        sender_id=raw_id(model.sender) or "",
        message_id=model.chat_message_id,
        read_on=_utc(model.read_on) or datetime.fromtimestamp(0, timezone.utc),
    )


def carries_key(model: ChatMessage, key: str, sender_id: str) -> bool:
    """Whether an SDK message is the one an idempotent send with `key` stored."""
    stored = (model.metadata or {}).get(IDEMPOTENCY_METADATA_KEY)
    return stored == key and raw_id(model.sender) == sender_id
