"""The REST face against the direct Azure SDK on the same emulator, in the same run.

Each figure is the median wall time of the shim's call (twilio-python's own ``Client`` over
``AcsHttpClient``) divided by the median of the equivalent direct ``azure-communication-chat``
call, the two interleaved so drift hits both alike. Request counts come from the emulator's
per-operation counters. CPU is ``time.thread_time()`` of the calling thread: the emulator serves
from its own thread, so its work is excluded. The shim's added CPU per call is its figure minus
the direct SDK's for the same operation, minus what twilio-python itself spends building the
request and parsing the answer (measured by replaying the shim's recorded answer to the same
call): that work is the user's own library, which runs against Twilio too.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.communication.identity import CommunicationIdentityClient
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from benchmarks.report import Row
from twilio_compat.core.messages import SYNC_OVERLAP
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.rest.media import upload_media
from twilio_compat.rest.resources.paging import token as page_token

ACCOUNT_SID = "AC" + "b" * 32
DEEP_MESSAGES = 5000
DEPTH = 4000
ROUNDS = 40
SEND_ROUNDS = 400
AUTHOR_SENDS = 100
MEMORY_CONVERSATIONS = 1000
QUICK = {
    "DEEP_MESSAGES": 60,
    "DEPTH": 20,
    "ROUNDS": 2,
    "SEND_ROUNDS": 2,
    "AUTHOR_SENDS": 2,
    "MEMORY_CONVERSATIONS": 5,
}
"""Sends are cheap and their ratio is close to its goal: more pairs steady the medians."""
NOTES = [
    "Ratios: median wall time of the shim call (twilio-python Client over AcsHttpClient) "
    "over the median of the equivalent direct azure-communication-chat call, interleaved, "
    "same in-process HTTPS emulator.",
    "CPU added per call: time.thread_time() of the calling thread (the emulator runs in its "
    "own thread and is excluded): the shim call, minus the direct SDK call for the same "
    "operation, minus twilio-python's own request building and response parsing (the same "
    "call answered by replaying the shim's recorded response), which it does against Twilio too.",
    f"Sends: {SEND_ROUNDS} interleaved pairs. Each send writes its message row (pending) in "
    "one store transaction before it reaches "
    "ACS; the ACS ids come back into the store in batches, one transaction per 0.1 s of sends, "
    "from the store's own writer thread. That thread's CPU is outside the per-call CPU figure; "
    "its time holding the interpreter lock is inside the wall times of both columns.",
    "Lists: the 5,000 messages are sent natively just before; the shim's first reads after "
    "such a burst re-read its last seconds from ACS (clock-skew overlap), reported as their own "
    "row; the goal row measures the conversation once quiet again (after that overlap).",
    "Memory: resident set size of the process (Linux /proc/self/statm; psutil is not a "
    "dependency) before and after 1,000 conversations are created and read through the shim.",
]


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and calling-thread CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.thread_time()
    action()
    return time.perf_counter() - wall, time.thread_time() - cpu


def _compare(
    shim: Callable[[], object], direct: Callable[[], object], rounds: int | None = None
) -> tuple[float, float, float, float]:
    """Median (shim wall, direct wall, shim cpu, direct cpu), after one warm-up of each."""
    rounds = ROUNDS if rounds is None else rounds
    shim()
    direct()
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for i, action in enumerate((shim, direct)):
            wall, cpu = _timed(action)
            walls[i].append(wall)
            cpus[i].append(cpu)
    return _median(walls[0]), _median(walls[1]), _median(cpus[0]), _median(cpus[1])


def _ratio_row(name: str, shim: float, direct: float, goal: float | None) -> Row:
    ratio = shim / direct
    measured = f"{ratio:.2f}x ({shim * 1000:.1f} ms vs {direct * 1000:.1f} ms)"
    if goal is None:
        return Row(name, measured)
    return Row(name, measured, f"<= {goal:.1f}x", ratio <= goal)


class _Replay(HttpClient):  # type: ignore[misc]
    """Answers every request with one recorded response: twilio-python's own work, alone."""

    def __init__(self, response: Response) -> None:
        super().__init__(logging.getLogger("benchmarks.replay"), False, None)
        self._response = response

    def request(self, *args: object, **kwargs: object) -> Response:
        return self._response


