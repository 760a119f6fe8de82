"""Three `twilio-acs serve` replicas polling one ACS resource post each native message's
`onMessageAdded` once: one replica ingests, and another takes over when it is killed (-9)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from acs_adapter.store import open_store
from acs_emulator import AcsEmulator
from tests.webhooks.conftest import WebhookServer
from tests.webhooks.test_replicas import Replica, _client, replicas
from tests.webhooks.test_serve_events import native_thread

pytestmark = pytest.mark.slow

__all__ = ["replicas"]  # the fixture, shared with the REST-write replica test

MESSAGES = 30
BOUND = 90.0


def test_native_messages_are_posted_once_across_replicas_while_one_is_killed(
    replicas: tuple[AcsEmulator, list[Replica]], store_url: str
) -> None:
    emulator, servers = replicas
    with WebhookServer().running() as hooks:
        first = _client(servers[0])
        first.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onMessageAdded"], method="POST"
        )
        conversation = first.conversations.v1.conversations.create(friendly_name="Native")
        conversation.participants.create(identity="nadia")
        with open_store(store_url) as store:
            acs_user = store.identities.get("nadia")
            stored = store.conversations.get(conversation.sid)
        assert acs_user is not None and stored is not None and stored.thread_id
        bodies = [f"native {number}" for number in range(MESSAGES)]
        with native_thread(emulator, acs_user, stored.thread_id) as thread:
            for number, body in enumerate(bodies):
                if number == MESSAGES // 3:
                    servers[0].kill()  # the first replica most likely holds both leases
                thread.send_message(body)
                time.sleep(0.05)

        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            if {h.params["Body"] for h in hooks.of("onMessageAdded")} >= set(bodies):
                break
            time.sleep(0.2)
        time.sleep(2.0)  # anything posted twice would arrive by now
        hits = hooks.of("onMessageAdded")

    posted = [h.params["Body"] for h in hits]
    assert set(posted) == set(bodies), "every native message's webhook is posted"
    assert all(h.signed() for h in hits)
    assert all(h.params["Source"] == "SDK" for h in hits)
    repeats = {body: n for body, n in Counter(posted).items() if n > 1}
    for body in repeats:  # only a post cut short by the kill may come again, as a retry
        assert len({h.token for h in hits if h.params["Body"] == body}) == 1, body
    assert len(repeats) <= 1, repeats
    indexes = sorted(int(h.params["Index"]) for h in hits if h.params["Body"] not in repeats)
    assert len(set(indexes)) == len(indexes), "each message has one index everywhere"
