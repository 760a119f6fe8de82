"""What a reader pays for catching up, without an event source.

- First read after a burst of native sends: ``MESSAGES`` messages sent straight through
  ``azure-communication-chat``, then the REST face's first ``messages.list(order='desc',
  limit=30)``, which syncs them all, against the direct SDK listing the same number of messages
  (``list_messages``, pages of 200, as the sync reads them).
- First read of a conversation only ever written through the shim: ``SHIM_MESSAGES`` REST
  sends, the background sync that follows them, then the first read in a fresh core (a
  restarted process), against the first read there of a conversation written the same way and
  read before the restart.
- ``user_conversations.list()`` for a user in ``CONVERSATIONS`` conversations with read
  horizons (each unread count needs a current cache), against the same for a user in one, once
  the conversations are quiet (past the sync overlap); its ACS requests are counted.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from twilio.rest import Client as TwilioClient

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from benchmarks.client_paging import native_thread, open_adapter
from benchmarks.report import Row
from twilio_compat.core import Core
from twilio_compat.core.messages import SYNC_OVERLAP
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.runtime import watch_acs_calls

ACCOUNT_SID = "AC" + "d" * 32
MESSAGES = 5000
SHIM_MESSAGES = 1000
CONVERSATIONS = 50
ROUNDS = 9
QUIET = SYNC_OVERLAP.total_seconds() + 1.5
QUICK = {"MESSAGES": 40, "SHIM_MESSAGES": 10, "CONVERSATIONS": 4, "ROUNDS": 1, "QUIET": 0.0}
CATCH_UP_GOAL = 2.0
SHIM_ONLY_GOAL = 2.0
PASS_REQUESTS = 2
NOTES = [
    "Catch-up without an event source: the first REST read after native sends (azure chat SDK) "
    "syncs them, one store transaction per ACS page; compared with the SDK listing the same "
    "messages in pages of 200. A shim-only conversation's first read is timed in a fresh core "
    "(a restart), once the background sync that follows sends (6 s after they pause) is done. "
    "user_conversations.list is timed once its conversations are quiet (past the sync "
    "overlap), median of several rounds, with the ACS requests of one call.",
]


class _Requests:
    """ACS requests made by the benchmark's own thread."""

    def __init__(self) -> None:
        self.count = 0
        self._thread = threading.current_thread()

    def __call__(self, service: str, status: int, seconds: float) -> None:
        if threading.current_thread() is self._thread:
            self.count += 1


def _rest(core: Core) -> TwilioClient:
    return TwilioClient(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=WireHandler(core)))


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _median(call: Callable[[], object], rounds: int) -> float:
    return statistics.median(_timed(call) for _ in range(max(rounds, 1)))


def _first_read_after_native_sends(emu: AcsEmulator, adapter: AcsAdapter, core: Core) -> Row:
    rest = _rest(core)
    conversation = rest.conversations.v1.conversations.create(friendly_name="native burst")
    conversation.participants.create(identity="sender")
    thread = native_thread(emu, adapter, "sender", conversation.sid)
    for number in range(MESSAGES):
        thread.send_message(f"native {number}")
    messages = rest.conversations.v1.conversations(conversation.sid).messages
    shim = _timed(lambda: messages.list(order="desc", limit=30))
    direct = _median(lambda: list(thread.list_messages(results_per_page=200)), 3)
    ratio = shim / direct
    return Row(
        f"first messages.list(limit=30) after {MESSAGES:,} native sends, no event source, "
        f"vs the SDK listing {MESSAGES:,}",
        f"{ratio:.2f}x ({shim * 1000:.0f} ms vs {direct * 1000:.0f} ms)",
        f"<= {CATCH_UP_GOAL:.0f}x",
        ratio <= CATCH_UP_GOAL,
    )


def _first_read_of_a_shim_only_conversation(adapter: AcsAdapter, core: Core) -> Row:
    rest = _rest(core)
    written = rest.conversations.v1.conversations.create(friendly_name="shim only")
    synced = rest.conversations.v1.conversations.create(friendly_name="synced")
    warm_up = rest.conversations.v1.conversations.create(friendly_name="warm-up")
    for number in range(SHIM_MESSAGES):
        written.messages.create(author="writer", body=f"sent {number}")
        synced.messages.create(author="writer", body=f"sent {number}")
    synced.messages.list(order="desc", limit=30)  # read (and synced) before the restart
    if QUIET:  # the sends' background sync, seconds after them (quick mode: no waiting)
        core.messages.follower.wait_idle(60)
        time.sleep(QUIET)
    restarted = Core(adapter, account_sid=ACCOUNT_SID)
    try:
        fresh = _rest(restarted).conversations.v1.conversations
        fresh(warm_up.sid).messages.list(order="desc", limit=30)  # the process's first request
        first = _timed(lambda: fresh(written.sid).messages.list(order="desc", limit=30))
        read = _timed(lambda: fresh(synced.sid).messages.list(order="desc", limit=30))
    finally:
        restarted.close()
    ratio = first / read
    return Row(
        f"first messages.list(limit=30) after a restart of a conversation written only through "
        f"the shim ({SHIM_MESSAGES:,} sends), vs of one read before the restart",
        f"{ratio:.2f}x ({first * 1000:.1f} ms vs {read * 1000:.1f} ms)",
        f"<= {SHIM_ONLY_GOAL:.0f}x",
        ratio <= SHIM_ONLY_GOAL,
    )


def _user_conversations(core: Core, requests: _Requests) -> list[Row]:
    rest = _rest(core)
    for identity, count in (("many", CONVERSATIONS), ("one", 1)):
        for number in range(count):
            conversation = rest.conversations.v1.conversations.create(
                friendly_name=f"{identity} {number}"
            )
            member = conversation.participants.create(identity=identity)
            conversation.messages.create(author="writer", body="hello")
            conversation.participants(member.sid).update(last_read_message_index=0)
    many = rest.conversations.v1.users("many").user_conversations
    one = rest.conversations.v1.users("one").user_conversations
    many.list()
    one.list()
    time.sleep(QUIET)
    many.list()  # every conversation read once more after it turned quiet
    one.list()
    before = requests.count
    listed = many.list()
    calls = requests.count - before
    assert len(listed) == CONVERSATIONS
    walls = _median(many.list, ROUNDS), _median(one.list, ROUNDS)
    return [
        Row(
            f"user_conversations.list(), user in {CONVERSATIONS} conversations, vs in one",
            f"{walls[0] / walls[1]:.2f}x ({walls[0] * 1000:.1f} ms vs {walls[1] * 1000:.1f} ms)",
        ),
        Row(
            f"user_conversations.list(), user in {CONVERSATIONS} quiet conversations: ACS requests",
            str(calls),
            f"<= {PASS_REQUESTS}",
            calls <= PASS_REQUESTS,
        ),
    ]


def run() -> list[Row]:
    requests = _Requests()
    stop_counting = watch_acs_calls(requests)
    try:
        with AcsEmulator() as emu, tempfile.TemporaryDirectory() as folder:
            adapter = open_adapter(emu, Path(folder))
            core = Core(adapter, account_sid=ACCOUNT_SID)
            try:
                return [
                    _first_read_after_native_sends(emu, adapter, core),
                    _first_read_of_a_shim_only_conversation(adapter, core),
                    *_user_conversations(core, requests),
                ]
            finally:
                core.close()
                adapter.close()
    finally:
        stop_counting()
