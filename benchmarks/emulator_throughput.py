"""How many `send_message` calls per second the emulator sustains for the sync Azure SDK.

One client over HTTPS keep-alive, in the same process as the emulator, as the tests use it.
The goal (at least 300 messages/s on a 2-core machine) is reported, not asserted.
"""

from __future__ import annotations

import time

from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.communication.identity import CommunicationIdentityClient

from acs_emulator import AcsEmulator
from benchmarks.report import Row

GOAL_PER_SECOND = 300.0
MESSAGES = 2000
QUICK = {"MESSAGES": 20}


def run() -> list[Row]:
    messages = MESSAGES
    with AcsEmulator() as emu:
        identity = CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle
        )
        identity_user, token = identity.create_user_and_token(["chat"])
        # The identity and chat SDKs each define their own identifier class.
        user = CommunicationUserIdentifier(identity_user.raw_id)
        chat = ChatClient(
            emu.endpoint, CommunicationTokenCredential(token.token), connection_verify=emu.ca_bundle
        )
        created = chat.create_chat_thread(  # type: ignore[misc]  # the SDK type comment reads as self: str
            "benchmark", thread_participants=[ChatParticipant(identifier=user)]
        )
        thread = chat.get_chat_thread_client(  # type: ignore[misc]  # the SDK type comment reads as self: str
            created.chat_thread.id, connection_verify=emu.ca_bundle
        )
        for i in range(20):  # warm the connection and the code paths
            thread.send_message(f"warm-up {i}")
        started = time.perf_counter()
        for i in range(messages):
            thread.send_message(f"message {i}")
        elapsed = time.perf_counter() - started
    rate = messages / elapsed
    return [
        Row(
            "emulator send_message throughput (sync SDK, HTTPS keep-alive)",
            f"{rate:,.0f} msg/s",
            f">= {GOAL_PER_SECOND:,.0f} msg/s",
            rate >= GOAL_PER_SECOND,
        )
    ]
