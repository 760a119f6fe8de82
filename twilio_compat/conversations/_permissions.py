"""Twilio's role permissions for what a client does, since ACS Chat has none.

Each action asks `twilio_compat.core.roles.Roles` whether the client's identity holds the
permission Twilio requires; a refusal is Twilio's 50107 "User not authorized for command"
(HTTP 403). "Own" commands (on the client's own message, participant or user) are also allowed
by the matching "Any" permission.

A message's attributes changed by someone other than its author (a reaction, with
``editAnyMessageAttributes``) are kept by the shim and shown to every Twilio reader; the ACS
message keeps the metadata its sender gave it (`twilio_compat.core.messages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.messages import MessageFields
from twilio_compat.core.participants import ParticipantFields

if TYPE_CHECKING:
    from twilio_compat.conversations._session import Session
    from twilio_compat.core import records

DESTROY_CONVERSATION = ("destroyConversation", "deleteConversation")
"""Either lets a user delete a conversation (Twilio Flex's service roles grant the second)."""


def check(session: Session, conversation_sid: str | None, *permissions: str) -> None:
    """In a worker thread: refuse unless the client holds one of ``permissions``."""
    session.core.roles.require(session.service_sid, conversation_sid, session.identity, permissions)


async def require(session: Session, conversation_sid: str | None, *permissions: str) -> None:
    """From the event loop: refuse unless the client holds one of ``permissions``."""
    await session.run(check, session, conversation_sid, *permissions)


def own_or_any(session: Session, owner: str | None, own: str, any_: str) -> tuple[str, ...]:
    """The permissions that allow an "own"/"any" command on something ``owner`` has."""
    return (own, any_) if owner == session.identity else (any_,)


async def require_own_or_any(
    session: Session, conversation_sid: str | None, owner: str | None, own: str, any_: str
) -> None:
    await require(session, conversation_sid, *own_or_any(session, owner, own, any_))


def to_send(media: bool) -> str:
    return "sendMediaMessage" if media else "sendMessage"


def to_update(fields: ConversationFields) -> str:
    """The conversation permission one ``Conversation.update...`` call needs."""
    return "editConversationAttributes" if fields.attributes is not None else "editConversationName"


def to_remove(session: Session, identity: str) -> str:
    """Removing oneself is leaving; removing another participant needs ``removeParticipant``."""
    return "leaveConversation" if identity == session.identity else "removeParticipant"


def join(session: Session, conversation: records.Conversation) -> records.Participant:
    """In a worker thread: join as a participant, with the service's creator role when the
    client created the conversation (Twilio's ``DefaultConversationCreatorRoleSid``)."""
    roles = session.core.roles
    check(session, conversation.sid, "joinConversation")
    creator = conversation.created_by == session.identity
    role = roles.creator_role_sid(session.service_sid) if creator else None
    joined = session.core.participants.create(
        session.service_sid,
        conversation.sid,
        ParticipantFields(identity=session.identity, role_sid=role),
    )
    roles.forget(session.service_sid, conversation.sid, session.identity)
    return joined


def edit_message(
    session: Session, conversation_sid: str, message: records.Message, fields: MessageFields
) -> records.Message:
    """In a worker thread: check the edit's permission, then change the message. Another
    author's attributes are kept by the shim only (ACS lets only the sender change its
    message, and its metadata stays what the sender gave)."""
    body = fields.body is not None
    own, any_ = (
        ("editOwnMessage", "editAnyMessage")
        if body
        else ("editOwnMessageAttributes", "editAnyMessageAttributes")
    )
    check(session, conversation_sid, *own_or_any(session, message.author, own, any_))
    return session.core.messages.update(
        session.service_sid,
        conversation_sid,
        message.sid,
        fields,
        in_store_only=not body and message.author != session.identity,
    )
