"""One function per (resource, action): read the form, call the core, render Twilio JSON.

Account-level and service-scoped operations share these functions; the ``Call`` carries the
service and the URL prefix to render with.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from twilio_compat.core import errors
from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.messages import MessageFields
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.core.users import UserFields
from twilio_compat.core.webhooks import WebhookFields
from twilio_compat.rest import _render as render

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Handler, Result

Json = dict[str, Any]

IDENTITY_MAX = 256
FRIENDLY_NAME_MAX = 256
CONVERSATION_ATTRIBUTES_MAX = 16 * 1024
MESSAGE_ATTRIBUTES_MAX = 4 * 1024
PARTICIPANT_ATTRIBUTES_MAX = 4 * 1024
USER_ATTRIBUTES_MAX = 16 * 1024
MESSAGE_BODY_MAX = 32 * 1024
CONVERSATION_WITH_PARTICIPANTS_MAX = 10

PAGE_SIZE_MAX = {
    "conversation": 100,
    "conversation.message": 100,
    "conversation.participant": 100,
    "service": 100,
    "conversation.webhook": 5,
}


# -- paging -------------------------------------------------------------------------------


def _token(position: int, *, backwards: bool = False) -> str:
    """An opaque page token: a position, and whether the page ends there (a previous page)."""
    fields: dict[str, int] = {"p": position, "b": 1} if backwards else {"p": position}
    raw = json.dumps(fields).encode("utf-8")
    return "PT" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _read_token(call: Call) -> tuple[int, bool] | None:
    token = call.form.text("PageToken")
    if token is None:
        return None
    try:
        if not token.startswith("PT"):
            raise ValueError(token)
        padded = token[2:] + "=" * (-len(token[2:]) % 4)
        fields = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position, backwards = fields["p"], fields.get("b", 0)
        if not isinstance(position, int) or position < 0 or backwards not in (0, 1):
            raise ValueError(token)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise errors.invalid("Parameter 'PageToken' is not a valid page token") from None
    return position, bool(backwards)


def _position(call: Call) -> int | None:
    """The position of a forward page token (offset lists only make forward tokens)."""
    read = _read_token(call)
    return None if read is None else read[0]


def _page_size(call: Call) -> int:
    resource = call.operation.resource.removeprefix("service.")
    return call.form.page_size(maximum=PAGE_SIZE_MAX.get(resource, 50))


def _list_body(
    call: Call,
    key: str,
    items: list[Any],
    render_one: Callable[[Any], Json],
    *,
    next_position: int | None,
    query: list[tuple[str, str]] | None = None,
    previous_token: str | None = None,
) -> Result:
    from twilio_compat.core.records import Page

    size = _page_size(call)
    page_number = call.form.integer("Page", minimum=0) or 0
    url = f"{render.BASE_URL}{call.request.path.removeprefix('/v1')}"
    body = render.page(
        key=key,
        url=url,
        query=query or [],
        page_number=page_number,
        page_size=size,
        token=call.form.text("PageToken"),
        result=Page(
            items=tuple(items),
            next_token=None if next_position is None else _token(next_position),
            previous_token=previous_token,
        ),
        render=render_one,
    )
    return 200, body


def _offset_list(
    call: Call,
    key: str,
    fetch: Callable[[int, int], tuple[list[Any], bool]],
    render_one: Callable[[Any], Json],
    query: list[tuple[str, str]] | None = None,
) -> Result:
    size = _page_size(call)
    offset = _position(call) or 0
    items, more = fetch(offset, size)
    return _list_body(
        call,
        key,
        items,
        render_one,
        next_position=offset + size if more else None,
        query=query,
        previous_token=_token(max(offset - size, 0)) if offset > 0 else None,
    )


# -- conversations ------------------------------------------------------------------------


def _conversation_fields(call: Call) -> ConversationFields:
    form = call.form
    form.reject(("Bindings.Email.Address", "Bindings.Email.Name"), "Email bindings")
    return ConversationFields(
        friendly_name=form.text("FriendlyName", max_length=FRIENDLY_NAME_MAX),
        unique_name=form.text("UniqueName"),
        attributes=form.json_text(
            "Attributes",
            max_bytes=CONVERSATION_ATTRIBUTES_MAX,
            invalid_code=errors.CONVERSATION_ATTRIBUTES_INVALID,
            too_long_code=errors.CONVERSATION_ATTRIBUTES_TOO_LONG,
        ),
        state=form.text("State"),
        timers_inactive=form.text("Timers.Inactive"),
        timers_closed=form.text("Timers.Closed"),
        messaging_service_sid=form.text("MessagingServiceSid"),
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
    )


def _conversations(core: Core) -> dict[tuple[str, str], Handler]:
    def create(call: Call) -> Result:
        item = core.conversations.create(call.service, _conversation_fields(call))
        return 201, render.conversation(call.scope, item)

    def fetch(call: Call) -> Result:
        return 200, render.conversation(
            call.scope, core.conversations.get(call.service, call.path["sid"])
        )

    def update(call: Call) -> Result:
        item = core.conversations.update(call.service, call.path["sid"], _conversation_fields(call))
        return 200, render.conversation(call.scope, item)

    def delete(call: Call) -> Result:
        core.conversations.delete(call.service, call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        form = call.form
        state = form.choice("State", ("active", "inactive", "closed"))
        start = form.timestamp("StartDate")
        end = form.timestamp("EndDate")
        end_text = form.text("EndDate") or ""
        if end is not None and "T" not in end_text:
            end += timedelta(days=1)  # a bare date includes the whole day, as on Twilio
        query = [(n, v) for n in ("StartDate", "EndDate", "State") for v in form.many(n)]
        return _offset_list(
            call,
            "conversations",
            lambda offset, limit: core.conversations.page(
                call.service,
                state=state,
                start_date=start,
                end_date=end,
                offset=offset,
                limit=limit,
            ),
            lambda item: render.conversation(call.scope, item),
            query,
        )

    def with_participants(call: Call) -> Result:
        fields = _conversation_fields(call)
        requests = call.form.many("Participant")
        if len(requests) > CONVERSATION_WITH_PARTICIPANTS_MAX:
            raise errors.invalid(
                "ConversationWithParticipants accepts at most 10 participants",
                errors.TOO_MANY_PARTICIPANTS,
            )
        identities: list[str] = []
        for text in requests:
            try:
                request = json.loads(text)
            except (ValueError, RecursionError):
                raise errors.invalid("Parameter 'Participant' must be a JSON object") from None
            if not isinstance(request, dict):
                raise errors.invalid("Parameter 'Participant' must be a JSON object")
            if "messaging_binding" in request:
                raise errors.not_supported("Non-chat participants (messaging_binding)")
            identity = request.get("identity")
            if not isinstance(identity, str) or not identity or len(identity) > IDENTITY_MAX:
                raise errors.invalid("Each Participant needs an identity of 1 to 256 characters")
            identities.append(identity)
        item = core.participants.create_conversation_with(call.service, fields, identities)
        return 201, render.conversation(call.scope, item)

    return {
        ("conversation", "create"): create,
        ("conversation", "fetch"): fetch,
        ("conversation", "update"): update,
        ("conversation", "delete"): delete,
        ("conversation", "list"): list_,
        ("conversation_with_participants", "create"): with_participants,
    }


# -- participants -------------------------------------------------------------------------


def _participant_fields(call: Call) -> ParticipantFields:
    form = call.form
    form.reject(
        (
            "MessagingBinding.Address",
            "MessagingBinding.ProxyAddress",
            "MessagingBinding.ProjectedAddress",
        ),
        "Non-chat (SMS/WhatsApp) participants",
    )
    return ParticipantFields(
        identity=form.text("Identity", max_length=IDENTITY_MAX),
        attributes=form.json_text("Attributes", max_bytes=PARTICIPANT_ATTRIBUTES_MAX),
        role_sid=form.text("RoleSid"),
        last_read_message_index=form.integer("LastReadMessageIndex", minimum=0),
        last_read_timestamp=form.timestamp("LastReadTimestamp"),
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
    )


def _participants(core: Core) -> dict[tuple[str, str], Handler]:
    def conversation(call: Call) -> str:
        return call.path["conversation_sid"]

    def create(call: Call) -> Result:
        fields = _participant_fields(call)
        if not fields.identity:
            raise errors.not_supported("Participants without an identity (non-chat)")
        item = core.participants.create(call.service, conversation(call), fields)
        return 201, render.participant(call.scope, item)

    def fetch(call: Call) -> Result:
        item = core.participants.get(call.service, conversation(call), call.path["sid"])
        return 200, render.participant(call.scope, item)

    def update(call: Call) -> Result:
        fields = _participant_fields(call)
        item = core.participants.update(call.service, conversation(call), call.path["sid"], fields)
        return 200, render.participant(call.scope, item)

    def delete(call: Call) -> Result:
        core.participants.delete(call.service, conversation(call), call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        return _offset_list(
            call,
            "participants",
            lambda offset, limit: core.participants.page(
                call.service, conversation(call), offset=offset, limit=limit
            ),
            lambda item: render.participant(call.scope, item),
        )

    return {
        ("conversation.participant", "create"): create,
        ("conversation.participant", "fetch"): fetch,
        ("conversation.participant", "update"): update,
        ("conversation.participant", "delete"): delete,
        ("conversation.participant", "list"): list_,
    }


# -- messages -----------------------------------------------------------------------------


def _message_fields(call: Call, *, creating: bool) -> MessageFields:
    form = call.form
    form.reject(("ContentSid", "ContentVariables"), "Content templates")
    form.reject(("Subject",), "Message subjects (email)")
    body = form.text("Body")
    if body is not None and len(body.encode("utf-8")) > MESSAGE_BODY_MAX:
        raise errors.invalid("Parameter 'Body' is larger than 32KB")
    media = tuple(form.many("MediaSid")) if creating else ()
    return MessageFields(
        author=form.text("Author", max_length=IDENTITY_MAX),
        body=body,
        attributes=form.json_text("Attributes", max_bytes=MESSAGE_ATTRIBUTES_MAX),
        media_sids=media,
        date_created=form.timestamp("DateCreated"),
        date_updated=form.timestamp("DateUpdated"),
    )


def _messages(core: Core) -> dict[tuple[str, str], Handler]:
    def conversation(call: Call) -> str:
        return call.path["conversation_sid"]

    def create(call: Call) -> Result:
        fields = _message_fields(call, creating=True)
        item = core.messages.create(call.service, conversation(call), fields)
        return 201, render.message(call.scope, item)

    def fetch(call: Call) -> Result:
        item = core.messages.get(call.service, conversation(call), call.path["sid"])
        return 200, render.message(call.scope, item)

    def update(call: Call) -> Result:
        fields = _message_fields(call, creating=False)
        item = core.messages.update(call.service, conversation(call), call.path["sid"], fields)
        return 200, render.message(call.scope, item)

    def delete(call: Call) -> Result:
        core.messages.delete(call.service, conversation(call), call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        order = call.form.choice("Order", ("asc", "desc"), fold_case=True) or "asc"
        size = _page_size(call)
        position, backwards = _read_token(call) or (None, False)
        items, more = core.messages.page(
            call.service,
            conversation(call),
            newest_first=order == "desc",
            after_index=None if backwards else position,
            before_index=position if backwards else None,
            limit=size,
        )
        # Pages are keyed by message index: a previous page ends before this page's first.
        if backwards:
            next_position = items[-1].index if items else None
            earlier = more
        else:
            next_position = items[-1].index if more and items else None
            earlier = position is not None
        first = items[0].index if items else None
        return _list_body(
            call,
            "messages",
            items,
            lambda item: render.message(call.scope, item),
            next_position=next_position,
            query=[("Order", order)] if call.form.has("Order") else [],
            previous_token=(
                _token(first, backwards=True) if earlier and first is not None else None
            ),
        )

    def receipts(call: Call) -> Result:
        core.messages.get(call.service, conversation(call), call.path["message_sid"])
        return _list_body(call, "delivery_receipts", [], lambda item: item, next_position=None)

    def receipt(call: Call) -> Result:
        core.messages.get(call.service, conversation(call), call.path["message_sid"])
        raise errors.ResourceNotFound(call.path["sid"])

    return {
        ("conversation.message", "create"): create,
        ("conversation.message", "fetch"): fetch,
        ("conversation.message", "update"): update,
        ("conversation.message", "delete"): delete,
        ("conversation.message", "list"): list_,
        ("conversation.message.delivery_receipt", "list"): receipts,
        ("conversation.message.delivery_receipt", "fetch"): receipt,
    }


# -- conversation-scoped webhooks -----------------------------------------------------------


def _webhook_fields(call: Call) -> WebhookFields:
    form = call.form
    return WebhookFields(
        target=form.text("Target"),
        url=form.text("Configuration.Url"),
        method=form.text("Configuration.Method"),
        filters=tuple(form.many("Configuration.Filters"))
        if form.has("Configuration.Filters")
        else None,
        triggers=(
            tuple(form.many("Configuration.Triggers"))
            if form.has("Configuration.Triggers")
            else None
        ),
        replay_after=form.integer("Configuration.ReplayAfter", minimum=0),
        flow_sid=form.text("Configuration.FlowSid"),
    )


def _webhooks(core: Core) -> dict[tuple[str, str], Handler]:
    def conversation(call: Call) -> str:
        return call.path["conversation_sid"]

    def create(call: Call) -> Result:
        item = core.webhooks.create(call.service, conversation(call), _webhook_fields(call))
        return 201, render.webhook(call.scope, item)

    def fetch(call: Call) -> Result:
        item = core.webhooks.get(call.service, conversation(call), call.path["sid"])
        return 200, render.webhook(call.scope, item)

    def update(call: Call) -> Result:
        fields = _webhook_fields(call)
        item = core.webhooks.update(call.service, conversation(call), call.path["sid"], fields)
        return 200, render.webhook(call.scope, item)

    def delete(call: Call) -> Result:
        core.webhooks.delete(call.service, conversation(call), call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        return _offset_list(
            call,
            "webhooks",
            lambda offset, limit: core.webhooks.page(
                call.service, conversation(call), offset=offset, limit=limit
            ),
            lambda item: render.webhook(call.scope, item),
        )

    return {
        ("conversation.webhook", "create"): create,
        ("conversation.webhook", "fetch"): fetch,
        ("conversation.webhook", "update"): update,
        ("conversation.webhook", "delete"): delete,
        ("conversation.webhook", "list"): list_,
    }


# -- users, user conversations, participant conversations ----------------------------------


def _user_fields(call: Call) -> UserFields:
    form = call.form
    return UserFields(
        identity=form.text("Identity", max_length=IDENTITY_MAX),
        friendly_name=form.text("FriendlyName", max_length=FRIENDLY_NAME_MAX),
        attributes=form.json_text("Attributes", max_bytes=USER_ATTRIBUTES_MAX),
        role_sid=form.text("RoleSid"),
    )


def _users(core: Core) -> dict[tuple[str, str], Handler]:
    def create(call: Call) -> Result:
        return 201, render.user(call.scope, core.users.create(call.service, _user_fields(call)))

    def fetch(call: Call) -> Result:
        return 200, render.user(call.scope, core.users.get(call.service, call.path["sid"]))

    def update(call: Call) -> Result:
        item = core.users.update(call.service, call.path["sid"], _user_fields(call))
        return 200, render.user(call.scope, item)

    def delete(call: Call) -> Result:
        core.users.delete(call.service, call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        return _offset_list(
            call,
            "users",
            lambda offset, limit: core.users.page(call.service, offset=offset, limit=limit),
            lambda item: render.user(call.scope, item),
        )

    def conversations(call: Call) -> Result:
        return _offset_list(
            call,
            "conversations",
            lambda offset, limit: core.users.user_conversations(
                call.service, call.path["user_sid"], offset=offset, limit=limit
            ),
            lambda item: render.user_conversation(call.scope, item),
        )

    def conversation(call: Call) -> Result:
        item = core.users.user_conversation(
            call.service, call.path["user_sid"], call.path["conversation_sid"]
        )
        return 200, render.user_conversation(call.scope, item)

    def update_conversation(call: Call) -> Result:
        form = call.form
        item = core.users.update_user_conversation(
            call.service,
            call.path["user_sid"],
            call.path["conversation_sid"],
            notification_level=form.choice("NotificationLevel", ("default", "muted")),
            read=ParticipantFields(
                last_read_message_index=form.integer("LastReadMessageIndex", minimum=0),
                last_read_timestamp=form.timestamp("LastReadTimestamp"),
            ),
        )
        return 200, render.user_conversation(call.scope, item)

    def leave(call: Call) -> Result:
        core.users.leave(call.service, call.path["user_sid"], call.path["conversation_sid"])
        return 204, None

    def participant_conversations(call: Call) -> Result:
        form = call.form
        form.reject(("Address",), "Looking up participants by SMS/WhatsApp address")
        identity = form.required("Identity", max_length=IDENTITY_MAX)
        return _offset_list(
            call,
            "conversations",
            lambda offset, limit: core.users.conversations_of(
                call.service, identity, offset=offset, limit=limit
            ),
            lambda item: render.participant_conversation(call.scope, item),
            [("Identity", identity)],
        )

    return {
        ("user", "create"): create,
        ("user", "fetch"): fetch,
        ("user", "update"): update,
        ("user", "delete"): delete,
        ("user", "list"): list_,
        ("user.user_conversation", "list"): conversations,
        ("user.user_conversation", "fetch"): conversation,
        ("user.user_conversation", "update"): update_conversation,
        ("user.user_conversation", "delete"): leave,
        ("participant_conversation", "list"): participant_conversations,
    }


# -- roles, services, configuration -------------------------------------------------------


def _roles(core: Core) -> dict[tuple[str, str], Handler]:
    def create(call: Call) -> Result:
        form = call.form
        item = core.roles.create(
            call.service,
            form.required("FriendlyName", max_length=FRIENDLY_NAME_MAX),
            form.required("Type"),
            form.many("Permission"),
        )
        return 201, render.role(call.scope, item)

    def fetch(call: Call) -> Result:
        return 200, render.role(call.scope, core.roles.get(call.service, call.path["sid"]))

    def update(call: Call) -> Result:
        item = core.roles.update(call.service, call.path["sid"], call.form.many("Permission"))
        return 200, render.role(call.scope, item)

    def delete(call: Call) -> Result:
        core.roles.delete(call.service, call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        return _offset_list(
            call,
            "roles",
            lambda offset, limit: core.roles.page(call.service, offset=offset, limit=limit),
            lambda item: render.role(call.scope, item),
        )

    return {
        ("role", "create"): create,
        ("role", "fetch"): fetch,
        ("role", "update"): update,
        ("role", "delete"): delete,
        ("role", "list"): list_,
    }


def _services(core: Core) -> dict[tuple[str, str], Handler]:
    def create(call: Call) -> Result:
        name = call.form.required("FriendlyName", max_length=FRIENDLY_NAME_MAX)
        return 201, render.service(call.scope, core.services.create(name))

    def fetch(call: Call) -> Result:
        return 200, render.service(call.scope, core.services.get(call.path["sid"]))

    def delete(call: Call) -> Result:
        core.services.delete(call.path["sid"])
        return 204, None

    def list_(call: Call) -> Result:
        def fetch_page(offset: int, limit: int) -> tuple[list[Any], bool]:
            everything = core.services.list()
            return everything[offset : offset + limit], len(everything) > offset + limit

        return _offset_list(
            call, "services", fetch_page, lambda item: render.service(call.scope, item)
        )

    return {
        ("service", "create"): create,
        ("service", "fetch"): fetch,
        ("service", "delete"): delete,
        ("service", "list"): list_,
    }


def _configuration(core: Core) -> dict[tuple[str, str], Handler]:
    base = render.BASE_URL

    def account_body(call: Call, document: Json) -> Json:
        return {
            "account_sid": call.scope.account_sid,
            **document,
            "url": f"{base}/Configuration",
            "links": {
                "service": f"{base}/Services/{document['default_chat_service_sid']}/Configuration",
                "webhooks": f"{base}/Configuration/Webhooks",
            },
        }

    def account_fetch(call: Call) -> Result:
        return 200, account_body(call, core.configuration.account())

    def account_update(call: Call) -> Result:
        form = call.form
        changes: Json = {}
        service_sid = form.text("DefaultChatServiceSid")
        if service_sid is not None:
            core.services.get(service_sid)
            changes["default_chat_service_sid"] = service_sid
        for wire, name in (
            ("DefaultMessagingServiceSid", "default_messaging_service_sid"),
            ("DefaultInactiveTimer", "default_inactive_timer"),
            ("DefaultClosedTimer", "default_closed_timer"),
        ):
            value = form.text(wire)
            if value is not None:
                changes[name] = value
        return 200, account_body(call, core.configuration.update_account(changes))

    def webhook_changes(call: Call) -> Json:
        form = call.form
        changes: Json = {}
        for wire, name in (
            ("PreWebhookUrl", "pre_webhook_url"),
            ("PostWebhookUrl", "post_webhook_url"),
            ("Method", "method"),
            ("Target", "target"),
        ):
            value = form.text(wire)
            if value is not None:
                changes[name] = value.upper() if name == "method" else value
        if form.has("Filters"):
            changes["filters"] = form.many("Filters")
        return changes

    def account_webhooks_body(call: Call, document: Json) -> Json:
        return {
            "account_sid": call.scope.account_sid,
            **document,
            "url": f"{base}/Configuration/Webhooks",
        }

    def account_webhooks_fetch(call: Call) -> Result:
        return 200, account_webhooks_body(call, core.configuration.account_webhooks())

    def account_webhooks_update(call: Call) -> Result:
        document = core.configuration.update_account_webhooks(webhook_changes(call))
        return 200, account_webhooks_body(call, document)

    def service_body(call: Call, document: Json) -> Json:
        url = f"{base}/Services/{call.service}/Configuration"
        return {
            "chat_service_sid": call.service,
            **document,
            "url": url,
            "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
        }

    def service_fetch(call: Call) -> Result:
        return 200, service_body(call, core.configuration.service(call.service))

    def service_update(call: Call) -> Result:
        form = call.form
        changes: Json = {}
        for wire, name in (
            ("DefaultConversationCreatorRoleSid", "default_conversation_creator_role_sid"),
            ("DefaultConversationRoleSid", "default_conversation_role_sid"),
            ("DefaultChatServiceRoleSid", "default_chat_service_role_sid"),
        ):
            value = form.text(wire)
            if value is not None:
                changes[name] = value
        reachability = form.boolean("ReachabilityEnabled")
        if reachability is not None:
            changes["reachability_enabled"] = reachability
        document = core.configuration.update_service(call.service, changes)
        return 200, service_body(call, document)

    def service_webhooks_body(call: Call, document: Json) -> Json:
        return {
            "account_sid": call.scope.account_sid,
            "chat_service_sid": call.service,
            **document,
            "url": f"{base}/Services/{call.service}/Configuration/Webhooks",
        }

    def service_webhooks_fetch(call: Call) -> Result:
        return 200, service_webhooks_body(call, core.configuration.service_webhooks(call.service))

    def service_webhooks_update(call: Call) -> Result:
        changes = webhook_changes(call)
        document = core.configuration.update_service_webhooks(call.service, changes)
        return 200, service_webhooks_body(call, document)

    return {
        ("configuration", "fetch"): account_fetch,
        ("configuration", "update"): account_update,
        ("configuration.webhook", "fetch"): account_webhooks_fetch,
        ("configuration.webhook", "update"): account_webhooks_update,
        ("service.configuration", "fetch"): service_fetch,
        ("service.configuration", "update"): service_update,
        ("service.configuration.webhook", "fetch"): service_webhooks_fetch,
        ("service.configuration.webhook", "update"): service_webhooks_update,
    }


def handlers(core: Core) -> dict[tuple[str, str], Handler]:
    """Every supported (resource, action).

    Service-scoped twins of account-level resources (``service.conversation`` and so on) are
    looked up without their ``service.`` prefix; only service configuration has its own.
    """
    table: dict[tuple[str, str], Handler] = {}
    parts = (
        _conversations,
        _participants,
        _messages,
        _webhooks,
        _users,
        _roles,
        _services,
        _configuration,
    )
    for part in parts:
        table.update(part(core))
    return table
