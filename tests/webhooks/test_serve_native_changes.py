"""`twilio-acs serve` polling ACS: members added and removed and a topic changed by an
ACS-native app post their webhooks once, and the Twilio view follows (a natively added member
is a participant; the new topic is the friendly name)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from twilio.rest import Client
from twilio.rest.conversations.v1.conversation import ConversationContext

from acs_adapter.store import open_store
from acs_emulator import AcsEmulator
from tests.rest.test_serve import ShimHttpClient
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer
from tests.webhooks.test_serve_events import _serving, _wait_for, native_thread

SETTLE = 1.5
"""Seconds to listen after the expected webhooks, for a second post that must not come."""
NATIVE_EVENTS = ["onParticipantAdded", "onParticipantRemoved", "onConversationUpdated"]


def test_native_membership_and_topic_changes_post_once_and_show_in_reads(tmp_path: Path) -> None:
    with (
        AcsEmulator() as emulator,
        WebhookServer().running() as hooks,
        _serving(emulator, tmp_path, 0, TWILIO_COMPAT_POLL_INTERVAL="0.2") as base,
    ):
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
        client.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=NATIVE_EVENTS, method="POST"
        )
        created = client.conversations.v1.conversations.create(friendly_name="Native")
        conversation = client.conversations.v1.conversations(created.sid)
        conversation.participants.create(identity="omar")
        # pia gets an ACS user by joining another conversation through the shim.
        other = client.conversations.v1.conversations.create(friendly_name="Elsewhere")
        other.participants.create(identity="pia")
        with open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}") as store:
            omar, pia = store.identities.get("omar"), store.identities.get("pia")
            stored = store.conversations.get(created.sid)
        assert omar and pia and stored is not None and stored.thread_id
        pia_user = CommunicationUserIdentifier(pia)

        with native_thread(emulator, omar, stored.thread_id) as thread:
            thread.add_participants([ChatParticipant(identifier=pia_user)])
            _wait_for(hooks, "onParticipantAdded")
            assert _eventually(lambda: "pia" in _identities(conversation))
            pia_sid = conversation.participants("pia").fetch().sid

            thread.remove_participant(pia_user)
            _wait_for(hooks, "onParticipantRemoved")
            thread.update_topic("Renamed natively")
            _wait_for(hooks, "onConversationUpdated")
        threading.Event().wait(SETTLE)
        assert _eventually(lambda: conversation.fetch().friendly_name == "Renamed natively"), (
            "the new topic is the friendly name"
        )
        assert "pia" not in _identities(conversation)

    for event_type in NATIVE_EVENTS:
        assert len(hooks.of(event_type)) == 1, event_type
    (added,) = hooks.of("onParticipantAdded")
    assert (added.params["Identity"], added.params["Source"]) == ("pia", "SDK")
    (removed,) = hooks.of("onParticipantRemoved")
    assert (removed.params["Identity"], removed.params["ParticipantSid"]) == ("pia", pia_sid)


def _identities(conversation: ConversationContext) -> set[str]:
    return {p.identity for p in conversation.participants.list()}


def _eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    waited = 0.0
    while waited < seconds:
        if check():
            return True
        threading.Event().wait(0.1)
        waited += 0.1
    return bool(check())
