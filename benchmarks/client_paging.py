"""The client face's ``getMessages(30)`` against one direct ``list_messages`` page.

A 5,000-message conversation is made through the client face (so the shim knows it) and filled
by its member sending straight through ``azure-communication-chat``, as a native ACS client
would. Such messages get their Twilio indices when the core first syncs the conversation: that
first sync is timed and reported on its own; the pages are measured after it. Each figure is
the median wall time of ``await conversation.getMessages(30, ...)`` over the median of one
direct ``list_messages`` page of 30 of the same thread, the two interleaved on the same
emulator in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from benchmarks.report import Row
from twilio_compat.conversations import Client, Conversation, SigningKeys
from twilio_compat.core import Core
from twilio_compat.core.messages import SYNC_OVERLAP
from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant

ACCOUNT_SID = "AC" + "c" * 32
KEY_SID = "SK" + "c" * 32
KEY_SECRET = "benchmark-signing-secret-0123456789"
MESSAGES = 5000
DEPTH = 4000
PAGE = 30
ROUNDS = 40
BURST_ROUNDS = 10
QUICK = {"MESSAGES": 60, "DEPTH": 20, "ROUNDS": 2, "BURST_ROUNDS": 1}
GOAL = 1.5  # the REST face's goal for the same pages
NOTES = [
    "Client face pages: median wall time of `await conversation.getMessages(30, anchor)` "
    "(twilio_compat.conversations over the shared core) over the median of one direct "
    "`list_messages(results_per_page=30)` page of the same 5,000-message thread, interleaved "
    f"{ROUNDS} times after one warm-up; messages sent natively through the Azure SDK get their "
    "indices at the core's first sync, reported separately. Just after such a burst each sync "
    "re-reads its last seconds from ACS (clock-skew overlap): that cost is its own row, and the "
    "goal rows measure the conversation once quiet again (after that overlap).",
]


def signing_keys() -> SigningKeys:
    """The keys the benchmark's tokens are signed with (never the environment's)."""
    return SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=ACCOUNT_SID, environ={}
    )


def access_token(identity: str) -> str:
    token = AccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity=identity, ttl=3600)
    token.add_grant(ChatGrant())
    return token.to_jwt()


def open_adapter(emu: AcsEmulator, folder: Path) -> AcsAdapter:
    settings = Settings.load(
        connection_string=emu.connection_string,
        ca_bundle=emu.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )
    return AcsAdapter.open(settings)


def native_thread(
    emu: AcsEmulator, adapter: AcsAdapter, identity: str, sid: str
) -> ChatThreadClient:
    """The conversation's ACS thread, as the identity's own ACS user through the Azure SDK."""
    row = adapter.store.conversations.get(sid)
    assert row is not None and row.thread_id
    user = adapter.directory.acs_user_for(identity)
    credential = CommunicationTokenCredential(adapter.tokens.token_for(user).token)
    chat = ChatClient(emu.endpoint, credential, connection_verify=emu.ca_bundle)
    return chat.get_chat_thread_client(  # type: ignore[misc]  # the SDK type comment reads as self: str
        row.thread_id, connection_verify=emu.ca_bundle
    )


def ratio_row(name: str, shim: float, direct: float, goal: float | None) -> Row:
    ratio = shim / direct
    measured = f"{ratio:.2f}x ({shim * 1000:.1f} ms vs {direct * 1000:.1f} ms)"
    if goal is None:
        return Row(name, measured)
    return Row(name, measured, f"<= {goal:.1f}x", ratio <= goal)


async def _compare(
    shim: Callable[[], Awaitable[object]], direct: Callable[[], object], rounds: int | None = None
) -> tuple[float, float]:
    """Median wall seconds of (shim, direct), interleaved, after one warm-up of each."""
    rounds = ROUNDS if rounds is None else rounds
    await shim()
    direct()
    shim_walls: list[float] = []
    direct_walls: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        await shim()
        shim_walls.append(time.perf_counter() - started)
        started = time.perf_counter()
        direct()
        direct_walls.append(time.perf_counter() - started)
    return statistics.median(shim_walls), statistics.median(direct_walls)


async def _measure(emu: AcsEmulator, adapter: AcsAdapter, core: Core) -> list[Row]:
    client = Client(access_token("reader"), core=core, signingKeys=signing_keys(), pollInterval=0)
    try:
        conversation = await client.createConversation(friendlyName="deep history")
        await conversation.join()
        thread = await asyncio.to_thread(native_thread, emu, adapter, "reader", conversation.sid)
        await asyncio.to_thread(_seed, thread)
        return await _pages(emu, conversation, thread)
    finally:
        await client.shutdown()


def _seed(thread: ChatThreadClient) -> None:
    for n in range(MESSAGES):
        thread.send_message(f"message {n}")


async def _pages(
    emu: AcsEmulator, conversation: Conversation, thread: ChatThreadClient
) -> list[Row]:
    emu.reset_counters()
    started = time.perf_counter()
    newest_page = await conversation.getMessages(PAGE)
    first_sync = time.perf_counter() - started
    sync_requests = sum(emu.counters.values())
    newest = newest_page.items[-1].index
    assert len(newest_page.items) == PAGE and newest == MESSAGES - 1
    anchor = newest - DEPTH

    def direct_page() -> None:
        pages = thread.list_messages(results_per_page=PAGE).by_page()
        assert len(list(next(pages))) == PAGE

    async def newest_messages() -> None:
        page = await conversation.getMessages(PAGE)
        assert page.items[-1].index == newest

    async def deep_messages() -> None:
        page = await conversation.getMessages(PAGE, anchor)
        assert [m.index for m in page.items] == list(range(anchor - PAGE + 1, anchor + 1))

    rows = [
        Row(
            f"client face: first getMessages(30) of a natively filled {MESSAGES:,}-message "
            "conversation (indexes all of them)",
            f"{first_sync * 1000:,.0f} ms, {sync_requests} ACS requests",
        )
    ]
    # Just after the native burst, each sync re-reads its last seconds (see Messages.sync):
    # reported on its own; the goal rows measure the conversation once quiet again.
    shim, direct = await _compare(newest_messages, direct_page, rounds=BURST_ROUNDS)
    rows.append(
        ratio_row(
            "client face getMessages(30) just after a burst of native sends",
            shim,
            direct,
            None,
        )
    )
    await asyncio.sleep(SYNC_OVERLAP.total_seconds())
    shim, direct = await _compare(newest_messages, direct_page)
    rows.append(
        ratio_row(
            f"client face getMessages(30), newest end of {MESSAGES:,}, vs one list_messages page",
            shim,
            direct,
            GOAL,
        )
    )
    shim, direct = await _compare(deep_messages, direct_page)
    rows.append(
        ratio_row(
            f"client face getMessages(30, anchor {DEPTH:,} back) vs one list_messages page",
            shim,
            direct,
            GOAL,
        )
    )
    emu.reset_counters()
    await deep_messages()
    requests = sum(emu.counters.values())
    rows.append(
        Row("client face: ACS requests per getMessages(30) after the first sync", str(requests))
    )
    return rows


def run() -> list[Row]:
    with AcsEmulator() as emu, tempfile.TemporaryDirectory() as folder:
        adapter = open_adapter(emu, Path(folder))
        core = Core(adapter, account_sid=ACCOUNT_SID)
        try:
            return asyncio.run(_measure(emu, adapter, core))
        finally:
            core.close()
            adapter.close()
