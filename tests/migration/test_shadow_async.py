"""Shadow mode for twilio's ``*_async`` methods: the "Twilio" shim answers, ACS is mirrored.

As in ``test_shadow.py`` both backends are real shims (their own emulators and stores), here
behind ``AsyncAcsHttpClient``; a shadow that alters an answer, raises or hangs shows what the
caller is protected from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.migration.conftest import ACCOUNT_SID, AUTH_TOKEN, Side
from twilio_compat.migration import AsyncShadowHttpClient
from twilio_compat.rest import AsyncAcsHttpClient

Alter = Callable[[str, str, Response], Response]


def on(side: Side) -> AsyncAcsHttpClient:
    """An async client over ``side``'s wire handler (closing it leaves the side open)."""
    return AsyncAcsHttpClient(handler=side.handler)


def shadowed(
    primary: Side, shadow: AsyncHttpClient, **options: Any
) -> tuple[Client, AsyncShadowHttpClient]:
    mirror = AsyncShadowHttpClient(on(primary), shadow, **options)
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=mirror), mirror


async def busy_day(client: Client) -> str:
    """Eight calls: create, two members, three messages, a list, a rename."""
    rooms = client.conversations.v1.conversations
    room = await rooms.create_async(friendly_name="Ops", unique_name="shadow-ops")
    here = rooms(room.sid)
    await here.participants.create_async(identity="ann")
    await here.participants.create_async(identity="ben")
    for n in range(3):
        await here.messages.create_async(author="ann" if n % 2 == 0 else "ben", body=f"status {n}")
    await here.messages.list_async(page_size=50)
    await here.update_async(friendly_name="Ops (night)")
    return str(room.sid)


class Tampering(AsyncHttpClient):  # type: ignore[misc]
    """Passes calls through and lets a test alter the answers: an injected divergence."""

    def __init__(self, inner: AsyncHttpClient, alter: Alter) -> None:
        super().__init__(logging.getLogger("tampering"), True)
        self.inner, self.alter = inner, alter

    async def request(self, method: str, url: str, **kwargs: Any) -> Response:
        return self.alter(method, url, await self.inner.request(method, url, **kwargs))


class Broken(AsyncHttpClient):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(logging.getLogger("broken"), True)

    async def request(self, method: str, url: str, **kwargs: Any) -> Response:
        raise ConnectionError("shadow is down")


class Gated(AsyncHttpClient):  # type: ignore[misc]
    """A shadow that answers only once the test opens the gate, and records being closed."""

    def __init__(self, inner: AsyncHttpClient) -> None:
        super().__init__(logging.getLogger("gated"), True)
        self.inner = inner
        self.gate = asyncio.Event()
        self.closed = False

    async def request(self, method: str, url: str, **kwargs: Any) -> Response:
        await self.gate.wait()
        return await self.inner.request(method, url, **kwargs)

    async def close(self) -> None:
        self.closed = True


async def test_every_call_is_mirrored_into_the_shadows_own_sids(
    twilio_side: Side, acs_side: Side
) -> None:
    client, mirror = shadowed(twilio_side, on(acs_side))
    assert client.http_client.is_async is True
    try:
        primary_sid = await busy_day(client)
        assert await mirror.drain(timeout=60)
    finally:
        await mirror.close()

    assert mirror.stats.mirrored == 8 and mirror.stats.matched == 8
    assert mirror.stats.differed == mirror.stats.failed == mirror.stats.dropped == 0
    assert twilio_side.adapter.store.conversations.get(primary_sid) is not None  # primary's SID
    shadow_sid = mirror.sid_map.shadow_of(primary_sid)
    assert shadow_sid != primary_sid and shadow_sid.startswith("CH")
    store = acs_side.adapter.store
    row = store.conversations.get(shadow_sid)
    assert row is not None and row.friendly_name == "Ops (night)"
    assert store.participants.count(shadow_sid) == 2
    assert [m.body for m in store.messages.list(shadow_sid)] == [f"status {n}" for n in range(3)]
    assert store.conversations.get(primary_sid) is None


async def test_differences_are_logged_counted_and_kept_but_the_caller_sees_the_primary(
    twilio_side: Side, acs_side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    def other_author(method: str, url: str, answer: Response) -> Response:
        if method == "POST" and url.endswith("/Messages") and '"ben"' in answer.text:
            return Response(answer.status_code, answer.text.replace('"ben"', '"eve"'))
        return answer

    seen: list[str] = []
    client, mirror = shadowed(
        twilio_side,
        Tampering(on(acs_side), other_author),
        on_difference=lambda difference: seen.append(difference.describe()),
    )
    with caplog.at_level(logging.WARNING, "twilio_compat.migration.shadow"):
        try:
            sid = await busy_day(client)
            listed = await client.conversations.v1.conversations(sid).messages.list_async()
            assert await mirror.drain(timeout=60)
        finally:
            await mirror.close()

    assert [m.author for m in listed] == ["ann", "ben", "ann"]  # the primary's answer
    assert mirror.stats.differed == 1 and mirror.stats.matched == 8
    [difference] = mirror.differences
    assert difference.method == "POST" and difference.url.endswith("/Messages")
    assert [(d.path, d.a, d.b) for d in difference.differences] == [("body.author", "ben", "eve")]
    assert seen == [difference.describe()]
    assert "shadow differs: POST" in caplog.text and "body.author" in caplog.text


async def test_a_failing_shadow_never_fails_the_primary_call(twilio_side: Side) -> None:
    client, mirror = shadowed(twilio_side, Broken())
    try:
        sid = await busy_day(client)
        fetched = await client.conversations.v1.conversations(sid).fetch_async()
        assert await mirror.drain(timeout=60)
    finally:
        await mirror.close()

    assert fetched.friendly_name == "Ops (night)"
    assert mirror.stats.failed == 9 and mirror.stats.mirrored == 0


@pytest.mark.timeout(120)
async def test_a_hanging_shadow_never_holds_the_caller_and_a_full_queue_drops(
    twilio_side: Side, acs_side: Side
) -> None:
    shadow = Gated(on(acs_side))
    client, mirror = shadowed(twilio_side, shadow, queue_size=2)
    try:
        # all nine calls return while the shadow has not answered one: off the caller's path
        sid = await busy_day(client)
        assert (await client.conversations.v1.conversations(sid).fetch_async()).sid == sid
        assert await mirror.drain(timeout=0.2) is False
        assert mirror.stats.mirrored == 0
        assert mirror.stats.dropped >= 6  # one in flight, two queued, the rest dropped
    finally:
        shadow.gate.set()
        await mirror.close()
    assert mirror.stats.mirrored + mirror.stats.dropped == 9


async def test_close_mirrors_what_is_queued_then_stops_and_closes_both_clients(
    twilio_side: Side, acs_side: Side
) -> None:
    primary, shadow = Gated(on(twilio_side)), Gated(on(acs_side))
    primary.gate.set()
    mirror = AsyncShadowHttpClient(primary, shadow)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=mirror)
    sid = await busy_day(client)
    assert mirror.stats.mirrored == 0  # all eight still queued behind the closed gate

    shadow.gate.set()
    await mirror.close()

    assert mirror.stats.mirrored == mirror.stats.matched == 8
    row = acs_side.adapter.store.conversations.get(mirror.sid_map.shadow_of(sid))
    assert row is not None and row.friendly_name == "Ops (night)"
    assert primary.closed and shadow.closed
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "shadow-mirror"]


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="queue_size"):
        AsyncShadowHttpClient(Broken(), Broken(), queue_size=0)
