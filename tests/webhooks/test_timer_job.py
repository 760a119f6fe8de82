"""The timer job moves a conversation when its timer fires and posts its state webhook then,
with Reason TIMER, without anybody reading the conversation (as Twilio does); `serve` runs it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.rest.test_serve import ShimHttpClient
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer
from tests.webhooks.test_serve_events import _serving
from twilio_compat.core.conversations import MIN_INACTIVE
from twilio_compat.rest import WireHandler
from twilio_compat.webhooks import TwilioWebhooks

SOON = timedelta(seconds=2)


def _wait_for(webhook_server: WebhookServer, event_type: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not webhook_server.of(event_type):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_fired_timer_posts_its_state_webhook_without_a_read(
    client: Client,
    adapter: AcsAdapter,
    handler: WireHandler,
    webhooks: TwilioWebhooks,
    webhook_server: WebhookServer,
) -> None:
    client.conversations.v1.configuration.webhooks().update(
        post_webhook_url=webhook_server.url, filters=["onConversationStateUpdated"], method="POST"
    )
    # Timers count from the creation date: one set to have started just under the shortest
    # Timers.Inactive ago fires in a moment.
    started = datetime.now(timezone.utc) - MIN_INACTIVE + SOON
    conversation = client.conversations.v1.conversations.create(
        friendly_name="Timed", date_created=started, timers_inactive="PT1M"
    )
    job = handler.core.events.timer_job(interval=0.2).start()
    try:
        assert _wait_for(webhook_server, "onConversationStateUpdated", 30)
    finally:
        job.stop()
    assert webhooks.wait_idle(30)

    (hit,) = webhook_server.of("onConversationStateUpdated")
    assert hit.signed()
    assert hit.params["ConversationSid"] == conversation.sid
    assert (hit.params["StateFrom"], hit.params["StateTo"], hit.params["Reason"]) == (
        "active",
        "inactive",
        "TIMER",
    )
    stored = adapter.store.conversations.get(conversation.sid)
    assert stored is not None and stored.state == "inactive" and stored.timer_due_at is None
    assert conversation.fetch().state == "inactive"
    assert len(webhook_server.of("onConversationStateUpdated")) == 1


def test_the_timer_job_moves_nothing_before_a_timer_fires(
    client: Client, adapter: AcsAdapter, handler: WireHandler
) -> None:
    conversation = client.conversations.v1.conversations.create(
        friendly_name="Waiting", timers_closed="PT10M"
    )
    job = handler.core.events.timer_job(interval=0.2)
    job.apply_due()
    stored = adapter.store.conversations.get(conversation.sid)
    assert stored is not None and stored.state == "active"
    job.stop()


def test_serve_posts_a_fired_timers_webhook_without_a_read(tmp_path: Path) -> None:
    with (
        AcsEmulator() as emulator,
        WebhookServer().running() as hooks,
        _serving(emulator, tmp_path, 0) as base,
    ):
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
        client.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onConversationStateUpdated"], method="POST"
        )
        started = datetime.now(timezone.utc) - MIN_INACTIVE + SOON
        conversation = client.conversations.v1.conversations.create(
            friendly_name="Served", date_created=started, timers_inactive="PT1M"
        )
        assert _wait_for(hooks, "onConversationStateUpdated", 30)
    (hit,) = hooks.of("onConversationStateUpdated")
    assert hit.signed() and hit.params["ConversationSid"] == conversation.sid
    assert (hit.params["StateTo"], hit.params["Reason"]) == ("inactive", "TIMER")