def _twilio_cpu(bench: _Bench, call: Callable[[Client], object]) -> float:
    """Median CPU seconds twilio-python spends on ``call`` answered from a recording."""
    call(bench.client)  # record the shim's answer to this very call
    recorded = bench.client.http_client._test_only_last_response
    replaying = Client(ACCOUNT_SID, "token", http_client=_Replay(recorded))
    call(replaying)
    return _median([_timed(lambda: call(replaying))[1] for _ in range(ROUNDS)])


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class _Bench:
    """One emulator, one shim (REST face) and a direct SDK user in the same threads."""

    def __init__(self, emu: AcsEmulator, folder: Path) -> None:
        self.emu = emu
        settings = Settings.load(
            connection_string=emu.connection_string,
            ca_bundle=emu.ca_bundle,
            store_url=f"sqlite:///{folder / 'store.sqlite3'}",
            media=(folder / "media").as_uri(),
            environ={},
        )
        self.adapter = AcsAdapter.open(settings)
        self.handler = WireHandler.open(adapter=self.adapter, account_sid=ACCOUNT_SID)
        self.client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=self.handler))
        self.identity = CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle
        )
        user, token = self.identity.create_user_and_token(["chat"])
        # The identity and chat SDKs each define their own identifier class.
        self.user = CommunicationUserIdentifier(user.raw_id)
        self.other = CommunicationUserIdentifier(self.identity.create_user().raw_id)
        self.chat = ChatClient(
            emu.endpoint, CommunicationTokenCredential(token.token), connection_verify=emu.ca_bundle
        )

    def close(self) -> None:
        self.handler.close()
        self.adapter.close()

    def direct_thread(self, topic: str, members: int = 1) -> Any:
        people = [ChatParticipant(identifier=self.user)]
        if members > 1:
            people.append(ChatParticipant(identifier=self.other))
        created = self.chat.create_chat_thread(topic, thread_participants=people)  # type: ignore[misc]  # the SDK type comment reads as self: str
        return self.chat.get_chat_thread_client(  # type: ignore[misc]  # the SDK type comment reads as self: str
            created.chat_thread.id, connection_verify=self.emu.ca_bundle
        )

    def conversation(self, name: str, *identities: str) -> str:
        created = self.client.conversations.v1.conversations.create(friendly_name=name)
        for identity in identities:
            self.client.conversations.v1.conversations(created.sid).participants.create(
                identity=identity
            )
        return str(created.sid)


def _create_with_two(bench: _Bench) -> Row:
    counter = iter(range(10**6))

    def shim() -> None:
        bench.conversation(f"room {next(counter)}", "alice", "bob")

    def direct() -> None:
        bench.direct_thread(f"room {next(counter)}", members=2)

    shim_wall, direct_wall, _, _ = _compare(shim, direct, rounds=15)
    return _ratio_row(
        "create conversation + 2 participants (3 calls vs 1 create with 2)",
        shim_wall,
        direct_wall,
        None,
    )


def _sends(bench: _Bench) -> list[Row]:
    sid = bench.conversation("sends", "alice")
    messages = bench.client.conversations.v1.conversations(sid).messages
    thread = bench.direct_thread("sends")

    def send(client: Client) -> object:
        conversation = client.conversations.v1.conversations(sid)
        return conversation.messages.create(author="alice", body="hello", attributes='{"k":1}')

    shim_wall, direct_wall, shim_cpu, direct_cpu = _compare(
        lambda: messages.create(author="alice", body="hello", attributes='{"k":1}'),
        lambda: thread.send_message("hello", metadata={"k": "1"}),
        rounds=SEND_ROUNDS,
    )
    rows = [
        _ratio_row("messages.create vs send_message", shim_wall, direct_wall, 1.3),
        _cpu_row("send", shim_cpu, direct_cpu, _twilio_cpu(bench, send)),
    ]
    service = bench.handler.core.services.default_sid
    blob = os.urandom(100 * 1024)

    def with_media() -> None:
        media = upload_media(bench.client, service, blob, content_type="application/octet-stream")
        messages.create(author="alice", media_sid=media["sid"])

    shim_wall, direct_wall, _, _ = _compare(with_media, lambda: thread.send_message("file"))
    rows.append(
        _ratio_row(
            "send with a 100 KB file (upload + create) vs send_message",
            shim_wall,
            direct_wall,
            None,
        )
    )
    return rows


def _cpu_row(what: str, shim_cpu: float, direct_cpu: float, twilio_cpu: float) -> Row:
    added = (shim_cpu - twilio_cpu - direct_cpu) * 1000
    return Row(
        f"CPU the shim adds per {what} (excluding network, the emulator and twilio-python)",
        f"{added:.2f} ms ({shim_cpu * 1000:.2f} - {twilio_cpu * 1000:.2f} twilio-python "
        f"vs {direct_cpu * 1000:.2f} ms)",
        "< 1 ms",
        added < 1.0,
    )


def _deep_conversation(bench: _Bench) -> tuple[str, Any, Any]:
    """A 5,000-message conversation the shim knows, and a direct thread of the same size."""
    sid = bench.conversation("deep", "alice")
    row = bench.adapter.store.conversations.get(sid)
    assert row is not None and row.thread_id
    alice = bench.adapter.directory.acs_user_for("alice")
    token = bench.adapter.tokens.token_for(alice).token
    alice_chat = ChatClient(
        bench.emu.endpoint,
        CommunicationTokenCredential(token),
        connection_verify=bench.emu.ca_bundle,
    )
    shim_thread = alice_chat.get_chat_thread_client(  # type: ignore[misc]  # the SDK type comment reads as self: str
        row.thread_id, connection_verify=bench.emu.ca_bundle
    )
    direct_thread = bench.direct_thread("deep")
    for n in range(DEEP_MESSAGES):  # ACS-native sends: the shim indexes them when it syncs
        shim_thread.send_message(f"message {n}")
        direct_thread.send_message(f"message {n}")
    bench.client.conversations.v1.conversations(sid).messages.list(limit=1)  # first sync
    return sid, direct_thread, shim_thread


