"""The emulator's ``send_message`` and ``list_messages`` on a 1,000- and a 20,000-message thread.

Every list ratio elsewhere in this table divides by the emulator's own list cost, so that cost
must not grow with the thread, as the service's does not. Both threads are filled through the
emulator's chat backend in-process (filling over HTTPS would take minutes); each figure is then
the median wall time of the sync Azure SDK call over HTTPS, on the large thread over the small.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone

from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    ChatThreadClient,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.communication.identity import CommunicationIdentityClient

from acs_emulator import AcsEmulator
from acs_emulator.chat.records import NewMessage
from benchmarks.report import Row

SMALL = 1000
LARGE = 20000
PAGE = 30
ROUNDS = 40
GOAL = 1.5
QUICK = {"SMALL": 20, "LARGE": 80, "ROUNDS": 2, "PAGE": 10}
NOTES = [
    f"Emulator lists: threads of {SMALL:,} and {LARGE:,} messages filled in-process; median of "
    f"{ROUNDS} sync-SDK calls over HTTPS each: send_message, the newest list_messages page of "
    f"{PAGE}, and list_messages with a startTime just after the last send (what a caught-up "
    "reader asks: nothing changed since), the large thread over the small.",
]


def _median(action: Callable[[], object]) -> float:
    action()
    walls = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def _thread(emu: AcsEmulator, chat: ChatClient, raw_id: str, size: int) -> ChatThreadClient:
    created = chat.create_chat_thread(  # type: ignore[misc]  # the SDK type comment reads as self: str
        f"{size} messages",
        thread_participants=[ChatParticipant(identifier=CommunicationUserIdentifier(raw_id))],
    )
    thread_id = created.chat_thread.id
    backend = emu.chat
    assert backend is not None, "the emulator is running"
    for n in range(size):
        backend.send_message(raw_id, thread_id, NewMessage(body=f"message {n}"))
    return chat.get_chat_thread_client(  # type: ignore[misc]  # the SDK type comment reads as self: str
        thread_id, connection_verify=emu.ca_bundle
    )


def _costs(thread: ChatThreadClient) -> dict[str, float]:
    sent: list[str] = []

    def send() -> None:
        sent.append(thread.send_message("one more").id)

    send_wall = _median(send)

    def newest_page() -> None:
        page = next(thread.list_messages(results_per_page=PAGE).by_page())
        assert len(list(page)) == PAGE

    # Ids are creation milliseconds, kept increasing: a fast fill runs ahead of the clock, so
    # "recent" is just after the last message rather than now.
    since = datetime.fromtimestamp((int(sent[-1]) + 1) / 1000, tz=timezone.utc)

    def since_recent() -> None:
        assert list(thread.list_messages(results_per_page=PAGE, start_time=since)) == []

    return {"send": send_wall, "page": _median(newest_page), "since": _median(since_recent)}


def run() -> list[Row]:
    with AcsEmulator() as emu:
        identity = CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle
        )
        user, token = identity.create_user_and_token(["chat"])
        chat = ChatClient(
            emu.endpoint, CommunicationTokenCredential(token.token), connection_verify=emu.ca_bundle
        )
        small = _costs(_thread(emu, chat, user.raw_id, SMALL))
        large = _costs(_thread(emu, chat, user.raw_id, LARGE))
    names = {
        "send": "emulator send_message",
        "page": f"emulator list_messages, newest page of {PAGE}",
        "since": "emulator list_messages since a recent startTime",
    }
    rows = []
    for key, name in names.items():
        ratio = large[key] / small[key]
        rows.append(
            Row(
                f"{name} at {LARGE:,} vs {SMALL:,} messages",
                f"{ratio:.2f}x ({large[key] * 1000:.1f} ms vs {small[key] * 1000:.1f} ms)",
                f"<= {GOAL:.1f}x",
                ratio <= GOAL,
            )
        )
    return rows
