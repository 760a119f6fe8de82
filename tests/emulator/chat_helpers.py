"""Users and real SDK clients for the chat tests, all talking HTTPS to the emulator.

An `EmulatedChat(emulator, record=True)` keeps every HTTP response its clients receive in its
`recorded` list (through the SDK's own `raw_response_hook`), so `test_conformance.py` can check
the bodies it provoked against the spec.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    ChatThreadClient,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.communication.chat.aio import ChatClient as AsyncChatClient
from azure.communication.chat.aio import ChatThreadClient as AsyncChatThreadClient
from azure.communication.chat.aio import (
    CommunicationTokenCredential as AsyncCommunicationTokenCredential,
)
from azure.communication.identity import CommunicationIdentityClient
from azure.core.pipeline import PipelineResponse

from acs_emulator import AcsEmulator
from tests.fixtures.chat_sdk import create_chat_thread, get_chat_thread_client

API_VERSION = "2024-03-07"


@dataclass(frozen=True)
class RecordedResponse:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class ChatUser:
    identifier: CommunicationUserIdentifier
    token: str

    @property
    def raw_id(self) -> str:
        return str(self.identifier.raw_id)

    def as_participant(self, display_name: str | None = None) -> ChatParticipant:
        return ChatParticipant(identifier=self.identifier, display_name=display_name)


class EmulatedChat:
    """The emulator's chat service as an SDK user sees it: makes users and SDK clients.

    With `record=True`, every response those clients receive is kept in `recorded`, in order.
    """

    def __init__(self, emulator: AcsEmulator, *, record: bool = False) -> None:
        self.emulator = emulator
        self.recorded: list[RecordedResponse] = []
        self._hooks: dict[str, Any] = {"raw_response_hook": self._record} if record else {}
        self.endpoint = emulator.endpoint
        self.ca_bundle = emulator.ca_bundle
        self._identity = CommunicationIdentityClient.from_connection_string(
            emulator.connection_string, connection_verify=emulator.ca_bundle
        )
        self._open: list[Any] = []

    def _record(self, response: PipelineResponse[Any, Any]) -> None:
        """`raw_response_hook` of every client made here: keeps what came over the wire."""
        http = response.http_response
        self.recorded.append(
            RecordedResponse(
                method=response.http_request.method,
                path=urlsplit(response.http_request.url).path,
                status=http.status_code,
                content_type=http.headers.get("Content-Type", ""),
                body=http.body() or b"",
            )
        )

    def close(self) -> None:
        """Close every sync client made here, so no idle connection outlives the tests."""
        for client in self._open:
            client.close()
        self._open.clear()

    def user(self) -> ChatUser:
        identity, token = self._identity.create_user_and_token(["chat"])
        # The identity and chat SDKs each define their own identifier class.
        identifier = CommunicationUserIdentifier(identity.raw_id)
        return ChatUser(identifier=identifier, token=token.token)

    def users(self, count: int) -> list[ChatUser]:
        return [self.user() for _ in range(count)]

    def unknown_user(self) -> CommunicationUserIdentifier:
        """A well-formed id of this resource that no user has."""
        resource = self.emulator.resource_id
        return CommunicationUserIdentifier(f"8:acs:{resource}_00000000-0000-0000-0000-000000000000")

    def client(self, user: ChatUser) -> ChatClient:
        client = ChatClient(
            self.endpoint,
            CommunicationTokenCredential(user.token),
            connection_verify=self.ca_bundle,
            **self._hooks,
        )
        self._open.append(client)
        return client

    def thread(self, user: ChatUser, thread_id: str) -> ChatThreadClient:
        client = get_chat_thread_client(
            self.client(user), thread_id, connection_verify=self.ca_bundle, **self._hooks
        )
        self._open.append(client)
        return client

    def async_client(self, user: ChatUser) -> AsyncChatClient:
        return AsyncChatClient(
            self.endpoint,
            AsyncCommunicationTokenCredential(user.token),
            connection_verify=self.ca_bundle,
            **self._hooks,
        )

    def async_thread(self, user: ChatUser, thread_id: str) -> AsyncChatThreadClient:
        return self.async_client(user).get_chat_thread_client(
            thread_id, connection_verify=self.ca_bundle, **self._hooks
        )

    def new_thread(self, owner: ChatUser, *members: ChatUser, topic: str = "topic") -> str:
        result = create_chat_thread(
            self.client(owner), topic, thread_participants=[m.as_participant() for m in members]
        )
        return str(result.chat_thread.id)

    def http(self, user: ChatUser | None = None) -> httpx.Client:
        """A plain HTTPS client for wire-level checks, as a non-Python ACS client would talk."""
        headers = {"Authorization": f"Bearer {user.token}"} if user else {}
        return httpx.Client(
            base_url=self.endpoint,
            verify=ssl.create_default_context(cafile=self.ca_bundle),
            headers=headers,
            event_hooks={"request": [_add_api_version]},
        )


def _add_api_version(request: httpx.Request) -> None:
    """Add `api-version` unless the URL (e.g. a nextLink followed verbatim) has one."""
    if "api-version" not in request.url.params:
        request.url = request.url.copy_add_param("api-version", API_VERSION)


async def send_many(chat: EmulatedChat, user: ChatUser, thread_id: str, count: int) -> list[str]:
    """Send `count` messages over a few concurrent async clients; returns their ids."""
    lanes = 8
    clients = [chat.async_thread(user, thread_id) for _ in range(lanes)]

    async def lane(index: int) -> list[str]:
        ids = []
        for n in range(index, count, lanes):
            result = await clients[index].send_message(f"message {n}")
            ids.append(str(result.id))
        return ids

    try:
        results = await asyncio.gather(*(lane(i) for i in range(lanes)))
    finally:
        for client in clients:
            await client.close()
    return [message_id for ids in results for message_id in ids]


def error_code(error: Any) -> str | None:
    """The ACS error code of an `HttpResponseError` as the SDK parsed it."""
    parsed = getattr(error, "error", None)
    return getattr(parsed, "code", None)


def json_body(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return json.loads(response.content)
