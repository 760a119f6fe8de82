"""Twilio-format webhooks: post-events from the ACS event source and from shim writes,
pre-events that veto or amend writes, signatures twilio's own validator accepts."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

import pytest
from azure.communication.chat import ChatClient, CommunicationTokenCredential
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.fixtures.threads import thread_of
from tests.webhooks.conftest import ACCOUNT_SID, Hit, WebhookServer
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.webhooks import TwilioWebhooks, Webhook, WebhookSender

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

# REST writes fire webhooks only when they carry `X-Twilio-Webhook-Enabled: true`, as on Twilio.
LOUD = {"x_twilio_webhook_enabled": "true"}


def _configure(
    client: Client, *, post: str | None = None, pre: str | None = None, filters: list[str]
) -> None:
    client.conversations.v1.configuration.webhooks().update(
        post_webhook_url=post, pre_webhook_url=pre, filters=filters, method="POST"
    )


def _conversation_with(client: Client, identity: str) -> str:
    conversation = client.conversations.v1.conversations.create(friendly_name="Support")
    conversation.participants.create(identity=identity)
    return str(conversation.sid)


def test_native_acs_message_gives_a_signed_on_message_added(
    adapter: AcsAdapter,
    client: Client,
    handler: WireHandler,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    """emulator -> Event Grid -> receiver -> EventBus -> onMessageAdded, for a message sent by
    a plain Azure SDK client that knows nothing of the shim."""
    _configure(client, post=webhook_server.url, filters=["onMessageAdded"])
    identity = f"ann-{uuid.uuid4().hex[:8]}"
    conversation_sid = _conversation_with(client, identity)
    acs_user = adapter.directory.acs_user_for(identity)
    thread_id = thread_of(adapter, conversation_sid)
    token = adapter.tokens.token_for(acs_user)
    native = get_chat_thread_client(
        ChatClient(
            adapter.endpoint,
            CommunicationTokenCredential(token.token),
            connection_verify=pushing_emulator.ca_bundle,
        ),
        thread_id,
        connection_verify=pushing_emulator.ca_bundle,
    )
    native.send_message("Hello from plain ACS", sender_display_name="Ann")

    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)
    (hit,) = webhook_server.of("onMessageAdded")
    assert hit.signed()
    assert hit.params["AccountSid"] == ACCOUNT_SID
    assert hit.params["ConversationSid"] == conversation_sid
    assert hit.params["Body"] == "Hello from plain ACS"
    assert hit.params["Author"] == identity
    assert hit.params["Index"] == "0"
    assert hit.params["MessageSid"].startswith("IM")
    assert hit.params["ParticipantSid"].startswith("MB")
    assert hit.params["Source"] == "SDK" and hit.params["ClientIdentity"] == identity
    listed = client.conversations.v1.conversations(conversation_sid).messages.list()
    assert [m.sid for m in listed] == [hit.params["MessageSid"]]


def test_rest_writes_post_only_with_the_webhook_header(
    client: Client,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    _configure(
        client,
        post=webhook_server.url,
        filters=["onConversationAdded", "onParticipantAdded", "onMessageAdded", "onMessageRemoved"],
    )
    conversation = client.conversations.v1.conversations.create(friendly_name="Loud", **LOUD)
    conversation.participants.create(identity="bob", **LOUD)
    message = conversation.messages.create(author="bob", body="hi", attributes='{"a":1}', **LOUD)
    # twilio-python's generated delete() drops this header, so send the request as Twilio
    # documents it: a DELETE carrying `X-Twilio-Webhook-Enabled: true`.
    client.request("DELETE", message.url, headers={"X-Twilio-Webhook-Enabled": "true"})
    quiet = client.conversations.v1.conversations.create(friendly_name="Quiet")
    quiet.messages.create(author="system", body="unheard")
    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)

    kinds = [h.event_type for h in webhook_server.hits]
    assert kinds == [
        "onConversationAdded",
        "onParticipantAdded",
        "onMessageAdded",
        "onMessageRemoved",
    ]
    assert all(h.signed() and h.params["Source"] == "API" for h in webhook_server.hits)
    tokens = [h.token for h in webhook_server.hits]  # I-Twilio-Idempotency-Token, one per event
    assert all(tokens) and len(set(tokens)) == len(tokens)
    added = webhook_server.of("onMessageAdded")[0].params
    assert (added["Body"], added["Author"], added["Attributes"]) == ("hi", "bob", '{"a":1}')
    assert added["MessageSid"] == message.sid and added["Index"] == "0"
    assert webhook_server.of("onConversationAdded")[0].params["FriendlyName"] == "Loud"
    assert "DateRemoved" in webhook_server.of("onMessageRemoved")[0].params


def test_a_pre_event_webhook_can_veto_a_write(
    client: Client, handler: WireHandler, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(client, pre=webhook_server.url, filters=["onMessageAdd"])
    webhook_server.answer = lambda hit: (
        (403, None) if "forbidden" in hit.params.get("Body", "") else (200, None)
    )
    conversation = client.conversations.v1.conversations.create(friendly_name="Guarded", **LOUD)
    with pytest.raises(TwilioRestException) as caught:
        conversation.messages.create(author="system", body="a forbidden word", **LOUD)
    conversation.messages.create(author="system", body="fine", **LOUD)
    assert caught.value.status == 403
    bodies = [m.body for m in conversation.messages.list()]
    assert bodies == ["fine"]
    first, _ = webhook_server.of("onMessageAdd")
    assert first.signed() and first.params["Body"] == "a forbidden word"
    assert first.params["ConversationSid"] == conversation.sid


def test_a_pre_event_webhook_can_change_allowed_fields(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    _configure(client, pre=webhook_server.url, filters=["onMessageAdd", "onConversationAdd"])

    def answer(hit: Hit) -> tuple[int, object]:
        if hit.event_type == "onConversationAdd":
            return 200, {"friendly_name": "Renamed"}
        return 200, {"body": "[redacted]", "attributes": {"checked": True}, "index": 99}

    webhook_server.answer = answer
    conversation = client.conversations.v1.conversations.create(friendly_name="Original", **LOUD)
    message = conversation.messages.create(author="system", body="secret", **LOUD)
    assert conversation.friendly_name == "Renamed"
    assert message.body == "[redacted]" and message.index == 0
    assert message.attributes == '{"checked": true}'


def test_sends_skip_a_pre_event_webhook_that_does_not_filter_them(
    client: Client, handler: WireHandler, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    service = handler.core.services.default_sid
    _configure(
        client,
        pre=webhook_server.url,
        post=webhook_server.url,
        filters=["onConversationAdd", "onMessageAdded"],
    )
    assert not webhooks.vets(service, "onMessageAdd")
    assert webhooks.vets(service, "onConversationAdd")
    conversation = client.conversations.v1.conversations.create(friendly_name="Quiet", **LOUD)
    sent = conversation.messages.create(author="system", body="no pre-event", **LOUD)
    assert webhooks.wait_idle(30)
    assert webhook_server.of("onMessageAdd") == []
    (added,) = webhook_server.of("onMessageAdded")
    assert added.params["MessageSid"] == sent.sid and added.params["Index"] == "0"
    assert [m.sid for m in conversation.messages.list()] == [sent.sid]
    _configure(client, pre=webhook_server.url, filters=["onMessageAdd"])
    assert webhooks.vets(service, "onMessageAdd")


def test_an_unreachable_pre_event_webhook_lets_the_write_through(
    client: Client, webhooks: TwilioWebhooks
) -> None:
    _configure(client, pre="http://127.0.0.1:9/nothing-listens", filters=["onConversationAdd"])
    conversation = client.conversations.v1.conversations.create(friendly_name="Goes ahead", **LOUD)
    assert conversation.friendly_name == "Goes ahead"


def test_conversation_scoped_webhooks_follow_their_filters_and_triggers(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    conversation = client.conversations.v1.conversations.create(friendly_name="Scoped", **LOUD)
    conversation.webhooks.create(
        target="webhook",
        configuration_url=webhook_server.url + "?by=filter",
        configuration_filters=["onMessageAdded"],
        configuration_method="GET",
    )
    conversation.webhooks.create(
        target="trigger",
        configuration_url=webhook_server.url + "?by=trigger",
        configuration_triggers=["help"],
    )
    conversation.messages.create(author="system", body="hello", **LOUD)
    conversation.messages.create(author="system", body="I need HELP now", **LOUD)
    assert webhooks.wait_idle(30)
    by_filter = [h for h in webhook_server.hits if "by=filter" in h.url]
    by_trigger = [h for h in webhook_server.hits if "by=trigger" in h.url]
    assert [h.params["Body"] for h in by_filter] == ["hello", "I need HELP now"]
    assert all(h.method == "GET" and h.signed() for h in by_filter)
    assert [h.params["Body"] for h in by_trigger] == ["I need HELP now"]
    assert by_trigger[0].signed()


def test_failures_are_retried_a_bounded_number_of_times() -> None:
    failures = {"n": 0}

    def flaky(hit: Hit) -> tuple[int, object]:
        failures["n"] += 1
        return (500, None) if failures["n"] <= 2 else (200, None)

    with (
        WebhookServer(flaky).running() as flaky_server,
        WebhookServer(lambda hit: (500, None)).running() as broken,
    ):
        sender = WebhookSender(
            "token", max_attempts=3, base_delay=0.01, max_delay=0.02, allow_private=True
        )
        try:
            sender.send(Webhook(flaky_server.url, "POST", {"EventType": "onMessageAdded"}))
            sender.send(Webhook(broken.url, "POST", {"EventType": "onMessageAdded"}))
            assert sender.wait_idle(30)
        finally:
            sender.close()
    assert len(flaky_server.hits) == 3 and len(broken.hits) == 3
    assert (sender.delivered, sender.dropped) == (1, 1)


def test_one_slow_receiver_does_not_hold_up_another() -> None:
    release = threading.Event()

    def stuck(hit: Hit) -> tuple[int, object]:
        release.wait(30)
        return 200, None

    with WebhookServer(stuck).running() as slow, WebhookServer().running() as fast:
        sender = WebhookSender("token", base_delay=0.01, allow_private=True)
        try:
            sender.send(Webhook(slow.url, "POST", {"EventType": "onMessageAdded", "n": "1"}))
            sender.send(Webhook(fast.url, "POST", {"EventType": "onMessageAdded", "n": "1"}))
            sender.send(Webhook(fast.url, "POST", {"EventType": "onMessageAdded", "n": "2"}))
            for _ in range(3000):
                if len(fast.hits) == 2:
                    break
                threading.Event().wait(0.01)
            # Both of fast's webhooks arrived while slow still holds its first request.
            assert len(fast.hits) == 2 and not release.is_set()
            release.set()
            assert sender.wait_idle(30)
        finally:
            release.set()
            sender.close()
    assert [h.params["n"] for h in fast.hits] == ["1", "2"]
    assert len(slow.hits) == 1


async def test_client_face_writes_post_with_source_sdk(
    client: Client, handler: WireHandler, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    """Writes made through the client-SDK face always fire webhooks, as Twilio's SDK does."""
    from twilio_compat.conversations import Client as ConversationsClient
    from twilio_compat.conversations import SigningKeys
    from twilio_compat.jwt.access_token import AccessToken
    from twilio_compat.jwt.access_token.grants import ChatGrant

    _configure(client, post=webhook_server.url, filters=["onMessageAdded"])
    identity = f"cleo-{uuid.uuid4().hex[:8]}"
    conversation_sid = _conversation_with(client, identity)
    token = AccessToken(
        ACCOUNT_SID,
        "SK" + "4" * 32,
        "webhook-test-signing-key-secret-0123456789",
        identity=identity,
    )
    token.add_grant(ChatGrant())
    keys = SigningKeys.load(
        api_key="SK" + "4" * 32,
        api_secret="webhook-test-signing-key-secret-0123456789",
        account_sid=ACCOUNT_SID,
        environ={},
    )
    sdk = ConversationsClient(token.to_jwt(), core=handler.core, signingKeys=keys, pollInterval=0)
    try:
        conversation = await sdk.getConversationBySid(conversation_sid)
        index = await conversation.prepareMessage().setBody("from the SDK").build().send()
    finally:
        await sdk.shutdown()
    assert webhooks.wait_idle(30)

    (hit,) = webhook_server.of("onMessageAdded")
    assert hit.signed() and hit.params["Body"] == "from the SDK"
    assert (hit.params["Source"], hit.params["ClientIdentity"]) == ("SDK", identity)
    assert hit.params["Index"] == str(index)


