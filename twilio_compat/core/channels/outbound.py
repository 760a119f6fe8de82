"""Fan-out: a conversation message reaches each SMS and WhatsApp participant but its author.

Deliveries are planned in the store first (one row per recipient, `queued`), then sent: SMS
in one request per proxy number for up to 100 recipients, WhatsApp one request per
recipient. Each send carries a repeatability id derived from the message and the participant,
so a send repeated after a crash, a lost answer or a retry is answered by ACS without texting
anyone again, and a recipient still `queued` after a crash is sent on the next attempt.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from acs_adapter.errors import AdapterError, Throttled, Unavailable
from acs_adapter.sms import MAX_RECIPIENTS, SmsRecipient
from acs_adapter.store.deliveries import Delivery, PlannedDelivery
from acs_adapter.whatsapp import MediaKind, Repeatability, WhatsAppMedia, WhatsAppTemplate
from twilio_compat.core import records
from twilio_compat.core.channels.addresses import bare_number
from twilio_compat.core.channels.error_codes import (
    NO_TEXT_FOR_SMS,
    UNKNOWN_ERROR,
    sms_send_error,
)
from twilio_compat.core.content import ContentTemplates, parse_variables
from twilio_compat.core.receipts import announce
from twilio_compat.sids import new_sid

if TYPE_CHECKING:
    from acs_adapter.store.participants import Participant as StoredParticipant
    from twilio_compat.core._context import Context
    from twilio_compat.core.media import MediaLibrary
    from twilio_compat.core.numbers import Numbers

logger = logging.getLogger("twilio_compat.channels")

_REPEATABILITY = uuid.UUID("5b0e7c3e-1a6f-4d1c-9a0e-6f1f2d3c4b5a")
"""Namespace of the repeatability ids: one per (message, participant), the same on every try."""


def repeatability_id(message_sid: str, participant_sid: str) -> str:
    return str(uuid.uuid5(_REPEATABILITY, f"{message_sid}/{participant_sid}"))


@dataclass(frozen=True)
class Recipient:
    """A non-chat participant a message goes to."""

    participant_sid: str
    channel: str
    address: str
    proxy_address: str


class FanOut:
    """Sends one message to a conversation's SMS and WhatsApp participants, once each."""

    def __init__(
        self, context: Context, media: MediaLibrary, numbers: Numbers, content: ContentTemplates
    ) -> None:
        self._context = context
        self._media = media
        self._numbers = numbers
        self._content = content

    def recipients(self, message: records.Message, added_at: datetime) -> list[Recipient]:
        """The non-chat participants the message goes to: present when it entered the feed
        (`added_at`, on the store's clock like their own dates: ACS stamps native messages in
        whole seconds), and not its author."""
        found = []
        for row in self._context.store.participants.list_non_chat(message.conversation_sid):
            if not _receives(row, message.author, added_at):
                continue
            found.append(
                Recipient(
                    row.sid,
                    row.binding_type or "sms",
                    row.binding_address or "",
                    row.binding_proxy_address or "",
                )
            )
        return found

    def send(self, message: records.Message, recipients: Sequence[Recipient]) -> None:
        """Plan and send the message to `recipients`; raises `Unavailable` / `Throttled` when
        ACS could not be reached (the caller tries again later: nothing is sent twice)."""
        if not recipients:
            return
        planned = self._context.store.deliveries.plan(
            message.conversation_sid,
            message.sid,
            [PlannedDelivery(new_sid("DY"), r.participant_sid, r.channel) for r in recipients],
        )
        queued = {d.participant_sid: d for d in planned if d.status == "queued"}
        pending = [r for r in recipients if r.participant_sid in queued]
        sms = [r for r in pending if r.channel == "sms"]
        whatsapp = [r for r in pending if r.channel == "whatsapp"]
        retry_later: AdapterError | None = None
        for proxy, group in _by_proxy(sms).items():
            for start in range(0, len(group), MAX_RECIPIENTS):
                chunk = group[start : start + MAX_RECIPIENTS]
                try:
                    self._send_sms(message, proxy, chunk, queued)
                except (Unavailable, Throttled) as error:
                    retry_later = error
        for recipient in whatsapp:
            try:
                self._send_whatsapp(message, recipient, queued[recipient.participant_sid])
            except (Unavailable, Throttled) as error:
                retry_later = error
        if retry_later is not None:
            raise retry_later

    def _record(
        self,
        sid: str,
        status: str,
        *,
        channel_message_id: str | None = None,
        error_code: int = 0,
    ) -> None:
        """Move a delivery to `status` and post onDeliveryUpdated if it moved."""
        moved = self._context.store.deliveries.record(
            sid, status, channel_message_id=channel_message_id, error_code=error_code
        )
        announce(self._context, moved)

    # -- SMS ------------------------------------------------------------------------------

    def _send_sms(
        self,
        message: records.Message,
        proxy: str,
        group: Sequence[Recipient],
        queued: dict[str, Delivery],
    ) -> None:
        if not message.body:
            # ACS SMS has no MMS: a message with media only has nothing to text.
            for recipient in group:
                self._record(
                    queued[recipient.participant_sid].sid,
                    "failed",
                    error_code=NO_TEXT_FOR_SMS,
                )
            return
        by_number = {r.address: queued[r.participant_sid] for r in group}
        try:
            results = self._context.adapter.sms.send(
                proxy,
                [
                    SmsRecipient(
                        r.address,
                        repeatability_id(message.sid, r.participant_sid),
                        by_number[r.address].created_at,
                    )
                    for r in group
                ],
                message.body,
                tag=message.sid,
            )
        except (Unavailable, Throttled):
            raise
        except AdapterError as error:
            logger.warning("ACS refused the SMS of %s from %s: %s", message.sid, proxy, error)
            for planned in by_number.values():
                self._record(planned.sid, "failed", error_code=UNKNOWN_ERROR)
            return
        throttled = False
        for result in results:
            found = by_number.get(result.to)
            if found is None:
                continue
            if result.successful and result.message_id:
                self._record(found.sid, "sent", channel_message_id=result.message_id)
            elif result.status == 429 or result.status >= 500:
                throttled = True  # stays queued: the next attempt repeats it with the same id
            else:
                self._record(
                    found.sid,
                    "failed",
                    error_code=sms_send_error(result.status, result.error),
                )
        if throttled:
            raise Throttled("ACS SMS deferred some recipients; they are retried")

    # -- WhatsApp -------------------------------------------------------------------------

    def _send_whatsapp(
        self, message: records.Message, recipient: Recipient, delivery: Delivery
    ) -> None:
        channel_id = self._numbers.channel_id(recipient.proxy_address)
        if channel_id is None:
            logger.warning(
                "no WhatsApp channel for %s: %s not sent", recipient.proxy_address, message.sid
            )
            self._record(delivery.sid, "failed", error_code=UNKNOWN_ERROR)
            return
        to = bare_number(recipient.address)
        repeatability = Repeatability(
            repeatability_id(message.sid, recipient.participant_sid), delivery.created_at
        )
        gateway = self._context.adapter.whatsapp
        try:
            template = self._template(message)
            media = self._first_media(message)
            if template is not None:
                message_id = gateway.send_template(channel_id, to, template, repeatability)
            elif media is not None:
                message_id = gateway.send_media(channel_id, to, media, repeatability)
            else:
                message_id = gateway.send_text(channel_id, to, message.body or "", repeatability)
        except (Unavailable, Throttled):
            raise
        except AdapterError as error:
            logger.warning("ACS refused the WhatsApp message %s: %s", message.sid, error)
            self._record(delivery.sid, "failed", error_code=UNKNOWN_ERROR)
            return
        self._record(delivery.sid, "sent", channel_message_id=message_id)

    def _template(self, message: records.Message) -> WhatsAppTemplate | None:
        """The WhatsApp template a message names by its ContentSid, filled in (None when it
        names none, or one no longer registered: then its text goes as a free-form message)."""
        if message.content_sid is None:
            return None
        template = self._content.get(message.content_sid)
        if template is None:
            return None
        variables = parse_variables(message.content_variables)
        return WhatsAppTemplate(template.name, template.language, template.values(variables))

    def _first_media(self, message: records.Message) -> WhatsAppMedia | None:
        """The message's first attachment at a URL WhatsApp can fetch, the body its caption
        (a WhatsApp message carries one attachment)."""
        for item in message.media:
            url = self._media.temporary_url(item)
            if url is None:
                continue
            return WhatsAppMedia(
                _media_kind(item.content_type), url, caption=message.body, filename=item.filename
            )
        return None


def _receives(row: StoredParticipant, author: str | None, added_at: datetime) -> bool:
    if row.binding_address is None or row.binding_address == author:
        return False
    return row.created_at <= added_at


def _by_proxy(recipients: Iterable[Recipient]) -> dict[str, list[Recipient]]:
    groups: dict[str, list[Recipient]] = defaultdict(list)
    for recipient in recipients:
        groups[recipient.proxy_address].append(recipient)
    return groups


def _media_kind(content_type: str) -> MediaKind:
    family = content_type.partition("/")[0]
    if family == "image":
        return "image"
    if family == "video":
        return "video"
    if family == "audio":
        return "audio"
    return "document"
