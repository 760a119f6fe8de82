"""The 103 HTTP operations of Twilio Conversations v1 and what the shim does with each.

This table is the REST face's contract: the router matches requests against it, form
validation refuses any parameter it does not list, and a parity table is generated from it.
Every row is exercised by a test under ``tests/rest``. Wire names and paths are the ones
twilio-python 9.13.0 sends (relative to ``https://conversations.twilio.com/v1``).

Most account-level resources have a service-scoped twin under ``/Services/{chat_service_sid}``
that takes the same parameters and works the same way; those twins are derived from the
account-level rows by ``service_scoped`` rather than written out a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Support(str, Enum):
    """How faithfully an operation runs on ACS."""

    WORKS = "works"
    DIFFERENT = "works with a difference"
    UNSUPPORTED = "not supported"


@dataclass(frozen=True)
class Operation:
    """One Twilio operation: ``resource`` uses twilio-python's module path, ``action`` its verb."""

    resource: str
    action: str
    method: str
    path: str
    params: tuple[str, ...]
    support: Support
    note: str = ""

    @property
    def success_status(self) -> int:
        """Twilio answers 201 to creates, 204 to deletes and 200 to everything else."""
        return {"create": 201, "delete": 204}.get(self.action, 200)


W, D, U = Support.WORKS, Support.DIFFERENT, Support.UNSUPPORTED

# Notes of refused rows read "feature: reason"; the refusal is built from them (`not_supported`).
_PUSH = "ACS Chat has no push registration (ACS push goes through Azure Notification Hubs)"
_ADDRESSES = (
    "stored as on Twilio for the shim's own SMS numbers and WhatsApp senders (Type sms or "
    "whatsapp; other types are refused: ACS has no such channel); Studio auto-creation is "
    "refused (Azure has no Studio)"
)
_CREDENTIALS = f"Push credential storage: {_PUSH}"
_BINDINGS = f"Push binding registration: {_PUSH}"
_NOTIFICATIONS = f"Push notification configuration: {_PUSH}"
_GROUP_MMS_NOTE = (
    "SMS/WhatsApp participants (MessagingBinding.Address + ProxyAddress) are kept by the shim "
    "and bridged to ACS SMS / Advanced Messaging; the proxy address must be one of the shim's "
    "numbers (TWILIO_COMPAT_NUMBERS); MessagingBinding.ProjectedAddress (group MMS) is "
    "refused: ACS SMS has no MMS"
)

