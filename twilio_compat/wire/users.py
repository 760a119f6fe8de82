"""Users, roles, and the conversations a user or an identity takes part in."""

from __future__ import annotations

from twilio_compat.core import records
from twilio_compat.wire.conversations import messaging_binding, timers
from twilio_compat.wire.scope import Json, Scope, timestamp


def user(scope: Scope, item: records.User) -> Json:
    url = f"{scope.prefix}/Users/{item.sid}"
    return {
        "sid": item.sid,
        "account_sid": scope.account_sid,
        "chat_service_sid": item.service_sid,
        "role_sid": item.role_sid,
        "identity": item.identity,
        "friendly_name": item.friendly_name,
        "attributes": item.attributes,
        "is_online": None,
        "is_notifiable": None,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": url,
        "links": {"user_conversations": f"{url}/Conversations"},
    }


def _membership_links(scope: Scope, item: records.UserConversation) -> Json:
    conversation_url = f"{scope.prefix}/Conversations/{item.conversation.sid}"
    return {
        "participant": f"{conversation_url}/Participants/{item.participant.sid}",
        "conversation": conversation_url,
    }


def user_conversation(scope: Scope, item: records.UserConversation) -> Json:
    conv = item.conversation
    user_sid = item.user.sid if item.user else item.participant.identity
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": conv.service_sid,
        "conversation_sid": conv.sid,
        "unread_messages_count": item.unread_messages_count,
        "last_read_message_index": item.participant.last_read_message_index,
        "participant_sid": item.participant.sid,
        "user_sid": item.user.sid if item.user else None,
        "friendly_name": conv.friendly_name,
        "conversation_state": conv.state,
        "timers": timers(conv.timers),
        "attributes": conv.attributes,
        "date_created": timestamp(conv.date_created),
        "date_updated": timestamp(conv.date_updated),
        "created_by": conv.created_by,
        "notification_level": item.notification_level,
        "unique_name": conv.unique_name,
        "url": f"{scope.prefix}/Users/{user_sid}/Conversations/{conv.sid}",
        "links": _membership_links(scope, item),
    }


def participant_conversation(scope: Scope, item: records.UserConversation) -> Json:
    conv = item.conversation
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": conv.service_sid,
        "participant_sid": item.participant.sid,
        "participant_user_sid": item.user.sid if item.user else None,
        "participant_identity": item.participant.identity,
        "participant_messaging_binding": messaging_binding(item.participant),
        "conversation_sid": conv.sid,
        "conversation_unique_name": conv.unique_name,
        "conversation_friendly_name": conv.friendly_name,
        "conversation_attributes": conv.attributes,
        "conversation_date_created": timestamp(conv.date_created),
        "conversation_date_updated": timestamp(conv.date_updated),
        "conversation_created_by": conv.created_by,
        "conversation_state": conv.state,
        "conversation_timers": timers(conv.timers),
        "links": _membership_links(scope, item),
    }


def role(scope: Scope, item: records.Role) -> Json:
    return {
        "sid": item.sid,
        "account_sid": scope.account_sid,
        "chat_service_sid": item.service_sid,
        "friendly_name": item.friendly_name,
        "type": item.type,
        "permissions": list(item.permissions),
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": f"{scope.prefix}/Roles/{item.sid}",
    }
