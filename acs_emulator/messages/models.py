"""The Advanced Messaging (WhatsApp) service's state and rules.

A send goes through a registered channel and answers 202 with one receipt per recipient; what
happened comes later as `AdvancedMessageDeliveryStatusUpdated` events (sent then delivered, or
failed). WhatsApp's customer-service window is enforced the way the service does: a free-form
message to a user who has not written to the channel in the last 24 hours is accepted, then
reported failed with Meta's re-engagement code; templates always pass. A send repeated with the
same `Repeatability-Request-ID` returns the first receipts and sends nothing.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
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
from acs_emulator.exceptions import AcsError
from acs_emulator.messages.parsing import Notification, user_number
from acs_emulator.messages.templates import RenderedTemplate, render
from acs_emulator.numbers import NumberRegistry, require_channel_id, require_e164

WINDOW_MS = 24 * 60 * 60 * 1000
RECEIVED = "Microsoft.Communication.AdvancedMessageReceived"
STATUS_UPDATED = "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"
REENGAGEMENT_CODE = "131047"
# Meta Cloud API codes the emulator can name; any other code gets a generic message.
CHANNEL_MESSAGES = {
    REENGAGEMENT_CODE: "Re-engagement message",
    "131026": "Message undeliverable",
    "131050": "User has stopped marketing messages",
}
DEFAULT_FAILURE_CODE = "131026"

SCHEMA = """
CREATE TABLE IF NOT EXISTS whatsapp_outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,
    channel_id      TEXT NOT NULL,
    from_number     TEXT NOT NULL,
    to_number       TEXT NOT NULL,
    body            TEXT NOT NULL,
    template        TEXT,
    media           TEXT,
    status          TEXT NOT NULL,
    error_code      TEXT,
    sent_ms         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS whatsapp_outbox_by_to ON whatsapp_outbox (to_number, seq);

CREATE TABLE IF NOT EXISTS whatsapp_repeatability (
    request_id      TEXT PRIMARY KEY,
    receipts        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS whatsapp_windows (
    channel_id      TEXT NOT NULL,
    user_number     TEXT NOT NULL,
    last_inbound_ms INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_number)
);