# Account-level rows, and the service-level rows that have no account-level twin.
_WRITTEN: tuple[Operation, ...] = (
    Operation(
        "address_configuration",
        "create",
        "POST",
        "/Configuration/Addresses",
        (
            "Type",
            "Address",
            "FriendlyName",
            "AutoCreation.Enabled",
            "AutoCreation.Type",
            "AutoCreation.ConversationServiceSid",
            "AutoCreation.WebhookUrl",
            "AutoCreation.WebhookMethod",
            "AutoCreation.WebhookFilters",
            "AutoCreation.StudioFlowSid",
            "AutoCreation.StudioRetryCount",
            "AddressCountry",
        ),
        D,
        _ADDRESSES,
    ),
    Operation(
        "address_configuration",
        "list",
        "GET",
        "/Configuration/Addresses",
        ("Type",),
        D,
        _ADDRESSES,
    ),
    Operation(
        "address_configuration",
        "update",
        "POST",
        "/Configuration/Addresses/{sid}",
        (
            "FriendlyName",
            "AutoCreation.Enabled",
            "AutoCreation.Type",
            "AutoCreation.ConversationServiceSid",
            "AutoCreation.WebhookUrl",
            "AutoCreation.WebhookMethod",
            "AutoCreation.WebhookFilters",
            "AutoCreation.StudioFlowSid",
            "AutoCreation.StudioRetryCount",
        ),
        D,
        _ADDRESSES,
    ),
    Operation(
        "address_configuration",
        "fetch",
        "GET",
        "/Configuration/Addresses/{sid}",
        (),
        D,
        _ADDRESSES,
    ),
    Operation(
        "address_configuration",
        "delete",
        "DELETE",
        "/Configuration/Addresses/{sid}",
        (),
        D,
        _ADDRESSES,
    ),
    Operation(
        "configuration",
        "update",
        "POST",
        "/Configuration",
        (
            "DefaultChatServiceSid",
            "DefaultMessagingServiceSid",
            "DefaultInactiveTimer",
            "DefaultClosedTimer",
        ),
        D,
        "stored; DefaultMessagingServiceSid and default timers are kept but unused",
    ),
    Operation("configuration", "fetch", "GET", "/Configuration", (), W),
    Operation(
        "configuration.webhook",
        "update",
        "POST",
        "/Configuration/Webhooks",
        ("Method", "Filters", "PreWebhookUrl", "PostWebhookUrl", "Target"),
        D,
        "stored; webhook posts are made by the shim's webhook sender",
    ),
    Operation("configuration.webhook", "fetch", "GET", "/Configuration/Webhooks", (), W),
    Operation(
        "conversation",
        "create",
        "POST",
        "/Conversations",
        (
            "FriendlyName",
            "UniqueName",
            "DateCreated",
            "DateUpdated",
            "MessagingServiceSid",
            "Attributes",
            "State",
            "Timers.Inactive",
            "Timers.Closed",
            "Bindings.Email.Address",
            "Bindings.Email.Name",
        ),
        D,
        "Bindings.Email.* are refused: ACS Chat has no email channel",
    ),
    Operation(
        "conversation", "list", "GET", "/Conversations", ("StartDate", "EndDate", "State"), W
    ),
    Operation(
        "conversation",
        "update",
        "POST",
        "/Conversations/{sid}",
        (
            "FriendlyName",
            "DateCreated",
            "DateUpdated",
            "Attributes",
            "MessagingServiceSid",
            "State",
            "Timers.Inactive",
            "Timers.Closed",
            "UniqueName",
            "Bindings.Email.Address",
            "Bindings.Email.Name",
        ),
        D,
        "Bindings.Email.* are refused: ACS Chat has no email channel",
    ),
    Operation("conversation", "fetch", "GET", "/Conversations/{sid}", (), W),
    Operation("conversation", "delete", "DELETE", "/Conversations/{sid}", (), W),
    Operation(
        "conversation.message",
        "create",
        "POST",
        "/Conversations/{conversation_sid}/Messages",
        (
            "Author",
            "Body",
            "DateCreated",
            "DateUpdated",
            "Attributes",
            "MediaSid",
            "ContentSid",
            "ContentVariables",
            "Subject",
        ),
        D,
        "Subject is refused (no ACS e-mail); a ContentSid must be registered with the approved "
        "WhatsApp template behind it (`twilio-acs content add`)",
    ),
    Operation(
        "conversation.message",
        "list",
        "GET",
        "/Conversations/{conversation_sid}/Messages",
        ("Order",),
        W,
    ),
    Operation(
        "conversation.message",
        "update",
        "POST",
        "/Conversations/{conversation_sid}/Messages/{sid}",
        ("Author", "Body", "DateCreated", "DateUpdated", "Attributes", "Subject"),
        D,
        "Subject is refused: no ACS equivalent",
    ),
    Operation(
        "conversation.message",
        "fetch",
        "GET",
        "/Conversations/{conversation_sid}/Messages/{sid}",
        (),
        W,
    ),
    Operation(
        "conversation.message",
        "delete",
        "DELETE",
        "/Conversations/{conversation_sid}/Messages/{sid}",
        (),
        W,
    ),
    Operation(
        "conversation.message.delivery_receipt",
        "list",
        "GET",
        "/Conversations/{conversation_sid}/Messages/{message_sid}/Receipts",
        (),
        D,
        "one receipt per SMS/WhatsApp participant, from ACS delivery reports: ACS SMS reports "
        "no `read`, and `sent` is when ACS accepted the text",
    ),
    Operation(
        "conversation.message.delivery_receipt",
        "fetch",
        "GET",
        "/Conversations/{conversation_sid}/Messages/{message_sid}/Receipts/{sid}",
        (),
        D,
        "one receipt per SMS/WhatsApp participant, from ACS delivery reports: ACS SMS reports "
        "no `read`, and `sent` is when ACS accepted the text",
    ),
    Operation(
        "conversation.participant",
        "create",
        "POST",
        "/Conversations/{conversation_sid}/Participants",
        (
            "Identity",
            "MessagingBinding.Address",
            "MessagingBinding.ProxyAddress",
            "DateCreated",
            "DateUpdated",
            "Attributes",
            "MessagingBinding.ProjectedAddress",
            "RoleSid",
        ),
        D,
        _GROUP_MMS_NOTE,
    ),
    Operation(
        "conversation.participant",
        "list",
        "GET",
        "/Conversations/{conversation_sid}/Participants",
        (),
        W,
    ),
    Operation(
        "conversation.participant",
        "update",
        "POST",
        "/Conversations/{conversation_sid}/Participants/{sid}",
        (
            "DateCreated",
            "DateUpdated",
            "Attributes",
            "RoleSid",
            "MessagingBinding.ProxyAddress",
            "MessagingBinding.ProjectedAddress",
            "Identity",
            "LastReadMessageIndex",
            "LastReadTimestamp",
        ),
        D,
        _GROUP_MMS_NOTE,
    ),
    Operation(
        "conversation.participant",
        "fetch",
        "GET",
        "/Conversations/{conversation_sid}/Participants/{sid}",
        (),
        W,
    ),
    Operation(
        "conversation.participant",
        "delete",
        "DELETE",
        "/Conversations/{conversation_sid}/Participants/{sid}",
        (),
        W,
    ),
    Operation(
        "conversation.webhook",
        "create",
        "POST",
        "/Conversations/{conversation_sid}/Webhooks",
        (
            "Target",
            "Configuration.Url",
            "Configuration.Method",
            "Configuration.Filters",
            "Configuration.Triggers",
            "Configuration.FlowSid",
            "Configuration.ReplayAfter",
        ),
        D,
        "stored and listed as on Twilio; Studio targets (FlowSid) are refused",
    ),
    Operation(
        "conversation.webhook",
        "list",
        "GET",
        "/Conversations/{conversation_sid}/Webhooks",
        (),
        D,
        "stored and listed as on Twilio; Studio targets (FlowSid) are refused",
    ),
    Operation(
        "conversation.webhook",
        "update",
        "POST",
        "/Conversations/{conversation_sid}/Webhooks/{sid}",
        (
            "Configuration.Url",
            "Configuration.Method",
            "Configuration.Filters",
            "Configuration.Triggers",
            "Configuration.FlowSid",
        ),
        D,
        "stored and listed as on Twilio; Studio targets (FlowSid) are refused",
    ),
    Operation(
        "conversation.webhook",
        "fetch",
        "GET",
        "/Conversations/{conversation_sid}/Webhooks/{sid}",
        (),
        D,
        "stored and listed as on Twilio; Studio targets (FlowSid) are refused",
    ),
    Operation(
        "conversation.webhook",
        "delete",
        "DELETE",
        "/Conversations/{conversation_sid}/Webhooks/{sid}",
        (),
        D,
        "stored and listed as on Twilio; Studio targets (FlowSid) are refused",
    ),
    Operation(
        "conversation_with_participants",
        "create",
        "POST",
        "/ConversationWithParticipants",
        (
            "FriendlyName",
            "UniqueName",
            "DateCreated",
            "DateUpdated",
            "MessagingServiceSid",
            "Attributes",
            "State",
            "Timers.Inactive",
            "Timers.Closed",
            "Bindings.Email.Address",
            "Bindings.Email.Name",
            "Participant",
        ),
        D,
        "Bindings.Email.* are refused: ACS Chat has no email channel",
    ),
    Operation(
        "credential",
        "create",
        "POST",
        "/Credentials",
        ("Type", "FriendlyName", "Certificate", "PrivateKey", "Sandbox", "ApiKey", "Secret"),
        U,
        _CREDENTIALS,
    ),
    Operation(
        "credential",
        "list",
        "GET",
        "/Credentials",
        (),
        U,
        _CREDENTIALS,
    ),
    Operation(
        "credential",
        "update",
        "POST",
        "/Credentials/{sid}",
        ("Type", "FriendlyName", "Certificate", "PrivateKey", "Sandbox", "ApiKey", "Secret"),
        U,
        _CREDENTIALS,
    ),
    Operation(
        "credential",
        "fetch",
        "GET",
        "/Credentials/{sid}",
        (),
        U,
        _CREDENTIALS,
    ),
    Operation(
        "credential",
        "delete",
        "DELETE",
        "/Credentials/{sid}",
        (),
        U,
        _CREDENTIALS,
    ),
    Operation(
        "participant_conversation",
        "list",
        "GET",
        "/ParticipantConversations",
        ("Identity", "Address"),
        W,
    ),
    Operation(
        "role",
        "create",
        "POST",
        "/Roles",
        ("FriendlyName", "Type", "Permission"),
        D,
        "stored; ACS Chat does not enforce role permissions",
    ),
    Operation(
        "role", "list", "GET", "/Roles", (), D, "stored; ACS Chat does not enforce role permissions"
    ),
    Operation(
        "role",
        "update",
        "POST",
        "/Roles/{sid}",
        ("Permission",),
        D,
        "stored; ACS Chat does not enforce role permissions",
    ),
    Operation(
        "role",
        "fetch",
        "GET",
        "/Roles/{sid}",
        (),
        D,
        "stored; ACS Chat does not enforce role permissions",
    ),
    Operation(
        "role",
        "delete",
        "DELETE",
        "/Roles/{sid}",
        (),
        D,
        "stored; ACS Chat does not enforce role permissions",
    ),
    Operation(
        "service",
        "create",
        "POST",
        "/Services",
        ("FriendlyName",),
        D,
        "a service is a scope kept by the shim over the one ACS resource",
    ),
    Operation(
        "service",
        "list",
        "GET",
        "/Services",
        (),
        D,
        "a service is a scope kept by the shim over the one ACS resource",
    ),
    Operation(
        "service",
        "fetch",
        "GET",
        "/Services/{sid}",
        (),
        D,
        "a service is a scope kept by the shim over the one ACS resource",
    ),
    Operation(
        "service",
        "delete",
        "DELETE",
        "/Services/{sid}",
        (),
        D,
        "a service is a scope kept by the shim over the one ACS resource",
    ),
    Operation(
        "service.binding",
        "list",
        "GET",
        "/Services/{chat_service_sid}/Bindings",
        ("BindingType", "Identity"),
        U,
        _BINDINGS,
    ),
    Operation(
        "service.binding",
        "fetch",
        "GET",
        "/Services/{chat_service_sid}/Bindings/{sid}",
        (),
        U,
        _BINDINGS,
    ),
    Operation(
        "service.binding",
        "delete",
        "DELETE",
        "/Services/{chat_service_sid}/Bindings/{sid}",
        (),
        U,
        _BINDINGS,
    ),
    Operation(
        "service.configuration",
        "update",
        "POST",
        "/Services/{chat_service_sid}/Configuration",
        (
            "DefaultConversationCreatorRoleSid",
            "DefaultConversationRoleSid",
            "DefaultChatServiceRoleSid",
            "ReachabilityEnabled",
        ),
        D,
        "stored; ReachabilityEnabled=true is refused (no presence on ACS)",
    ),
    Operation(
        "service.configuration", "fetch", "GET", "/Services/{chat_service_sid}/Configuration", (), W
    ),
    Operation(
        "service.configuration.notification",
        "update",
        "POST",
        "/Services/{chat_service_sid}/Configuration/Notifications",
        (
            "LogEnabled",
            "NewMessage.Enabled",
            "NewMessage.Template",
            "NewMessage.Sound",
            "NewMessage.BadgeCountEnabled",
            "AddedToConversation.Enabled",
            "AddedToConversation.Template",
            "AddedToConversation.Sound",
            "RemovedFromConversation.Enabled",
            "RemovedFromConversation.Template",
            "RemovedFromConversation.Sound",
            "NewMessage.WithMedia.Enabled",
            "NewMessage.WithMedia.Template",
        ),
        U,
        _NOTIFICATIONS,
    ),
    Operation(
        "service.configuration.notification",
        "fetch",
        "GET",
        "/Services/{chat_service_sid}/Configuration/Notifications",
        (),
        U,
        _NOTIFICATIONS,
    ),
    Operation(
        "service.configuration.webhook",
        "update",
        "POST",
        "/Services/{chat_service_sid}/Configuration/Webhooks",
        ("PreWebhookUrl", "PostWebhookUrl", "Filters", "Method"),
        D,
        "stored; webhook posts are made by the shim's webhook sender",
    ),
    Operation(
        "service.configuration.webhook",
        "fetch",
        "GET",
        "/Services/{chat_service_sid}/Configuration/Webhooks",
        (),
        W,
    ),
    Operation(
        "user",
        "create",
        "POST",
        "/Users",
        ("Identity", "FriendlyName", "Attributes", "RoleSid"),
        D,
        "is_online and is_notifiable are null: ACS Chat has no presence or push",
    ),
    Operation(
        "user",
        "list",
        "GET",
        "/Users",
        (),
        D,
        "is_online and is_notifiable are null: ACS Chat has no presence or push",
    ),
    Operation(
        "user",
        "update",
        "POST",
        "/Users/{sid}",
        ("FriendlyName", "Attributes", "RoleSid"),
        D,
        "is_online and is_notifiable are null: ACS Chat has no presence or push",
    ),
    Operation(
        "user",
        "fetch",
        "GET",
        "/Users/{sid}",
        (),
        D,
        "is_online and is_notifiable are null: ACS Chat has no presence or push",
    ),
    Operation("user", "delete", "DELETE", "/Users/{sid}", (), W),
    Operation("user.user_conversation", "list", "GET", "/Users/{user_sid}/Conversations", (), W),
    Operation(
        "user.user_conversation",
        "update",
        "POST",
        "/Users/{user_sid}/Conversations/{conversation_sid}",
        ("NotificationLevel", "LastReadTimestamp", "LastReadMessageIndex"),
        W,
    ),
    Operation(
        "user.user_conversation",
        "fetch",
        "GET",
        "/Users/{user_sid}/Conversations/{conversation_sid}",
        (),
        W,
    ),
    Operation(
        "user.user_conversation",
        "delete",
        "DELETE",
        "/Users/{user_sid}/Conversations/{conversation_sid}",
        (),
        W,
    ),
)


