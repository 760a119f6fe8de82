"""``Client(token)``: the entry point of the client face, as ``new Client(token)`` in JS.

The constructor returns at once; initialization (verifying the token, finding the identity's
ACS user, starting the event feed) runs on the event loop and ends with ``initialized`` or
``initFailed``. Every operation waits for it, as the JS SDK's do. The client then acts with
its own user's ACS token, so ACS itself refuses what that user may not see.

Options (a dict and/or keyword arguments; JS names or snake_case). The JS SDK's
``ClientOptions`` are accepted and, except ``logLevel``, have no effect. The Python port adds:

- ``core``: the ``twilio_compat.core.Core`` to act through (default: one per process over the
  adapter the environment configures), e.g. the REST face's, so both faces share data;
- ``signingKeys``: a ``SigningKeys`` (default: ``SigningKeys.load()`` from the environment);
- ``eventBus``: an ``EventBus`` (from ``twilio_compat.core.adapter_types``) fed by an Event
  Grid receiver; the client then does not poll unless ``pollInterval`` is also given;
- ``pollInterval``: seconds between polls of ACS as the client's own user (default 2.0;
  ``0`` turns polling off). Polling cannot see typing: typing events reach clients that
  share an event bus (clients of one process share one by default) or an Event Grid feed
  that carries them;
- ``tokenAboutToExpireSeconds``: how long before expiry ``tokenAboutToExpire`` fires
  (default 180, as Twilio's three minutes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from twilio_compat.conversations import _permissions, _validate
from twilio_compat.conversations._access import SigningKeys, VerifiedToken
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._event_names import ConversationEventNames
from twilio_compat.conversations._names import js_names
from twilio_compat.conversations._session import OFFLOAD, Session, shared_core, translate
from twilio_compat.conversations.conversation import Conversation, ConversationView, load_view
from twilio_compat.conversations.errors import (
    PUSH,
    TEMPLATES,
    AccessTokenError,
    ConversationsError,
    NotSupportedError,
    unsupported,
)
from twilio_compat.conversations.media import Media
from twilio_compat.conversations.paginator import Paginator, local_pages
from twilio_compat.conversations.user import User
from twilio_compat.core import Core, records
from twilio_compat.core import errors as core_errors
from twilio_compat.core.adapter_types import AdapterError, Forbidden, NotFound
from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.users import UserFields

_log = logging.getLogger("twilio_compat.conversations")

SDK_VERSION = "3.0.1"
DEFAULT_POLL_INTERVAL = 2.0
TOKEN_ABOUT_TO_EXPIRE_SECONDS = 180.0
SUBSCRIBED_PAGE_SIZE = 50
REMEMBERED_EVENTS = 20_000

_OPTION_NAMES = {
    "core": "core",
    "signingKeys": "signing_keys",
    "eventBus": "event_bus",
    "pollInterval": "poll_interval",
    "tokenAboutToExpireSeconds": "token_about_to_expire_seconds",
}
_JS_OPTIONS = {
    "logLevel",
    "channelMetadataCacheCapacity",
    "messageRecipientsCacheCapacity",
    "region",
    "productId",
    "twilsockClient",
    "transport",
    "notificationsClient",
    "syncClient",
    "clientMetadata",
    "initRegistrations",
    "notificationsOptions",
    "twilsockOptions",
    "syncOptions",
    "typingTimeout",
}
_LOG_LEVELS = {"trace": 5, "debug": 10, "info": 20, "warn": 30, "error": 40, "silent": 100}


def _push(feature: str) -> NotSupportedError:
    return NotSupportedError(
        feature,
        "ACS Chat has no push registration (ACS push goes through Azure Notification Hubs)",
    )


@js_names
class Client(EventEmitter, ConversationEventNames):
    """A Conversations client acting as the identity of its access token."""

    version = SDK_VERSION

    conversationAdded = "conversationAdded"
    conversationJoined = "conversationJoined"
    conversationLeft = "conversationLeft"
    conversationRemoved = "conversationRemoved"
    conversationUpdated = "conversationUpdated"
    tokenAboutToExpire = "tokenAboutToExpire"
    tokenExpired = "tokenExpired"
    pushNotification = "pushNotification"
    userSubscribed = "userSubscribed"
    userUnsubscribed = "userUnsubscribed"
    userUpdated = "userUpdated"
    stateChanged = "stateChanged"
    initialized = "initialized"
    initFailed = "initFailed"
    connectionStateChanged = "connectionStateChanged"
    connectionError = "connectionError"

    def __init__(
        self, token: str, options: Mapping[str, Any] | None = None, **keywords: Any
    ) -> None:
        super().__init__()
        if not isinstance(token, str):
            raise TypeError(f'Client(): argument "token" is expected to be a string, got {token!r}')
        merged = _validate.options("Client", "options", options, keywords)
        settings: dict[str, Any] = {}
        for name, value in merged.items():
            key = _OPTION_NAMES.get(name, name if name in _OPTION_NAMES.values() else None)
            if key is not None:
                settings[key] = value
            elif name not in _JS_OPTIONS:
                raise ValueError(f"Client(): unknown option {name!r}")
        if "logLevel" in merged:
            level = _validate.literal("Client", "logLevel", merged["logLevel"], tuple(_LOG_LEVELS))
            _log.setLevel(_LOG_LEVELS[level])
        self._token = token
        self._core: Core | None = settings.get("core")
        self._keys: SigningKeys | None = settings.get("signing_keys")
        self._bus: Any = settings.get("event_bus")
        poll = settings.get("poll_interval")
        if poll is None:
            poll = 0.0 if self._bus is not None else DEFAULT_POLL_INTERVAL
        if isinstance(poll, bool) or not isinstance(poll, int | float) or poll < 0:
            raise ValueError('Client(): option "pollInterval" must be a number of seconds >= 0')
        self._poll_interval = float(poll)
        warn = settings.get("token_about_to_expire_seconds", TOKEN_ABOUT_TO_EXPIRE_SECONDS)
        if isinstance(warn, bool) or not isinstance(warn, int | float) or warn < 0:
            raise ValueError('Client(): option "tokenAboutToExpireSeconds" must be >= 0')
        self._warn_before = float(warn)

        self._connection_state = "unknown"
        self._session: Session | None = None
        self._verified: VerifiedToken | None = None
        self._failure: ConversationsError | None = None
        self._expired = False
        self._shut_down = False
        self._user: User | None = None
        self._users: dict[str, User] = {}
        self._conversations: dict[str, Conversation] = {}
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._timers: list[asyncio.TimerHandle] = []
        self._feed: Any = None
        self._init_task: asyncio.Task[None] | None = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            self._init_task = loop.create_task(self._initialize())

    @staticmethod
    async def create(token: str, options: Mapping[str, Any] | None = None) -> Client:
        """Deprecated in the JS SDK: a client that has finished initializing (or raised)."""
        client = Client(token, options)
        await client._ready()
        return client

    # -- properties -------------------------------------------------------------------

    @property
    def connectionState(self) -> str:
        return self._connection_state

    @property
    def user(self) -> User | None:
        """The logged-in user (None until the client is initialized)."""
        return self._user

    @property
    def token(self) -> str:
        """The access token the client acts with: the one given to ``Client()`` or, after
        ``updateToken()``, the newest one (internal in the JS SDK, but readable there too)."""
        return self._token

    @property
    def reachabilityEnabled(self) -> bool:
        """Always False: ACS Chat has no online / notifiable presence."""
        if self._session is None:
            raise ConversationsError("The client is not initialized yet")
        return False

    # -- lifecycle ---------------------------------------------------------------------

    async def _initialize(self) -> None:
        self._set_connection_state("connecting")
        try:
            verified = (self._keys or SigningKeys.load()).verify(self._token)
            core = self._core or await OFFLOAD.run(shared_core)
            self._core = core
            assert core is not None
            session = await OFFLOAD.run(self._open_session, core, verified)
        except ConversationsError as error:
            self._fail(error)
            return
        except (core_errors.TwilioApiError, AdapterError) as error:
            self._fail(translate(error))
            return
        self._verified = verified
        self._session = session
        self._user = User(session, await OFFLOAD.run(self._own_user, session))
        self._users[session.identity] = self._user
        self._schedule_token_timers()
        await self._start_feed()
        # As the JS SDK does while it syncs: conversationAdded and conversationJoined for each
        # conversation the user is already in, so an app can fill its list from those events.
        try:
            for view in await session.run(_subscribed_views, session):
                self._conversation(view)
        except (core_errors.TwilioApiError, AdapterError) as error:
            _log.warning("loading %s's conversations failed: %s", session.identity, error)
        self._set_connection_state("connected")
        self.emit("stateChanged", "initialized")
        self.emit("initialized")

    def _open_session(self, core: Core, verified: VerifiedToken) -> Session:
        service_sid = core.services.resolve(verified.service_sid)
        session = Session(self, core, verified.identity, service_sid)
        session.acs_user = core.directory.acs_user_for(verified.identity)
        # Act once as the user, so a refused ACS token fails initialization, not a later call.
        next(iter(session.chat().list_threads(page_size=1)), None)
        return session

    @staticmethod
    def _own_user(session: Session) -> records.User:
        users = session.core.users
        try:
            return users.get(session.service_sid, session.identity)
        except core_errors.TwilioApiError as error:
            if error.status != 404:
                raise
        try:
            return users.create(session.service_sid, UserFields(identity=session.identity))
        except core_errors.TwilioApiError:
            return users.get(session.service_sid, session.identity)

    def _fail(self, error: ConversationsError) -> None:
        self._failure = error
        self._set_connection_state("denied" if isinstance(error, AccessTokenError) else "error")
        details = {
            "terminal": True,
            "message": error.message,
            "httpStatusCode": error.status,
            "errorCode": error.code,
        }
        self.emit("connectionError", details)
        self.emit("stateChanged", "failed")
        self.emit("initFailed", {"error": details})

    async def _ready(self) -> Session:
        if self._init_task is None:
            self._init_task = asyncio.get_running_loop().create_task(self._initialize())
        await asyncio.shield(self._init_task)
        return self._session_or_fail()

    def _session_or_fail(self) -> Session:
        self._check_usable()
        assert self._session is not None
        return self._session

    def _check_usable(self) -> None:
        if self._shut_down:
            raise ConversationsError("The client has been shut down")
        if self._failure is not None:
            raise self._failure
        if self._session is None:
            raise ConversationsError("The client is not initialized yet")
        if self._expired:
            raise AccessTokenError(
                "Access Token expired or expiration date invalid", code=20104, status=401
            )

    async def shutdown(self) -> None:
        """Stop the event feed and the token timers; the client can no longer be used."""
        if self._shut_down:
            return
        if self._init_task is not None and not self._init_task.done():
            await asyncio.gather(self._init_task, return_exceptions=True)
        self._set_connection_state("disconnecting")
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._feed is not None:
            await self._feed.stop()
            self._feed = None
        self._shut_down = True
        self._set_connection_state("disconnected")

    async def updateToken(self, token: str) -> Client:
        """Swap in a new token for the same identity; listeners and objects stay as they are."""
        text = _validate.non_empty_string("updateToken", "token", token)
        await self._ready_even_if_expired()
        if text == self._token:
            return self
        verified = (self._keys or SigningKeys.load()).verify(text)
        assert self._verified is not None
        if verified.identity != self._verified.identity:
            raise AccessTokenError(
                "updateToken(): the new token is for another identity", code=20101, status=401
            )
        self._token = text
        self._verified = verified
        self._expired = False
        self._schedule_token_timers()
        if self._connection_state != "connected":
            self._set_connection_state("connected")
        return self

    async def _ready_even_if_expired(self) -> None:
        if self._init_task is None:
            self._init_task = asyncio.get_running_loop().create_task(self._initialize())
        await asyncio.shield(self._init_task)
        if self._failure is not None:
            raise self._failure
        if self._shut_down:
            raise ConversationsError("The client has been shut down")

    def _schedule_token_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        assert self._verified is not None
        loop = asyncio.get_running_loop()
        remaining = self._verified.expires_at - time.time()
        self._timers = [
            loop.call_later(max(0.0, remaining - self._warn_before), self._token_about_to_expire),
            loop.call_later(max(0.0, remaining), self._token_expired),
        ]

    def _token_about_to_expire(self) -> None:
        self.emit("tokenAboutToExpire")

    def _token_expired(self) -> None:
        self._expired = True
        self.emit("tokenExpired")

    def _set_connection_state(self, state: str) -> None:
        if state != self._connection_state:
            self._connection_state = state
            self.emit("connectionStateChanged", state)

    async def _start_feed(self) -> None:
        from twilio_compat.conversations._feed import EventFeed

        assert self._session is not None
        self._feed = EventFeed(
            self, self._session, bus=self._bus, poll_interval=self._poll_interval
        )
        await self._feed.start()

    # -- conversations ------------------------------------------------------------------

    async def getConversationBySid(self, conversationSid: str) -> Conversation:
        sid = _validate.non_empty_string("getConversationBySid", "conversationSid", conversationSid)
        await self._ready()
        cached = self._conversations.get(sid)
        if cached is not None:
            await cached._refresh()
            return cached
        return await self._visible(sid, f"Conversation with SID {sid} was not found.")

    async def peekConversationBySid(self, conversationSid: str) -> Conversation:
        sid = _validate.non_empty_string(
            "peekConversationBySid", "conversationSid", conversationSid
        )
        await self._ready()
        if sid in self._conversations:
            return await self.getConversationBySid(sid)
        session = self._session_or_fail()
        view = await self._gated_view(session, sid, f"Conversation with SID {sid} was not found.")
        return Conversation(self, view)

    async def getConversationByUniqueName(self, uniqueName: str) -> Conversation:
        name = _validate.non_empty_string("getConversationByUniqueName", "uniqueName", uniqueName)
        await self._ready()
        for cached in self._conversations.values():
            if cached.uniqueName == name:
                await cached._refresh()
                return cached
        return await self._visible(name, f"Conversation with unique name {name} was not found.")

    async def _visible(self, key: str, missing: str) -> Conversation:
        session = self._session_or_fail()
        view = await self._gated_view(session, key, missing)
        return self._conversation(view)

    async def _gated_view(self, session: Session, key: str, missing: str) -> ConversationView:
        """The conversation if ACS lets this user read its thread, else not found."""

        def load() -> ConversationView:
            view = load_view(session, key)
            session.chat().get_thread(view.record.thread_id)
            return view

        try:
            return await session.run(load)
        except ConversationsError as error:
            if error.status in (403, 404):
                raise ConversationsError(missing, code=core_errors.NOT_FOUND, status=404) from None
            raise
        except (Forbidden, NotFound):
            raise ConversationsError(missing, code=core_errors.NOT_FOUND, status=404) from None

    async def getSubscribedConversations(self) -> Paginator[Conversation]:
        """The conversations this user is in (as ACS lists its threads), plus those this
        client created; in pages of 50."""
        session = await self._ready()
        views = await session.run(_subscribed_views, session)
        found = {view.record.sid: self._conversation(view) for view in views}
        for sid, cached in self._conversations.items():
            found.setdefault(sid, cached)
        ordered = sorted(found.values(), key=lambda c: (c.dateCreated is None, c.dateCreated))
        return local_pages(ordered, SUBSCRIBED_PAGE_SIZE)

    async def createConversation(
        self, options: Mapping[str, Any] | None = None, **keywords: Any
    ) -> Conversation:
        """Create a conversation; as in the JS SDK the creator joins it with ``join()``."""
        given = _validate.options("createConversation", "options", options, keywords)
        friendly = _validate.optional_string(
            "createConversation", "friendlyName", given.get("friendlyName")
        )
        unique = _validate.optional_string(
            "createConversation", "uniqueName", given.get("uniqueName")
        )
        private = given.get("isPrivate")
        if private is not None and not isinstance(private, bool):
            raise TypeError('createConversation(): "isPrivate" is expected to be a boolean')
        attributes = None
        if "attributes" in given:
            attributes = _validate.json_value(
                "createConversation", "attributes", given["attributes"]
            )
        session = await self._ready()
        fields = ConversationFields(
            friendly_name=friendly or None,
            unique_name=unique or None,
            attributes=attributes,
            created_by=session.identity,
        )

        def create() -> ConversationView:
            _permissions.check(session, None, "createConversation")
            record = session.core.conversations.create(session.service_sid, fields)
            return load_view(session, record.sid)

        view = await session.run(create)
        return self._conversation(view)

    def _conversation(self, view: ConversationView) -> Conversation:
        """The one object per conversation SID; new ones announce ``conversationAdded``."""
        found = self._conversations.get(view.record.sid)
        if found is not None:
            found._apply_view(view)
            return found
        conversation = Conversation(self, view)
        self._conversations[view.record.sid] = conversation
        self.emit("conversationAdded", conversation)
        if view.me is not None and self._first_time(("joined", view.record.sid, view.me.sid)):
            self.emit("conversationJoined", conversation)
        return conversation

    def _joined(self, conversation: Conversation) -> None:
        me = conversation._view.me
        if conversation.sid not in self._conversations:
            self._conversation(conversation._view)
            return
        if me is not None and self._first_time(("joined", conversation.sid, me.sid)):
            self.emit("conversationJoined", conversation)

    def _left(self, conversation: Conversation, participant_sid: str) -> None:
        if self._first_time(("left", conversation.sid, participant_sid)):
            self.emit("conversationLeft", conversation)

    def _removed(self, conversation: Conversation) -> None:
        if not self._first_time(("removed", conversation.sid)):
            return
        self._conversations.pop(conversation.sid, None)
        conversation.emit("removed", conversation)
        self.emit("conversationRemoved", conversation)

    async def _typed(self, conversation: Conversation) -> None:
        if self._feed is not None:
            await self._feed.typed(conversation)

    def _first_time(self, key: Hashable) -> bool:
        """Whether an announcement is new: own actions and the feed both report them."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > REMEMBERED_EVENTS:
            self._seen.popitem(last=False)
        return True

    # -- users and media ---------------------------------------------------------------------

    async def getUser(self, identity: str) -> User:
        name = _validate.non_empty_string("getUser", "identity", identity)
        session = await self._ready()
        found = self._users.get(name)
        if found is not None:
            return found
        record = await session.run(session.core.users.get, session.service_sid, name)
        user = self._users[name] = User(session, record)
        self.emit("userSubscribed", user)
        return user

    async def getSubscribedUsers(self) -> list[User]:
        await self._ready()
        return list(self._users.values())

    def _forget_user(self, user: User) -> None:
        if self._users.get(user.identity) is user and user is not self._user:
            del self._users[user.identity]
            self.emit("userUnsubscribed", user)

    async def getTemporaryContentUrlsForMedia(
        self,
        contentSet: list[Media],
    ) -> dict[str, str]:
        items = _validate.non_empty_list(
            "getTemporaryContentUrlsForMedia", "contentSet", contentSet, Media, "Media"
        )
        await self._ready()
        return await self._urls([item.sid for item in items])

    async def getTemporaryContentUrlsForMediaSids(
        self,
        mediaSids: list[str],
    ) -> dict[str, str]:
        sids = _validate.non_empty_list(
            "getTemporaryContentUrlsForMediaSids", "mediaSids", mediaSids, str, "strings"
        )
        await self._ready()
        return await self._urls(sids)

    async def _urls(self, sids: list[str]) -> dict[str, str]:
        """Temporary URLs of media in conversations this user is in (others are not found)."""
        session = self._session_or_fail()

        def load() -> dict[str, str]:
            core = session.core
            urls: dict[str, str] = {}
            for sid in sids:
                item = core.media.get(session.service_sid, sid)
                conversation_sid = core.messages.conversation_sid_of(item.message_sid or "")
                member = conversation_sid and core.participants.find(
                    session.service_sid, conversation_sid, session.identity
                )
                if not member:
                    raise core_errors.ResourceNotFound(f"/Media/{sid}")
                url = core.media.temporary_url(item)
                if url is not None:
                    urls[sid] = url
            return urls

        return await session.run(load)

    # -- what ACS Chat does not have ----------------------------------------------------------

    @unsupported(PUSH)
    async def setPushRegistrationId(
        self,
        channelType: str,
        registrationId: str,
    ) -> None:
        _validate.literal("setPushRegistrationId", "channelType", channelType, ("fcm", "apn"))
        _validate.string("setPushRegistrationId", "registrationId", registrationId)
        raise _push("Client.setPushRegistrationId")

    @unsupported(PUSH)
    async def unsetPushRegistrationId(self, channelType: str) -> None:
        _validate.literal("unsetPushRegistrationId", "channelType", channelType, ("fcm", "apn"))
        raise _push("Client.unsetPushRegistrationId")

    @unsupported(PUSH)
    async def removePushRegistrations(
        self,
        channelType: str,
        registrationId: str,
    ) -> None:
        _validate.literal("removePushRegistrations", "channelType", channelType, ("fcm", "apn"))
        _validate.non_empty_string("removePushRegistrations", "registrationId", registrationId)
        raise _push("Client.removePushRegistrations")

    @unsupported(PUSH)
    async def handlePushNotification(self, notificationPayload: Any) -> None:
        raise _push("Client.handlePushNotification")

    @staticmethod
    @unsupported(PUSH)
    def parsePushNotification(notificationPayload: Any) -> Any:
        raise _push("Client.parsePushNotification")

    @staticmethod
    @unsupported(PUSH)
    def populateInitRegistrations(reg: Any) -> None:
        raise _push("Client.populateInitRegistrations")

    @unsupported(TEMPLATES)
    async def getContentTemplates(self) -> list[Any]:
        raise NotSupportedError("Client.getContentTemplates", TEMPLATES)

    def __repr__(self) -> str:
        identity = self._session.identity if self._session else None
        return f"Client(identity={identity!r}, connectionState={self._connection_state!r})"

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    conversation_added = conversationAdded
    conversation_joined = conversationJoined
    conversation_left = conversationLeft
    conversation_removed = conversationRemoved
    conversation_updated = conversationUpdated
    token_about_to_expire = tokenAboutToExpire
    token_expired = tokenExpired
    push_notification = pushNotification
    user_subscribed = userSubscribed
    user_unsubscribed = userUnsubscribed
    user_updated = userUpdated
    state_changed = stateChanged
    init_failed = initFailed
    connection_state_changed = connectionStateChanged
    connection_error = connectionError
    connection_state = connectionState
    reachability_enabled = reachabilityEnabled
    update_token = updateToken
    get_conversation_by_sid = getConversationBySid
    peek_conversation_by_sid = peekConversationBySid
    get_conversation_by_unique_name = getConversationByUniqueName
    get_subscribed_conversations = getSubscribedConversations
    create_conversation = createConversation
    get_user = getUser
    get_subscribed_users = getSubscribedUsers
    get_temporary_content_urls_for_media = getTemporaryContentUrlsForMedia
    get_temporary_content_urls_for_media_sids = getTemporaryContentUrlsForMediaSids
    set_push_registration_id = setPushRegistrationId
    unset_push_registration_id = unsetPushRegistrationId
    remove_push_registrations = removePushRegistrations
    handle_push_notification = handlePushNotification
    parse_push_notification = parsePushNotification
    populate_init_registrations = populateInitRegistrations
    get_content_templates = getContentTemplates


def _subscribed_views(session: Session) -> list[ConversationView]:
    """The conversations the session's user is a participant of, as ACS lists its threads."""
    views = []
    for thread in session.chat().list_threads():
        if thread.deleted_on is not None:
            continue
        row = session.core.conversations.by_thread_id(thread.id)
        if row is None or row.scope != session.service_sid:
            continue
        view = load_view(session, row.sid)
        if view.me is not None:
            views.append(view)
    return views
