"""The JS SDK's string unions as string enums: members compare equal to the JS strings."""

from __future__ import annotations

from enum import Enum


class StrEnum(str, Enum):
    """A ``str`` whose ``str()`` is its value, as ``enum.StrEnum`` (3.11+) behaves."""

    def __str__(self) -> str:
        return str(self.value)


class ConnectionState(StrEnum):
    UNKNOWN = "unknown"
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"
    RETRYING = "retrying"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DENIED = "denied"
    ERROR = "error"


class State(StrEnum):
    FAILED = "failed"
    INITIALIZED = "initialized"


class ConversationStatus(StrEnum):
    NOT_PARTICIPATING = "notParticipating"
    JOINED = "joined"


class ConversationStateCurrent(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


class ConversationUpdateReason(StrEnum):
    ATTRIBUTES = "attributes"
    CREATED_BY = "createdBy"
    DATE_CREATED = "dateCreated"
    DATE_UPDATED = "dateUpdated"
    FRIENDLY_NAME = "friendlyName"
    LAST_READ_MESSAGE_INDEX = "lastReadMessageIndex"
    STATE = "state"
    STATUS = "status"
    UNIQUE_NAME = "uniqueName"
    LAST_MESSAGE = "lastMessage"
    NOTIFICATION_LEVEL = "notificationLevel"
    BINDINGS = "bindings"


class MessageUpdateReason(StrEnum):
    BODY = "body"
    LAST_UPDATED_BY = "lastUpdatedBy"
    DATE_CREATED = "dateCreated"
    DATE_UPDATED = "dateUpdated"
    ATTRIBUTES = "attributes"
    AUTHOR = "author"
    DELIVERY_RECEIPT = "deliveryReceipt"
    SUBJECT = "subject"
    MEDIA = "media"


class ParticipantUpdateReason(StrEnum):
    ATTRIBUTES = "attributes"
    DATE_CREATED = "dateCreated"
    DATE_UPDATED = "dateUpdated"
    ROLE_SID = "roleSid"
    LAST_READ_MESSAGE_INDEX = "lastReadMessageIndex"
    LAST_READ_TIMESTAMP = "lastReadTimestamp"
    BINDINGS = "bindings"


class UserUpdateReason(StrEnum):
    FRIENDLY_NAME = "friendlyName"
    ATTRIBUTES = "attributes"
    REACHABILITY_ONLINE = "reachabilityOnline"
    REACHABILITY_NOTIFIABLE = "reachabilityNotifiable"


class ParticipantType(StrEnum):
    CHAT = "chat"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class MessageType(StrEnum):
    TEXT = "text"
    MEDIA = "media"


class MediaCategory(StrEnum):
    MEDIA = "media"
    BODY = "body"
    HISTORY = "history"


class NotificationLevel(StrEnum):
    DEFAULT = "default"
    MUTED = "muted"


class GetMessagesDirection(StrEnum):
    BACKWARDS = "backwards"
    FORWARD = "forward"


class LogLevel(StrEnum):
    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"
    SILENT = "silent"


class NotificationsChannelType(StrEnum):
    TWILSOCK = "twilsock"
    APN = "apn"
    FCM = "fcm"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    READ = "read"
    UNDELIVERED = "undelivered"
    QUEUED = "queued"


class DeliveryAmount(StrEnum):
    NONE = "none"
    SOME = "some"
    ALL = "all"


class PushNotificationType(StrEnum):
    NEW_MESSAGE = "twilio.conversations.new_message"
    ADDED_TO_CONVERSATION = "twilio.conversations.added_to_conversation"
    REMOVED_FROM_CONVERSATION = "twilio.conversations.removed_from_conversation"


class EmailRecipientLevel(StrEnum):
    TO = "to"
    FROM = "from"
    CC = "cc"


class ParticipantEmailLevel(StrEnum):
    TO = "to"
    CC = "cc"
