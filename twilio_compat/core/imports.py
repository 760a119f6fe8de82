"""Imports: Twilio's own records written into ACS and the store, keeping their Twilio SIDs.

A migration (history import, routing between Twilio and ACS) reaches Twilio state only
through here: it hands over what it read from Twilio as ``Imported...`` records and asks
plain questions (does this SID exist, is this index taken); the store, the identity
directory, the ACS threads and the media store stay behind the core. Each conversation's
import keeps a checkpoint (``import:<CH...>``, a small JSON document) that says where it is;
while it is not done the conversation still belongs to Twilio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from acs_adapter.errors import Conflict
from acs_adapter.records import InvalidParticipant, ParticipantRecord
from twilio_compat.core import records
from twilio_compat.core._context import Context
from twilio_compat.core.codec import MessageMetadata
from twilio_compat.core.configuration import (
    ACCOUNT_KEY,
    CONVERSATION_ROLE,
    SERVICE_ROLE,
    default_role_sid,
)
from twilio_compat.core.conversations import to_record
from twilio_compat.core.messages import sync_cursor
from twilio_compat.core.stamps import dumps, iso, now

if TYPE_CHECKING:
    from acs_adapter.store import MappingStore
    from acs_adapter.store._store import Repositories

Checkpoint = dict[str, Any]
MAX_MEMBERS_PER_CALL = 200
"""ACS adds at most this many members in one request."""
MEDIA_KEY_PREFIX = "twilio-"
"""Media store keys of media brought over from Twilio: the prefix, then the ``ME...`` SID."""
SENT_PAGE_SIZE = 200


def checkpoint_name(conversation_sid: str) -> str:
    """The checkpoint of one conversation's import."""
    return f"import:{conversation_sid}"


def is_importing(store: MappingStore, conversation_sid: str) -> bool:
    """True while an import of this conversation has started and not finished."""
    state = ImportWrites(store).checkpoint(conversation_sid)
    return state is not None and not state.get("done", False)


@dataclass(frozen=True)
class ImportedRole:
    """A Twilio role as the store keeps it, under its Twilio SID."""

    sid: str
    scope: str
    friendly_name: str
    type: str
    permissions: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ImportedUser:
    """A Twilio user as the store keeps it, under its Twilio SID."""

    sid: str
    scope: str
    identity: str
    friendly_name: str | None = None
    attributes: str = "{}"
    role_sid: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ImportedConversation:
    """A Twilio conversation as the store keeps it, under its Twilio SID."""

    sid: str
    scope: str
    unique_name: str | None = None
    friendly_name: str | None = None
    attributes: str = "{}"
    state: str = "active"
    timers: str | None = None
    timer_due_at: datetime | None = None
    messaging_service_sid: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived: bool = False


@dataclass(frozen=True)
class ImportedParticipant:
    """A Twilio participant as the store keeps it, under its Twilio SID: a chat one with an
    identity, or an SMS/WhatsApp one with its binding (type, address, proxy address)."""

    sid: str
    conversation_sid: str
    identity: str | None
    acs_user_id: str | None = None
    attributes: str = "{}"
    role_sid: str | None = None
    last_read_index: int | None = None
    last_read_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    binding_type: str | None = None
    binding_address: str | None = None
    binding_proxy_address: str | None = None


@dataclass(frozen=True)
class ImportedMessage:
    """A Twilio message as the store keeps it; ``media`` is the codec's attachment list."""

    sid: str
    index: int
    author: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    body: str | None = None
    attributes: str = "{}"
    media: str | None = None


@dataclass(frozen=True)
class ImportedMedia:
    """Media bytes already in the media store (see `Imports.put_media`), to be recorded."""

    sid: str
    scope: str
    content_type: str
    size: int
    storage_key: str
    filename: str | None = None
    message_sid: str | None = None


def _values(record: object) -> dict[str, Any]:
    """An ``Imported...`` record as keyword arguments: its fields are the store's columns."""
    return {field.name: getattr(record, field.name) for field in fields(record)}  # type: ignore[arg-type]


