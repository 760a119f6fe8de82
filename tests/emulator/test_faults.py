"""Fault injection, seen through the real SDKs the way a user's code would see it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.pipeline.transport import HttpResponse

from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultInjector, FaultKind, FaultPlan
from tests.emulator.helpers import chat_client, identity_client, new_user, thread_client
from tests.fixtures.chat_sdk import create_chat_thread

SEND = "ChatThread_SendChatMessage"


@pytest.fixture(scope="module")
def faulty() -> Iterator[AcsEmulator]:
    """An emulator of its own, so planned faults never touch other tests."""
    with AcsEmulator() as emu:
        yield emu


@pytest.fixture
def thread(faulty: AcsEmulator) -> Iterator[tuple[str, str]]:
    """(token, thread id) in a fresh thread; faults are cleared afterwards."""
    _, token = new_user(faulty)
    thread_id = create_chat_thread(chat_client(faulty, token), "faults").chat_thread.id
    faulty.reset_counters()
    yield token, thread_id
    faulty.clear_faults()


def _texts(emu: AcsEmulator, token: str, thread_id: str) -> list[str]:
    messages = thread_client(emu, token, thread_id).list_messages()
    return [m.content.message for m in messages if m.type == "text"]


def test_one_503_is_retried_by_the_sdk(faulty: AcsEmulator, thread: tuple[str, str]) -> None:
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(unavailable=1.0, retry_after=0, limit=1)}))
    thread_client(faulty, token, thread_id).send_message("after one 503")
    assert faulty.counters[SEND] == 2
    assert _texts(faulty, token, thread_id) == ["after one 503"]


def test_503_without_retries_shows_the_acs_error(
    faulty: AcsEmulator, thread: tuple[str, str]
) -> None:
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(unavailable=1.0, retry_after=2)}))
    with pytest.raises(HttpResponseError) as caught:
        thread_client(faulty, token, thread_id, retry_total=0).send_message("refused")
    assert caught.value.status_code == 503
    assert caught.value.error is not None
    assert caught.value.error.code == "ServiceUnavailable"
    assert isinstance(caught.value.response, HttpResponse)
    assert caught.value.response.headers["Retry-After"] == "2"
    faulty.clear_faults()
    assert _texts(faulty, token, thread_id) == []


def test_429_carries_retry_after(faulty: AcsEmulator, thread: tuple[str, str]) -> None:
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(throttled=1.0, retry_after=3)}))
    with pytest.raises(HttpResponseError) as caught:
        thread_client(faulty, token, thread_id, retry_total=0).send_message("throttled")
    assert caught.value.status_code == 429
    assert caught.value.error is not None
    assert caught.value.error.code == "TooManyRequests"
    assert isinstance(caught.value.response, HttpResponse)
    assert caught.value.response.headers["Retry-After"] == "3"


def test_dropped_connection_loses_the_request(faulty: AcsEmulator, thread: tuple[str, str]) -> None:
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(drop=1.0, limit=1)}))
    with pytest.raises(ServiceResponseError):
        thread_client(faulty, token, thread_id).send_message("never arrives")
    assert _texts(faulty, token, thread_id) == []


def test_lost_response_still_commits(faulty: AcsEmulator, thread: tuple[str, str]) -> None:
    """The caller sees a connection error, yet the message was sent: the duplicate-send trap."""
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(lose_response=1.0, limit=1)}))
    with pytest.raises(ServiceResponseError):
        thread_client(faulty, token, thread_id).send_message("sent but unconfirmed")
    assert _texts(faulty, token, thread_id) == ["sent but unconfirmed"]


def test_latency_delays_past_a_client_timeout(faulty: AcsEmulator, thread: tuple[str, str]) -> None:
    token, thread_id = thread
    faulty.set_faults(FaultPlan({SEND: Fault(latency=1.0, latency_ms=2500, limit=1)}))
    slow = thread_client(faulty, token, thread_id, retry_total=0, read_timeout=0.3)
    with pytest.raises(ServiceResponseError):
        slow.send_message("slow")


def test_wildcard_covers_operations_without_their_own_rule(faulty: AcsEmulator) -> None:
    faulty.set_faults(
        FaultPlan({"*": Fault(unavailable=1.0), "CommunicationIdentity_Create": Fault()})
    )
    try:
        client = identity_client(faulty, retry_total=0)
        user = client.create_user()
        with pytest.raises(HttpResponseError) as caught:
            client.get_token(user, ["chat"])
        assert caught.value.status_code == 503
    finally:
        faulty.clear_faults()
    assert identity_client(faulty).get_token(user, ["chat"]).token


def test_plan_given_at_construction_applies_from_the_start() -> None:
    plan = FaultPlan({"Chat_ListChatThreads": Fault(throttled=1.0)})
    with AcsEmulator(faults=plan) as emu:
        _, token = new_user(emu)
        with pytest.raises(HttpResponseError) as caught:
            list(chat_client(emu, token, retry_total=0).list_chat_threads())
        assert caught.value.status_code == 429


def test_same_seed_same_faults() -> None:
    plan = FaultPlan({"*": Fault(unavailable=0.3, drop=0.2, latency=0.5, latency_ms=1)}, seed=7)
    first, second = FaultInjector(plan), FaultInjector(plan)
    ops = ["A", "B", "C"] * 200
    assert [first.decide(op) for op in ops] == [second.decide(op) for op in ops]
    other = FaultInjector(FaultPlan(plan.operations, seed=8))
    assert [other.decide(op) for op in ops] != [FaultInjector(plan).decide(op) for op in ops]


def test_rates_are_honoured_roughly() -> None:
    injector = FaultInjector(FaultPlan({"*": Fault(unavailable=0.3)}, seed=1))
    kinds = [injector.decide("op").kind for _ in range(2000)]
    assert 450 < kinds.count(FaultKind.UNAVAILABLE) < 750
    assert set(kinds) == {FaultKind.UNAVAILABLE, None}


def test_limit_caps_how_often_a_rule_fires() -> None:
    injector = FaultInjector(FaultPlan({"op": Fault(drop=1.0, limit=2)}))
    assert [injector.decide("op").kind for _ in range(4)] == [
        FaultKind.DROP,
        FaultKind.DROP,
        None,
        None,
    ]


@pytest.mark.parametrize(
    "kwargs",
    [{"unavailable": 1.5}, {"drop": -0.1}, {"unavailable": 0.6, "throttled": 0.6}, {"limit": -1}],
)
def test_impossible_faults_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)  # type: ignore[arg-type]