def _lists(bench: _Bench) -> list[Row]:
    sid, direct_thread, _ = _deep_conversation(bench)
    messages = bench.client.conversations.v1.conversations(sid).messages

    def direct_page() -> None:
        pages = direct_thread.list_messages(results_per_page=30).by_page()
        list(next(pages))

    def newest_page(client: Client) -> object:
        return client.conversations.v1.conversations(sid).messages.list(order="desc", limit=30)

    # Just after the 10,000 native sends, each sync re-reads the last seconds of them (see
    # Messages.sync): reported apart from the quiet conversation the goal is about.
    shim_wall, direct_wall, _, _ = _compare(
        lambda: messages.list(order="desc", limit=30), direct_page, rounds=10
    )
    burst = _ratio_row(
        "messages.list(order='desc', limit=30) just after a burst of native sends",
        shim_wall,
        direct_wall,
        None,
    )
    time.sleep(SYNC_OVERLAP.total_seconds())  # the conversation is quiet again
    shim_wall, direct_wall, shim_cpu, direct_cpu = _compare(
        lambda: messages.list(order="desc", limit=30), direct_page
    )
    rows = [
        burst,
        _ratio_row(
            f"messages.list(order='desc', limit=30), {DEEP_MESSAGES:,} messages, "
            "vs one list_messages page",
            shim_wall,
            direct_wall,
            1.5,
        ),
        _cpu_row("list of 30", shim_cpu, direct_cpu, _twilio_cpu(bench, newest_page)),
    ]
    newest = messages.list(order="desc", limit=1)[0].index
    token = page_token(newest - DEPTH)

    def deep_page() -> None:
        page = messages.page(order="desc", page_size=30, page_token=token)
        assert len(list(page)) == 30

    shim_wall, direct_wall, _, _ = _compare(deep_page, direct_page)
    rows.append(
        _ratio_row(
            f"page of 30 at {DEPTH:,} back (by page token) vs one list_messages page",
            shim_wall,
            direct_wall,
            1.5,
        )
    )
    worst = 0
    for back in sorted({0, 1000, 2500, DEPTH, DEEP_MESSAGES - 31} & set(range(DEEP_MESSAGES - 30))):
        bench.emu.reset_counters()
        page = messages.page(order="desc", page_size=30, page_token=page_token(newest - back))
        assert len(list(page)) == 30
        worst = max(worst, sum(bench.emu.counters.values()))
    rows.append(
        Row("ACS requests to fetch any page of 30 by index", str(worst), "<= 3", worst <= 3)
    )
    return rows


def _ten_authors(bench: _Bench) -> list[Row]:
    authors = [f"author-{n}" for n in range(10)]
    bench.emu.reset_counters()  # adding the authors creates their ACS users: count those too
    sid = bench.conversation("ten authors", *authors)
    started = time.perf_counter()

    def send(author: str) -> None:
        client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=bench.handler))
        messages = client.conversations.v1.conversations(sid).messages
        for n in range(AUTHOR_SENDS):
            messages.create(author=author, body=f"{author} {n}")

    workers = [threading.Thread(target=send, args=(a,)) for a in authors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    counters = bench.emu.counters
    users = counters.get("CommunicationIdentity_Create", 0)
    tokens = counters.get("CommunicationIdentity_IssueAccessToken", 0)
    return [
        Row(
            f"{AUTHOR_SENDS * 10:,} sends by 10 authors: identity requests (users created) "
            "per author",
            f"{users / 10:.1f}",
            "<= 1",
            users <= 10,
        ),
        Row(
            f"{AUTHOR_SENDS * 10:,} sends by 10 authors: token requests per author",
            f"{tokens / 10:.1f}",
            "<= 1",
            tokens <= 10,
        ),
        Row(
            f"{AUTHOR_SENDS * 10:,} sends by 10 authors (threads): throughput",
            f"{AUTHOR_SENDS * 10 / elapsed:,.0f} msg/s",
        ),
    ]


def _memory(bench: _Bench) -> Row:
    before = _rss_bytes()
    for n in range(MEMORY_CONVERSATIONS):
        sid = bench.conversation(f"memory {n}")
        bench.client.conversations.v1.conversations(sid).fetch()
    after = _rss_bytes()
    return Row(
        f"resident memory with {MEMORY_CONVERSATIONS:,} conversations known to the process",
        f"{after / 2**20:,.0f} MB (+{(after - before) / 2**20:,.1f} MB for them)",
    )


def run() -> list[Row]:
    with AcsEmulator() as emu, tempfile.TemporaryDirectory() as folder:
        bench = _Bench(emu, Path(folder))
        try:
            rows = _create_with_two(bench)
            return [
                rows,
                *_sends(bench),
                *_lists(bench),
                *_ten_authors(bench),
                _memory(bench),
            ]
        finally:
            bench.close()