class ImportWrites:
    """The store-side questions and writes of an import, alone or inside one transaction."""

    def __init__(self, repositories: Repositories) -> None:
        self._repos = repositories

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, conversation_sid: str) -> Checkpoint | None:
        found = self._repos.checkpoints.get(checkpoint_name(conversation_sid))
        return None if found is None else dict(json.loads(found.state))

    def save_checkpoint(self, conversation_sid: str, state: Mapping[str, Any]) -> None:
        self._repos.checkpoints.put(checkpoint_name(conversation_sid), dumps(dict(state)))

    def is_importing(self, conversation_sid: str) -> bool:
        state = self.checkpoint(conversation_sid)
        return state is not None and not state.get("done", False)

    # -- roles and users -------------------------------------------------------------------

    def role_exists(self, sid: str) -> bool:
        return self._repos.roles.get(sid) is not None

    def add_role(self, role: ImportedRole) -> bool:
        """False when the SID was taken meanwhile."""
        try:
            self._repos.roles.insert(**_values(role))
        except Conflict:
            return False
        return True

    def user_exists(self, sid: str) -> bool:
        return self._repos.users.get(sid) is not None

    def user_sid(self, scope: str, identity: str) -> str | None:
        """The SID of the user with this identity in a service, if any."""
        found = self._repos.users.get_by_identity(scope, identity)
        return None if found is None else found.sid

    def add_user(self, user: ImportedUser) -> bool:
        """False when the SID or identity was taken meanwhile. A user without a role gets
        the service's default service role, as on Twilio."""
        if user.role_sid is None:
            user = replace(user, role_sid=self._default_role(user.scope, SERVICE_ROLE))
        try:
            self._repos.users.insert(**_values(user))
        except Conflict:
            return False
        return True

    # -- conversations and participants ------------------------------------------------------

    def conversation(self, sid: str) -> records.Conversation | None:
        found = self._repos.conversations.get(sid)
        return None if found is None else to_record(found)

    def find_conversation(self, scope: str, key: str) -> records.Conversation | None:
        """A service's conversation by SID or unique name."""
        found = self._repos.conversations.find(scope, key)
        return None if found is None else to_record(found)

    def unique_name_taken(self, scope: str, unique_name: str) -> bool:
        return self._repos.conversations.get_by_unique_name(scope, unique_name) is not None

    def conversation_count(self, scope: str) -> int:
        return self._repos.conversations.count(scope)

    def add_conversation(self, conversation: ImportedConversation) -> records.Conversation:
        return to_record(self._repos.conversations.insert(**_values(conversation)))

    def participant_exists(self, sid: str) -> bool:
        return self._repos.participants.get(sid) is not None

    def has_member(self, conversation_sid: str, identity: str) -> bool:
        return self._repos.participants.get_by_identity(conversation_sid, identity) is not None

    def member_acs_user(self, conversation_sid: str, identity: str) -> str | None:
        """The ACS user of a participant with this identity (None: no such chat member)."""
        found = self._repos.participants.get_by_identity(conversation_sid, identity)
        return found.acs_user_id if found is not None and found.acs_user_id else None

    def pair_holder(self, address: str, proxy_address: str) -> str | None:
        """The conversation whose SMS/WhatsApp participant holds this pair, if any."""
        found = self._repos.participants.get_by_pair(address, proxy_address)
        return None if found is None else found.conversation_sid

    def add_participant(self, participant: ImportedParticipant) -> None:
        """A participant without a role gets the service's default conversation role; an
        SMS/WhatsApp one holds its pair unless its conversation is closed."""
        found = self._repos.conversations.get(participant.conversation_sid)
        hold = found is not None and found.state != "closed"
        if participant.role_sid is None and found is not None:
            role_sid = self._default_role(found.scope, CONVERSATION_ROLE)
            participant = replace(participant, role_sid=role_sid)
        self._repos.participants.insert(**_values(participant), hold_binding=hold)

    def _default_role(self, scope: str, name: str) -> str:
        return default_role_sid(self._repos.configuration, scope, name)

    # -- messages and media ------------------------------------------------------------------

    def message_exists(self, sid: str) -> bool:
        return self._repos.messages.get(sid) is not None

    def index_taken(self, conversation_sid: str, index: int) -> bool:
        return self._repos.messages.get_by_index(conversation_sid, index) is not None

    def message_owners(self, sids: Sequence[str]) -> dict[str, str]:
        """Which of these message SIDs exist, each with its conversation's SID."""
        return self._repos.messages.conversations_of(sids)

    def taken_indices(self, conversation_sid: str, indices: Sequence[int]) -> set[int]:
        return self._repos.messages.taken_indices(conversation_sid, indices)

    def add_archived(self, conversation_sid: str, messages: Sequence[ImportedMessage]) -> int:
        """Messages kept in the store only (archive mode), in one statement; how many."""
        batch = [{**_values(message), "archived": True} for message in messages]
        return self._repos.messages.insert_many(conversation_sid, batch)

    def add_sent(
        self, conversation_sid: str, message: ImportedMessage, acs_message_id: str
    ) -> None:
        """A message replayed into the thread; `Conflict` when it is recorded already."""
        self._repos.messages.insert(
            conversation_sid=conversation_sid, acs_message_id=acs_message_id, **_values(message)
        )

    def media_exists(self, sid: str) -> bool:
        return self._repos.media.get(sid) is not None

    def add_media(self, media: ImportedMedia) -> bool:
        """Record stored media under its Twilio SID; False when it is recorded already."""
        if self.media_exists(media.sid):
            return False
        self._repos.media.insert(**_values(media))
        return True


