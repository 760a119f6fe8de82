"""Participants: chat members of a conversation, each an ACS user found via the directory,
and SMS/WhatsApp members, each a messaging binding kept only in the store.

The service user adds and removes chat members (it is in every thread); the store keeps
Twilio's participant SID, attributes, role and read horizon. Only chat participants exist on
ACS: a non-chat participant has no thread seat, and the store holds its (address, proxy
address) pair so that no other non-closed conversation can bind it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from acs_adapter.errors import AdapterError, Conflict, NotFound
from acs_adapter.records import ParticipantRecord
from acs_adapter.store.participants import Participant as StoredParticipant
from twilio_compat.core import bindings, errors, keyset, records
from twilio_compat.core._context import Context
from twilio_compat.core.bindings import Binding
from twilio_compat.core.configuration import CONVERSATION_ROLE, SERVICE_ROLE, default_role_sid
from twilio_compat.core.conversations import (
    ConversationFields,
    Conversations,
    apply_timers,
    ensure_open,
    record_activity,
)
from twilio_compat.core.conversations import to_record as conversation_record
from twilio_compat.core.hooks import Action
from twilio_compat.core.keyset import Position
from twilio_compat.core.numbers import Numbers
from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, new_sid

if TYPE_CHECKING:
    from acs_adapter.store.conversations import Conversation as StoredConversation

IDENTITY_MAX = 256


@dataclass(frozen=True)
class ParticipantFields:
    """The Twilio fields of a participant create or update; None means "not given"."""

    identity: str | None = None
    attributes: str | None = None
    role_sid: str | None = None
    last_read_message_index: int | None = None
    last_read_timestamp: datetime | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    messaging_binding_address: str | None = None
    messaging_binding_proxy_address: str | None = None
    messaging_binding_projected_address: str | None = None

    def __post_init__(self) -> None:
        check_unicode_fields(self)

    @property
    def non_chat(self) -> bool:
        """True when the fields describe an SMS/WhatsApp participant (an address, no identity)."""
        return self.identity is None and (
            self.messaging_binding_address is not None
            or self.messaging_binding_proxy_address is not None
        )


def check_identity(identity: str) -> str:
    if not identity:
        raise errors.invalid("Missing required parameter Identity in the post body")
    if len(identity) > IDENTITY_MAX:
        raise errors.invalid(f"Parameter 'Identity' is longer than {IDENTITY_MAX} characters")
    if identity == SERVICE_IDENTITY or "\x00" in identity:
        raise errors.invalid("Parameter 'Identity' is not a valid identity")
    return identity


def already_exists(identity: str) -> errors.TwilioApiError:
    return errors.TwilioApiError(
        409, errors.PARTICIPANT_EXISTS, f"Participant already exists: {identity}"
    )


def to_record(row: StoredParticipant, service_sid: str) -> records.Participant:
    binding = None
    if row.binding_type is not None:
        binding = records.MessagingBinding(
            row.binding_type, row.binding_address or "", row.binding_proxy_address
        )
    return records.Participant(
        sid=row.sid,
        conversation_sid=row.conversation_sid,
        service_sid=service_sid,
        identity=row.identity,
        attributes=row.attributes,
        role_sid=row.role_sid,
        last_read_message_index=row.last_read_index,
        last_read_timestamp=row.last_read_at,
        date_created=row.created_at,
        date_updated=row.updated_at,
        messaging_binding=binding,
    )


class Participants:
    """Twilio's Participant resource over ACS thread membership and the store."""

    def __init__(
        self, context: Context, conversations: Conversations, numbers: Numbers | None = None
    ) -> None:
        self._context = context
        self._conversations = conversations
        self.numbers = numbers or Numbers(context)
        self.non_chat_added: Callable[[], None] = lambda: None
        """Called once an SMS/WhatsApp participant is kept (the core starts its channels)."""

    def conversation(self, service_sid: str, key: str) -> StoredConversation:
        return self._conversations.stored(service_sid, key)

    def _stored(self, conversation: StoredConversation, key: str) -> StoredParticipant:
        store = self._context.store
        found = None
        if is_sid(key, "MB"):
            found = store.participants.get(key)
            if found is not None and found.conversation_sid != conversation.sid:
                found = None
        if found is None and key and len(key) <= IDENTITY_MAX:
            found = store.participants.get_by_identity(conversation.sid, key)
        if found is None:
            raise errors.ResourceNotFound(f"/Conversations/{conversation.sid}/Participants/{key}")
        return found

    def get(self, service_sid: str, conversation_key: str, key: str) -> records.Participant:
        conversation = self.conversation(service_sid, conversation_key)
        return to_record(self._stored(conversation, key), service_sid)

    def find(
        self, service_sid: str, conversation_sid: str, identity: str
    ) -> records.Participant | None:
        """The participant with `identity` in a conversation (by SID), or None."""
        row = self._context.store.participants.get_by_identity(conversation_sid, identity)
        return to_record(row, service_sid) if row is not None else None

    def find_by_acs_user(
        self, service_sid: str, conversation_sid: str, acs_user: str
    ) -> records.Participant | None:
        """The participant an ACS thread member is, or None (not a participant, or not yet)."""
        row = self._context.store.participants.get_by_acs_user_id(conversation_sid, acs_user)
        return to_record(row, service_sid) if row is not None else None

    def create(
        self, service_sid: str, conversation_key: str, fields: ParticipantFields
    ) -> records.Participant:
        """Add a participant: a chat one (the ACS user joins the thread, then the record is
        kept) or, with a messaging binding and no identity, an SMS/WhatsApp one."""
        bindings.refuse_projected_address(fields.messaging_binding_projected_address)
        if fields.identity is not None and (
            fields.messaging_binding_address is not None
            or fields.messaging_binding_proxy_address is not None
        ):
            raise errors.invalid(
                "A participant has either an Identity or a MessagingBinding.Address, not both"
            )
        if fields.non_chat:
            return self._create_non_chat(service_sid, conversation_key, fields)
        conversation = self.conversation(service_sid, conversation_key)
        ensure_open(conversation)
        identity = check_identity(fields.identity or "")
        store = self._context.store
        if store.participants.get_by_identity(conversation.sid, identity) is not None:
            raise already_exists(identity)
        if store.participants.count_chat(conversation.sid) >= bindings.CHAT_MAX:
            raise bindings.conversation_full()
        self._check_role(service_sid, fields.role_sid)
        self._context.hooks.before(
            Action("onParticipantAdd", service_sid, conversation.sid, None, vars(fields))
        )
        acs_user = self._context.adapter.directory.acs_user_for(identity)
        thread_id = conversation.thread_id or ""
        refused = self._context.service_chat().add_participants(
            thread_id, [ParticipantRecord(acs_user, identity)]
        )
        if refused:
            raise errors.invalid(f"ACS refused the participant: {refused[0].message or ''}")
        try:
            row = store.participants.insert(
                sid=new_sid("MB"),
                conversation_sid=conversation.sid,
                identity=identity,
                acs_user_id=acs_user,
                attributes=fields.attributes or "{}",
                role_sid=fields.role_sid or self._default_role(service_sid, CONVERSATION_ROLE),
                created_at=fields.date_created,
                updated_at=fields.date_updated,
            )
        except Conflict:
            # Another writer added the same identity first; the thread already has the member.
            raise already_exists(identity) from None
        except BaseException:
            self._leave_quietly(thread_id, acs_user)
            raise
        self._ensure_user(service_sid, identity)
        record_activity(self._context, conversation)
        added = to_record(row, service_sid)
        self._context.hooks.after(
            Action("onParticipantAdded", service_sid, conversation.sid, added)
        )
        return added

    def _create_non_chat(
        self, service_sid: str, conversation_key: str, fields: ParticipantFields
    ) -> records.Participant:
        """An SMS/WhatsApp participant: store-only, holding its pair while the conversation is
        not closed."""
        conversation = self.conversation(service_sid, conversation_key)
        ensure_open(conversation)
        binding = bindings.check_binding(
            self.numbers, fields.messaging_binding_address, fields.messaging_binding_proxy_address
        )
        store = self._context.store
        if store.participants.count_non_chat(conversation.sid) >= bindings.NON_CHAT_MAX:
            raise bindings.too_many_non_chat()
        self._check_role(service_sid, fields.role_sid)
        self._context.hooks.before(
            Action("onParticipantAdd", service_sid, conversation.sid, None, vars(fields))
        )
        row = self._insert_bound(
            conversation.sid,
            binding,
            attributes=fields.attributes or "{}",
            role_sid=fields.role_sid or self._default_role(service_sid, CONVERSATION_ROLE),
            created_at=fields.date_created,
            updated_at=fields.date_updated,
        )
        record_activity(self._context, conversation)
        added = to_record(row, service_sid)
        self._context.hooks.after(
            Action("onParticipantAdded", service_sid, conversation.sid, added)
        )
        return added

    def _insert_bound(
        self,
        conversation_sid: str,
        binding: Binding,
        *,
        attributes: str = "{}",
        role_sid: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> StoredParticipant:
        """Keep a non-chat participant; a pair held elsewhere answers 50416, unless its holder
        has been closed by a timer meanwhile (then the pair is freed and taken)."""
        for _ in range(2):
            try:
                row = self._context.store.participants.insert(
                    sid=new_sid("MB"),
                    conversation_sid=conversation_sid,
                    attributes=attributes,
                    role_sid=role_sid,
                    created_at=created_at,
                    updated_at=updated_at,
                    binding_type=binding.type,
                    binding_address=binding.address,
                    binding_proxy_address=binding.proxy_address,
                )
            except Conflict:
                holder = self._holder(binding.address, binding.proxy_address)
                if holder is not None:
                    raise bindings.pair_in_use(holder) from None
            else:
                self.non_chat_added()
                return row
        raise bindings.pair_in_use(conversation_sid)

    def _holder(self, address: str, proxy_address: str) -> str | None:
        """The conversation holding a pair, after freeing it from a conversation that timers
        have closed; None when the pair is free."""
        found = self.bound(address, proxy_address)
        return None if found is None else found.conversation_sid

    def bound(self, address: str, proxy_address: str) -> StoredParticipant | None:
        """The participant bound to (address, proxy_address) in a non-closed conversation:
        where an inbound message from `address` to `proxy_address` belongs."""
        store = self._context.store
        found = store.participants.get_by_pair(address, proxy_address)
        if found is None:
            return None
        holder = store.conversations.get(found.conversation_sid)
        if holder is None:
            return None
        if apply_timers(self._context, holder).state == "closed":
            store.participants.release_bindings(holder.sid)
            return None
        return found

    def non_chat(self, conversation_sid: str) -> list[StoredParticipant]:
        """The SMS/WhatsApp participants of a conversation (by SID): who a message reaches."""
        return self._context.store.participants.list_non_chat(conversation_sid)

    def create_conversation_with(
        self,
        service_sid: str,
        fields: ConversationFields,
        identities: list[str],
        bound: list[tuple[str | None, str | None]] | None = None,
    ) -> records.Conversation:
        """ConversationWithParticipants: one ACS request creates the thread with its chat
        members; `bound` adds SMS/WhatsApp participants as (address, proxy address) pairs.

        Every participant is checked before anything is created; a pair held elsewhere
        answers 50425 and leaves nothing behind.
        """
        for identity in identities:
            check_identity(identity)
        if len(set(identities)) != len(identities):
            raise errors.invalid("Each Participant identity may appear only once")
        checked = [
            bindings.check_binding(self.numbers, address, proxy) for address, proxy in bound or ()
        ]
        if len({(b.address, b.proxy_address) for b in checked}) != len(checked):
            raise errors.invalid("Each Participant messaging binding may appear only once")
        for binding in checked:
            if self._holder(binding.address, binding.proxy_address) is not None:
                raise bindings.pairs_in_use()
        directory = self._context.adapter.directory
        members = tuple((directory.acs_user_for(identity), identity) for identity in identities)
        conversation = self._conversations.create(service_sid, fields, members=members)
        role_sid = self._default_role(service_sid, CONVERSATION_ROLE)
        try:
            with self._context.store.transaction() as tx:
                for acs_user, identity in members:
                    tx.participants.insert(
                        sid=new_sid("MB"),
                        conversation_sid=conversation.sid,
                        identity=identity,
                        acs_user_id=acs_user,
                        role_sid=role_sid,
                    )
                for binding in checked:
                    tx.participants.insert(
                        sid=new_sid("MB"),
                        conversation_sid=conversation.sid,
                        role_sid=role_sid,
                        binding_type=binding.type,
                        binding_address=binding.address,
                        binding_proxy_address=binding.proxy_address,
                    )
        except Conflict:
            self._conversations.delete(service_sid, conversation.sid)
            raise bindings.pairs_in_use() from None
        except BaseException:
            self._conversations.delete(service_sid, conversation.sid)
            raise
        for identity in identities:
            self._ensure_user(service_sid, identity)
        return conversation

    def update(
        self, service_sid: str, conversation_key: str, key: str, fields: ParticipantFields
    ) -> records.Participant:
        conversation = self.conversation(service_sid, conversation_key)
        row = self._stored(conversation, key)
        self._check_role(service_sid, fields.role_sid)
        bindings.refuse_projected_address(fields.messaging_binding_projected_address)
        proxy = fields.messaging_binding_proxy_address
        if row.binding_type is None and proxy is not None:
            raise errors.invalid("MessagingBinding.ProxyAddress applies to non-chat participants")
        if row.binding_type is not None and fields.identity is not None:
            raise errors.invalid("Identity can't be set on a non-chat participant")
        if proxy is not None and proxy != row.binding_proxy_address:
            ensure_open(conversation)
            bindings.check_binding(self.numbers, row.binding_address, proxy)
        self._context.hooks.before(
            Action(
                "onParticipantUpdate",
                service_sid,
                conversation.sid,
                to_record(row, service_sid),
                vars(fields),
            )
        )
        if fields.identity is not None and fields.identity != row.identity:
            row = self._change_identity(service_sid, conversation, row, fields.identity)
        changes: dict[str, object] = {}
        if fields.attributes is not None:
            changes["attributes"] = fields.attributes
        if fields.role_sid is not None:
            changes["role_sid"] = fields.role_sid
        if fields.last_read_timestamp is not None:
            changes["last_read_at"] = fields.last_read_timestamp
        if fields.last_read_message_index is not None:
            changes["last_read_index"] = fields.last_read_message_index
        if proxy is not None and proxy != row.binding_proxy_address:
            changes["binding_proxy_address"] = proxy
        try:
            updated = self._context.store.participants.update(
                row.sid,
                updated_at=fields.date_updated,
                **changes,  # type: ignore[arg-type]
            )
        except Conflict:
            holder = self._holder(row.binding_address or "", proxy or "")
            raise bindings.pair_in_use(holder or conversation.sid) from None
        if fields.last_read_message_index is not None and row.acs_user_id:
            self._send_read_receipt(conversation, row.acs_user_id, fields.last_read_message_index)
        result = to_record(updated, service_sid)
        self._context.hooks.after(
            Action("onParticipantUpdated", service_sid, conversation.sid, result)
        )
        return result

    def _change_identity(
        self,
        service_sid: str,
        conversation: StoredConversation,
        row: StoredParticipant,
        new_identity: str,
    ) -> StoredParticipant:
        """The participant keeps its SID; in ACS the new identity's user takes the old one's seat.

        The new user joins before the record changes and the old one leaves after, so the
        thread never lacks the member the store names.
        """
        ensure_open(conversation)
        identity = check_identity(new_identity)
        store = self._context.store
        if store.participants.get_by_identity(conversation.sid, identity) is not None:
            raise already_exists(identity)
        thread_id = conversation.thread_id or ""
        acs_user = self._context.adapter.directory.acs_user_for(identity)
        refused = self._context.service_chat().add_participants(
            thread_id, [ParticipantRecord(acs_user, identity)]
        )
        if refused:
            raise errors.invalid(f"ACS refused the participant: {refused[0].message or ''}")
        try:
            changed = store.participants.update(row.sid, identity=identity, acs_user_id=acs_user)
        except Conflict:
            self._leave_quietly(thread_id, acs_user)
            raise already_exists(identity) from None
        except BaseException:
            self._leave_quietly(thread_id, acs_user)
            raise
        if row.acs_user_id and row.acs_user_id != acs_user:
            with contextlib.suppress(NotFound):
                self._context.service_chat().remove_participant(thread_id, row.acs_user_id)
        self._ensure_user(service_sid, identity)
        return changed

    def clear_read_horizon(
        self, service_sid: str, conversation_key: str, key: str
    ) -> records.Participant:
        """Forget a participant's read horizon: every message counts as unread again."""
        conversation = self.conversation(service_sid, conversation_key)
        row = self._stored(conversation, key)
        updated = self._context.store.participants.update(
            row.sid, last_read_index=None, last_read_at=None
        )
        return to_record(updated, service_sid)

    def delete(self, service_sid: str, conversation_key: str, key: str) -> None:
        conversation = self.conversation(service_sid, conversation_key)
        row = self._stored(conversation, key)
        removed = to_record(row, service_sid)
        self._context.hooks.before(
            Action("onParticipantRemove", service_sid, conversation.sid, removed)
        )
        if row.acs_user_id and conversation.thread_id:
            with contextlib.suppress(NotFound):
                self._context.service_chat().remove_participant(
                    conversation.thread_id, row.acs_user_id
                )
        # Removing from ACS is idempotent; of concurrent deletes (in any process) only the one
        # whose DELETE removes the row posts onParticipantRemoved, the others answer 404.
        if not self._context.store.participants.delete(row.sid):
            raise errors.ResourceNotFound(f"/Conversations/{conversation.sid}/Participants/{key}")
        self._context.hooks.after(
            Action("onParticipantRemoved", service_sid, conversation.sid, removed)
        )

    def page(
        self, service_sid: str, conversation_key: str, *, offset: int, limit: int
    ) -> tuple[list[records.Participant], bool]:
        conversation = self.conversation(service_sid, conversation_key)
        rows = self._context.store.participants.list(
            conversation.sid, offset=offset, limit=limit + 1
        )
        return [to_record(row, service_sid) for row in rows[:limit]], len(rows) > limit

    def conversations_of_address(
        self,
        service_sid: str,
        address: str,
        *,
        position: Position | None,
        backwards: bool,
        limit: int,
    ) -> tuple[list[records.UserConversation], bool]:
        """A keyset page of the conversations an SMS/WhatsApp address takes part in
        (ParticipantConversations by ``Address``), oldest participation first (`position` is
        a participant's), and whether more follow."""
        store = self._context.store
        seek = partial(store.participants.seek_by_address, service_sid, address)
        rows, more = keyset.page(seek, position, backwards, limit)
        items = []
        for row in rows:
            conversation = store.conversations.get(row.conversation_sid)
            if conversation is None:
                continue
            items.append(
                records.UserConversation(
                    user=None,
                    conversation=conversation_record(conversation),
                    participant=to_record(row, service_sid),
                    unread_messages_count=None,
                    notification_level="default",
                )
            )
        return items, more

    def _ensure_user(self, service_sid: str, identity: str) -> None:
        """Twilio creates the identity's User when it first joins a conversation."""
        users = self._context.store.users
        if users.get_by_identity(service_sid, identity) is None:
            with contextlib.suppress(Conflict):  # created meanwhile by another request
                users.insert(
                    sid=new_sid("US"),
                    scope=service_sid,
                    identity=identity,
                    role_sid=self._default_role(service_sid, SERVICE_ROLE),
                )

    def _default_role(self, service_sid: str, name: str) -> str:
        """Twilio gives a participant or user created without a role the service's default."""
        return default_role_sid(self._context.store.configuration, service_sid, name)

    def _check_role(self, service_sid: str, role_sid: str | None) -> None:
        if role_sid is None:
            return
        if not is_sid(role_sid, "RL"):
            raise errors.invalid("Parameter 'RoleSid' must be a RL SID")
        from twilio_compat.core.roles import Roles

        Roles(self._context).check_kind(service_sid, role_sid, "conversation")

    def _send_read_receipt(
        self, conversation: StoredConversation, acs_user_id: str, index: int
    ) -> None:
        """Tell ACS too, so native clients see the read horizon; the store stays the truth.

        ACS refuses receipts in threads over 20 members and for unknown messages, which must
        not fail the Twilio call.
        """
        target = self._context.store.messages.at_or_before(conversation.sid, index)
        if target is None or not target.acs_message_id or not conversation.thread_id:
            return
        try:
            self._context.chat_as(acs_user_id).send_read_receipt(
                conversation.thread_id, target.acs_message_id
            )
        except AdapterError:
            return

    def _leave_quietly(self, thread_id: str, acs_user: str) -> None:
        try:
            self._context.service_chat().remove_participant(thread_id, acs_user)
        except AdapterError:
            return
