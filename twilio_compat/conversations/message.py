"""``Message``, ``MessageBuilder`` and ``UnsentMessage``."""

from __future__ import annotations

import io
import json
import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twilio_compat.conversations import _permissions, _validate
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._names import js_names
from twilio_compat.conversations._session import parse_json
from twilio_compat.conversations.errors import (
    EMAIL,
    TEMPLATES,
    ConversationsError,
    NotSupportedError,
    unsupported,
)
from twilio_compat.conversations.media import Media
from twilio_compat.conversations.receipts import AggregatedDeliveryReceipt, DetailedDeliveryReceipt
from twilio_compat.core.messages import MessageFields

if TYPE_CHECKING:
    from twilio_compat.conversations.conversation import Conversation
    from twilio_compat.conversations.participant import Participant
    from twilio_compat.core import records

MEDIA_COUNT_LIMIT = 10
MEDIA_SIZE_LIMIT_MB = 150


def _email(feature: str) -> NotSupportedError:
    return NotSupportedError(feature, "ACS Chat has no e-mail channel")


def _templates(feature: str) -> NotSupportedError:
    return NotSupportedError(feature, TEMPLATES)


@js_names
class Message(EventEmitter):
    """A message as the JS SDK shows it; who may edit or remove it follows the roles."""

    updated = "updated"

    def __init__(self, conversation: Conversation, record: records.Message) -> None:
        super().__init__()
        self.conversation = conversation
        self._record = record

    # -- properties ----------------------------------------------------------------

    @property
    def sid(self) -> str:
        return self._record.sid

    @property
    def index(self) -> int:
        return self._record.index

    @property
    def author(self) -> str | None:
        return self._record.author

    @property
    def body(self) -> str | None:
        return self._record.body

    @property
    def subject(self) -> str | None:
        """Chat messages have no e-mail subject."""
        return None

    @property
    def contentSid(self) -> str | None:
        """The content template the message was sent with (WhatsApp templates), if any."""
        return self._record.content_sid

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
    def lastUpdatedBy(self) -> str | None:
        """The author of an edited message (the shim records no editor: ACS keeps none, and
        another participant's edit acts as the sender); None for an unedited one, as in the
        JS SDK."""
        edited = self._record.date_updated != self._record.date_created
        return self._record.author if edited else None

    @property
    def type(self) -> str:
        return "media" if self._record.media else "text"

    @property
    def attachedMedia(self) -> list[Media]:
        session = self.conversation._session
        return [Media(session, item) for item in self._record.media]

    @property
    def media(self) -> Media | None:
        """The first attachment (deprecated in the JS SDK in favour of ``attachedMedia``)."""
        found = self.attachedMedia
        return found[0] if found else None

    @property
    def participantSid(self) -> str | None:
        return self._record.participant_sid

    @property
    def aggregatedDeliveryReceipt(self) -> AggregatedDeliveryReceipt | None:
        """Where the message stands with the conversation's SMS and WhatsApp participants;
        None when it has none (chat participants have no receipts, as on Twilio)."""
        summary = self._record.delivery
        return AggregatedDeliveryReceipt.of(summary) if summary is not None else None

    # -- media ----------------------------------------------------------------------

    def getMediaByCategory(self, categories: list[str]) -> list[Media] | None:
        return self.getMediaByCategories(categories)

    def getMediaByCategories(self, categories: list[str]) -> list[Media] | None:
        if not isinstance(categories, list | tuple):
            raise TypeError('getMediaByCategories(): argument "categories" must be a list')
        found = [m for m in self.attachedMedia if m.category in categories]
        return found or None

    async def attachTemporaryUrlsFor(self, contentSet: list[Media] | None) -> list[Media]:
        """Deprecated in the JS SDK. Here every ``Media`` fetches a fresh URL on demand
        (``getContentTemporaryUrl``), so there is nothing to attach: the media come back as
        given."""
        return list(contentSet or [])

    async def getTemporaryContentUrlsForMedia(
        self,
        contentSet: list[Media],
    ) -> dict[str, str]:
        items = _validate.non_empty_list(
            "getTemporaryContentUrlsForMedia", "contentSet", contentSet, Media, "Media"
        )
        return await self.conversation._client._urls([m.sid for m in items])

    async def getTemporaryContentUrlsForMediaSids(
        self,
        mediaSids: list[str],
    ) -> dict[str, str]:
        sids = _validate.non_empty_list(
            "getTemporaryContentUrlsForMediaSids", "mediaSids", mediaSids, str, "strings"
        )
        return await self.conversation._client._urls(sids)

    async def getTemporaryContentUrlsForAttachedMedia(self) -> dict[str, str]:
        sids = [m.sid for m in self._record.media]
        return await self.conversation._client._urls(sids) if sids else {}

    # -- actions --------------------------------------------------------------------

    async def getParticipant(self) -> Participant:
        conversation = self.conversation
        found = None
        if self._record.participant_sid:
            found = await conversation.getParticipantBySid(self._record.participant_sid)
        if found is None and self._record.author:
            found = await conversation.getParticipantByIdentity(self._record.author)
        if found is None:
            raise ConversationsError(
                f"Participant with SID {self._record.participant_sid} or identity "
                f"{self._record.author} was not found"
            )
        return found

    async def remove(self) -> Message:
        self.conversation._require_member()
        session = self.conversation._session
        await _permissions.require_own_or_any(
            session, self.conversation.sid, self.author, "deleteOwnMessage", "deleteAnyMessage"
        )
        await session.run(
            session.core.messages.delete, session.service_sid, self.conversation.sid, self.sid
        )
        self.conversation._message_removed(self)
        return self

    async def updateBody(self, body: str) -> Message:
        text = _validate.string("updateBody", "body", body)
        return await self._update(MessageFields(body=text))

    async def updateAttributes(self, attributes: Any) -> Message:
        text = _validate.json_value("updateAttributes", "attributes", attributes)
        return await self._update(MessageFields(attributes=text))

    async def _update(self, fields: MessageFields) -> Message:
        self.conversation._require_member()
        session = self.conversation._session
        record = await session.run(
            _permissions.edit_message, session, self.conversation.sid, self._record, fields
        )
        self._apply(record)
        return self

    def _apply(self, record: records.Message) -> list[str]:
        old = self._record
        reasons = []
        if record.body != old.body:
            reasons.append("body")
        if parse_json(record.attributes) != parse_json(old.attributes):
            reasons.append("attributes")
        if record.author != old.author:
            reasons.append("author")
        if [m.sid for m in record.media] != [m.sid for m in old.media]:
            reasons.append("media")
        if reasons and record.date_updated != old.date_updated:
            reasons.extend(["dateUpdated", "lastUpdatedBy"])
        if record.delivery != old.delivery:
            reasons.append("deliveryReceipt")
        self._record = record
        if reasons:
            payload = {"message": self, "updateReasons": reasons}
            self.emit("updated", payload)
            self.conversation.emit("messageUpdated", payload)
            self.conversation._client.emit("messageUpdated", payload)
        return reasons

    # -- what ACS Chat does not have ------------------------------------------------------

    @unsupported(EMAIL)
    def getEmailBody(self, type: str = "text/plain") -> Media | None:
        raise _email("Message.getEmailBody")

    @unsupported(EMAIL)
    def getEmailHistory(self, type: str = "text/plain") -> Media | None:
        raise _email("Message.getEmailHistory")

    async def getDetailedDeliveryReceipts(self) -> list[DetailedDeliveryReceipt]:
        """One receipt per SMS or WhatsApp participant the message went to."""
        session = self.conversation._session
        receipts = await session.run(
            session.core.channels.receipts, session.service_sid, self._record
        )
        return [DetailedDeliveryReceipt.of(receipt) for receipt in receipts]

    @unsupported(TEMPLATES)
    async def getContentData(self) -> Any:
        raise _templates("Message.getContentData")

    async def getChannelMetadata(self) -> ChannelMetadata | None:
        """None, as the JS SDK answers for messages without channel metadata: chat messages
        on ACS never have any."""
        return None

    @unsupported(EMAIL)
    async def getMessageRecipients(self) -> list[Any]:
        raise _email("Message.getMessageRecipients")

    def __repr__(self) -> str:
        return f"Message(sid={self.sid!r}, index={self.index}, author={self.author!r})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    content_sid = contentSid
    date_created = dateCreated
    date_updated = dateUpdated
    last_updated_by = lastUpdatedBy
    attached_media = attachedMedia
    participant_sid = participantSid
    aggregated_delivery_receipt = aggregatedDeliveryReceipt
    get_media_by_category = getMediaByCategory
    get_media_by_categories = getMediaByCategories
    attach_temporary_urls_for = attachTemporaryUrlsFor
    get_temporary_content_urls_for_media = getTemporaryContentUrlsForMedia
    get_temporary_content_urls_for_media_sids = getTemporaryContentUrlsForMediaSids
    get_temporary_content_urls_for_attached_media = getTemporaryContentUrlsForAttachedMedia
    get_participant = getParticipant
    update_body = updateBody
    update_attributes = updateAttributes
    get_email_body = getEmailBody
    get_email_history = getEmailHistory
    get_detailed_delivery_receipts = getDetailedDeliveryReceipts
    get_content_data = getContentData
    get_channel_metadata = getChannelMetadata
    get_message_recipients = getMessageRecipients


