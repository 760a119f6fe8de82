"""``Conversation``: a chat thread seen by one client's user, with the JS SDK's methods.

Reads and writes go through the shared core, so this is the same conversation (same SID) the
REST face shows. What the user may do follows its roles, as on Twilio
(`twilio_compat.conversations._permissions`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twilio_compat import wire
from twilio_compat.conversations import _permissions, _validate
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._event_names import ConversationEventNames
from twilio_compat.conversations._names import js_names
from twilio_compat.conversations._session import Session, parse_json
from twilio_compat.conversations.errors import (
    EMAIL,
    FORBIDDEN,
    NON_CHAT,
    ConversationsError,
    NotSupportedError,
    unsupported,
)
from twilio_compat.conversations.message import (
    MEDIA_COUNT_LIMIT,
    MEDIA_SIZE_LIMIT_MB,
    MediaUpload,
    Message,
    MessageBuilder,
    media_upload,
)
from twilio_compat.conversations.paginator import Paginator
from twilio_compat.conversations.participant import Participant
from twilio_compat.core import errors as core_errors
from twilio_compat.core import records
from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.messages import MessageFields
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.core.stamps import now

if TYPE_CHECKING:
    from twilio_compat.conversations.client import Client

DEFAULT_PAGE_SIZE = 30
MESSAGE_CACHE = 1000
DIRECTIONS = ("backwards", "forward")


@dataclass(frozen=True)
class ConversationView:
    """A conversation and what its user sees of it, read in one worker-thread call."""

    record: records.Conversation
    me: records.Participant | None
    notification_level: str
    last_message: records.Message | None


def load_view(session: Session, key: str, *, synced: bool = False) -> ConversationView:
    """Read a conversation (by SID or unique name) as this client's user sees it.

    ``synced``: the caller has just synced its messages, so reading the last one need not.
    """
    core = session.core
    record = core.conversations.get(session.service_sid, key)
    return ConversationView(
        record=record,
        me=core.participants.find(session.service_sid, record.sid, session.identity),
        notification_level=core.users.notification_level(session.identity, record.sid),
        last_message=core.messages.newest(session.service_sid, record.sid, sync=not synced),
    )


def participant_json(account_sid: str, item: records.Participant) -> dict[str, Any]:
    """The REST participant resource (snake_case), what the JS SDK's ``add()`` resolves to.

    The client SDK talks to a chat service, so this is the service-scoped shape.
    """
    scope = wire.Scope(account_sid=account_sid, service_sid=item.service_sid, service_scoped=True)
    return wire.participant(scope, item)


@js_names
class Conversation(EventEmitter, ConversationEventNames):
    """A conversation as the JS SDK shows it to the logged-in user."""

    updated = "updated"
    removed = "removed"

    def __init__(self, client: Client, view: ConversationView) -> None:
        super().__init__()
        self._client = client
        self._session: Session = client._session_or_fail()
        self._view = view
        self._messages: OrderedDict[str, Message] = OrderedDict()
        self._participants: dict[str, Participant] = {}
        self._acs_ids: dict[str, str] = {}
        """ACS message id -> message SID, to name the message an ACS deletion removed."""

    # -- properties -----------------------------------------------------------------

    @property
    def sid(self) -> str:
        return self._view.record.sid

    @property
    def uniqueName(self) -> str | None:
        return self._view.record.unique_name

    @property
    def friendlyName(self) -> str | None:
        return self._view.record.friendly_name

    @property
    def attributes(self) -> Any:
        return parse_json(self._view.record.attributes)

    @property
    def createdBy(self) -> str:
        return self._view.record.created_by or ""

    @property
    def dateCreated(self) -> datetime | None:
        return self._view.record.date_created

    @property
    def dateUpdated(self) -> datetime | None:
        return self._view.record.date_updated

    @property
    def status(self) -> str:
        return "joined" if self._view.me is not None else "notParticipating"

    @property
    def lastReadMessageIndex(self) -> int | None:
        me = self._view.me
        return me.last_read_message_index if me else None

    @property
    def lastMessage(self) -> dict[str, Any] | None:
        last = self._view.last_message
        if last is None:
            return None
        return {"index": last.index, "dateCreated": last.date_created}

    @property
    def notificationLevel(self) -> str:
        return self._view.notification_level

    @property
    def limits(self) -> dict[str, Any]:
        return {
            "mediaAttachmentsCountLimit": MEDIA_COUNT_LIMIT,
            "mediaAttachmentSizeLimitInMb": MEDIA_SIZE_LIMIT_MB,
            "mediaAttachmentsTotalSizeLimitInMb": MEDIA_SIZE_LIMIT_MB,
            "emailHistoriesAllowedContentTypes": [],
            "emailBodiesAllowedContentTypes": [],
        }

    @property
    def state(self) -> dict[str, Any]:
        record = self._view.record
        return {"current": record.state, "dateUpdated": record.date_updated}

    @property
    def bindings(self) -> dict[str, Any]:
        """The conversation's e-mail bindings (``ConversationBindings``): always ``{}``, since
        ACS has no e-mail channel (SMS/WhatsApp bindings are on each `Participant`)."""
        return {}

    # -- membership -------------------------------------------------------------------

    async def join(self) -> Conversation:
        session = self._session
        if self._view.me is None:
            try:
                await session.run(_permissions.join, session, self._view.record)
            except ConversationsError as error:
                if error.code != core_errors.PARTICIPANT_EXISTS:
                    raise
        await self._refresh()
        self._client._joined(self)
        return self

    async def leave(self) -> Conversation:
        session = self._session
        me = self._view.me
        if me is not None:
            await _permissions.require(session, self.sid, "leaveConversation")
            await session.run(
                session.core.participants.delete, session.service_sid, self.sid, me.sid
            )
            await self._refresh()
            self._client._left(self, me.sid)
        return self

    async def delete(self) -> Conversation:
        self._require_member()
        session = self._session
        if self._view.record.created_by != session.identity:  # its creator may delete it
            await _permissions.require(session, self.sid, *_permissions.DESTROY_CONVERSATION)
        await session.run(session.core.conversations.delete, session.service_sid, self.sid)
        self._client._removed(self)
        return self

    async def add(self, identity: str, attributes: Any = None) -> dict[str, Any]:
        name = _validate.non_empty_string("add", "identity", identity)
        text = None if attributes is None else _validate.json_value("add", "attributes", attributes)
        self._require_member()
        session = self._session
        await _permissions.require(session, self.sid, "addParticipant")
        record = await session.run(
            session.core.participants.create,
            session.service_sid,
            self.sid,
            ParticipantFields(identity=name, attributes=text),
        )
        self._participant_joined(record)
        return participant_json(session.core.account_sid, record)

    async def addNonChatParticipant(
        self,
        proxyAddress: str,
        address: str,
        attributes: Any = None,
        bindingOptions: Any = None,
    ) -> dict[str, Any]:
        """Add an SMS or WhatsApp participant (``whatsapp:+E.164`` on both addresses); resolves
        to the REST participant resource, as the JS SDK does. E-mail bindings are refused."""
        proxy = _validate.non_empty_string("addNonChatParticipant", "proxyAddress", proxyAddress)
        bound = _validate.non_empty_string("addNonChatParticipant", "address", address)
        text = (
            None
            if attributes is None
            else _validate.json_value("addNonChatParticipant", "attributes", attributes)
        )
        if bindingOptions is not None and (
            not isinstance(bindingOptions, dict) or bindingOptions.get("email") is not None
        ):
            raise NotSupportedError("Conversation.addNonChatParticipant bindingOptions", NON_CHAT)
        self._require_member()
        session = self._session
        await _permissions.require(session, self.sid, "addNonChatParticipant")
        record = await session.run(
            session.core.participants.create,
            session.service_sid,
            self.sid,
            ParticipantFields(
                attributes=text,
                messaging_binding_address=bound,
                messaging_binding_proxy_address=proxy,
            ),
        )
        self._participant_joined(record)
        return participant_json(session.core.account_sid, record)

    async def removeParticipant(self, participant: str | Participant) -> None:
        if isinstance(participant, Participant):
            key = participant.sid
        else:
            key = _validate.non_empty_string("removeParticipant", "participant", participant)
        self._require_member()
        session = self._session
        record = await session.run(
            session.core.participants.get, session.service_sid, self.sid, key
        )
        await _permissions.require(
            session, self.sid, _permissions.to_remove(session, record.identity or "")
        )
        await session.run(session.core.participants.delete, session.service_sid, self.sid, key)
        if record.identity == session.identity:
            await self._refresh()
            self._client._left(self, record.sid)
        else:
            self._participant_left(record)

    async def getParticipants(self) -> list[Participant]:
        session = self._session
        found: list[Participant] = []
        offset = 0
        while True:
            page, more = await session.run(
                session.core.participants.page,
                session.service_sid,
                self.sid,
                offset=offset,
                limit=100,
            )
            found.extend(self._participant(item) for item in page)
            if not more:
                return found
            offset += len(page)

    async def getParticipantsCount(self) -> int:
        return len(await self.getParticipants())

    async def getParticipantBySid(self, participantSid: str) -> Participant | None:
        sid = _validate.non_empty_string("getParticipantBySid", "participantSid", participantSid)
        if not sid.startswith("MB"):
            return None
        return await self._find_participant(sid)

    async def getParticipantByIdentity(self, identity: str | None = "") -> Participant | None:
        name = _validate.non_empty_string("getParticipantByIdentity", "identity", identity)
        return await self._find_participant(name)

    async def _find_participant(self, key: str) -> Participant | None:
        session = self._session
        try:
            record = await session.run(
                session.core.participants.get, session.service_sid, self.sid, key
            )
        except ConversationsError as error:
            if error.status == 404:
                return None
            raise
        return self._participant(record)

    # -- messages ---------------------------------------------------------------------

    async def getMessages(
        self,
        pageSize: int | None = None,
        anchor: int | None = None,
        direction: str | None = None,
    ) -> Paginator[Message]:
        """A page of messages, items in ascending index order.

        ``backwards`` (the default) ends at ``anchor`` (default: the newest message);
        ``forward`` starts at ``anchor`` (default: the oldest). ``prevPage`` always goes to
        older messages and ``nextPage`` to newer ones.
        """
        size = DEFAULT_PAGE_SIZE
        if pageSize is not None:
            size = _validate.non_negative_integer("getMessages", "pageSize", pageSize) or size
        if anchor is not None:
            _validate.non_negative_integer("getMessages", "anchor", anchor)
        if direction is not None:
            _validate.literal("getMessages", "direction", direction, DIRECTIONS)
        self._require_member()
        if direction == "forward":
            return await self._newer(size, anchor or 0)
        return await self._older(size, anchor)

    async def _older(self, size: int, anchor: int | None) -> Paginator[Message]:
        """Up to ``size`` messages with index <= ``anchor`` (None: the newest)."""
        session = self._session

        def load() -> tuple[list[records.Message], bool, bool]:
            items, more = session.core.messages.page(
                session.service_sid,
                self.sid,
                newest_first=True,
                after_index=None if anchor is None else anchor + 1,
                limit=size,
            )
            newer = anchor is not None and self._count(from_index=anchor + 1) > 0
            self._remember_acs_ids(items)
            return items[::-1], more, newer

        items, older, newer = await session.run(load)
        return self._messages_page(items, size, anchor, older=older, newer=newer)

    async def _newer(self, size: int, anchor: int) -> Paginator[Message]:
        """Up to ``size`` messages with index >= ``anchor``."""
        session = self._session

        def load() -> tuple[list[records.Message], bool, bool]:
            items, more = session.core.messages.page(
                session.service_sid,
                self.sid,
                newest_first=False,
                after_index=anchor - 1 if anchor > 0 else None,
                limit=size,
            )
            older = anchor > 0 and self._count(to_index=anchor - 1) > 0
            self._remember_acs_ids(items)
            return items, older, more

        items, older, newer = await session.run(load)
        return self._messages_page(items, size, anchor, older=older, newer=newer)

    def _messages_page(
        self,
        items: list[records.Message],
        size: int,
        anchor: int | None,
        *,
        older: bool,
        newer: bool,
    ) -> Paginator[Message]:
        first = items[0].index if items else anchor
        last = items[-1].index if items else anchor

        async def previous() -> Paginator[Message]:
            return await self._older(size, (first or 0) - 1)

        async def following() -> Paginator[Message]:
            return await self._newer(size, (last if last is not None else -1) + 1)

        return Paginator(
            [self._message(item) for item in items],
            next_page=following if newer else None,
            prev_page=previous if older and (first or 0) > 0 else None,
        )

    def _remember_acs_ids(self, items: list[records.Message]) -> None:
        """Note the ACS ids of a page (one store query), so later deletions can be named."""
        if not items:
            return
        indices = [item.index for item in items]
        found = self._session.core.messages.acs_message_ids(
            self.sid, from_index=min(indices), to_index=max(indices), limit=len(items)
        )
        self._acs_ids.update(found)

    def _count(self, *, from_index: int | None = None, to_index: int | None = None) -> int:
        messages = self._session.core.messages
        return messages.count_between(self.sid, from_index=from_index, to_index=to_index)

    async def getMessagesCount(self) -> int:
        session = self._session

        def count() -> int:
            stored = session.core.messages.conversation(session.service_sid, self.sid)
            session.core.messages.sync(stored)
            return session.core.messages.count_after(stored, None)

        return await session.run(count)

    async def sendMessage(
        self,
        message: Any,
        messageAttributes: Any = None,
        emailOptions: Any = None,
    ) -> int:
        """Send text (``str`` / None) or one media (bytes, file, ``{contentType, media}``)."""
        attributes = None
        if messageAttributes is not None:
            attributes = _validate.json_value("sendMessage", "messageAttributes", messageAttributes)
        if emailOptions is not None:
            raise NotSupportedError("Conversation.sendMessage emailOptions", "ACS has no e-mail")
        if message is None or isinstance(message, str):
            index = await self._send(message, attributes, [])
        else:
            upload = media_upload("sendMessage", message, {})
            index = await self._send(None, attributes, [upload])
        return index if index is not None else 0

    def prepareMessage(self) -> MessageBuilder:
        return MessageBuilder(self)

    async def _send(
        self,
        body: str | None,
        attributes: str | None,
        uploads: list[MediaUpload],
        content: tuple[str, str] | None = None,
    ) -> int | None:
        """Upload the media, then send as this user (ACS sees the user's own token);
        `content`: a content template's SID and its variables (JSON)."""
        self._require_member()
        session = self._session
        if not body and not uploads and content is None:
            raise ValueError("A message needs a body or media")

        def send() -> tuple[records.Message, str | None]:
            core = session.core
            _permissions.check(session, self.sid, _permissions.to_send(bool(uploads)))
            media = []
            try:
                for upload in uploads:
                    media.append(
                        core.media.upload(
                            session.service_sid,
                            upload.data,
                            content_type=upload.content_type,
                            filename=upload.filename,
                        )
                    )
                fields = MessageFields(
                    author=session.identity,
                    body=body or None,
                    attributes=attributes,
                    media_sids=tuple(item.sid for item in media),
                    content_sid=content[0] if content else None,
                    content_variables=content[1] if content else None,
                )
                return core.messages.send(session.service_sid, self.sid, fields)
            except BaseException:
                for item in media:
                    core.media.delete(session.service_sid, item.sid)
                raise

        record, acs_id = await session.run(send)
        if acs_id:
            self._acs_ids[acs_id] = record.sid
        self._message_added(record)
        return record.index

    # -- read horizon -----------------------------------------------------------------

    async def updateLastReadMessageIndex(self, index: int | None) -> int:
        if index is None:
            return await self.setAllMessagesUnread()
        value = _validate.non_negative_integer("updateLastReadMessageIndex", "index", index)
        return await self._read_up_to(value)

    async def advanceLastReadMessageIndex(self, index: int) -> int:
        value = _validate.non_negative_integer("advanceLastReadMessageIndex", "index", index)
        current = self.lastReadMessageIndex
        return await self._read_up_to(max(value, current) if current is not None else value)

    async def setAllMessagesRead(self) -> int:
        self._require_member()
        session = self._session

        def newest() -> int | None:
            last = session.core.messages.newest(session.service_sid, self.sid)
            return last.index if last else None

        index = await session.run(newest)
        if index is None:
            return 0
        return await self._read_up_to(index)

    async def setAllMessagesUnread(self) -> int:
        me = self._require_member()
        session = self._session
        record = await session.run(
            session.core.participants.clear_read_horizon, session.service_sid, self.sid, me.sid
        )
        self._my_horizon(record)
        return await self.getMessagesCount()

    async def getUnreadMessagesCount(self) -> int | None:
        if self._view.me is None:
            raise ConversationsError("Conversation was not found in the user conversations list")
        session = self._session

        def count() -> int | None:
            view = load_view(session, self.sid)
            if view.me is None or view.me.last_read_message_index is None:
                return None
            stored = session.core.messages.conversation(session.service_sid, self.sid)
            session.core.messages.sync(stored)
            return session.core.messages.count_after(stored, view.me.last_read_message_index)

        return await session.run(count)

    async def _read_up_to(self, index: int) -> int:
        me = self._require_member()
        session = self._session
        record = await session.run(
            session.core.participants.update,
            session.service_sid,
            self.sid,
            me.sid,
            ParticipantFields(last_read_message_index=index, last_read_timestamp=now()),
        )
        self._my_horizon(record)
        unread = await self.getUnreadMessagesCount()
        return unread or 0

    def _my_horizon(self, record: records.Participant) -> None:
        before = self.lastReadMessageIndex
        self._view = ConversationView(
            self._view.record, record, self._view.notification_level, self._view.last_message
        )
        if record.sid in self._participants:
            self._participants[record.sid]._apply(record)
        if before != record.last_read_message_index:
            self._updated(["lastReadMessageIndex"])

    # -- the rest -------------------------------------------------------------------------

    async def typing(self) -> None:
        """Tell the other participants this user is typing (an ACS typing notification)."""
        self._require_member()
        session = self._session
        thread = self._view.record.thread_id
        await session.run(session.chat().send_typing, thread, sender_display_name=session.identity)
        await self._client._typed(self)

    async def getAttributes(self) -> Any:
        return self.attributes

    async def updateAttributes(self, attributes: Any) -> Conversation:
        text = _validate.json_value("updateAttributes", "attributes", attributes)
        return await self._update(ConversationFields(attributes=text))

    async def updateFriendlyName(self, friendlyName: str) -> Conversation:
        name = _validate.string("updateFriendlyName", "friendlyName", friendlyName)
        if name == (self.friendlyName or ""):
            return self
        return await self._update(ConversationFields(friendly_name=name))

    async def updateUniqueName(self, uniqueName: str | None) -> Conversation:
        if uniqueName is not None:
            _validate.string("updateUniqueName", "uniqueName", uniqueName)
        return await self._update(ConversationFields(unique_name=uniqueName or ""))

    async def setUserNotificationLevel(self, notificationLevel: str) -> None:
        level = _validate.literal(
            "setUserNotificationLevel", "notificationLevel", notificationLevel, ("default", "muted")
        )
        self._require_member()
        session = self._session
        await _permissions.require(session, self.sid, "editNotificationLevel")
        await session.run(
            session.core.users.update_user_conversation,
            session.service_sid,
            session.identity,
            self.sid,
            notification_level=level,
            read=ParticipantFields(),
        )
        await self._refresh()

    @unsupported(EMAIL)
    async def getMessageRecipients(self, options: Any = None) -> Paginator[Any]:
        raise NotSupportedError("Conversation.getMessageRecipients", "ACS Chat has no e-mail")

    async def _update(self, fields: ConversationFields) -> Conversation:
        self._require_member()
        session = self._session
        await _permissions.require(session, self.sid, _permissions.to_update(fields))
        await session.run(session.core.conversations.update, session.service_sid, self.sid, fields)
        await self._refresh()
        return self

    # -- state shared with the client and the event feed ---------------------------------

    def _require_member(self) -> records.Participant:
        me = self._view.me
        if me is None:
            raise ConversationsError(
                f"Forbidden: {self._session.identity} is not a participant of {self.sid}",
                code=FORBIDDEN,
                status=403,
            )
        return me

    async def _refresh(self) -> None:
        session = self._session
        self._apply_view(await session.run(load_view, session, self.sid))

    def _apply_view(self, view: ConversationView) -> None:
        old = self._view
        self._view = view
        reasons = []
        pairs = (
            ("attributes", parse_json(old.record.attributes), parse_json(view.record.attributes)),
            ("friendlyName", old.record.friendly_name, view.record.friendly_name),
            ("uniqueName", old.record.unique_name, view.record.unique_name),
            ("state", old.record.state, view.record.state),
            ("status", old.me is None, view.me is None),
            ("notificationLevel", old.notification_level, view.notification_level),
            (
                "lastReadMessageIndex",
                old.me.last_read_message_index if old.me else None,
                view.me.last_read_message_index if view.me else None,
            ),
            (
                "lastMessage",
                old.last_message.sid if old.last_message else None,
                view.last_message.sid if view.last_message else None,
            ),
        )
        reasons = [name for name, before, after in pairs if before != after]
        if reasons and old.record.date_updated != view.record.date_updated:
            reasons.append("dateUpdated")
        if reasons:
            self._updated(reasons)

    def _updated(self, reasons: list[str]) -> None:
        payload = {"conversation": self, "updateReasons": reasons}
        self.emit("updated", payload)
        self._client.emit("conversationUpdated", payload)

    def _message(self, record: records.Message) -> Message:
        found = self._messages.get(record.sid)
        if found is None:
            found = Message(self, record)
            self._messages[record.sid] = found
            while len(self._messages) > MESSAGE_CACHE:
                self._messages.popitem(last=False)
        else:
            # A fresher read: announce what changed now (the feed's report then finds nothing).
            self._messages.move_to_end(record.sid)
            found._apply(record)
        return found

    def _participant(self, record: records.Participant) -> Participant:
        found = self._participants.get(record.sid)
        if found is None:
            found = self._participants[record.sid] = Participant(self, record)
        else:
            found._apply(record)  # a fresher read: announce what changed now, once
        return found

    def _message_added(self, record: records.Message) -> None:
        """Emit ``messageAdded`` once per message (own sends and the event feed both call)."""
        if not self._client._first_time(("messageAdded", record.sid)):
            return
        message = self._message(record)
        last = self._view.last_message
        if last is None or record.index >= last.index:
            self._view = ConversationView(
                self._view.record, self._view.me, self._view.notification_level, record
            )
            self._updated(["lastMessage"])
        self.emit("messageAdded", message)
        self._client.emit("messageAdded", message)

    def _message_updated(
        self, record: records.Message, reasons: tuple[str, ...] = ("body", "attributes")
    ) -> None:
        """Announce a message's change; `reasons` are said when this client never saw the
        message before (else the difference says what changed)."""
        if record.sid in self._messages:
            self._messages[record.sid]._apply(record)
            return
        message = self._message(record)
        payload = {"message": message, "updateReasons": list(reasons)}
        message.emit("updated", payload)
        self.emit("messageUpdated", payload)
        self._client.emit("messageUpdated", payload)

    def _message_removed(self, message: Message) -> None:
        if not self._client._first_time(("messageRemoved", message.sid)):
            return
        self._messages.pop(message.sid, None)
        self.emit("messageRemoved", message)
        self._client.emit("messageRemoved", message)

    def _participant_joined(self, record: records.Participant) -> None:
        if not self._client._first_time(("participantJoined", record.sid)):
            return
        participant = self._participant(record)
        self.emit("participantJoined", participant)
        self._client.emit("participantJoined", participant)

    def _participant_left(self, record: records.Participant) -> None:
        if not self._client._first_time(("participantLeft", record.sid)):
            return
        participant = self._participants.pop(record.sid, None) or Participant(self, record)
        self.emit("participantLeft", participant)
        self._client.emit("participantLeft", participant)

    def _participant_left_identity(self, identity: str | None) -> None:
        if identity is None:  # only chat members leave through ACS
            return
        for participant in list(self._participants.values()):
            if participant.identity == identity:
                self._participant_left(participant._record)
                return

    def __repr__(self) -> str:
        return f"Conversation(sid={self.sid!r}, friendlyName={self.friendlyName!r})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    unique_name = uniqueName
    friendly_name = friendlyName
    created_by = createdBy
    date_created = dateCreated
    date_updated = dateUpdated
    last_read_message_index = lastReadMessageIndex
    last_message = lastMessage
    notification_level = notificationLevel
    add_non_chat_participant = addNonChatParticipant
    remove_participant = removeParticipant
    get_participants = getParticipants
    get_participants_count = getParticipantsCount
    get_participant_by_sid = getParticipantBySid
    get_participant_by_identity = getParticipantByIdentity
    get_messages = getMessages
    get_messages_count = getMessagesCount
    send_message = sendMessage
    prepare_message = prepareMessage
    update_last_read_message_index = updateLastReadMessageIndex
    advance_last_read_message_index = advanceLastReadMessageIndex
    set_all_messages_read = setAllMessagesRead
    set_all_messages_unread = setAllMessagesUnread
    get_unread_messages_count = getUnreadMessagesCount
    get_attributes = getAttributes
    update_attributes = updateAttributes
    update_friendly_name = updateFriendlyName
    update_unique_name = updateUniqueName
    set_user_notification_level = setUserNotificationLevel
    get_message_recipients = getMessageRecipients
