"""`TwilioWebhooks`: Twilio's pre- and post-event webhooks for conversations living on ACS.

Where they come from:

- Writes made through the shim (REST face, client face) reach it through the core's hooks:
  `before` runs the pre-event webhooks (a non-2xx answer vetoes the write with Twilio's error,
  a 200 JSON answer may change the fields Twilio lets it change), `after` records the
  post-event webhooks, rendered from the record the write produced, on the store's change
  feed, where the one process holding the account's posting lease posts them in order
  (`poster.FeedPoster`): once across replicas, and still after a crash. Both happen only
  when the write's origin enables webhooks (REST: `X-Twilio-Webhook-Enabled: true`; client
  face: always).
- Everything else that happens in a mapped thread, such as a message sent by an ACS-native
  client that knows nothing of the shim, comes from the event source (`listen(bus)`), with
  `Source` `SDK` and the sender's identity as `ClientIdentity`. Changes the shim made itself
  are recognised (its message metadata, the service user as actor, this process's record of
  its edits and deletions) and not posted twice. Every replica hears such an event; the
  first to record it on the feed (keyed by the event's id) has it posted, the others find it
  recorded already.

Targets are Twilio's: the account's and the service's `configuration.webhooks`
(`pre_webhook_url` / `post_webhook_url`, `filters`, `method`) and, for post-events, the
conversation-scoped webhooks (`webhook` targets by `filters`, `trigger` targets for
`onMessageAdded` whose body contains one of their `triggers`).

Filters name Twilio's event types. Conversation, message and participant events fire for
writes through the shim and for what the event source reports; user events (`onUserAdded`,
`onUserUpdate`, `onUserUpdated`) for user writes through the shim; `onConversationStateUpdated`
when a state changes through the API, by a timer (`TIMER`: noticed when the conversation is
next read or written, and posted whatever that request's webhook header says) or because a
message or participant reactivated an inactive conversation (`EVENT`). `onDeliveryUpdated`
fires when a delivery to an SMS or WhatsApp participant changes status (`core.channels`).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from twilio_compat.core import errors, records
from twilio_compat.core.adapter_types import ChatEvent, EventBus, EventKind, Secret
from twilio_compat.core.codec import MessageMetadata
from twilio_compat.core.conversations import to_record as conversation_record
from twilio_compat.core.hooks import SDK, Action, Origin, WriteHooks, rejected, write_origin
from twilio_compat.settings import AUTH_TOKEN_ENV as AUTH_TOKEN_ENV
from twilio_compat.settings import TwilioAccount, WebhookOptions
from twilio_compat.webhooks import fields as form
from twilio_compat.webhooks.poster import FeedPoster
from twilio_compat.webhooks.sender import Webhook, WebhookSender

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.core.adapter_types import StoredConversation

logger = logging.getLogger("twilio_compat.webhooks")

MAX_CONVERSATION_WEBHOOKS = 5
_CHANGEABLE = {
    "body": "body",
    "author": "author",
    "attributes": "attributes",
    "friendlyname": "friendly_name",
    "friendly_name": "friendly_name",
}


class TwilioWebhooks(WriteHooks):
    """Twilio-format webhooks for one core. `install()` it, `listen()` to an event bus."""

    def __init__(
        self,
        core: Core,
        auth_token: str | Secret,
        *,
        sender: WebhookSender | None = None,
        allow_private: bool = False,
    ) -> None:
        token = auth_token.reveal() if isinstance(auth_token, Secret) else auth_token
        if not token:
            raise errors.invalid("webhooks need the account's auth token to sign requests")
        self._core = core
        self._token = token
        self.sender = sender or WebhookSender(token, allow_private=allow_private)
        self.poster = FeedPoster(core, self.sender)
        self._events: queue.Queue[ChatEvent | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    @classmethod
    def from_environment(
        cls, core: Core, *, environ: Mapping[str, str] | None = None
    ) -> TwilioWebhooks:
        """Signed with `TWILIO_AUTH_TOKEN`, as Twilio signs with the account's auth token."""
        options = WebhookOptions.load(environ)
        return cls.for_account(core, TwilioAccount.load(environ), options)

    @classmethod
    def for_account(
        cls, core: Core, account: TwilioAccount, options: WebhookOptions | None = None
    ) -> TwilioWebhooks:
        """Signed with the loaded account's auth token, which must be set; sent where
        `options` allow (default: public addresses only)."""
        if account.auth_token is None:
            raise errors.invalid(f"{AUTH_TOKEN_ENV} is not set: webhooks cannot be signed")
        allow_private = options is not None and options.allow_private
        return cls(core, account.auth_token, allow_private=allow_private)

    def install(self) -> TwilioWebhooks:
        """Make the core call these hooks around every write."""
        self._core.events.install_hooks(self)
        self.poster.start()
        return self

    def listen(self, bus: EventBus) -> Callable[[], None]:
        """Post webhooks for what the event source reports; returns a function that stops."""
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._work, name="twilio-webhook-events", daemon=True
            )
            self._worker.start()
        stop = bus.subscribe(self._events.put)
        self._unsubscribe.append(stop)
        return stop

    def wait_handled(self) -> None:
        """Block until every reported event was handled (its post-event is on the feed)."""
        self._events.join()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until reported events are handled and queued webhooks sent (for tests)."""
        self._events.join()
        return self.poster.wait_idle(timeout)

    def close(self) -> None:
        for stop in self._unsubscribe:
            stop()
        if self._worker is not None:
            self._events.put(None)
        self.poster.stop()
        self.sender.close()
        self._core.events.remove_hooks(self)

    # -- hooks the core calls ---------------------------------------------------------

    def before(self, action: Action) -> Mapping[str, str]:
        if not action.origin.webhooks_enabled:
            return {}
        targets = self._targets(action.service_sid, None, action.event_type, pre=True)
        if not targets:
            return {}
        params = self._common(action.event_type, action.origin)
        params.update(form.of_record(action.record, action.event_type))
        params.update(form.proposed(action.proposed))
        if action.conversation_sid:
            params["ConversationSid"] = action.conversation_sid
        if action.event_type.startswith("onConversation"):
            params.setdefault("ChatServiceSid", action.service_sid)
        changes: dict[str, str] = {}
        for url, method in targets:
            answer = self.sender.call_pre_event(Webhook(url, method, params))
            if answer.status is None:
                continue  # unreachable or too slow: Twilio goes ahead unmodified
            if not 200 <= answer.status < 300:
                raise rejected(action.event_type, answer.status)
            changes.update(_changes(answer.body))
        return changes

    def vets(self, service_sid: str, event_type: str) -> bool:
        return bool(self._targets(service_sid, None, event_type, pre=True))

    def after(self, action: Action) -> None:
        if not action.origin.webhooks_enabled:
            return
        try:
            self._post(action.event_type, action.service_sid, action.record, action.origin)
        except Exception:
            logger.exception("could not queue the %s webhook", action.event_type)

    # -- post-events ------------------------------------------------------------------

    def _post(
        self,
        event_type: str,
        service_sid: str,
        record: object,
        origin: Origin,
        *,
        key: str | None = None,
    ) -> None:
        """Record the post-event's webhooks on the change feed, for the poster to post.

        `key` names an event ACS reported (every replica hears it): only the first replica to
        record it does, so it is posted once.
        """
        conversation_sid = _conversation_sid(record)
        body = record.body if isinstance(record, records.Message) else None
        targets = self._targets(service_sid, conversation_sid, event_type, pre=False, body=body)
        if not targets:
            return
        params = self._common(event_type, origin)
        params.update(form.of_record(record, event_type))
        if isinstance(record, records.Message):
            messaging = self._core.conversations.messaging_service_sid(record.conversation_sid)
            if messaging:
                params["MessagingServiceSid"] = messaging
        webhooks = [{"url": url, "method": method, "params": params} for url, method in targets]
        self._core.events.record_post_event(event_type, conversation_sid, webhooks, key=key)

    def _common(self, event_type: str, origin: Origin) -> dict[str, str]:
        return form.common(event_type, self._core.account_sid, origin)

    def _targets(
        self,
        service_sid: str,
        conversation_sid: str | None,
        event_type: str,
        *,
        pre: bool,
        body: str | None = None,
    ) -> list[tuple[str, str]]:
        configuration = self._core.configuration
        key = "pre_webhook_url" if pre else "post_webhook_url"
        found: list[tuple[str, str]] = []
        for document in (
            configuration.account_webhooks(),
            configuration.service_webhooks(service_sid),
        ):
            url = document.get(key)
            wanted = event_type in (document.get("filters") or ())
            if url and wanted and document.get("target", "webhook") == "webhook":
                found.append((str(url), str(document.get("method") or "POST")))
        if not pre and conversation_sid:
            scoped = self._core.events.conversation_webhooks(
                conversation_sid, limit=MAX_CONVERSATION_WEBHOOKS
            )
            for target, config in scoped:
                url = config.get("url")
                if not url:
                    continue
                by_filter = target == "webhook" and event_type in (config.get("filters") or ())
                by_trigger = (
                    target == "trigger"
                    and event_type == "onMessageAdded"
                    and _triggered(body, config.get("triggers") or ())
                )
                if by_filter or by_trigger:
                    found.append((str(url), str(config.get("method") or "POST")))
        return list(dict.fromkeys(found))

    # -- events the shim did not cause ------------------------------------------------

    def _work(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                self._events.task_done()
                return
            try:
                self._on_event(event)
            except Exception:
                logger.exception("could not post webhooks for event %s", event.id)
            finally:
                self._events.task_done()

    def _on_event(self, event: ChatEvent) -> None:
        if event.recipient_id is not None:
            return  # the thread-level copy is enough
        if _sent_by_shim(event):
            return  # its onMessageAdded was recorded with the send: nothing to read or post
        conversation = self._core.conversations.by_thread_id(event.thread_id)
        if conversation is None:
            return  # a thread the shim does not map to a conversation
        origin = Origin(SDK, self._identity(event.actor_id), True)
        # What the core does while handling the event (a sync waking the conversation, say)
        # was caused by the same ACS client: its own post-events carry the same origin.
        with write_origin(origin):
            self._post_for(event, conversation, origin)

    def _post_for(self, event: ChatEvent, conversation: StoredConversation, origin: Origin) -> None:
        events = self._core.events
        service = conversation.scope
        if event.kind is EventKind.MESSAGE_RECEIVED:
            record = self._message(conversation, event)
            if record is not None:
                self._post("onMessageAdded", service, record, origin, key=event.id)
        elif event.kind is EventKind.MESSAGE_EDITED:
            if not events.made_by_shim(event.thread_id, event.message_id or "", "edited"):
                record = self._message(conversation, event)
                if record is not None:
                    self._post("onMessageUpdated", service, record, origin, key=event.id)
        elif event.kind is EventKind.MESSAGE_DELETED:
            if not events.made_by_shim(event.thread_id, event.message_id or "", "deleted"):
                removed = self._core.messages.find_by_acs_message_id(
                    conversation, event.message_id or ""
                )
                if removed is not None:
                    self._post("onMessageRemoved", service, removed, origin, key=event.id)
        elif event.actor_id == self._core.directory.service_user:
            return  # the core posted its own conversation and participant changes
        elif event.kind in (EventKind.PARTICIPANT_ADDED, EventKind.PARTICIPANT_REMOVED):
            for user in event.participant_ids:
                self._post_participant(conversation, event, user, origin)
        elif event.kind is EventKind.THREAD_UPDATED:
            updated = conversation_record(conversation)
            self._post("onConversationUpdated", service, updated, origin, key=event.id)
        elif event.kind is EventKind.THREAD_DELETED:
            removed_record = conversation_record(conversation)
            self._post("onConversationRemoved", service, removed_record, origin, key=event.id)

    def _message(
        self, conversation: StoredConversation, event: ChatEvent
    ) -> records.Message | None:
        """The message as Twilio sees it, once the core's cache has absorbed it."""
        messages = self._core.messages
        if event.kind is EventKind.MESSAGE_RECEIVED:
            known = messages.find_by_acs_message_id(conversation, event.message_id or "")
            if known is not None:
                return known  # indexed already: no ACS call
        messages.sync(conversation, force=True)  # the reported message must be in the cache
        return messages.find_by_acs_message_id(conversation, event.message_id or "")

    def _post_participant(
        self, conversation: StoredConversation, event: ChatEvent, user: str, origin: Origin
    ) -> None:
        if user == self._core.directory.service_user:
            return
        known = self._core.participants.find_by_acs_user(conversation.scope, conversation.sid, user)
        record = records.Participant(
            sid=known.sid if known else "",
            conversation_sid=conversation.sid,
            service_sid=conversation.scope,
            identity=known.identity if known else (self._identity(user) or user),
            attributes=known.attributes if known else "{}",
            role_sid=known.role_sid if known else None,
            last_read_message_index=None,
            last_read_timestamp=None,
            date_created=known.date_created if known else event.time,
            date_updated=known.date_updated if known else event.time,
        )
        added = event.kind is EventKind.PARTICIPANT_ADDED
        name = "onParticipantAdded" if added else "onParticipantRemoved"
        self._post(name, conversation.scope, record, origin, key=f"{event.id}|{user}")

    def _identity(self, acs_user: str | None) -> str | None:
        if not acs_user:
            return None
        return self._core.directory.identity_for(acs_user) or acs_user

    def __repr__(self) -> str:
        return "TwilioWebhooks(auth_token=***)"


def _sent_by_shim(event: ChatEvent) -> bool:
    """A message the shim sent (its metadata names the message's SID)."""
    return (
        event.kind is EventKind.MESSAGE_RECEIVED
        and MessageMetadata.decode(event.metadata).sid is not None
    )


def _conversation_sid(record: object) -> str | None:
    """The conversation a post-event concerns (None for a user's), for its scoped webhooks."""
    if isinstance(record, records.User):
        return None
    return getattr(record, "conversation_sid", None) or getattr(record, "sid", None)


def _changes(body: Any) -> dict[str, str]:
    """The fields a pre-event webhook's 200 JSON answer changes (Twilio's allowed ones)."""
    if not isinstance(body, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in body.items():
        name = _CHANGEABLE.get(str(key).lower())
        if name is None or value is None:
            continue
        out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


def _triggered(body: str | None, triggers: Any) -> bool:
    if not body:
        return False
    words = {w.lower() for w in re.findall(r"\w+", body)}
    return any(str(t).lower() in words for t in triggers)
