"""The client face: a Python port of the ``@twilio/conversations`` 3.0.1 client SDK over ACS.

``Client(token)`` acts as the identity of a Twilio-format access token
(``twilio_compat.jwt.access_token.AccessToken``) with that identity's own ACS user, so ACS
enforces what it may read. Names are the JS SDK's, each with a snake_case alias; methods that
return a Promise in JS are coroutines here; events use ``on`` / ``once`` / ``off``.
"""

from twilio_compat.conversations._access import SigningKeys
from twilio_compat.conversations.client import Client
from twilio_compat.conversations.conversation import Conversation
from twilio_compat.conversations.enums import (
    ConnectionState,
    ConversationStatus,
    ConversationUpdateReason,
    DeliveryAmount,
    DeliveryStatus,
    GetMessagesDirection,
    LogLevel,
    MediaCategory,
    MessageType,
    MessageUpdateReason,
    NotificationLevel,
    NotificationsChannelType,
    ParticipantType,
    ParticipantUpdateReason,
    State,
    UserUpdateReason,
)
from twilio_compat.conversations.errors import (
    AccessTokenError,
    ConversationsError,
    NotSupportedError,
)
from twilio_compat.conversations.media import Media
from twilio_compat.conversations.message import Message, MessageBuilder, UnsentMessage
from twilio_compat.conversations.paginator import Paginator
from twilio_compat.conversations.participant import Participant
from twilio_compat.conversations.user import User

__all__ = [
    "AccessTokenError",
    "Client",
    "ConnectionState",
    "Conversation",
    "ConversationStatus",
    "ConversationUpdateReason",
    "ConversationsError",
    "DeliveryAmount",
    "DeliveryStatus",
    "GetMessagesDirection",
    "LogLevel",
    "Media",
    "MediaCategory",
    "Message",
    "MessageBuilder",
    "MessageType",
    "MessageUpdateReason",
    "NotSupportedError",
    "NotificationLevel",
    "NotificationsChannelType",
    "Paginator",
    "Participant",
    "ParticipantType",
    "ParticipantUpdateReason",
    "SigningKeys",
    "State",
    "UnsentMessage",
    "User",
    "UserUpdateReason",
]
