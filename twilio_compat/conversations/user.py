"""``User``: an identity's profile (friendly name, attributes) within the service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twilio_compat.conversations import _permissions, _validate
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._names import js_names
from twilio_compat.conversations._session import parse_json
from twilio_compat.conversations.errors import ConversationsError
from twilio_compat.core.users import UserFields

if TYPE_CHECKING:
    from twilio_compat.conversations._session import Session
    from twilio_compat.core import records


@js_names
class User(EventEmitter):
    """A user as the JS SDK shows it; reachability is off on ACS (``isOnline`` is None)."""

    def __init__(self, session: Session, record: records.User) -> None:
        super().__init__()
        self._session = session
        self._record = record
        self._subscribed = True
        self._entity_name: str | None = None

    # The JS SDK has User's event names as fields (the other classes have them as statics).
    updated = "updated"
    userSubscribed = "userSubscribed"
    userUnsubscribed = "userUnsubscribed"

    @property
    def identity(self) -> str:
        return self._record.identity

    @property
    def friendlyName(self) -> str | None:
        return self._record.friendly_name

    @property
    def attributes(self) -> Any:
        return parse_json(self._record.attributes)

    @property
    def isOnline(self) -> bool | None:
        return None

    @property
    def isNotifiable(self) -> bool | None:
        return None

    @property
    def isSubscribed(self) -> bool:
        return self._subscribed

    @property
    def entityName(self) -> str:
        """The name of the stored entity behind this user.

        In the JS SDK it names the user's Sync object and is set (never read) during
        initialization; here the user lives in the shim's store, so it is the user's SID unless
        a name was set. Setting it changes nothing else, as there is no Sync object to follow.
        """
        return self._entity_name if self._entity_name is not None else self._record.sid

    @entityName.setter
    def entityName(self, name: str) -> None:
        self._entity_name = _validate.string("entityName", "name", name)

    async def updateAttributes(self, attributes: Any) -> User:
        text = _validate.json_value("updateAttributes", "attributes", attributes)
        return await self._update(UserFields(attributes=text))

    async def updateFriendlyName(self, friendlyName: str) -> User:
        name = _validate.string("updateFriendlyName", "friendlyName", friendlyName)
        return await self._update(UserFields(friendly_name=name))

    async def unsubscribe(self) -> None:
        if self._subscribed:
            self._subscribed = False
            self._session.client._forget_user(self)

    async def _update(self, fields: UserFields) -> User:
        if not self._subscribed:
            raise ConversationsError("Can't modify unsubscribed object")
        session = self._session
        await _permissions.require_own_or_any(
            session, None, self.identity, "editOwnUserInfo", "editAnyUserInfo"
        )
        record = await session.run(
            session.core.users.update, session.service_sid, self._record.sid, fields
        )
        self._apply(record)
        return self

    def _apply(self, record: records.User) -> None:
        reasons = []
        if record.friendly_name != self._record.friendly_name:
            reasons.append("friendlyName")
        if parse_json(record.attributes) != parse_json(self._record.attributes):
            reasons.append("attributes")
        self._record = record
        if reasons:
            payload = {"user": self, "updateReasons": reasons}
            self.emit("updated", payload)
            self._session.client.emit("userUpdated", payload)

    def __repr__(self) -> str:
        return f"User(identity={self.identity!r})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    user_subscribed = userSubscribed
    user_unsubscribed = userUnsubscribed
    friendly_name = friendlyName
    is_online = isOnline
    is_notifiable = isNotifiable
    is_subscribed = isSubscribed
    entity_name = entityName
    update_attributes = updateAttributes
    update_friendly_name = updateFriendlyName
