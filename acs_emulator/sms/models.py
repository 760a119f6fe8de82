"""The SMS service's state and rules: who may send, what each recipient gets, what follows.

A send answers per recipient: a malformed number fails alone (400) while the others go out.
Each accepted recipient lands in the outbox (what the handset sees) and, when the sender asked
for delivery reports, a `SMSDeliveryReportReceived` follows with the outcome the test planned
for that number. A recipient's `repeatabilityRequestId` is remembered: sending it again
returns the first message id and sends nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from acs_emulator.db import Database
from acs_emulator.delivery_outcomes import (
    Clock,
    DeliveryOutcomes,
    Event,
    FollowUpEvents,
    PlannedOutcome,
    iso_time,
)
from acs_emulator.exceptions import bad_request, too_many_requests
from acs_emulator.numbers import NumberRegistry, is_e164, require_e164
from acs_emulator.sms.segments import segment_count
from acs_emulator.throttle import Throttle

MAX_MESSAGE_LENGTH = 2048
MAX_RECIPIENTS = 100
SMS_RECEIVED = "Microsoft.Communication.SMSReceived"
SMS_DELIVERY_REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
INVALID_TO = "Invalid To phone number format."
INVALID_FIRST_SENT = (
    "Request sent with an invalid repeatabilityFirstSent; expected an RFC 1123 date."
)
DEFAULT_FAILURE = "Message could not be delivered to the recipient."

SCHEMA = """
CREATE TABLE IF NOT EXISTS sms_outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,
    from_number     TEXT NOT NULL,
    to_number       TEXT NOT NULL,
    body            TEXT NOT NULL,
    tag             TEXT,
    status          TEXT NOT NULL,
    error_code      TEXT,
    sent_ms         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sms_outbox_by_to ON sms_outbox (to_number, seq);