CREATE TABLE IF NOT EXISTS whatsapp_media (
    id              TEXT PRIMARY KEY,
    content         BLOB NOT NULL,
    content_type    TEXT NOT NULL,
    file_name       TEXT
);
"""


@dataclass(frozen=True)
class StoredMedia:
    content: bytes
    content_type: str
    file_name: str | None


@dataclass(frozen=True)
class SendOutcome:
    """The receipts of a send, and whether they are those of an earlier identical send."""

    receipts: list[dict[str, str]]
    repeated: bool = False


class MessagesBackend:
    def __init__(
        self,
        db: Database,
        registry: NumberRegistry,
        outcomes: DeliveryOutcomes,
        followups: FollowUpEvents,
        clock: Clock,
    ) -> None:
        self._db = db
        self._registry = registry
        self._outcomes = outcomes
        self._followups = followups
        self._clock = clock
        db.ensure_schema(SCHEMA)

    # The REST operations

    def send(self, notification: Notification, request_id: str | None = None) -> SendOutcome:
        channel_number = self._registry.channel_number(notification.channel_id)
        if channel_number is None:
            raise AcsError(
                400,
                "ChannelNotFound",
                f"No channel {notification.channel_id} is registered with this resource.",
                target="channelRegistrationId",
            )
        rendered = None
        if notification.template is not None:
            rendered = render(self._registry, notification.channel_id, notification.template)
        events: list[Event] = []
        with self._db.transaction() as conn:
            if request_id is not None:
                row = conn.execute(
                    "SELECT receipts FROM whatsapp_repeatability WHERE request_id = ?",
                    (request_id,),
                ).fetchone()
                if row is not None:
                    return SendOutcome(json.loads(row["receipts"]), repeated=True)
            receipts = []
            for user_id in notification.to:
                message_id = str(uuid.uuid4())
                events += self._send_one(
                    notification, channel_number, rendered, user_id, message_id
                )
                receipts.append({"messageId": message_id, "to": user_id})
            if request_id is not None:
                conn.execute(
                    "INSERT INTO whatsapp_repeatability (request_id, receipts) VALUES (?, ?)",
                    (request_id, json.dumps(receipts)),
                )
        self._followups.schedule(events)
        return SendOutcome(receipts)

    def _send_one(
        self,
        notification: Notification,
        channel_number: str,
        rendered: RenderedTemplate | None,
        user_id: str,
        message_id: str,
    ) -> list[Event]:
        to = user_number(user_id)
        assert to is not None  # parsing checked every recipient
        now = self._clock()
        planned = self._outcomes.for_number(to)
        if rendered is None and not self._window_open(notification.channel_id, to, now):
            planned = PlannedOutcome("failed", REENGAGEMENT_CODE)
        error_code = None
        if planned.outcome == "failed":
            error_code = planned.error_code or DEFAULT_FAILURE_CODE
        status = {"delivered": "delivered", "failed": "failed", "none": "sent"}[planned.outcome]
        media = notification.media
        if rendered is not None:
            body = rendered.text
        elif media is not None:
            body = media.caption or ""
        else:
            body = notification.text or ""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO whatsapp_outbox (message_id, channel_id, from_number, to_number, body,"
                " template, media, status, error_code, sent_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    notification.channel_id,
                    channel_number,
                    to,
                    body,
                    json.dumps(rendered.as_dict()) if rendered is not None else None,
                    json.dumps(media.as_dict()) if media is not None else None,
                    status,
                    error_code,
                    now,
                ),
            )
        return self._status_events(message_id, notification.channel_id, to, planned, error_code)

    def _window_open(self, channel_id: str, to: str, now: int) -> bool:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT last_inbound_ms FROM whatsapp_windows"
                " WHERE channel_id = ? AND user_number = ?",
                (channel_id, to),
            ).fetchone()
        return row is not None and now - int(row["last_inbound_ms"]) < WINDOW_MS

    def _status_events(
        self,
        message_id: str,
        channel_id: str,
        to: str,
        planned: PlannedOutcome,
        error_code: str | None,
    ) -> list[Event]:
        if planned.outcome == "none":
            return []
        statuses = ["sent", "delivered"] if planned.outcome == "delivered" else ["failed"]
        events: list[Event] = []
        for status in statuses:
            data: dict[str, Any] = {
                "messageId": message_id,
                "status": status,
                "channelType": "whatsapp",
                "from": channel_id,
                "to": to.lstrip("+"),
                "receivedTimestamp": iso_time(self._clock()),
            }
            if error_code is not None:
                data["error"] = {
                    "channelCode": error_code,
                    "channelMessage": CHANNEL_MESSAGES.get(error_code, "Message failed to send."),
                }
            subject = f"advancedMessage/{message_id}/status/{status.capitalize()}"
            events.append((STATUS_UPDATED, subject, data))
        return events

    def media(self, media_id: str) -> StoredMedia:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT content, content_type, file_name FROM whatsapp_media WHERE id = ?",
                (media_id,),
            ).fetchone()
        if row is None:
            raise AcsError(404, "NotFound", f"No media with id '{media_id}'.", target="id")
        return StoredMedia(bytes(row["content"]), row["content_type"], row["file_name"])

    # The handset side

    def receive(
        self,
        from_: str,
        channel_id: str,
        body: str | None = None,
        media: dict[str, Any] | None = None,
    ) -> str:
        """A WhatsApp user writes to a channel: raises `AdvancedMessageReceived` and opens
        the user's 24-hour window on that channel."""
        require_e164(from_, "sender number")
        channel_id = require_channel_id(channel_id)
        if self._registry.channel_number(channel_id) is None:
            raise ValueError(f"no WhatsApp channel {channel_id!r} is registered")
        if body is None and media is None:
            raise ValueError("an inbound WhatsApp message needs a body, media or both")
        if body is not None and not isinstance(body, str):
            raise ValueError("a WhatsApp body is text")
        message_id = str(uuid.uuid4())
        now = self._clock()
        data: dict[str, Any] = {"channelType": "whatsapp", "messageType": "text"}
        if body is not None:
            data["content"] = body
        with self._db.transaction() as conn:
            if media is not None:
                data["media"] = self._store_media(conn, media)
                data["messageType"] = _media_type(data["media"]["mimeType"])
            conn.execute(
                "INSERT INTO whatsapp_windows (channel_id, user_number, last_inbound_ms)"
                " VALUES (?, ?, ?) ON CONFLICT (channel_id, user_number)"
                " DO UPDATE SET last_inbound_ms = excluded.last_inbound_ms",
                (channel_id, from_, now),
            )
        data.update(
            {
                "from": from_.lstrip("+"),
                "to": channel_id,
                "receivedTimestamp": iso_time(now),
                "messageId": message_id,
            }
        )
        subject = f"advancedMessage/sender/{from_.lstrip('+')}/recipient/{channel_id}"
        self._followups.publish_now([(RECEIVED, subject, data)])
        return message_id

    def _store_media(self, conn: sqlite3.Connection, media: dict[str, Any]) -> dict[str, Any]:
        content = media.get("content")
        content_type = media.get("content_type")
        if not isinstance(content, bytes) or not content:
            raise ValueError("media needs `content` bytes")
        if not isinstance(content_type, str) or "/" not in content_type:
            raise ValueError("media needs a `content_type` such as image/jpeg")
        file_name = media.get("filename")
        caption = media.get("caption")
        media_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO whatsapp_media (id, content, content_type, file_name) VALUES (?, ?, ?, ?)",
            (media_id, content, content_type, file_name),
        )
        described: dict[str, Any] = {"mimeType": content_type, "id": media_id}
        if file_name is not None:
            described["fileName"] = str(file_name)
        if caption is not None:
            described["caption"] = str(caption)
        return described

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message accepted for sending, one per recipient, oldest first."""
        rows = self._db.outbox("whatsapp_outbox", to)
        return [
            {
                "from": row["from_number"],
                "to": row["to_number"],
                "body": row["body"],
                "message_id": row["message_id"],
                "channel_id": row["channel_id"],
                "template": json.loads(row["template"]) if row["template"] else None,
                "media": json.loads(row["media"]) if row["media"] else None,
                "status": row["status"],
                "error_code": row["error_code"],
            }
            for row in rows
        ]


def _media_type(mime_type: str) -> str:
    major = mime_type.split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "document"
