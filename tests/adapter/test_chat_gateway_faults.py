"""Failures: ACS errors become typed errors, retries are bounded, keyed sends never duplicate."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter import (
    ChatGateway,
    Forbidden,
    InvalidInput,
    NotFound,
    RetrySettings,
    Throttled,
    TokenCache,
    Unavailable,
    UserChat,
)
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan

SEND = "ChatThread_SendChatMessage"
LIST = "ChatThread_ListChatMessages"
GET_THREAD = "ChatThread_GetChatThreadProperties"
FAST = RetrySettings(total=3, timeout=10, backoff=0)


@pytest.fixture(scope="module")
def tokens(identity_client: Any) -> TokenCache:
    return TokenCache(identity_client)


@pytest.fixture
def faulty(emulator: AcsEmulator) -> Iterator[AcsEmulator]:
    """The shared emulator, with whatever faults a test sets cleared afterwards."""
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def gateway_with(
    emulator: AcsEmulator, tokens: TokenCache
) -> Iterator[Callable[[RetrySettings], ChatGateway]]:
    made: list[ChatGateway] = []

    def make(retry: RetrySettings) -> ChatGateway:
        made.append(
            ChatGateway(emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle, retry=retry)
        )
        return made[-1]

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def new_user(identity_client: Any) -> Callable[[], str]:
    return lambda: str(identity_client.create_user().properties["id"])


def _thread(chat: UserChat) -> str:
    return chat.create_thread("Faults").thread.id


def _sending_with(fault: Fault, faulty: AcsEmulator, chat: UserChat) -> tuple[UserChat, str]:
    """A new thread of `chat`, with `fault` set on sends and the counters reset."""
    thread_id = _thread(chat)
    faulty.set_faults(FaultPlan({SEND: fault}))
    faulty.reset_counters()
    return chat, thread_id


def _texts(chat: UserChat, thread_id: str) -> list[str]:
    return [m.content or "" for m in chat.list_messages(thread_id) if not m.is_system]


# Error mapping


def test_acs_errors_keep_their_code_and_message(
    gateway_with: Callable[[RetrySettings], ChatGateway], new_user: Callable[[], str]
) -> None:
    gateway = gateway_with(FAST)
    owner, stranger = gateway.as_user(new_user()), gateway.as_user(new_user())
    thread_id = _thread(owner)

    with pytest.raises(Forbidden) as forbidden:
        stranger.get_thread(thread_id)
    assert (forbidden.value.status, forbidden.value.code) == (403, "Forbidden")
    assert "not allowed" in forbidden.value.message

    with pytest.raises(NotFound) as missing:
        owner.get_message(thread_id, "123")
    assert (missing.value.status, missing.value.code) == (404, "NotFound")

    with pytest.raises(InvalidInput) as too_big:
        owner.send_message(thread_id, "x" * 40_000)
    assert (too_big.value.status, too_big.value.code) == (400, "BadRequest")
    assert "maximum size" in too_big.value.message


def test_throttling_beyond_the_bound_is_throttled_with_retry_after() -> None:
    with AcsEmulator(throttle=True) as emulator:
        with RequestsTransport(connection_verify=emulator.ca_bundle) as transport:
            client = CommunicationIdentityClient.from_connection_string(
                emulator.connection_string, transport=transport
            )
            user = client.create_user().properties["id"]
            retry = RetrySettings(total=3, timeout=2, backoff=0)
            with ChatGateway(
                emulator.endpoint, TokenCache(client), ca_bundle=emulator.ca_bundle, retry=retry
            ) as gateway:
                chat = gateway.as_user(user)
                thread_id = _thread(chat)
                for _ in range(5):
                    chat.send_typing(thread_id)
                emulator.reset_counters()
                with pytest.raises(Throttled) as throttled:
                    chat.send_typing(thread_id)
        assert throttled.value.status == 429
        assert throttled.value.code == "TooManyRequests"
        assert throttled.value.retry_after is not None and throttled.value.retry_after > 2
        # A Retry-After that ends past the bound is not waited for.
        assert emulator.counters["ChatThread_SendTypingNotification"] == 1


def test_retry_after_within_the_bound_is_honoured(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(RetrySettings(total=3, timeout=20)).as_user(new_user())
    thread_id = _thread(chat)
    faulty.set_faults(FaultPlan({GET_THREAD: Fault(throttled=1.0, retry_after=1, limit=1)}))
    faulty.reset_counters()
    assert chat.get_thread(thread_id).topic == "Faults"
    assert faulty.counters[GET_THREAD] == 2


def test_persistent_503_is_retried_then_unavailable(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(RetrySettings(total=2, timeout=10, backoff=0)).as_user(new_user())
    thread_id = _thread(chat)
    faulty.set_faults(FaultPlan({GET_THREAD: Fault(unavailable=1.0, retry_after=0)}))
    faulty.reset_counters()
    with pytest.raises(Unavailable) as unavailable:
        chat.get_thread(thread_id)
    assert (unavailable.value.status, unavailable.value.code) == (503, "ServiceUnavailable")
    assert faulty.counters[GET_THREAD] == 3


def test_unreachable_service_is_unavailable(
    tokens: TokenCache, emulator: AcsEmulator, new_user: Callable[[], str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    retry = RetrySettings(total=1, timeout=10, backoff=0)
    user = new_user()
    with (
        ChatGateway(
            f"https://127.0.0.1:{port}", tokens, ca_bundle=emulator.ca_bundle, retry=retry
        ) as gateway,
        pytest.raises(Unavailable, match="could not be reached"),
    ):
        gateway.as_user(user).get_thread("19:none@thread.v2")


# Idempotent sends


@pytest.mark.parametrize(
    ("fault", "sends"),
    [
        (Fault(lose_response=1.0, limit=1), 1),  # stored, answer lost: found, not resent
        (Fault(unavailable=1.0, retry_after=0, limit=2), 3),  # refused twice, then sent
        (Fault(drop=1.0, limit=1), 2),  # cut before handling: not found, resent
    ],
)
def test_keyed_send_under_faults_stores_exactly_one_message(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
    fault: Fault,
    sends: int,
) -> None:
    chat, thread_id = _sending_with(fault, faulty, gateway_with(FAST).as_user(new_user()))

    message_id = chat.send_message(thread_id, "exactly once", idempotency_key="key-1")

    faulty.clear_faults()
    assert _texts(chat, thread_id) == ["exactly once"]
    assert chat.get_message(thread_id, message_id).content == "exactly once"
    assert faulty.counters[SEND] == sends


def test_without_a_key_a_lost_answer_is_unavailable_though_stored(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(FAST).as_user(new_user())
    thread_id = _thread(chat)
    faulty.set_faults(FaultPlan({SEND: Fault(lose_response=1.0, limit=1)}))
    with pytest.raises(Unavailable, match="after the request was sent"):
        chat.send_message(thread_id, "maybe")
    faulty.clear_faults()
    assert _texts(chat, thread_id) == ["maybe"]


@pytest.mark.parametrize(
    ("fault", "sends"),
    [
        (Fault(fail_after_write=1.0, retry_after=0, limit=1), 1),  # stored, then a 503: not resent
        (Fault(throttled=1.0, retry_after=0, limit=2), 3),  # refused twice (nothing stored), sent
    ],
)
def test_without_a_key_a_send_is_resent_only_when_nothing_was_stored(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
    fault: Fault,
    sends: int,
) -> None:
    chat, thread_id = _sending_with(fault, faulty, gateway_with(FAST).as_user(new_user()))
    try:
        chat.send_message(thread_id, "at most once")
    except Unavailable:
        assert fault.fail_after_write  # the caller learns the outcome is unknown
    faulty.clear_faults()
    assert faulty.counters[SEND] == sends
    assert _texts(chat, thread_id) == ["at most once"]


def test_a_failing_lookup_is_retried_before_any_resend(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(FAST).as_user(new_user())
    thread_id = _thread(chat)
    faulty.set_faults(
        FaultPlan(
            {
                SEND: Fault(lose_response=1.0, limit=1),
                LIST: Fault(drop=1.0, limit=4),
            }
        )
    )
    faulty.reset_counters()
    chat.send_message(thread_id, "looked up", idempotency_key="key-2")
    faulty.clear_faults()
    assert _texts(chat, thread_id) == ["looked up"]
    assert faulty.counters[SEND] == 1


def test_a_caller_retry_after_giving_up_does_not_duplicate(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(RetrySettings(total=2, timeout=10, backoff=0)).as_user(new_user())
    thread_id = _thread(chat)
    faulty.set_faults(
        FaultPlan(
            {
                SEND: Fault(lose_response=1.0, limit=1),
                LIST: Fault(unavailable=1.0, retry_after=0),
            }
        )
    )
    with pytest.raises(Unavailable):
        chat.send_message(thread_id, "gave up", idempotency_key="key-3")

    faulty.clear_faults()
    faulty.reset_counters()
    again = chat.send_message(thread_id, "gave up", idempotency_key="key-3")
    assert faulty.counters.get(SEND, 0) == 0
    assert _texts(chat, thread_id) == ["gave up"]
    assert chat.get_message(thread_id, again).content == "gave up"


def test_many_keyed_sends_under_random_faults_store_each_once(
    faulty: AcsEmulator,
    gateway_with: Callable[[RetrySettings], ChatGateway],
    new_user: Callable[[], str],
) -> None:
    chat = gateway_with(RetrySettings(total=10, timeout=30, backoff=0)).as_user(new_user())
    thread_id = _thread(chat)
    noisy = Fault(lose_response=0.25, unavailable=0.15, drop=0.1, retry_after=0)
    faulty.set_faults(FaultPlan({SEND: noisy, LIST: Fault(drop=0.1)}, seed=7))
    faulty.reset_counters()

    ids = [chat.send_message(thread_id, f"n{n}", idempotency_key=f"n{n}") for n in range(25)]

    faulty.clear_faults()
    assert faulty.counters[SEND] > 25, "the plan should have caused retries"
    assert sorted(_texts(chat, thread_id)) == sorted(f"n{n}" for n in range(25))
    assert len(set(ids)) == 25
