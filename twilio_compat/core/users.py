"""Users (``US...``) and what each user sees of their conversations.

A user is an identity's profile within a service; Twilio creates one implicitly when an
identity first joins a conversation, and so does the shim. A user's conversations are the
conversations the identity participates in, with its read horizon, unread count and
notification level.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from acs_adapter.errors import Conflict
from acs_adapter.store.users import User as StoredUser
from twilio_compat.core import errors, keyset, records
from twilio_compat.core._context import Context
from twilio_compat.core.configuration import SERVICE_ROLE, default_role_sid
from twilio_compat.core.conversations import to_record as conversation_record
from twilio_compat.core.hooks import Action, amend
from twilio_compat.core.keyset import Position
from twilio_compat.core.messages import Messages
from twilio_compat.core.participants import (
    IDENTITY_MAX,
    ParticipantFields,
    Participants,
    check_identity,
)
from twilio_compat.core.participants import to_record as participant_record
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, new_sid

NOTIFICATION_LEVELS = ("default", "muted")


@dataclass(frozen=True)
class UserFields:
    identity: str | None = None
    friendly_name: str | None = None
    attributes: str | None = None
    role_sid: str | None = None

    def __post_init__(self) -> None:
        check_unicode_fields(self)


def to_record(row: StoredUser) -> records.User:
    return records.User(
        sid=row.sid,
        service_sid=row.scope,
        identity=row.identity,
        friendly_name=row.friendly_name,
        attributes=row.attributes,
        role_sid=row.role_sid,
        date_created=row.created_at,
        date_updated=row.updated_at,
    )


class Users:
    """Twilio's User and UserConversation resources, and ParticipantConversations."""

    def __init__(self, context: Context, participants: Participants, messages: Messages) -> None:
        self._context = context
        self._participants = participants
        self._messages = messages

    def _stored(self, service_sid: str, key: str) -> StoredUser:
        store = self._context.store.users
        found = store.get(key) if is_sid(key, "US") else None
        if found is not None and found.scope != service_sid:
            found = None
        if found is None and key and len(key) <= IDENTITY_MAX:
            found = store.get_by_identity(service_sid, key)
        if found is None:
            raise errors.ResourceNotFound(f"/Users/{key}")
        return found

    def get(self, service_sid: str, key: str) -> records.User:
        return to_record(self._stored(service_sid, key))

    def create(self, service_sid: str, fields: UserFields) -> records.User:
        identity = check_identity(fields.identity or "")
        self._check_role(service_sid, fields.role_sid)
        store = self._context.store.users
        if store.get_by_identity(service_sid, identity) is not None:
            raise errors.TwilioApiError(409, errors.USER_EXISTS, f"User already exists: {identity}")
        try:
            row = store.insert(
                sid=new_sid("US"),
                scope=service_sid,
                identity=identity,
                friendly_name=fields.friendly_name,
                attributes=fields.attributes or "{}",
                role_sid=fields.role_sid
                or default_role_sid(self._context.store.configuration, service_sid, SERVICE_ROLE),
            )
        except Conflict:
            raise errors.TwilioApiError(
                409, errors.USER_EXISTS, f"User already exists: {identity}"
            ) from None
        added = to_record(row)
        self._context.hooks.after(Action("onUserAdded", service_sid, None, added))
        return added

    def update(self, service_sid: str, key: str, fields: UserFields) -> records.User:
        row = self._stored(service_sid, key)
        self._check_role(service_sid, fields.role_sid)
        proposed = {k: v for k, v in vars(fields).items() if k != "identity"}
        action = Action("onUserUpdate", service_sid, None, to_record(row), proposed)
        # Twilio lets onUserUpdate change only the friendly name and the attributes.
        fields = amend(fields, self._context.hooks.before(action), ("friendly_name", "attributes"))
        changes: dict[str, object] = {}
        if fields.friendly_name is not None:
            changes["friendly_name"] = fields.friendly_name
        if fields.attributes is not None:
            changes["attributes"] = fields.attributes
        if fields.role_sid is not None:
            changes["role_sid"] = fields.role_sid
        updated = self._context.store.users.update(row.sid, **changes)  # type: ignore[arg-type]
        result = to_record(updated)
        self._context.hooks.after(Action("onUserUpdated", service_sid, None, result))
        return result

    def delete(self, service_sid: str, key: str) -> None:
        row = self._stored(service_sid, key)
        # One DELETE decides: of concurrent deletes only the one that removed the row answers 204.
        if not self._context.store.users.delete(row.sid):
            raise errors.ResourceNotFound(f"/Users/{key}")

    def page(
        self, service_sid: str, *, position: Position | None, backwards: bool, limit: int
    ) -> tuple[list[records.User], bool]:
        """A keyset page of the service's users, oldest first, and whether more follow (see
        `keyset.page`): one deep in a list of many users costs what the first one does."""
        seek = partial(self._context.store.users.seek, service_sid)
        rows, more = keyset.page(seek, position, backwards, limit)
        return [to_record(row) for row in rows], more

    # -- what a user (or any identity) sees of its conversations ----------------------

    def conversations_of(
        self,
        service_sid: str,
        identity: str,
        *,
        position: Position | None,
        backwards: bool,
        limit: int,
    ) -> tuple[list[records.UserConversation], bool]:
        """A keyset page of the conversations `identity` takes part in, in conversation list
        order (`position` is a conversation's), and whether more follow."""
        store = self._context.store
        seek = partial(store.participants.seek_by_identity, service_sid, identity)
        members, more = keyset.page(seek, position, backwards, limit)
        user = store.users.get_by_identity(service_sid, identity)
        found = store.conversations.get_many([member.conversation_sid for member in members])
        # Unread counts need current caches: one pass over the conversations that have them.
        reading = {
            m.conversation_sid: m.last_read_index for m in members if m.last_read_index is not None
        }
        if reading:
            self._messages.sync_all([found[sid] for sid in reading if sid in found])
            found = store.conversations.get_many(list(found))  # as the syncs left them
        unread = store.messages.count_each({sid: index + 1 for sid, index in reading.items()})
        levels = store.user_conversations.get_many(identity, found)
        items = []
        for member in members:
            conversation = found.get(member.conversation_sid)
            if conversation is None:  # removed since the page was read
                continue
            setting = levels.get(conversation.sid)
            items.append(
                records.UserConversation(
                    user=to_record(user) if user else None,
                    conversation=conversation_record(conversation),
                    participant=participant_record(member, service_sid),
                    unread_messages_count=(
                        unread.get(conversation.sid, 0) if conversation.sid in reading else None
                    ),
                    notification_level=setting.notification_level if setting else "default",
                )
            )
        return items, more

    def user_conversations(
        self,
        service_sid: str,
        user_key: str,
        *,
        position: Position | None,
        backwards: bool,
        limit: int,
    ) -> tuple[list[records.UserConversation], bool]:
        user = self._stored(service_sid, user_key)
        return self.conversations_of(
            service_sid, user.identity, position=position, backwards=backwards, limit=limit
        )

    def user_conversation(
        self, service_sid: str, user_key: str, conversation_key: str
    ) -> records.UserConversation:
        user = self._stored(service_sid, user_key)
        conversation = self._participants.conversation(service_sid, conversation_key)
        return self._view(service_sid, user.identity, conversation.sid, user)

    def update_user_conversation(
        self,
        service_sid: str,
        user_key: str,
        conversation_key: str,
        *,
        notification_level: str | None,
        read: ParticipantFields,
    ) -> records.UserConversation:
        user = self._stored(service_sid, user_key)
        view = self.user_conversation(service_sid, user_key, conversation_key)
        if notification_level is not None:
            if notification_level not in NOTIFICATION_LEVELS:
                raise errors.invalid("Parameter 'NotificationLevel' must be default or muted")
            self._context.store.user_conversations.set(
                user.identity, view.conversation.sid, notification_level=notification_level
            )
        if read.last_read_message_index is not None or read.last_read_timestamp is not None:
            self._participants.update(
                service_sid, view.conversation.sid, view.participant.sid, read
            )
        return self._view(service_sid, user.identity, view.conversation.sid, user)

    def leave(self, service_sid: str, user_key: str, conversation_key: str) -> None:
        view = self.user_conversation(service_sid, user_key, conversation_key)
        self._participants.delete(service_sid, view.conversation.sid, view.participant.sid)

    def _view(
        self,
        service_sid: str,
        identity: str,
        conversation_sid: str,
        user: StoredUser | None,
        *,
        synced: bool = False,
    ) -> records.UserConversation:
        """The user's view of a conversation; `synced`: its cache was just brought up to date."""
        store = self._context.store
        conversation = store.conversations.get(conversation_sid)
        member = store.participants.get_by_identity(conversation_sid, identity)
        if conversation is None or member is None:
            raise errors.ResourceNotFound(f"/Users/{identity}/Conversations/{conversation_sid}")
        unread = None
        if member.last_read_index is not None:
            if not synced:
                self._messages.sync(conversation)
            unread = self._messages.count_after(conversation, member.last_read_index)
        return records.UserConversation(
            user=to_record(user) if user else None,
            conversation=conversation_record(conversation),
            participant=participant_record(member, service_sid),
            unread_messages_count=unread,
            notification_level=self.notification_level(identity, conversation_sid),
        )

    def notification_level(self, identity: str, conversation_sid: str) -> str:
        """``default`` or ``muted``: how `identity` set a conversation's notifications."""
        setting = self._context.store.user_conversations.get(identity, conversation_sid)
        return setting.notification_level if setting else "default"

    def _check_role(self, service_sid: str, role_sid: str | None) -> None:
        if role_sid is None:
            return
        if not is_sid(role_sid, "RL"):
            raise errors.invalid("Parameter 'RoleSid' must be a RL SID")
        from twilio_compat.core.roles import Roles

        Roles(self._context).check_kind(service_sid, role_sid, "service")
