"""``Participant``: a member of a conversation, on chat or bridged from SMS / WhatsApp."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twilio_compat.conversations import _permissions, _validate
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._names import js_names
from twilio_compat.conversations._session import parse_json
from twilio_compat.core.participants import ParticipantFields

if TYPE_CHECKING:
    from twilio_compat.conversations.conversation import Conversation
    from twilio_compat.conversations.user import User
    from twilio_compat.core import records


@js_names
class Participant(EventEmitter):
    """A participant as the JS SDK shows it: ``type`` ``chat``, ``sms`` or ``whatsapp``."""

    typingStarted = "typingStarted"
    typingEnded = "typingEnded"
    updated = "updated"

    def __init__(self, conversation: Conversation, record: records.Participant) -> None:
        super().__init__()
        self.conversation = conversation
        self._record = record
        self._typing = False

    @property
    def sid(self) -> str:
        return self._record.sid

    @property
    def identity(self) -> str | None:
        return self._record.identity

    @property
    def attributes(self) -> Any:
        return parse_json(self._record.attributes)

    @property
    def dateCreated(self) -> datetime | None:
        return self._record.date_created

    @property
    def dateUpdated(self) -> datetime | None:
        return self._record.date_updated

    @property
    def isTyping(self) -> bool:
        return self._typing

    @property
    def lastReadMessageIndex(self) -> int | None:
        return self._record.last_read_message_index

    @property
    def lastReadTimestamp(self) -> datetime | None:
        return self._record.last_read_timestamp

    @property
    def roleSid(self) -> str | None:
        return self._record.role_sid

    @property
    def type(self) -> str:
        return self._record.type

    @property
    def bindings(self) -> dict[str, Any]:
        """The JS SDK's ``ParticipantBindings``: ``{"sms": {"address", "proxy_address"}}`` (or
        ``whatsapp``) for a non-chat participant; chat participants have none."""
        binding = self._record.messaging_binding
        if binding is None:
            return {}
        return {
            binding.type: {
                "type": binding.type,
                "address": binding.address,
                "proxy_address": binding.proxy_address,
            }
        }

    async def getUser(self) -> User:
        identity = self._record.identity
        if identity is None:
            raise ValueError("Getting User is not supported for this Participant type")
        return await self.conversation._client.getUser(identity)

    async def remove(self) -> None:
        await self.conversation.removeParticipant(self)

    async def updateAttributes(self, attributes: Any) -> Participant:
        text = _validate.json_value("updateAttributes", "attributes", attributes)
        conversation = self.conversation
        session = conversation._session
        conversation._require_member()
        await _permissions.require_own_or_any(
            session,
            conversation.sid,
            self.identity,
            "editOwnParticipantAttributes",
            "editAnyParticipantAttributes",
        )
        record = await session.run(
            session.core.participants.update,
            session.service_sid,
            conversation.sid,
            self.sid,
            ParticipantFields(attributes=text),
        )
        self._apply(record)
        return self

    def _apply(self, record: records.Participant) -> list[str]:
        """Take a newer record; emit ``updated`` (here and up the chain) with what changed."""
        old = self._record
        reasons = []
        if json.dumps(parse_json(record.attributes)) != json.dumps(parse_json(old.attributes)):
            reasons.append("attributes")
        if record.role_sid != old.role_sid:
            reasons.append("roleSid")
        if record.last_read_message_index != old.last_read_message_index:
            reasons.append("lastReadMessageIndex")
        if record.last_read_timestamp != old.last_read_timestamp:
            reasons.append("lastReadTimestamp")
        if reasons and record.date_updated != old.date_updated:
            reasons.append("dateUpdated")
        self._record = record
        self._announce_update(reasons)
        return reasons

    def _announce_update(self, reasons: list[str]) -> None:
        """Emit ``updated`` (here and up the chain) for `reasons`, if there are any."""
        if reasons:
            payload = {"participant": self, "updateReasons": reasons}
            self.emit("updated", payload)
            self.conversation.emit("participantUpdated", payload)
            self.conversation._client.emit("participantUpdated", payload)

    def _set_typing(self, typing: bool) -> None:
        if typing == self._typing:
            return
        self._typing = typing
        for target in (self, self.conversation, self.conversation._client):
            if typing:
                target.emit("typingStarted", self)
            else:
                target.emit("typingEnded", self)

    def __repr__(self) -> str:
        return f"Participant(sid={self.sid!r}, identity={self.identity!r})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    typing_started = typingStarted
    typing_ended = typingEnded
    date_created = dateCreated
    date_updated = dateUpdated
    is_typing = isTyping
    last_read_message_index = lastReadMessageIndex
    last_read_timestamp = lastReadTimestamp
    role_sid = roleSid
    get_user = getUser
    update_attributes = updateAttributes
