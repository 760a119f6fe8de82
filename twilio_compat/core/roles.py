"""Roles (``RL...``): kept in the store and enforced by the shim for client-face commands.

Every service starts with Twilio's four built-in roles, which get stable SIDs so that every
process sharing a store agrees on them. Permissions are checked against Twilio's permission
values (twilio.com/docs/conversations/api/role-resource#permission-values): a conversation
role takes conversation permissions only; a service role takes those and the service ones.

ACS Chat has no roles, so ``Roles.permits`` decides what a client (one identity acting with its
own token) may do: a service permission comes from the user's service role, a conversation
permission from the participant's conversation role or the user's service role. The REST face
acts with account credentials and, as on Twilio, is not subject to roles.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from acs_adapter.errors import Conflict
from acs_adapter.store.roles import Role as StoredRole
from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.stamps import dumps
from twilio_compat.sids import is_sid, new_sid, stable_sid

ROLE_TYPES = ("conversation", "service")

NOT_AUTHORIZED = 50107
"""Twilio's "User not authorized for command" (twilio.com/docs/api/errors/50107)."""
GRANTS_KEPT_SECONDS = 2.0
"""How long a member's permissions are reused before the store is read again: a burst of
sends costs no extra store reads. A permission not among them is always checked against the
store, so a grant applies at once; a revocation made elsewhere (another process, the REST
face) applies within this time, one made through this process's roles at once."""
GRANTS_KEPT = 10_000

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
    "editNotificationLevel",  # muting a conversation works for every participant on Twilio
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
    """Create, read, update and delete roles; seeds the built-in roles of a service; says what
    a client's identity may do (`permits`)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._grants = _Grants()

    # -- enforcement (client face) ---------------------------------------------------------

    def permits(
        self, service_sid: str, conversation_sid: str | None, identity: str, permission: str
    ) -> bool:
        """Whether ``identity`` holds ``permission``: a service permission through its user's
        service role; a conversation permission through its participant's conversation role in
        ``conversation_sid`` or its service role (Twilio lets a service role grant conversation
        permissions in every conversation). Not a participant: its service role only."""
        return self._holds(service_sid, conversation_sid, identity, (permission,))

    def require(
        self,
        service_sid: str,
        conversation_sid: str | None,
        identity: str,
        permissions: Iterable[str],
    ) -> None:
        """Refuse, with Twilio's 50107, unless ``identity`` holds one of ``permissions``."""
        if not self._holds(service_sid, conversation_sid, identity, tuple(permissions)):
            raise errors.TwilioApiError(403, NOT_AUTHORIZED, "User not authorized for command")

    def _holds(
        self,
        service_sid: str,
        conversation_sid: str | None,
        identity: str,
        permissions: tuple[str, ...],
    ) -> bool:
        """Whether ``identity`` holds one of ``permissions`` (see `permits`)."""
        service_only = all(p in SERVICE_ONLY_PERMISSIONS for p in permissions)
        scope = None if service_only else conversation_sid
        key = (service_sid, scope or "", identity)
        granted = self._grants.get(key)
        if granted is not None and not granted.isdisjoint(permissions):
            return True
        # Not known to be granted: read the store, so a role granted a moment ago applies.
        granted = self._granted(service_sid, scope, identity)
        self._grants.put(key, granted)
        return not granted.isdisjoint(permissions)

    def forget(self, service_sid: str, conversation_sid: str, identity: str) -> None:
        """Drop what is known of a member whose participant was just added or removed."""
        self._grants.drop((service_sid, conversation_sid, identity))

    def creator_role_sid(self, service_sid: str) -> str:
        """The conversation role the creator of a conversation gets when it joins it."""
        return self._default_role(service_sid, "default_conversation_creator_role_sid")

    def _granted(
        self, service_sid: str, conversation_sid: str | None, identity: str
    ) -> frozenset[str]:
        store = self._context.store
        user = store.users.get_by_identity(service_sid, identity)
        service_role = (user.role_sid if user else None) or self._default_role(
            service_sid, "default_chat_service_role_sid"
        )
        granted = set(self._permissions(service_sid, service_role))
        if conversation_sid is not None:
            member = store.participants.get_by_identity(conversation_sid, identity)
            if member is not None:
                role = member.role_sid or self._default_role(
                    service_sid, "default_conversation_role_sid"
                )
                granted |= self._permissions(service_sid, role)
        return frozenset(granted)

    def _permissions(self, service_sid: str, role_sid: str) -> frozenset[str]:
        """A role's permissions; a role that no longer exists grants nothing."""
        store = self._context.store.roles
        row = store.get(role_sid) if is_sid(role_sid, "RL") else None
        if row is None and role_sid in {built_in_sid(service_sid, r[0]) for r in DEFAULT_ROLES}:
            self._seed(service_sid)  # a default role of a service no role call has seeded yet
            row = store.get(role_sid)
        if row is None or row.scope != service_sid:
            return frozenset()
        return frozenset(json.loads(row.permissions))

    def _default_role(self, service_sid: str, setting: str) -> str:
        from twilio_compat.core.configuration import default_role_sid  # it imports this module

        return default_role_sid(self._context.store.configuration, service_sid, setting)

    # -- the Role resource -----------------------------------------------------------------

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
        updated = self._context.store.roles.update(sid, permissions=dumps(permissions))
        self._grants.clear()
        return to_record(updated)

    def delete(self, service_sid: str, sid: str) -> None:
        self.get(service_sid, sid)
        self._context.store.roles.delete(sid)
        self._grants.clear()

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


class _Grants:
    """What each (service, conversation, identity) was last found to hold, for a short while
    (``GRANTS_KEPT_SECONDS``), at most ``GRANTS_KEPT`` of them; shared by worker threads."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, str, str], tuple[float, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> frozenset[str] | None:
        with self._lock:
            found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] > GRANTS_KEPT_SECONDS:
            return None
        return found[1]

    def put(self, key: tuple[str, str, str], granted: frozenset[str]) -> None:
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (time.monotonic(), granted)
            if len(self._kept) > GRANTS_KEPT:
                self._kept.popitem(last=False)

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
