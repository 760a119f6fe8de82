"""Identity directory and token cache, counted on the emulator's side of the wire."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter import (
    ChatGateway,
    IdentityDirectory,
    InvalidInput,
    NotFound,
    RetrySettings,
    TokenCache,
)
from acs_adapter.store import MappingStore, open_store
from acs_emulator import AcsEmulator

CREATE = "CommunicationIdentity_Create"
DELETE = "CommunicationIdentity_Delete"
ISSUE = "CommunicationIdentity_IssueAccessToken"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MappingStore]:
    opened = open_store(f"sqlite:///{tmp_path}/store.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def directory(store: MappingStore, identity_client: Any) -> IdentityDirectory:
    return IdentityDirectory(store, identity_client)


def _count(emulator: AcsEmulator, operation: str) -> int:
    return emulator.counters.get(operation, 0)


# Identity directory


def test_an_identity_gets_one_acs_user_created_on_first_use(
    emulator: AcsEmulator, directory: IdentityDirectory
) -> None:
    emulator.reset_counters()
    first = directory.acs_user_for("alice@example.com")
    again = directory.acs_user_for("alice@example.com")
    other = directory.acs_user_for("Alice@example.com")

    assert first == again != other
    assert first.startswith("8:acs:")
    assert _count(emulator, CREATE) == 2
    assert directory.identity_for(first) == "alice@example.com"
    assert directory.identity_for("8:acs:never-mapped") is None


def test_any_unicode_up_to_256_characters_is_an_identity(directory: IdentityDirectory) -> None:
    for identity in ["ünïcødé", "名前", "👩🏽‍💻" * 25, "x" * 256, " spaced out ", "a/b?c=d&e"]:
        user = directory.acs_user_for(identity)
        assert directory.identity_for(user) == identity


@pytest.mark.parametrize(
    ("identity", "complaint"),
    [
        ("", "non-empty"),
        ("x" * 257, "256"),
        ("nul\x00inside", "NUL"),
        ("half\ud800surrogate", "surrogate"),
        (42, "non-empty string"),
    ],
)
def test_bad_identities_are_refused_before_any_request(
    emulator: AcsEmulator, directory: IdentityDirectory, identity: Any, complaint: str
) -> None:
    emulator.reset_counters()
    with pytest.raises(InvalidInput, match=complaint):
        directory.acs_user_for(identity)
    assert emulator.counters == {}


def test_threads_asking_at_once_create_one_user(
    emulator: AcsEmulator, directory: IdentityDirectory
) -> None:
    start = threading.Barrier(8)

    def ask(_: int) -> str:
        start.wait()
        return directory.acs_user_for("contended")

    emulator.reset_counters()
    with ThreadPoolExecutor(8) as pool:
        answers = set(pool.map(ask, range(8)))
    assert len(answers) == 1
    assert _count(emulator, CREATE) == 1
    assert _count(emulator, DELETE) == 0


class _AnotherWriterWins:
    """A mapping store whose every insert loses to a writer that got there first."""

    def __init__(self, winner: str) -> None:
        self.winner = winner
        self.identities = self

    def get(self, identity: str) -> str | None:
        return None

    def insert_if_absent(self, identity: str, acs_user_id: str) -> str:
        return self.winner

    def identity_for(self, acs_user_id: str) -> str | None:
        return None


def test_the_loser_of_a_race_deletes_the_user_it_created(
    emulator: AcsEmulator, identity_client: Any
) -> None:
    winner = str(identity_client.create_user().properties["id"])
    directory = IdentityDirectory(_AnotherWriterWins(winner), identity_client)
    emulator.reset_counters()
    assert directory.acs_user_for("raced") == winner
    assert (_count(emulator, CREATE), _count(emulator, DELETE)) == (1, 1)


def _claim(
    connection_string: str,
    ca_bundle: str,
    store_url: str,
    identities: list[str],
    start: Any,
    results: Any,
) -> None:
    """Run in a separate OS process: map the identities through a shared SQLite store."""
    with RequestsTransport(connection_verify=ca_bundle) as transport:
        client = CommunicationIdentityClient.from_connection_string(
            connection_string, transport=transport
        )
        shared = open_store(store_url)
        try:
            directory = IdentityDirectory(shared, client)
            start.wait(timeout=60)
            results.put({identity: directory.acs_user_for(identity) for identity in identities})
        finally:
            shared.close()


def test_two_processes_sharing_a_store_end_with_one_user_per_identity(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path}/shared.sqlite3"
    open_store(store_url).close()  # create the schema before the race
    identities = [f"racer-{n}" for n in range(15)]
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    args = (emulator.connection_string, emulator.ca_bundle, store_url, identities, start, results)
    workers = [context.Process(target=_claim, args=args) for _ in range(2)]

    emulator.reset_counters()
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    assert answers[0] == answers[1]
    assert len(set(answers[0].values())) == len(identities)
    # Every user created beyond one per identity was deleted again by the race's loser.
    assert _count(emulator, CREATE) - _count(emulator, DELETE) == len(identities)
    with open_store(store_url) as check:
        assert {i: check.identities.get(i) for i in identities} == answers[0]


# Token cache


def test_a_thousand_operations_by_ten_identities_issue_ten_tokens(
    emulator: AcsEmulator, directory: IdentityDirectory, identity_client: Any
) -> None:
    emulator.reset_counters()
    tokens = TokenCache(identity_client)
    with ChatGateway(emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle) as gateway:
        users = [directory.acs_user_for(f"member-{n}") for n in range(10)]
        thread_id = gateway.as_user(users[0]).create_thread("Busy", users[1:]).thread.id

        def operate(n: int) -> None:
            chat = gateway.as_user(users[n % 10])
            if n % 3 == 0:
                chat.send_message(thread_id, f"op {n}")
            elif n % 3 == 1:
                chat.get_thread(thread_id)
            else:
                next(chat.list_participants(thread_id))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(operate, range(999)))

    chat_calls = sum(v for k, v in emulator.counters.items() if k.startswith("Chat"))
    assert chat_calls == 1000
    assert _count(emulator, CREATE) == 10
    assert _count(emulator, ISSUE) == 10


def test_tokens_are_refreshed_before_they_expire(
    emulator: AcsEmulator, identity_client: Any
) -> None:
    user = str(identity_client.create_user().properties["id"])
    now = [0.0]
    tokens = TokenCache(identity_client, refresh_margin=600, clock=lambda: now[0])
    emulator.reset_counters()

    now[0] = 1.0
    first = tokens.token_for(user)
    assert tokens.token_for(user) is first
    assert _count(emulator, ISSUE) == 1

    now[0] = first.expires_on - 601  # just outside the margin: still fresh
    assert tokens.token_for(user) is first
    now[0] = first.expires_on - 599  # inside the margin: replaced before it expires
    second = tokens.token_for(user)
    assert second is not first and second.expires_on >= first.expires_on
    assert _count(emulator, ISSUE) == 2


def test_a_revoked_token_is_replaced_without_the_caller_noticing(
    emulator: AcsEmulator, directory: IdentityDirectory, identity_client: Any
) -> None:
    tokens = TokenCache(identity_client)
    user = directory.acs_user_for("revoked-sync")
    with ChatGateway(emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle) as gateway:
        chat = gateway.as_user(user)
        thread_id = chat.create_thread("Revoked").thread.id
        before = tokens.token_for(user).token

        identity_client.revoke_tokens(CommunicationUserIdentifier(user))
        emulator.reset_counters()
        assert chat.send_message(thread_id, "still here")
        assert chat.get_thread(thread_id).topic == "Revoked"

    assert _count(emulator, ISSUE) == 1
    assert _count(emulator, "ChatThread_SendChatMessage") == 2  # the 401, then the resend
    assert tokens.token_for(user).token != before


def test_concurrent_calls_after_revocation_share_one_new_token(
    emulator: AcsEmulator, directory: IdentityDirectory, identity_client: Any
) -> None:
    tokens = TokenCache(identity_client)
    user = directory.acs_user_for("revoked-concurrently")
    with ChatGateway(emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle) as gateway:
        chat = gateway.as_user(user)
        thread_ids = [chat.create_thread(f"T{n}").thread.id for n in range(6)]
        identity_client.revoke_tokens(CommunicationUserIdentifier(user))
        emulator.reset_counters()
        start = threading.Barrier(6)

        def read(thread_id: str) -> str:
            start.wait()
            return chat.get_thread(thread_id).topic

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(read, thread_ids)) == [f"T{n}" for n in range(6)]
    assert _count(emulator, ISSUE) == 1


def test_tokens_for_unknown_users_fail_clearly(identity_client: Any) -> None:
    tokens = TokenCache(identity_client)
    with pytest.raises(NotFound):
        tokens.token_for("8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000")
    with pytest.raises(InvalidInput):
        tokens.credential("")


def test_retry_settings_reach_the_gateway(emulator: AcsEmulator, identity_client: Any) -> None:
    retry = RetrySettings(total=0, timeout=5)
    with ChatGateway(
        emulator.endpoint, TokenCache(identity_client), ca_bundle=emulator.ca_bundle, retry=retry
    ) as gateway:
        assert gateway.retry is retry


def test_the_token_cache_keeps_only_the_most_recently_active_users(
    emulator: AcsEmulator, identity_client: Any
) -> None:
    users = [str(identity_client.create_user().properties["id"]) for _ in range(4)]
    tokens = TokenCache(identity_client, max_users=2)
    emulator.reset_counters()
    first = tokens.token_for(users[0])
    tokens.token_for(users[1])
    assert tokens.token_for(users[0]) is first  # now the most recently used
    tokens.token_for(users[2])  # evicts users[1]
    assert len(tokens) == 2 and tokens.fresh_token(users[1]) is None
    assert tokens.token_for(users[0]) is first
    assert _count(emulator, ISSUE) == 3
    tokens.token_for(users[1])  # issued again when next active
    assert _count(emulator, ISSUE) == 4 and len(tokens) == 2


def test_the_gateway_keeps_a_bounded_number_of_chat_clients(
    emulator: AcsEmulator, directory: IdentityDirectory, identity_client: Any
) -> None:
    tokens = TokenCache(identity_client)
    users = [directory.acs_user_for(f"bounded-{n}") for n in range(3)]
    with ChatGateway(
        emulator.endpoint,
        tokens,
        ca_bundle=emulator.ca_bundle,
        max_users=2,
        max_thread_clients=2,
    ) as gateway:
        owner = gateway.as_user(users[0])
        thread_ids = [owner.create_thread(f"T{n}", users[1:]).thread.id for n in range(3)]
        for thread_id in thread_ids:
            assert owner.send_message(thread_id, "hello")
        for user in users[1:]:
            assert gateway.as_user(user).get_thread(thread_ids[0]).topic == "T0"
        assert gateway.as_user(users[0]) is not owner  # evicted, rebuilt on use
        assert "users=2" in repr(gateway) and "thread_clients=2" in repr(gateway)
        assert gateway.as_user(users[0]).get_thread(thread_ids[2]).topic == "T2"