CREATE TABLE IF NOT EXISTS sms_repeatability (
    request_id      TEXT PRIMARY KEY,
    to_number       TEXT NOT NULL,
    message_id      TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SmsRecipient:
    to: str
    repeatability_request_id: str | None = None
    repeatability_first_sent: str | None = None


@dataclass(frozen=True)
class SmsSend:
    """One `POST /sms` request, already checked for shape."""

    from_: str
    recipients: list[SmsRecipient]
    message: str
    enable_delivery_report: bool = False
    tag: str | None = None


@dataclass(frozen=True)
class SmsResult:
    """One recipient's line of the 202 answer."""

    to: str
    http_status_code: int
    message_id: str | None = None
    error_message: str | None = None
    repeatability_result: str | None = None

    @property
    def successful(self) -> bool:
        return self.http_status_code == 202


class SmsBackend:
    def __init__(
        self,
        db: Database,
        registry: NumberRegistry,
        outcomes: DeliveryOutcomes,
        followups: FollowUpEvents,
        clock: Clock,
        throttle: Throttle | None = None,
    ) -> None:
        """With `throttle`, each sending number gets the service's per-number request rate."""
        self._db = db
        self._registry = registry
        self._outcomes = outcomes
        self._followups = followups
        self._clock = clock
        self._throttle = throttle
        db.ensure_schema(SCHEMA)

    # The REST operation

    def send(self, request: SmsSend) -> list[SmsResult]:
        if not is_e164(request.from_):
            raise bad_request("Invalid From phone number format.", target="from")
        if not self._registry.owns_number(request.from_):
            raise bad_request(
                f"The From phone number {request.from_} is not owned by this resource.",
                target="from",
            )
        if not request.recipients or len(request.recipients) > MAX_RECIPIENTS:
            raise bad_request(
                f"A request takes 1 to {MAX_RECIPIENTS} recipients.", target="smsRecipients"
            )
        if len(request.message) > MAX_MESSAGE_LENGTH:
            raise bad_request(
                f"The message is longer than {MAX_MESSAGE_LENGTH} characters.", target="message"
            )
        if self._throttle is not None:
            wait = self._throttle.check("Sms_Send", request.from_, None)
            if wait is not None:
                raise too_many_requests(wait)
        results: list[SmsResult] = []
        reports: list[Event] = []
        with self._db.transaction():
            for recipient in request.recipients:
                result, report = self._send_one(request, recipient)
                results.append(result)
                if report is not None:
                    reports.append(report)
        self._followups.schedule(reports)
        return results

    def _send_one(
        self, request: SmsSend, recipient: SmsRecipient
    ) -> tuple[SmsResult, Event | None]:
        to = recipient.to
        if not is_e164(to):
            return SmsResult(to, 400, error_message=INVALID_TO), None
        request_id = recipient.repeatability_request_id
        if request_id is not None:
            if not _valid_first_sent(recipient.repeatability_first_sent):
                return SmsResult(
                    to, 400, error_message=INVALID_FIRST_SENT, repeatability_result="rejected"
                ), None
            earlier = self._earlier(request_id)
            if earlier is not None:
                return SmsResult(to, 202, message_id=earlier, repeatability_result="accepted"), None
        message_id = str(uuid.uuid4())
        now = self._clock()
        planned = self._outcomes.for_number(to)
        status = {"delivered": "delivered", "failed": "failed", "none": "sent"}[planned.outcome]
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO sms_outbox (message_id, from_number, to_number, body, tag, status,"
                " error_code, sent_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    request.from_,
                    to,
                    request.message,
                    request.tag,
                    status,
                    planned.error_code if planned.outcome == "failed" else None,
                    now,
                ),
            )
            if request_id is not None:
                conn.execute(
                    "INSERT INTO sms_repeatability (request_id, to_number, message_id)"
                    " VALUES (?, ?, ?)",
                    (request_id, to, message_id),
                )
        result = SmsResult(
            to,
            202,
            message_id=message_id,
            repeatability_result="accepted" if request_id is not None else None,
        )
        report = None
        if request.enable_delivery_report and planned.outcome != "none":
            report = self._delivery_report(request, to, message_id, planned, now)
        return result, report

    def _earlier(self, request_id: str) -> str | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT message_id FROM sms_repeatability WHERE request_id = ?", (request_id,)
            ).fetchone()
        return str(row["message_id"]) if row is not None else None

    def _delivery_report(
        self, request: SmsSend, to: str, message_id: str, planned: PlannedOutcome, sent_ms: int
    ) -> Event:
        segments = segment_count(request.message)
        delivered = planned.outcome == "delivered"
        data: dict[str, Any] = {
            "messageId": message_id,
            "from": request.from_,
            "to": to,
            "deliveryStatus": "Delivered" if delivered else "Failed",
            "deliveryStatusDetails": "No error."
            if delivered
            else (planned.error_code or DEFAULT_FAILURE),
            "deliveryAttempts": [
                {
                    "timestamp": iso_time(sent_ms),
                    "segmentsSucceeded": segments if delivered else 0,
                    "segmentsFailed": 0 if delivered else segments,
                }
            ],
            "receivedTimestamp": iso_time(self._clock()),
        }
        if request.tag is not None:
            data["tag"] = request.tag
        return SMS_DELIVERY_REPORT, _subject(request.from_), data

    # The handset side

    def receive(self, from_: str, to: str, body: str) -> str:
        """A text from a phone to one of the resource's numbers: raises `SMSReceived`."""
        require_e164(from_, "sender number")
        require_e164(to, "recipient number")
        if not self._registry.owns_number(to):
            raise ValueError(f"{to} is not one of the resource's SMS numbers")
        if not isinstance(body, str):
            raise ValueError("an SMS body is text")
        message_id = str(uuid.uuid4())
        data = {
            "messageId": message_id,
            "from": from_,
            "to": to,
            "message": body,
            "receivedTimestamp": iso_time(self._clock()),
            "segmentCount": segment_count(body),
        }
        self._followups.publish_now([(SMS_RECEIVED, _subject(to), data)])
        return message_id

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every text accepted for sending, oldest first; only those to `to` if given."""
        rows = self._db.outbox("sms_outbox", to)
        return [
            {
                "from": row["from_number"],
                "to": row["to_number"],
                "body": row["body"],
                "message_id": row["message_id"],
                "tag": row["tag"],
                "status": row["status"],
                "error_code": row["error_code"],
            }
            for row in rows
        ]


def _subject(number: str) -> str:
    return "/phonenumber/" + number.lstrip("+")


def _valid_first_sent(value: str | None) -> bool:
    if value is None:
        return False
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True