@dataclass(frozen=True)
class ChannelMetadata:
    """Channel-specific metadata of a message (``type``, ``data``). Chat messages on ACS have
    none, so ``Message.getChannelMetadata()`` answers None, as the JS SDK does without it."""

    type: str
    data: Any


@dataclass(frozen=True)
class MediaUpload:
    """One attachment to upload: bytes, content type and optional file name."""

    data: bytes
    content_type: str
    filename: str | None


def media_upload(method: str, payload: Any, keywords: Mapping[str, Any]) -> MediaUpload:
    """Bytes, a binary file object, or ``{contentType, filename, media}`` (dict or keywords)."""
    if payload is None or isinstance(payload, Mapping):
        options = _validate.options(method, "payload", payload, keywords)
        content = options.get("media")
        content_type = options.get("contentType", options.get("content_type"))
        filename = options.get("filename")
        if not isinstance(content_type, str) or not content_type:
            raise ValueError(f'{method}(): "contentType" must be a non-empty string')
    else:
        content, content_type, filename = payload, None, None
    if filename is not None and not isinstance(filename, str):
        raise TypeError(f'{method}(): "filename" must be a string')
    data = _read(method, content)
    name = getattr(content, "name", None)
    if filename is None and isinstance(name, str):
        filename = os.path.basename(name)
    if not content_type:
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        content_type = guessed or "application/octet-stream"
    if len(data) > MEDIA_SIZE_LIMIT_MB * 1024 * 1024:
        raise ValueError(f"{method}(): media is larger than {MEDIA_SIZE_LIMIT_MB} MB")
    return MediaUpload(data, content_type, filename)