def test_edits_and_deletions_made_through_another_shim_process_are_not_posted_again(
    adapter: AcsAdapter,
    client: Client,
    handler: WireHandler,
    pushing_emulator: AcsEmulator,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    """Process A (a second adapter on the same store, posting its own writes) edits and deletes;
    this process's poster hears of both from Event Grid and must not post them a second time.
    A native ACS edit, which no shim process posted, is still posted."""
    _configure(client, post=webhook_server.url, filters=["onMessageUpdated", "onMessageRemoved"])
    identity = f"ed-{uuid.uuid4().hex[:8]}"
    conversation_sid = _conversation_with(client, identity)
    messages = client.conversations.v1.conversations(conversation_sid).messages
    kept = messages.create(author=identity, body="first draft")
    dropped = messages.create(author=identity, body="to be removed")
    untouched = messages.create(author=identity, body="left to ACS")
    with AcsAdapter.open(adapter.settings) as other_adapter:
        other = WireHandler.open(adapter=other_adapter, account_sid=ACCOUNT_SID)
        try:
            api = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=other))
            in_other = api.conversations.v1.conversations(conversation_sid).messages
            in_other(kept.sid).update(body="second draft")
            in_other(dropped.sid).delete()
        finally:
            other.close()
    stored = adapter.store.conversations.get(conversation_sid)
    assert stored is not None and stored.thread_id
    row = adapter.store.messages.get(untouched.sid)
    assert row is not None and row.acs_message_id
    native = adapter.chat.as_user(adapter.directory.acs_user_for(identity))
    native.update_message(stored.thread_id, row.acs_message_id, content="edited in ACS")

    assert pushing_emulator.wait_for_deliveries(30)
    assert webhooks.wait_idle(30)
    assert webhook_server.of("onMessageRemoved") == []
    (updated,) = webhook_server.of("onMessageUpdated")
    assert (updated.params["MessageSid"], updated.params["Body"]) == (
        untouched.sid,
        "edited in ACS",
    )
    assert updated.params["Source"] == "SDK"


