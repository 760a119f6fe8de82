"""The async chat gateway: the twin of `acs_adapter.chat`, method for method.

Argument checks, record conversion, error translation and the idempotent-send plan are the
same shared code; only the `await`s differ. One `AsyncChatGateway` holds one aiohttp session,
so it belongs to the event loop it is first used in: create one per loop.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from azure.communication.chat import CommunicationUserIdentifier
from azure.communication.chat.aio import ChatClient
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import AioHttpTransport

from acs_adapter import _convert, _validate
from acs_adapter._auth import AsyncRenewTokenOn401Policy
from acs_adapter._errors_map import translated
from acs_adapter._lru import LruCache
from acs_adapter._retry import IdempotentSend, RetrySettings, async_retry_policy
from acs_adapter.chat import (
    DEFAULT_PAGE_SIZE,
    LOOKUP_PAGE_SIZE,
    MAX_THREADS_PER_USER,
    MAX_UNSETTLED_SENDS,
    MAX_USERS,
)
from acs_adapter.errors import InvalidInput
from acs_adapter.identities import TokenCache
from acs_adapter.records import (
    CreatedThread,
    InvalidParticipant,
    MessageRecord,
    ParticipantRecord,
    ReadReceiptRecord,
    ThreadRecord,
    ThreadSummary,
)

R = TypeVar("R")


async def _iterate(pages: AsyncIterable[Any], convert: Callable[[Any], R]) -> AsyncIterator[R]:
    """Convert SDK items lazily, translating errors raised while fetching a page."""
    items = pages.__aiter__()
    while True:
        with translated():
            try:
                item = await items.__anext__()
            except StopAsyncIteration:
                return
        yield convert(item)


class AsyncChatGateway:
    """ACS chat for one event loop: a pooled aiohttp session and one chat client per user.

    The CA bundle goes into the session's TLS context once, rather than into each client as a
    `connection_verify` path, from which azure-core's aiohttp transport would build a new TLS
    context for every request.
    """

    def __init__(
        self,
        endpoint: str,
        tokens: TokenCache,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        retry: RetrySettings | None = None,
        max_connections: int = 32,
    ) -> None:
        self.endpoint = endpoint
        self._tokens = tokens
        self._ca_bundle = os.fspath(ca_bundle) if ca_bundle is not None else None
        self._retry = retry or RetrySettings()
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._transport: AioHttpTransport | None = None
        self._users: LruCache[str, AsyncUserChat] = LruCache(MAX_USERS)

    def as_user(self, acs_user_id: str) -> AsyncUserChat:
        """The chat as `acs_user_id` sees it; the same object for the same user."""
        user = _validate.text_id(acs_user_id, "acs_user_id")
        return self._users.get_or_create(user, lambda: AsyncUserChat(self, user))

    def credential(self, acs_user_id: str) -> Any:
        """The azure-core credential chat clients use to act as the user."""
        return self._tokens.async_credential(acs_user_id)

    def client_options(self, acs_user_id: str) -> dict[str, Any]:
        """Constructor options for an SDK chat client acting as the user (see the sync twin)."""
        return {
            "transport": self._shared_transport(),
            "retry_policy": async_retry_policy(self._retry),
            "per_retry_policies": [AsyncRenewTokenOn401Policy(self._tokens, acs_user_id)],
        }

    def _shared_transport(self) -> AioHttpTransport:
        if self._transport is None:
            asyncio.get_running_loop()  # aiohttp sessions must be made inside a running loop
            context = ssl.create_default_context(cafile=self._ca_bundle)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context, limit=self._max_connections),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # azure-core decodes bodies itself
                trust_env=True,
            )
            self._transport = AioHttpTransport(
                session=self._session,
                session_owner=False,
                connection_timeout=self._retry.timeout,
                read_timeout=self._retry.timeout,
            )
        return self._transport

    @property
    def retry(self) -> RetrySettings:
        return self._retry

    async def close(self) -> None:
        self._users.clear()
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._transport = None

    async def __aenter__(self) -> AsyncChatGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncChatGateway(endpoint={self.endpoint!r}, users={len(self._users)})"


class AsyncUserChat:
    """Chat operations performed as one ACS user (async)."""

    def __init__(self, gateway: AsyncChatGateway, acs_user_id: str) -> None:
        self.user_id = acs_user_id
        self._gateway = gateway
        self._client: Any = ChatClient(
            gateway.endpoint,
            gateway.credential(acs_user_id),
            **gateway.client_options(acs_user_id),
        )
        self._threads: LruCache[str, Any] = LruCache(MAX_THREADS_PER_USER)
        # (thread id, idempotency key) of sends that gave up not knowing if they succeeded
        self._unsettled: LruCache[tuple[str, str], datetime] = LruCache(MAX_UNSETTLED_SENDS)

    def _thread(self, thread_id: str) -> Any:
        thread_id = _validate.text_id(thread_id, "thread_id")
        return self._threads.get_or_create(
            thread_id,
            lambda: self._client.get_chat_thread_client(
                thread_id, **self._gateway.client_options(self.user_id)
            ),
        )

    # Threads

    async def create_thread(
        self,
        topic: str,
        participants: Iterable[ParticipantRecord | str] = (),
        *,
        idempotency_key: str | None = None,
    ) -> CreatedThread:
        """Create a thread; ACS adds the creator. A repeated `idempotency_key` returns the same
        thread instead of a second one."""
        topic = _validate.non_empty(topic, "topic")
        members = _validate.participants(participants)
        key = _validate.idempotency_key(idempotency_key)
        with translated():
            result = await self._client.create_chat_thread(
                topic,
                thread_participants=_convert.to_sdk_participants(members),
                idempotency_token=key,
            )
        return CreatedThread(
            thread=_convert.thread(result.chat_thread),
            invalid_participants=_convert.invalid_participants(result.errors),
        )

    async def delete_thread(self, thread_id: str) -> None:
        thread_id = _validate.text_id(thread_id, "thread_id")
        with translated():
            await self._client.delete_chat_thread(thread_id)
        self._threads.discard(thread_id)

    def list_threads(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, start_time: datetime | None = None
    ) -> AsyncIterator[ThreadSummary]:
        """Threads this user is or was in, most recent activity first, fetched page by page."""
        pages = self._client.list_chat_threads(
            results_per_page=_validate.page_size(page_size),
            start_time=_validate.start_time(start_time),
        )
        return _iterate(pages, _convert.thread_summary)

    async def get_thread(self, thread_id: str) -> ThreadRecord:
        client = self._thread(thread_id)
        with translated():
            return _convert.thread(await client.get_properties())

    async def update_topic(self, thread_id: str, topic: str) -> None:
        client = self._thread(thread_id)
        topic = _validate.non_empty(topic, "topic")
        with translated():
            await client.update_topic(topic=topic)

    # Messages

    async def send_message(
        self,
        thread_id: str,
        content: str,
        *,
        type: str = "text",
        sender_display_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Send a message and return its id (see `UserChat.send_message` for idempotency)."""
        client = self._thread(thread_id)
        options: dict[str, Any] = {
            "chat_message_type": _validate.message_type(type),
            "sender_display_name": _validate.optional_text(
                sender_display_name, "sender_display_name"
            ),
        }
        content = _validate.non_empty(content, "content")
        user_metadata = _validate.metadata(metadata)
        key = _validate.idempotency_key(idempotency_key)
        options["metadata"] = _validate.stored_metadata(user_metadata, key)
        if key is None:
            with translated():
                return str((await client.send_message(content, **options)).id)

        plan = IdempotentSend(
            self._gateway.retry, unsettled=self._unsettled, mark=(client.thread_id, key)
        )
        while True:
            try:
                if plan.look_first:
                    found = await self._find_sent(client, key, plan.since)
                    if found is not None:
                        plan.settled()
                        return found
                    plan.looked()
                sent = await client.send_message(content, retry_total=0, **options)
                plan.settled()
                return str(sent.id)
            except AzureError as error:
                await asyncio.sleep(plan.failed(error))

    async def _find_sent(self, client: Any, key: str, since: datetime) -> str | None:
        async for item in client.list_messages(results_per_page=LOOKUP_PAGE_SIZE, start_time=since):
            if _convert.carries_key(item, key, self.user_id):
                return str(item.id)
        return None

    async def get_message(self, thread_id: str, message_id: str) -> MessageRecord:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            return _convert.message(await client.get_message(message_id))

    def list_messages(
        self,
        thread_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_time: datetime | None = None,
    ) -> AsyncIterator[MessageRecord]:
        """Messages newest first, fetched lazily (see `UserChat.list_messages`)."""
        client = self._thread(thread_id)
        pages = client.list_messages(
            results_per_page=_validate.page_size(page_size),
            start_time=_validate.start_time(start_time),
        )
        return _iterate(pages, _convert.message)

    async def update_message(
        self,
        thread_id: str,
        message_id: str,
        *,
        content: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Edit a message's content and/or metadata (ACS merges metadata keys)."""
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        if content is not None:
            _validate.non_empty(content, "content")
        checked = _validate.metadata(metadata)
        if content is None and checked is None:
            raise InvalidInput("update_message needs content or metadata")
        with translated():
            await client.update_message(message_id, content=content, metadata=checked)

    async def delete_message(self, thread_id: str, message_id: str) -> None:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            await client.delete_message(message_id)

    # Participants

    async def add_participants(
        self, thread_id: str, participants: Iterable[ParticipantRecord | str]
    ) -> tuple[InvalidParticipant, ...]:
        """Add members (existing ones are left alone); returns those ACS refused."""
        client = self._thread(thread_id)
        members = _validate.participants(participants)
        if not members:
            return ()
        with translated():
            errors = await client.add_participants(_convert.to_sdk_participants(members))
        return _convert.invalid_participants(errors)

    async def remove_participant(self, thread_id: str, acs_user_id: str) -> None:
        client = self._thread(thread_id)
        user = _validate.text_id(acs_user_id, "acs_user_id")
        with translated():
            await client.remove_participant(CommunicationUserIdentifier(user))

    def list_participants(
        self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[ParticipantRecord]:
        client = self._thread(thread_id)
        pages = client.list_participants(results_per_page=_validate.page_size(page_size))
        return _iterate(pages, _convert.participant)

    # Read receipts and typing

    async def send_read_receipt(self, thread_id: str, message_id: str) -> None:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            await client.send_read_receipt(message_id)

    def list_read_receipts(
        self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[ReadReceiptRecord]:
        """The latest receipt of each participant."""
        client = self._thread(thread_id)
        pages = client.list_read_receipts(results_per_page=_validate.page_size(page_size))
        return _iterate(pages, _convert.read_receipt)

    async def send_typing(self, thread_id: str, *, sender_display_name: str | None = None) -> None:
        client = self._thread(thread_id)
        name = _validate.optional_text(sender_display_name, "sender_display_name")
        with translated():
            await client.send_typing_notification(sender_display_name=name)

    def __repr__(self) -> str:
        return f"AsyncUserChat({self.user_id!r})"