def _read(method: str, content: Any) -> bytes:
    expected = "a non-empty string, bytes or a binary file object"
    if isinstance(content, str):
        data = content.encode("utf-8")
    elif isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    elif isinstance(content, io.IOBase) or callable(getattr(content, "read", None)):
        read = content.read()
        if isinstance(read, str):
            read = read.encode("utf-8")
        if not isinstance(read, bytes | bytearray):
            raise TypeError(f'{method}(): "media" must be {expected}')
        data = bytes(read)
    else:
        raise TypeError(f'{method}(): "media" must be {expected}, but got {type(content).__name__}')
    if not data:
        raise ValueError(f'{method}(): "media" must be {expected} (it is empty)')
    return data


@js_names
class UnsentMessage:
    """What ``MessageBuilder.build()`` returns; ``send()`` resolves to the new index."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self._text: str | None = None
        self._attributes: Any = None
        self._media: list[tuple[str, MediaUpload]] = []
        self._email: dict[str, Any] = {}
        self._content_sid: str | None = None
        self._content_variables: list[Any] = []

    @property
    def text(self) -> str | None:
        return self._text

    @text.setter
    def text(self, value: str | None) -> None:
        self._text = value

    @property
    def attributes(self) -> Any:
        return self._attributes

    @attributes.setter
    def attributes(self, value: Any) -> None:
        self._attributes = value

    @property
    def mediaContent(self) -> list[tuple[str, MediaUpload]]:
        """``(category, upload)`` pairs, as the JS SDK's ``[category, payload]``."""
        return self._media

    @mediaContent.setter
    def mediaContent(self, value: list[tuple[str, MediaUpload]]) -> None:
        self._media = list(value)

    @property
    def emailOptions(self) -> dict[str, Any]:
        """Always empty: ACS Chat has no e-mail channel."""
        return self._email

    @emailOptions.setter
    def emailOptions(self, value: dict[str, Any]) -> None:
        if value:
            raise NotSupportedError("UnsentMessage.emailOptions", EMAIL)

    @property
    def contentSid(self) -> str | None:
        """The content template to send (a ContentSid registered with `twilio-acs content`)."""
        return self._content_sid

    @contentSid.setter
    def contentSid(self, value: str | None) -> None:
        if value is not None:
            _validate.string("contentSid", "contentSid", value)
        self._content_sid = value

    @property
    def contentVariables(self) -> list[Any]:
        return self._content_variables

    @contentVariables.setter
    def contentVariables(self, value: list[Any]) -> None:
        self._content_variables = list(value)

    async def send(self) -> int | None:
        attributes = None
        if self.attributes is not None:
            attributes = _validate.json_value("send", "attributes", self.attributes)
        uploads = [upload for _, upload in self.mediaContent]
        content = None
        if self._content_sid is not None:
            content = (self._content_sid, _variables_json(self._content_variables))
        return await self._conversation._send(self.text, attributes, uploads, content)

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    media_content = mediaContent
    email_options = emailOptions
    content_sid = contentSid
    content_variables = contentVariables