class Imports(ImportWrites):
    """What a migration may do to the ACS side, the one door to its store, users and threads."""

    def __init__(self, context: Context) -> None:
        super().__init__(context.store)
        self._context = context

    @contextmanager
    def transaction(self) -> Iterator[ImportWrites]:
        """Writes that commit or roll back as one (keep it short: it holds the write lock)."""
        with self._context.store.transaction() as tx:
            yield ImportWrites(tx)

    def default_service_configured(self) -> bool:
        """Whether the account's configuration names a default Conversation Service."""
        configured = self._context.store.configuration.get(ACCOUNT_KEY)
        return configured is not None and bool(
            json.loads(configured.document).get("default_chat_service_sid")
        )

    def start_conversation(
        self, conversation: ImportedConversation, checkpoint: Mapping[str, Any]
    ) -> records.Conversation:
        """The conversation's record and its first checkpoint, in one transaction; the
        checkpoint comes first, so routing never sees a half-imported conversation.
        `Conflict` when its SID or unique name is taken."""
        with self.transaction() as tx:
            tx.save_checkpoint(conversation.sid, checkpoint)
            return tx.add_conversation(conversation)

    def mark_synced(self, conversation_sid: str) -> None:
        """Everything in the thread is recorded: the next live read need not list it again."""
        self._context.store.cursors.put(sync_cursor(conversation_sid), iso(now()))

    # -- ACS users and threads ---------------------------------------------------------------

    def acs_user_for(self, identity: str) -> str:
        """The ACS user of an identity (created on first use, then kept)."""
        return self._context.adapter.directory.acs_user_for(identity)

    def open_thread(
        self, conversation: records.Conversation, members: Sequence[tuple[str, str]]
    ) -> tuple[records.Conversation, list[InvalidParticipant]]:
        """The conversation's ACS thread (created by the service user, with the SID as
        idempotency token, if it has none) with these ``(acs_user_id, identity)`` members;
        also whom ACS refused."""
        chat = self._context.service_chat()
        wanted = [ParticipantRecord(acs_user, identity) for acs_user, identity in members]
        refused: list[InvalidParticipant] = []
        if not conversation.thread_id:
            topic = conversation.friendly_name or conversation.unique_name or conversation.sid
            created = chat.create_thread(
                topic, wanted[:MAX_MEMBERS_PER_CALL], idempotency_key=conversation.sid
            )
            refused.extend(created.invalid_participants)
            stored = self._context.store.conversations.update(
                conversation.sid,
                thread_id=created.thread.id,
                updated_at=conversation.date_updated,
            )
            conversation = to_record(stored)
        for start in range(MAX_MEMBERS_PER_CALL, len(wanted), MAX_MEMBERS_PER_CALL):
            batch = wanted[start : start + MAX_MEMBERS_PER_CALL]
            refused.extend(chat.add_participants(conversation.thread_id, batch))
        return conversation, refused

    def sent_in_thread(self, thread_id: str, since: datetime | None) -> dict[str, str]:
        """ACS ids of the messages in a thread that carry a Twilio SID, by that SID."""
        listed = self._context.service_chat().list_messages(
            thread_id, page_size=SENT_PAGE_SIZE, start_time=since
        )
        out: dict[str, str] = {}
        for message in listed:
            sid = MessageMetadata.decode(message.metadata).sid
            if sid is not None and message.deleted_on is None:
                out[sid] = message.id
        return out

    def send(
        self,
        thread_id: str,
        content: str,
        metadata: MessageMetadata,
        *,
        sender: str | None,
        display_name: str | None,
    ) -> str:
        """Send one message as ``sender`` (an ACS user; None: the service user), with the
        Twilio SID as idempotency key; the ACS id it got."""
        chat = self._context.chat_as(sender) if sender else self._context.service_chat()
        return chat.send_message(
            thread_id,
            content,
            sender_display_name=display_name,
            metadata=metadata.encode(),
            idempotency_key=metadata.sid,
        )

    # -- media ------------------------------------------------------------------------------

    @property
    def media_max_bytes(self) -> int:
        """The largest media file the media store accepts."""
        return self._context.adapter.media.max_bytes

    def put_media(
        self,
        sid: str,
        data: bytes | IO[bytes],
        *,
        content_type: str,
        filename: str | None,
    ) -> tuple[str, int]:
        """Media bytes in the media store under a key made from the Twilio SID: its key and
        size. Stored already (by a run that stopped before recording it): that copy."""
        media_store = self._context.adapter.media
        key = MEDIA_KEY_PREFIX + sid
        try:
            payload = data if isinstance(data, bytes) else cast(BinaryIO, data)  # read in chunks
            stored = media_store.put(payload, content_type=content_type, filename=filename, key=key)
        except Conflict:
            stored = media_store.info(key)
        return stored.key, stored.size

    # -- keeping users in step with Twilio --------------------------------------------------

    def mirror_user(self, user: ImportedUser) -> None:
        """Twilio's user, kept under Twilio's SID; a user made on ACS first with the same
        identity gives way, since Twilio's SID wins."""
        users = self._context.store.users
        values = {
            "friendly_name": user.friendly_name,
            "attributes": user.attributes,
            "role_sid": user.role_sid,
        }
        if users.get(user.sid) is not None:
            users.update(user.sid, **values)  # type: ignore[arg-type]
            return
        other = users.get_by_identity(user.scope, user.identity)
        if other is not None:
            users.delete(other.sid)
        users.insert(sid=user.sid, scope=user.scope, identity=user.identity, **values)  # type: ignore[arg-type]

    def forget_user(self, scope: str, key: str) -> None:
        """Remove the user with this SID or identity, if there is one."""
        users = self._context.store.users
        found = users.get(key) or users.get_by_identity(scope, key)
        if found is not None:
            users.delete(found.sid)


__all__ = [
    "MAX_MEMBERS_PER_CALL",
    "MEDIA_KEY_PREFIX",
    "ImportWrites",
    "ImportedConversation",
    "ImportedMedia",
    "ImportedMessage",
    "ImportedParticipant",
    "ImportedRole",
    "ImportedUser",
    "Imports",
    "checkpoint_name",
    "is_importing",
]
