"""The client face runs the core on its own bounded pool, never on the loop's default executor."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tests.conversations.conftest import ClientFactory, eventually
from twilio_compat.conversations import Message
from twilio_compat.conversations._session import OFFLOAD


class RefusingExecutor(ThreadPoolExecutor):
    """A default executor that records and refuses every submission."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.refused: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.refused.append(repr(fn))
        raise RuntimeError("the loop's default executor is not for the client face")


async def test_client_calls_never_use_the_default_executor(
    connect: ClientFactory, unique: str
) -> None:
    refusing = RefusingExecutor()
    asyncio.get_running_loop().set_default_executor(refusing)
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    conversation = await alice.createConversation(uniqueName=f"offload-{unique}")
    await conversation.join()
    await conversation.add(f"bob-{unique}")
    seen: list[Message] = []
    bob.on("messageAdded", seen.append)
    await conversation.sendMessage("hello")
    await eventually(lambda: len(seen) == 1)
    page = await conversation.getMessages()
    assert [message.body for message in page.items] == ["hello"]
    assert refusing.refused == []


async def test_calls_run_on_the_faces_pool() -> None:
    name = await OFFLOAD.run(lambda: threading.current_thread().name)
    assert name.startswith("twilio-conversations")
    assert OFFLOAD.max_workers >= 1
