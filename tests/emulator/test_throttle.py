"""ACS's published rate limits, off by default and on with `throttle=True`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import HttpResponse

from acs_emulator import AcsEmulator
from acs_emulator.throttle import Throttle
from tests.emulator.helpers import chat_client, new_user, thread_client
from tests.fixtures.chat_sdk import create_chat_thread

TYPING = "ChatThread_SendTypingNotification"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_typing_is_limited_per_user_per_thread() -> None:
    clock = FakeClock()
    throttle = Throttle(clock)
    assert [throttle.check(TYPING, "alice", "t1") for _ in range(5)] == [None] * 5
    assert throttle.check(TYPING, "alice", "t1") == 10
    assert throttle.check(TYPING, "bob", "t1") is None
    assert throttle.check(TYPING, "alice", "t2") is None
    clock.now += 4
    assert throttle.check(TYPING, "alice", "t1") == 6
    clock.now += 6
    assert throttle.check(TYPING, "alice", "t1") is None


def test_send_update_and_delete_share_one_thread_budget() -> None:
    throttle = Throttle(FakeClock())
    ops = ["ChatThread_SendChatMessage", "ChatThread_UpdateChatMessage"] * 5
    assert all(throttle.check(op, f"user{i}", "t1") is None for i, op in enumerate(ops))
    assert throttle.check("ChatThread_DeleteChatMessage", "someone", "t1") is not None
    assert throttle.check("ChatThread_SendChatMessage", "someone", "t2") is None


def test_minute_window_applies_after_the_ten_second_one() -> None:
    clock = FakeClock()
    throttle = Throttle(clock)
    send = "ChatThread_SendChatMessage"
    for _ in range(3):
        assert all(throttle.check(send, "u", "t") is None for _ in range(10))
        clock.now += 10
    wait = throttle.check(send, "u", "t")
    assert wait is not None and 20 <= wait <= 30


def test_refused_requests_do_not_count() -> None:
    clock = FakeClock()
    throttle = Throttle(clock)
    create = "Chat_CreateChatThread"
    for _ in range(10):
        throttle.check(create, "u", None)
    for _ in range(50):
        assert throttle.check(create, "u", None) is not None
    clock.now += 10
    assert throttle.check(create, "u", None) is None


def test_operations_without_a_published_limit_pass() -> None:
    throttle = Throttle(FakeClock())
    assert all(throttle.check("Unknown_Operation", "u", "t") is None for _ in range(1000))


@pytest.fixture(scope="module")
def throttled() -> Iterator[AcsEmulator]:
    with AcsEmulator(throttle=True) as emu:
        yield emu


def test_eleventh_message_in_ten_seconds_gets_429(throttled: AcsEmulator) -> None:
    _, token = new_user(throttled)
    chat = chat_client(throttled, token)
    first = create_chat_thread(chat, "busy").chat_thread.id
    second = create_chat_thread(chat, "quiet").chat_thread.id
    busy = thread_client(throttled, token, first, retry_total=0)
    for n in range(10):
        busy.send_message(f"message {n}")
    with pytest.raises(HttpResponseError) as caught:
        busy.send_message("one too many")
    assert caught.value.status_code == 429
    assert caught.value.error is not None
    assert caught.value.error.code == "TooManyRequests"
    assert caught.value.error.message == "Rate limit exceeded."
    assert isinstance(caught.value.response, HttpResponse)
    retry_after = int(caught.value.response.headers["Retry-After"])
    assert 1 <= retry_after <= 10
    thread_client(throttled, token, second, retry_total=0).send_message("other thread is fine")


def test_throttling_is_off_by_default(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    thread_id = create_chat_thread(chat_client(emulator, token), "free").chat_thread.id
    free = thread_client(emulator, token, thread_id, retry_total=0)
    for _ in range(12):
        free.send_typing_notification()