def test_pre_events_share_the_senders_connections(webhook_server: WebhookServer) -> None:
    sender = WebhookSender("token", allow_private=True)
    try:
        for n in range(3):
            hook = Webhook(webhook_server.url, "POST", {"EventType": "onMessageAdd", "n": str(n)})
            assert sender.call_pre_event(hook).status == 200
    finally:
        sender.close()
    assert len(webhook_server.hits) == 3
    assert len({hit.peer for hit in webhook_server.hits}) == 1


def test_a_send_racing_close_does_not_keep_wait_idle_waiting() -> None:
    sender = WebhookSender("token", allow_private=True)
    hook = Webhook("http://127.0.0.1:9/hook", "POST", {"EventType": "onMessageAdded"})
    failures: list[BaseException] = []

    def send() -> None:
        try:
            sender.send(hook)
        except BaseException as error:  # pragma: no cover - what the race used to raise
            failures.append(error)

    # Hold the sender's bookkeeping lock so `send` stops inside it while `close` runs.
    with sender._idle:
        sending = threading.Thread(target=send)
        sending.start()
        sending.join(0.2)
        closing = threading.Thread(target=sender.close)
        closing.start()
        closing.join(0.2)
    sending.join(10)
    closing.join(10)
    assert failures == []
    assert sender.wait_idle(timeout=2)