SERVICE_PREFIX = "/Services/{chat_service_sid}"

# Account-level resources that also answer under ``SERVICE_PREFIX``, as ``service.<resource>``.
SERVICE_TWINS = frozenset(
    {
        "conversation",
        "conversation.message",
        "conversation.message.delivery_receipt",
        "conversation.participant",
        "conversation.webhook",
        "conversation_with_participants",
        "participant_conversation",
        "role",
        "user",
        "user.user_conversation",
    }
)

# The only twins whose parameters twilio-python lists in another order than the account row.
_TWIN_PARAMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("service.conversation", "create"): (
        "FriendlyName",
        "UniqueName",
        "Attributes",
        "MessagingServiceSid",
        "DateCreated",
        "DateUpdated",
        "State",
        "Timers.Inactive",
        "Timers.Closed",
        "Bindings.Email.Address",
        "Bindings.Email.Name",
    ),
    ("service.conversation.participant", "update"): (
        "DateCreated",
        "DateUpdated",
        "Identity",
        "Attributes",
        "RoleSid",
        "MessagingBinding.ProxyAddress",
        "MessagingBinding.ProjectedAddress",
        "LastReadMessageIndex",
        "LastReadTimestamp",
    ),
}


def service_scoped(operation: Operation) -> Operation:
    """The ``/Services/{chat_service_sid}`` twin of an account-level operation."""
    resource = f"service.{operation.resource}"
    return replace(
        operation,
        resource=resource,
        path=SERVICE_PREFIX + operation.path,
        params=_TWIN_PARAMS.get((resource, operation.action), operation.params),
    )


# Ordered by resource (stable, so each resource keeps its create, list, update, fetch, delete).
OPERATIONS: tuple[Operation, ...] = tuple(
    sorted(
        (*_WRITTEN, *(service_scoped(op) for op in _WRITTEN if op.resource in SERVICE_TWINS)),
        key=lambda op: op.resource,
    )
)


def operations_for(resource: str) -> tuple[Operation, ...]:
    """The operations of one resource, in table order."""
    return tuple(op for op in OPERATIONS if op.resource == resource)