@js_names
class MessageBuilder:
    """Chainable: ``setBody``, ``setAttributes``, ``addMedia``, then ``build`` or
    ``buildAndSend``."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self._message = UnsentMessage(conversation)

    def setBody(self, text: str) -> MessageBuilder:
        self._message.text = _validate.string("setBody", "text", text)
        return self

    def setAttributes(self, attributes: Any) -> MessageBuilder:
        _validate.json_value("setAttributes", "attributes", attributes)
        self._message.attributes = attributes
        return self

    def addMedia(self, payload: Any = None, **options: Any) -> MessageBuilder:
        upload = media_upload("addMedia", payload, options)
        self._message.mediaContent.append(("media", upload))
        return self

    def build(self) -> UnsentMessage:
        if len(self._message.mediaContent) > MEDIA_COUNT_LIMIT:
            raise ValueError(
                f"Too many media attachments in the message ({len(self._message.mediaContent)} "
                f"> {MEDIA_COUNT_LIMIT})"
            )
        built = self._message
        self._message = UnsentMessage(self._conversation)
        self._message.text = built.text
        self._message.attributes = built.attributes
        self._message.mediaContent = list(built.mediaContent)
        self._message.contentSid = built.contentSid
        self._message.contentVariables = list(built.contentVariables)
        return built

    async def buildAndSend(self) -> int | None:
        return await self.build().send()

    @unsupported(EMAIL)
    def setSubject(self, subject: str) -> MessageBuilder:
        raise _email("MessageBuilder.setSubject")

    @unsupported(EMAIL)
    def setEmailBody(self, contentType: str, body: Any) -> MessageBuilder:
        raise _email("MessageBuilder.setEmailBody")

    @unsupported(EMAIL)
    def setEmailHistory(self, contentType: str, history: Any) -> MessageBuilder:
        raise _email("MessageBuilder.setEmailHistory")

    def setContentTemplate(
        self,
        contentSid: str,
        contentVariables: list[Any] | None = None,
    ) -> MessageBuilder:
        """Send a content template (ContentSid registered with `twilio-acs content`): WhatsApp
        participants get the template; chat readers and SMS participants its text filled in.
        `contentVariables` are `ContentTemplateVariable`-like objects or dicts with `name`
        and `value`."""
        self._message.contentSid = _validate.string("setContentTemplate", "contentSid", contentSid)
        self._message.contentVariables = list(contentVariables or [])
        return self

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    set_body = setBody
    set_attributes = setAttributes
    add_media = addMedia
    build_and_send = buildAndSend
    set_subject = setSubject
    set_email_body = setEmailBody
    set_email_history = setEmailHistory
    set_content_template = setContentTemplate


def _variables_json(variables: list[Any]) -> str:
    """Content variables (objects or dicts with `name` and `value`) as ContentVariables JSON."""
    out: dict[str, str] = {}
    for variable in variables:
        name = (
            variable.get("name")
            if isinstance(variable, Mapping)
            else getattr(variable, "name", None)
        )
        value = (
            variable.get("value")
            if isinstance(variable, Mapping)
            else getattr(variable, "value", None)
        )
        if not isinstance(name, str) or value is None:
            raise ValueError("a content variable needs a name and a value")
        out[name] = str(value)
    return json.dumps(out)
