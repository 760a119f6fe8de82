"""Shadow mode: the "Twilio" shim answers, ACS is mirrored off the caller's path.

Both backends are real shims (their own emulators and stores); a shadow that alters an
answer, raises, or hangs shows what the caller is protected from.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.migration.conftest import ACCOUNT_SID, AUTH_TOKEN, Side
from tests.migration.test_compare import Tampering
from twilio_compat.migration.shadow import ShadowHttpClient, SidMap


def shadowed(primary: Side, shadow: HttpClient, **options: Any) -> tuple[Client, ShadowHttpClient]:
    mirror = ShadowHttpClient(primary.client.http_client, shadow, **options)
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=mirror), mirror


def busy_day(client: Client) -> str:
    """Eight calls: create, two members, three messages, a list, a rename."""
    rooms = client.conversations.v1.conversations
    room = rooms.create(friendly_name="Ops", unique_name="shadow-ops")
    here = rooms(room.sid)
    here.participants.create(identity="ann")
    here.participants.create(identity="ben")
    for n in range(3):
        here.messages.create(author="ann" if n % 2 == 0 else "ben", body=f"status {n}")
    here.messages.list(page_size=50)
    here.update(friendly_name="Ops (night)")
    return str(room.sid)


def test_every_call_is_mirrored_into_the_shadows_own_sids(
    twilio_side: Side, acs_side: Side
) -> None:
    client, mirror = shadowed(twilio_side, acs_side.client.http_client)
    try:
        primary_sid = busy_day(client)
        assert mirror.drain(timeout=60)
    finally:
        mirror.close()

    assert mirror.stats.mirrored == 8 and mirror.stats.matched == 8
    assert mirror.stats.differed == mirror.stats.failed == mirror.stats.dropped == 0
    shadow_sid = mirror.sid_map.shadow_of(primary_sid)
    assert shadow_sid != primary_sid and shadow_sid.startswith("CH")
    store = acs_side.adapter.store
    row = store.conversations.get(shadow_sid)
    assert row is not None and row.friendly_name == "Ops (night)"
    assert store.participants.count(shadow_sid) == 2
    assert [m.body for m in store.messages.list(shadow_sid)] == [f"status {n}" for n in range(3)]
    assert store.conversations.get(primary_sid) is None


def test_differences_are_logged_counted_and_kept_but_the_caller_sees_the_primary(
    twilio_side: Side, acs_side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    def other_author(method: str, url: str, answer: Response) -> Response:
        if method == "POST" and url.endswith("/Messages") and '"ben"' in answer.text:
            return Response(answer.status_code, answer.text.replace('"ben"', '"eve"'))
        return answer

    shadow = Tampering(acs_side.client.http_client, other_author)
    client, mirror = shadowed(twilio_side, shadow)
    with caplog.at_level(logging.WARNING, "twilio_compat.migration.shadow"):
        try:
            sid = busy_day(client)
            mirror.drain(timeout=60)
        finally:
            mirror.close()

    assert mirror.stats.differed == 1 and mirror.stats.matched == 7
    [difference] = mirror.differences
    assert difference.method == "POST" and difference.url.endswith("/Messages")
    assert [(d.path, d.a, d.b) for d in difference.differences] == [("body.author", "ben", "eve")]
    assert "shadow differs: POST" in caplog.text and "body.author" in caplog.text
    authors = [m.author for m in client.conversations.v1.conversations(sid).messages.list()]
    assert authors == ["ann", "ben", "ann"]  # what the caller got came from the primary


class Broken(HttpClient):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(logging.getLogger("broken"), False)

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        raise ConnectionError("shadow is down")


def test_a_failing_shadow_never_fails_the_primary_call(twilio_side: Side) -> None:
    client, mirror = shadowed(twilio_side, Broken())
    try:
        sid = busy_day(client)
        mirror.drain(timeout=60)
    finally:
        mirror.close()

    assert client.conversations.v1.conversations(sid).fetch().friendly_name == "Ops (night)"
    assert mirror.stats.failed == 8 and mirror.stats.mirrored == 0


class Hanging(HttpClient):  # type: ignore[misc]
    """A shadow that answers only when the test lets it."""

    def __init__(self, inner: HttpClient) -> None:
        super().__init__(logging.getLogger("hanging"), False)
        self.inner = inner
        self.release = threading.Event()

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        self.release.wait()
        return self.inner.request(method, url, **kwargs)


@pytest.mark.timeout(120)
def test_a_hanging_shadow_never_holds_the_caller(twilio_side: Side, acs_side: Side) -> None:
    shadow = Hanging(acs_side.client.http_client)
    client, mirror = shadowed(twilio_side, shadow, queue_size=2)
    try:
        # all eight calls return while the shadow has not answered one: off the caller's path
        sid = busy_day(client)
        assert client.conversations.v1.conversations(sid).fetch().sid == sid
        assert mirror.stats.mirrored == 0
        assert mirror.stats.dropped >= 6  # one in flight, two queued, the rest dropped
    finally:
        shadow.release.set()
        mirror.close()
    assert mirror.stats.mirrored + mirror.stats.dropped == 9


def test_the_sid_map_is_kept_in_the_store_across_restarts(acs_side: Side) -> None:
    store = acs_side.adapter.store
    primary, shadow = "CH" + "1" * 32, "CH" + "2" * 32
    SidMap(store, run="tenant-a").learn(primary, shadow)

    again = SidMap(store, run="tenant-a")
    assert again.shadow_of(primary) == shadow and again.primary_of(shadow) == primary
    assert again.to_shadow(f"/v1/Conversations/{primary}/Messages") == (
        f"/v1/Conversations/{shadow}/Messages"
    )
    assert SidMap(store, run="tenant-b").shadow_of(primary) == primary  # runs are separate
    stored = store.checkpoints.get(f"shadow-sid:tenant-a:{primary}")
    assert stored is not None and json.loads(stored.state) == shadow


def test_queue_size_must_be_positive(twilio_side: Side) -> None:
    with pytest.raises(ValueError, match="queue_size"):
        ShadowHttpClient(twilio_side.client.http_client, Broken(), queue_size=0)
