"""Roles (``RL...``): kept in the store; ACS Chat has no roles, so they are not enforced.

Every service starts with Twilio's four built-in roles, which get stable SIDs so that every
process sharing a store agrees on them. Permissions are checked against Twilio's permission
values (twilio.com/docs/conversations/api/role-resource#permission-values): a conversation
role takes conversation permissions only; a service role takes those and the service ones.
"""

from __future__ import annotations

import contextlib
import json

from acs_adapter.errors import Conflict
from acs_adapter.store.roles import Role as StoredRole
from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.stamps import dumps
from twilio_compat.sids import is_sid, new_sid, stable_sid

ROLE_TYPES = ("conversation", "service")

CONVERSATION_PERMISSIONS = frozenset(
    {
        "addNonChatParticipant",
        "addParticipant",
        "deleteAnyMessage",
        "deleteOwnMessage",
        "editAnyMessage",
        "editAnyMessageAttributes",
        "editAnyParticipantAttributes",
        "editConversationAttributes",
        "editConversationName",
        "editNotificationLevel",
        "editOwnMessage",
        "editOwnMessageAttributes",
        "editOwnParticipantAttributes",
        "leaveConversation",
        "removeParticipant",
        "sendMediaMessage",
        "sendMessage",
    }
)
SERVICE_ONLY_PERMISSIONS = frozenset(
    {
        "createConversation",
        "deleteConversation",  # granted by Twilio Flex's built-in service roles
        "destroyConversation",
        "editAnyUserInfo",
        "editOwnUserInfo",
        "joinConversation",
    }
)

_CONVERSATION_USER = (
    "sendMessage",
    "sendMediaMessage",
    "leaveConversation",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "deleteOwnMessage",
    "editOwnParticipantAttributes",
)
DEFAULT_ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("channel user", "conversation", _CONVERSATION_USER),
    (
        "channel admin",
        "conversation",
        (
            *_CONVERSATION_USER,
            "addParticipant",
            "removeParticipant",
            "editAnyMessage",
            "editAnyMessageAttributes",
            "deleteAnyMessage",
            "editAnyParticipantAttributes",
            "editConversationName",
            "editConversationAttributes",
        ),
    ),
    ("service user", "service", ("createConversation", "joinConversation", "editOwnUserInfo")),
    (
        "service admin",
        "service",
        (
            "createConversation",
            "joinConversation",
            "editOwnUserInfo",
            "editAnyUserInfo",
            "destroyConversation",
        ),
    ),
)


def to_record(row: StoredRole) -> records.Role:
    return records.Role(
        sid=row.sid,
        service_sid=row.scope,
        friendly_name=row.friendly_name,
        type=row.type,
        permissions=tuple(json.loads(row.permissions)),
        date_created=row.created_at,
        date_updated=row.updated_at,
    )


class Roles:
    """Create, read, update and delete roles; seeds the built-in roles of a service."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def check_kind(self, service_sid: str, sid: str, kind: str) -> None:
        """Refuse ``sid`` as a ``kind`` role (a participant's or user's ``RoleSid``, a service
        configuration's default role) unless it is a role of this service of that type."""
        self._seed(service_sid)
        row = self._context.store.roles.get(sid) if is_sid(sid, "RL") else None
        if row is None or row.scope != service_sid:
            code = (
                errors.CONVERSATION_ROLE_NOT_FOUND
                if kind == "conversation"
                else errors.ROLE_NOT_FOUND
            )
            raise errors.invalid(f"The {kind} role {sid} was not found in this service", code)
        if row.type != kind:
            raise errors.invalid(
                f"Role {sid} is a {row.type} role; a {kind} role is required",
                errors.INVALID_ROLE_TYPE,
            )

    def _seed(self, service_sid: str) -> None:
        store = self._context.store.roles
        for name, kind, permissions in DEFAULT_ROLES:
            sid = built_in_sid(service_sid, name)
            if store.get(sid) is None:
                with contextlib.suppress(Conflict):  # another process seeded it first
                    store.insert(
                        sid=sid,
                        scope=service_sid,
                        friendly_name=name,
                        type=kind,
                        permissions=dumps(list(permissions)),
                    )

    def get(self, service_sid: str, sid: str) -> records.Role:
        self._seed(service_sid)
        row = self._context.store.roles.get(sid) if is_sid(sid, "RL") else None
        if row is None or row.scope != service_sid:
            raise errors.ResourceNotFound(f"/Roles/{sid}")
        return to_record(row)

    def create(
        self, service_sid: str, friendly_name: str, kind: str, permissions: list[str]
    ) -> records.Role:
        self._seed(service_sid)
        _check(kind, permissions)
        row = self._context.store.roles.insert(
            sid=new_sid("RL"),
            scope=service_sid,
            friendly_name=friendly_name,
            type=kind,
            permissions=dumps(permissions),
        )
        return to_record(row)

    def update(self, service_sid: str, sid: str, permissions: list[str]) -> records.Role:
        role = self.get(service_sid, sid)
        _check(role.type, permissions)
        return to_record(self._context.store.roles.update(sid, permissions=dumps(permissions)))

    def delete(self, service_sid: str, sid: str) -> None:
        self.get(service_sid, sid)
        self._context.store.roles.delete(sid)

    def page(self, service_sid: str, *, offset: int, limit: int) -> tuple[list[records.Role], bool]:
        self._seed(service_sid)
        rows = self._context.store.roles.list(service_sid, offset=offset, limit=limit + 1)
        return [to_record(r) for r in rows[:limit]], len(rows) > limit


def built_in_sid(service_sid: str, friendly_name: str) -> str:
    """The stable SID of one of a service's built-in roles (``DEFAULT_ROLES``)."""
    return stable_sid("RL", service_sid, friendly_name)


def _check(kind: str, permissions: list[str]) -> None:
    if kind not in ROLE_TYPES:
        raise errors.invalid(f"Parameter 'Type' must be one of: {', '.join(ROLE_TYPES)}")
    if not permissions:
        raise errors.invalid("Missing required parameter Permission in the post body")
    for permission in permissions:
        if permission in SERVICE_ONLY_PERMISSIONS and kind == "conversation":
            raise errors.invalid(
                f"Permission '{permission}' is a service permission; "
                "a conversation role cannot have it",
                errors.PERMISSION_NOT_FOUND,
            )
        if permission not in CONVERSATION_PERMISSIONS | SERVICE_ONLY_PERMISSIONS:
            raise errors.invalid(
                f"Permission '{permission}' was not found", errors.PERMISSION_NOT_FOUND
            )
