"""A client-face client in its own OS process, reporting every event it hears on stdout.

``python -m tests.conversations.remote_client SETTINGS_JSON IDENTITY`` opens the adapter the
settings name (the same emulator and store file as the test that started it), connects a
``Client`` as IDENTITY and listens on it, on each conversation and participant it learns of,
on each message and on each user. Every event is printed as one JSON line,
``{"event": "Conversation.event.updated", "conversation": "CH...", "reasons": [...]}``;
``ready`` is printed once the client is initialized. The process ends when its stdin is closed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from tests.conversations.conftest import ACCOUNT_SID, KEY_SECRET, KEY_SID, POLL, make_token
from twilio_compat.conversations import (
    Client,
    Conversation,
    Message,
    Participant,
    SigningKeys,
    User,
)
from twilio_compat.conversations.parity import JS_SURFACE
from twilio_compat.core import Core


def report(event: str, conversation: str | None = None, reasons: Any = None) -> None:
    line = {"event": event, "conversation": conversation, "reasons": reasons}
    print(json.dumps(line), flush=True)


def conversation_of(value: Any) -> str | None:
    """The SID of the conversation an event's argument is about, if any."""
    if isinstance(value, dict):
        for key in ("conversation", "message", "participant"):
            if key in value:
                return conversation_of(value[key])
        return None
    if isinstance(value, Conversation):
        return value.sid
    if isinstance(value, Message | Participant):
        return value.conversation.sid
    return None


class Listener:
    """Subscribes to every event of every object the client hands out, once per object."""

    def __init__(self) -> None:
        self._watched: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(self, js_class: str, target: Any) -> None:
        if id(target) in self._watched:
            return
        self._watched.add(id(target))
        for name in JS_SURFACE[js_class].get("events", "").split():
            target.on(name, self._handler(js_class, name))

    def _handler(self, js_class: str, name: str) -> Any:
        def handle(*args: Any) -> None:
            first = args[0] if args else None
            reasons = first.get("updateReasons") if isinstance(first, dict) else None
            report(f"{js_class}.event.{name}", conversation_of(first), reasons)
            self._follow(first)

        return handle

    def _follow(self, value: Any) -> None:
        """Listen on whatever the event handed out too."""
        if isinstance(value, dict):
            for item in value.values():
                self._follow(item)
        elif isinstance(value, Conversation):
            self.watch("Conversation", value)
            self._spawn(self._watch_members(value))
        elif isinstance(value, Message):
            self.watch("Message", value)
        elif isinstance(value, Participant):
            self.watch("Participant", value)
            self._spawn(self._watch_user(value))
        elif isinstance(value, User):
            self.watch("User", value)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch_members(self, conversation: Conversation) -> None:
        for participant in await conversation.getParticipants():
            self._follow(participant)

    async def _watch_user(self, participant: Participant) -> None:
        self._follow(await participant.getUser())


async def main(settings: dict[str, str], identity: str) -> None:
    loaded = Settings.load(
        connection_string=settings["connection_string"],
        ca_bundle=settings["ca_bundle"] or None,
        store_url=settings["store_url"],
        media=settings["media"],
        environ={},
    )
    keys = SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=ACCOUNT_SID, environ={}
    )
    with AcsAdapter.open(loaded) as adapter:
        core = Core(adapter, account_sid=ACCOUNT_SID)
        listener = Listener()
        client = Client(make_token(identity), core=core, signingKeys=keys, pollInterval=POLL)
        listener.watch("Client", client)
        await client._ready()
        if client.user is not None:
            listener.watch("User", client.user)
        report("ready")
        await asyncio.to_thread(sys.stdin.read)
        await client.shutdown()
        core.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1]), sys.argv[2]))
