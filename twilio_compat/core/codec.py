"""What the shim keeps of Twilio in ACS message metadata and in stored JSON, written one way.

ACS message metadata is string-to-string: the shim writes a message's Twilio SID, index,
author, attributes, media and whether it had no body under fixed keys, so any process (or a
sync after a crash) sees the message as it was sent, and ACS-native apps can read the media
list. Every writer builds that metadata with `MessageMetadata.encode` and every reader uses
`MessageMetadata.decode`. Conversation timers are stored as a small JSON document, written by
`encode_timers` and read by `decode_timers`, whether a live write or an import made them, beside
the instant they next move the state (`timers_due_at`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from twilio_compat.core import records
from twilio_compat.core.stamps import dumps, iso, parse_iso
from twilio_compat.core.text import parse_json
from twilio_compat.sids import is_sid

# Metadata keys the shim writes on ACS messages.
SID_KEY = "twilioSid"
INDEX_KEY = "twilioIndex"
ATTRIBUTES_KEY = "twilioAttributes"
AUTHOR_KEY = "twilioAuthor"
NO_BODY_KEY = "twilioNoBody"
DATE_KEY = "twilioDateCreated"
"""The original creation time of a replayed message (ACS stamps its own)."""
ATTACHMENT_FLAG = "hasAttachment"
ATTACHMENTS = "attachments"

_TRUE = "true"


def json_or_empty(text: object) -> str:
    """JSON text as given; anything else (not text, empty, unparsable, ``NaN``) becomes ``{}``."""
    if not isinstance(text, str) or not text:
        return "{}"
    try:
        parse_json(text)
    except (ValueError, RecursionError):
        return "{}"
    return text


def encode_attachments(items: Iterable[records.Media]) -> str:
    """The metadata list ACS-native apps read: camelCase, as ACS metadata conventions go."""
    return json.dumps(
        [
            {
                "sid": m.sid,
                "contentType": m.content_type,
                "filename": m.filename,
                "size": m.size,
            }
            for m in items
        ],
        separators=(",", ":"),
    )


def decode_attachments(text: str | None, service_sid: str) -> tuple[records.Media, ...]:
    """Media summaries from the metadata list (or the store's cached copy of it)."""
    if not text:
        return ()
    try:
        items = json.loads(text)
    except (ValueError, RecursionError):
        return ()
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("sid"), str):
            continue
        out.append(
            records.Media(
                sid=item["sid"],
                service_sid=service_sid,
                content_type=str(item.get("contentType") or "application/octet-stream"),
                filename=item.get("filename") if isinstance(item.get("filename"), str) else None,
                size=int(item.get("size") or 0),
                date_created=None,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class MessageMetadata:
    """The Twilio facts one ACS message carries; None (or False) means "not carried".

    ``attachments`` is the JSON list as written (see `encode_attachments`); decoding keeps it
    only when flagged and parsable, so the store caches exactly what the sender wrote.
    """

    sid: str | None = None
    index: int | None = None
    author: str | None = None
    attributes: str | None = None
    attachments: str | None = None
    no_body: bool = False
    date_created: datetime | None = None

    @property
    def twilio_sid(self) -> str | None:
        """The message's SID when sent through the shim (a message SID with its index)."""
        if self.sid is not None and is_sid(self.sid, "IM") and self.index is not None:
            return self.sid
        return None

    def encode(self) -> dict[str, str]:
        """The metadata to send; only what is carried appears."""
        out: dict[str, str] = {}
        if self.sid is not None:
            out[SID_KEY] = self.sid
        if self.index is not None:
            out[INDEX_KEY] = str(self.index)
        if self.attributes is not None:
            out[ATTRIBUTES_KEY] = self.attributes
        if self.author is not None:
            out[AUTHOR_KEY] = self.author
        if self.date_created is not None:
            out[DATE_KEY] = iso(self.date_created)
        if self.attachments is not None:
            out[ATTACHMENT_FLAG] = _TRUE
            out[ATTACHMENTS] = self.attachments
        if self.no_body:
            out[NO_BODY_KEY] = _TRUE
        return out

    @classmethod
    def decode(cls, metadata: Mapping[str, str]) -> MessageMetadata:
        """What a message's metadata says; keys it cannot read are left out."""
        attachments = metadata.get(ATTACHMENTS) if metadata.get(ATTACHMENT_FLAG) == _TRUE else None
        if attachments is not None and json_or_empty(attachments) != attachments:
            attachments = None  # not the attachment list the shim writes: nothing to show
        attributes = metadata.get(ATTRIBUTES_KEY)
        return cls(
            sid=metadata.get(SID_KEY),
            index=_whole_number(metadata.get(INDEX_KEY)),
            author=metadata.get(AUTHOR_KEY),
            attributes=None if attributes is None else json_or_empty(attributes),
            attachments=attachments,
            no_body=metadata.get(NO_BODY_KEY) == _TRUE,
            date_created=_instant(metadata.get(DATE_KEY)),
        )


def encode_timers(
    *,
    inactive: str | None = None,
    closed: str | None = None,
    date_inactive: datetime | None = None,
    date_closed: datetime | None = None,
) -> str | None:
    """A conversation's stored timers document; None when no timer is set."""
    document: dict[str, str] = {}
    if inactive is not None:
        document["inactive"] = inactive
    if date_inactive is not None:
        document["date_inactive"] = iso(date_inactive)
    if closed is not None:
        document["closed"] = closed
    if date_closed is not None:
        document["date_closed"] = iso(date_closed)
    return dumps(document) if document else None


def decode_timers(text: str | None) -> records.Timers:
    """The timers a stored document holds (none for an empty or missing one)."""
    if not text:
        return records.Timers()
    document = json.loads(text)
    return records.Timers(
        inactive=document.get("inactive"),
        closed=document.get("closed"),
        date_inactive=_instant(document.get("date_inactive")),
        date_closed=_instant(document.get("date_closed")),
    )


def timers_due_at(state: str, timers: str | None) -> datetime | None:
    """When the stored `timers` next move a conversation stored in `state` (None: never).

    Closed is final; an inactive conversation only closes; an active one goes inactive or
    closed, whichever comes first. The store keeps this instant so lists read only the
    conversations whose timers have fired.
    """
    found = decode_timers(timers)
    if state == "inactive":
        return found.date_closed
    if state != "active":
        return None
    return min((t for t in (found.date_inactive, found.date_closed) if t), default=None)


def _whole_number(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    try:
        return int(text)
    except ValueError:  # digits int() does not read, such as superscripts
        return None


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None
