"""User webhooks (onUserAdded, onUserUpdate, onUserUpdated), onConversationStateUpdated for the
API, timers and reactivating messages, and onDeliveryUpdated, which ACS cannot raise."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.fixtures.clock import SteppedClock
from tests.webhooks.conftest import ACCOUNT_SID, Hit, WebhookServer
from twilio_compat.rest import WireHandler
from twilio_compat.webhooks import TwilioWebhooks

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter
    from acs_emulator import AcsEmulator

LOUD = {"x_twilio_webhook_enabled": "true"}
USER_EVENTS = ["onUserAdded", "onUserUpdate", "onUserUpdated"]


def _configure(
    client: Client, *, post: str | None = None, pre: str | None = None, filters: list[str]
) -> None:
    client.conversations.v1.configuration.webhooks().update(
        post_webhook_url=post, pre_webhook_url=pre, filters=filters, method="POST"
    )


def _identity() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def _iso_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_creating_and_updating_a_user_posts_signed_user_webhooks(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(client, post=webhook_server.url, pre=webhook_server.url, filters=USER_EVENTS)
    identity = _identity()
    users = client.conversations.v1.users
    user = users.create(identity=identity, friendly_name="Ann", attributes='{"a":1}', **LOUD)
    user.update(friendly_name="Ann B", **LOUD)
    assert webhooks.wait_idle(30)

    # Post-events are queued while a pre-event is a synchronous call, so only the post-events
    # keep their order (Twilio promises no order between separate webhook requests either).
    assert sorted(h.event_type for h in webhook_server.hits) == sorted(USER_EVENTS)
    assert all(h.signed() and h.params["Source"] == "API" for h in webhook_server.hits)
    (added,) = (h.params for h in webhook_server.of("onUserAdded"))
    (update,) = (h.params for h in webhook_server.of("onUserUpdate"))
    (updated,) = (h.params for h in webhook_server.of("onUserUpdated"))
    assert webhook_server.hits.index(webhook_server.of("onUserAdded")[0]) < (
        webhook_server.hits.index(webhook_server.of("onUserUpdated")[0])
    )
    assert added["AccountSid"] == ACCOUNT_SID
    assert added["UserSid"] == user.sid and added["ChatServiceSid"] == user.chat_service_sid
    assert (added["Identity"], added["FriendlyName"], added["Attributes"]) == (
        identity,
        "Ann",
        '{"a":1}',
    )
    assert "DateCreated" in added and "DateUpdated" not in added
    # The pre-event carries the values the update is about to set.
    assert (update["UserSid"], update["FriendlyName"]) == (user.sid, "Ann B")
    assert (updated["FriendlyName"], updated["Identity"]) == ("Ann B", identity)
    assert _iso_date(updated["DateUpdated"]) >= _iso_date(updated["DateCreated"])
    # ACS Chat has no presence or push: reachability is unknown, so it is not claimed.
    assert "isOnline" not in updated and "isNotifiable" not in updated


def test_on_user_update_can_veto_an_update(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(client, pre=webhook_server.url, filters=["onUserUpdate"])
    webhook_server.answer = lambda hit: (
        (403, None) if hit.params.get("FriendlyName") == "Forbidden" else (200, None)
    )
    user = client.conversations.v1.users.create(identity=_identity(), friendly_name="Kept")
    with pytest.raises(TwilioRestException) as caught:
        user.update(friendly_name="Forbidden", **LOUD)
    assert caught.value.status == 403
    assert user.fetch().friendly_name == "Kept"
    (hit,) = webhook_server.of("onUserUpdate")
    assert hit.signed() and hit.params["UserSid"] == user.sid


def test_on_user_update_may_change_only_the_name_and_attributes(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(client, pre=webhook_server.url, filters=["onUserUpdate"])

    def answer(hit: Hit) -> tuple[int, object]:
        return 200, {
            "friendly_name": "Renamed",
            "attributes": {"checked": True},
            "identity": "someone-else",
        }

    webhook_server.answer = answer
    identity = _identity()
    user = client.conversations.v1.users.create(identity=identity)
    changed = user.update(friendly_name="Proposed", attributes='{"x":1}', **LOUD)
    assert changed.friendly_name == "Renamed"
    assert json.loads(changed.attributes) == {"checked": True}
    assert changed.identity == identity
    assert user.fetch().friendly_name == "Renamed"


def test_user_writes_without_the_webhook_header_post_nothing(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(
        client,
        post=webhook_server.url,
        pre=webhook_server.url,
        filters=[*USER_EVENTS, "onConversationStateUpdated"],
    )
    user = client.conversations.v1.users.create(identity=_identity(), friendly_name="Quiet")
    user.update(friendly_name="Still quiet")
    conversation = client.conversations.v1.conversations.create(friendly_name="Quiet")
    conversation.update(state="inactive")
    conversation.update(state="closed")
    assert webhooks.wait_idle(30)
    assert webhook_server.hits == []
    assert user.fetch().friendly_name == "Still quiet"
    assert conversation.fetch().state == "closed"


def test_state_changes_post_with_their_reason(
    client: Client,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    """A timer that expired (noticed on the next read, even one without the webhook header), a
    message that reactivates the conversation, then closing it through the API."""
    _configure(client, post=webhook_server.url, filters=["onConversationStateUpdated"])
    long_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    conversation = client.conversations.v1.conversations.create(
        friendly_name="Timed",
        date_created=long_ago,
        timers_inactive="PT1M",
        messaging_service_sid="MG" + "5" * 32,
    )
    assert conversation.fetch().state == "inactive"
    assert conversation.fetch().state == "inactive"
    conversation.messages.create(author="system", body="wake up", **LOUD)
    assert conversation.fetch().state == "active"
    conversation.update(state="closed", **LOUD)
    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)

    hits = webhook_server.of("onConversationStateUpdated")
    assert all(h.signed() for h in hits)
    moves = [(h.params["StateFrom"], h.params["StateTo"], h.params["Reason"]) for h in hits]
    assert moves == [
        ("active", "inactive", "TIMER"),
        ("inactive", "active", "EVENT"),
        ("active", "closed", "API"),
    ]
    timer = hits[0].params
    assert timer["ConversationSid"] == conversation.sid
    assert timer["ChatServiceSid"] == conversation.chat_service_sid
    assert timer["MessagingServiceSid"] == "MG" + "5" * 32
    # The timer moved the state one minute after the creation date (sent in whole seconds).
    expected = long_ago.replace(microsecond=0) + timedelta(minutes=1)
    assert _iso_date(timer["StateUpdated"]) == expected


def test_setting_the_same_state_posts_no_state_change(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(
        client,
        post=webhook_server.url,
        filters=["onConversationStateUpdated", "onConversationUpdated"],
    )
    conversation = client.conversations.v1.conversations.create(friendly_name="Steady")
    conversation.update(state="active", **LOUD)
    assert webhooks.wait_idle(30)
    assert [h.event_type for h in webhook_server.hits] == ["onConversationUpdated"]


def test_on_delivery_updated_is_accepted_but_never_fires(
    client: Client,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    """ACS Chat has no delivery receipts, so there is nothing to report."""
    _configure(client, post=webhook_server.url, filters=["onDeliveryUpdated", "onMessageAdded"])
    assert "onDeliveryUpdated" in client.conversations.v1.configuration.webhooks().fetch().filters
    conversation = client.conversations.v1.conversations.create(friendly_name="Receipts")
    participant = conversation.participants.create(identity=_identity(), **LOUD)
    message = conversation.messages.create(author=participant.identity, body="read me", **LOUD)
    participant.update(last_read_message_index=message.index, **LOUD)
    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)
    assert [h.event_type for h in webhook_server.hits] == ["onMessageAdded"]


async def test_client_face_user_edits_post_with_source_sdk(
    client: Client, handler: WireHandler, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    """The client SDK's own user edits always fire webhooks, with the editor's identity."""
    from twilio_compat.conversations import Client as ConversationsClient
    from twilio_compat.conversations import SigningKeys
    from twilio_compat.jwt.access_token import AccessToken
    from twilio_compat.jwt.access_token.grants import ChatGrant

    key_sid, key_secret = "SK" + "6" * 32, "user-webhook-test-signing-key-secret-0123"
    identity = _identity()
    client.conversations.v1.users.create(identity=identity, friendly_name="Before")
    _configure(client, post=webhook_server.url, pre=webhook_server.url, filters=USER_EVENTS)
    token = AccessToken(ACCOUNT_SID, key_sid, key_secret, identity=identity)
    token.add_grant(ChatGrant())
    keys = SigningKeys.load(
        api_key=key_sid, api_secret=key_secret, account_sid=ACCOUNT_SID, environ={}
    )
    sdk = ConversationsClient(token.to_jwt(), core=handler.core, signingKeys=keys, pollInterval=0)
    try:
        user = await sdk.getUser(identity)
        await user.updateFriendlyName("After")
    finally:
        await sdk.shutdown()
    assert webhooks.wait_idle(30)

    assert [h.event_type for h in webhook_server.hits] == ["onUserUpdate", "onUserUpdated"]
    for hit in webhook_server.hits:
        assert hit.signed()
        assert (hit.params["Source"], hit.params["ClientIdentity"]) == ("SDK", identity)
        assert hit.params["FriendlyName"] == "After"


def test_a_native_acs_message_reactivating_a_conversation_posts_the_state_change(
    adapter: AcsAdapter,
    client: Client,
    handler: WireHandler,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
    chat_clock: SteppedClock,
) -> None:
    _configure(
        client,
        post=webhook_server.url,
        filters=["onConversationStateUpdated", "onMessageAdded"],
    )
    identity = _identity()
    conversation = client.conversations.v1.conversations.create(friendly_name="Dozing")
    conversation.participants.create(identity=identity)
    conversation.update(state="inactive", **LOUD)
    chat_clock.step(1.1)  # ACS times have whole seconds: the message must come after the change
    stored = adapter.store.conversations.get(conversation.sid)
    assert stored is not None and stored.thread_id
    native = adapter.chat.as_user(adapter.directory.acs_user_for(identity))
    native.send_message(stored.thread_id, "back again")
    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)

    moves = [
        (h.params["StateFrom"], h.params["StateTo"], h.params["Reason"])
        for h in webhook_server.of("onConversationStateUpdated")
    ]
    assert moves == [("active", "inactive", "API"), ("inactive", "active", "EVENT")]
    assert [h.params["Body"] for h in webhook_server.of("onMessageAdded")] == ["back again"]
    assert conversation.fetch().state == "active"
