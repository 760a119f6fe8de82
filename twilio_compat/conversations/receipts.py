"""``AggregatedDeliveryReceipt`` and ``DetailedDeliveryReceipt``: what became of a message sent
to the conversation's SMS and WhatsApp participants, as the JS SDK shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twilio_compat.conversations._names import js_names
from twilio_compat.core import records


@js_names
@dataclass(frozen=True)
class AggregatedDeliveryReceipt:
    """How many non-chat participants the message went to, and for each status whether
    ``"all"``, ``"some"`` or ``"none"`` of them reached it (``sent`` counts those delivered or
    read too; ``delivered`` those read)."""

    total: int
    sent: str
    delivered: str
    read: str
    undelivered: str
    failed: str

    @classmethod
    def of(cls, summary: records.DeliverySummary) -> AggregatedDeliveryReceipt:
        return cls(
            summary.total,
            summary.sent,
            summary.delivered,
            summary.read,
            summary.undelivered,
            summary.failed,
        )


@js_names
@dataclass(frozen=True)
class DetailedDeliveryReceipt:
    """One participant's receipt; ``errorCode`` is 0 when nothing failed."""

    sid: str
    messageSid: str
    conversationSid: str
    channelMessageSid: str | None
    participantSid: str
    status: str
    errorCode: int
    dateCreated: datetime
    dateUpdated: datetime

    @classmethod
    def of(cls, receipt: records.DeliveryReceipt) -> DetailedDeliveryReceipt:
        return cls(
            receipt.sid,
            receipt.message_sid,
            receipt.conversation_sid,
            receipt.channel_message_sid,
            receipt.participant_sid,
            receipt.status,
            receipt.error_code,
            receipt.date_created,
            receipt.date_updated,
        )

    # PEP 8 names: the same values as the JS names.
    @property
    def message_sid(self) -> str:
        return self.messageSid

    @property
    def conversation_sid(self) -> str:
        return self.conversationSid

    @property
    def channel_message_sid(self) -> str | None:
        return self.channelMessageSid

    @property
    def participant_sid(self) -> str:
        return self.participantSid

    @property
    def error_code(self) -> int:
        return self.errorCode

    @property
    def date_created(self) -> datetime:
        return self.dateCreated

    @property
    def date_updated(self) -> datetime:
        return self.dateUpdated
