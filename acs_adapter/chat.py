"""The sync chat gateway: ACS chat threads and messages, acting as a given ACS user.

One `ChatGateway` per process holds one pooled HTTP session. `gateway.as_user(user_id)` gives a
`UserChat` whose `ChatClient` (and per-thread `ChatThreadClient`s) are built once and reused
while recently used (the gateway bounds how many it keeps); their bearer tokens come from the
shared `TokenCache`. Every method returns records from
`acs_adapter.records` and raises the errors of `acs_adapter.errors`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from azure.communication.chat import (
    ChatClient,
    ChatThreadClient,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter import _convert, _validate
from acs_adapter._auth import RenewTokenOn401Policy, UserTokenCredential
from acs_adapter._errors_map import translated
from acs_adapter._http import endpoint_session, verify_setting
from acs_adapter._lru import LruCache
from acs_adapter._retry import SEND_AT_MOST_ONCE, IdempotentSend, RetrySettings, retry_policy
from acs_adapter.config import DEFAULT_CACHED_THREAD_CLIENTS, DEFAULT_CACHED_USERS
from acs_adapter.errors import InvalidInput
from acs_adapter.identities import TokenCache
from acs_adapter.observing import ObservedCalls
from acs_adapter.records import (
    CreatedThread,
    InvalidParticipant,
    MessageRecord,
    ParticipantRecord,
    ReadReceiptRecord,
    ThreadRecord,
    ThreadSummary,
)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PAGE_SIZE = 100
LOOKUP_PAGE_SIZE = 200
MAX_UNSETTLED_SENDS = 1024


def _iterate(pages: Iterable[T], convert: Callable[[T], R]) -> Iterator[R]:
    """Convert SDK items lazily, translating errors raised while fetching a page."""
    items = iter(pages)
    while True:
        with translated():
            try:
                item = next(items)
            except StopIteration:
                return
        yield convert(item)


class ChatGateway:
    """ACS chat for one process: a pooled connection and one chat client per user.

    The clients are reused, not rebuilt per call, but only for the most recently active users
    (`max_users`) and (user, thread) pairs (`max_thread_clients`, across all users): a
    long-running process that has seen many users holds a bounded number of them.
    """

    def __init__(
        self,
        endpoint: str,
        tokens: TokenCache,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        retry: RetrySettings | None = None,
        max_connections: int = 32,
        max_users: int = DEFAULT_CACHED_USERS,
        max_thread_clients: int = DEFAULT_CACHED_THREAD_CLIENTS,
    ) -> None:
        self.endpoint = endpoint
        self._tokens = tokens
        self._verify = verify_setting(ca_bundle)
        self._retry = retry or RetrySettings()
        self._session = endpoint_session(endpoint, max_connections)
        self._transport = RequestsTransport(
            session=self._session,
            session_owner=False,
            connection_verify=self._verify,
            connection_timeout=self._retry.timeout,
            read_timeout=self._retry.timeout,
        )
        self._users: LruCache[str, UserChat] = LruCache(max_users)
        self._threads: LruCache[tuple[str, str], ChatThreadClient] = LruCache(max_thread_clients)

    def as_user(self, acs_user_id: str) -> UserChat:
        """The chat as `acs_user_id` sees it; the same object for the same user."""
        user = _validate.text_id(acs_user_id, "acs_user_id")
        return self._users.get_or_create(user, lambda: UserChat(self, user))

    def credential(self, acs_user_id: str) -> UserTokenCredential:
        """The azure-core credential chat clients use to act as the user."""
        return self._tokens.credential(acs_user_id)

    def client_options(self, acs_user_id: str) -> dict[str, Any]:
        """Constructor options for an SDK chat client acting as the user.

        The SDK does not pass a ChatClient's options on to its thread clients, so each client
        gets its own: the shared transport, the CA bundle, and fresh policy instances.
        """
        return {
            "transport": self._transport,
            "connection_verify": self._verify,
            "retry_policy": retry_policy(self._retry),
            "per_retry_policies": [
                RenewTokenOn401Policy(self._tokens, acs_user_id),
                ObservedCalls("chat"),
            ],
        }

    @property
    def retry(self) -> RetrySettings:
        return self._retry

    def thread_client(
        self, acs_user_id: str, thread_id: str, create: Callable[[], ChatThreadClient]
    ) -> ChatThreadClient:
        """The user's client for a thread, made with `create()` when not kept."""
        return self._threads.get_or_create((acs_user_id, thread_id), create)

    def forget_thread_client(self, acs_user_id: str, thread_id: str) -> None:
        self._threads.discard((acs_user_id, thread_id))

    def close(self) -> None:
        self._users.clear()
        self._threads.clear()
        self._session.close()

    def __enter__(self) -> ChatGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ChatGateway(endpoint={self.endpoint!r}, users={len(self._users)}, "
            f"thread_clients={len(self._threads)})"
        )


class UserChat:
    """Chat operations performed as one ACS user."""

    def __init__(self, gateway: ChatGateway, acs_user_id: str) -> None:
        self.user_id = acs_user_id
        self._gateway = gateway
        # ChatClient is annotated for CommunicationTokenCredential, yet it only calls
        # `get_token`, which the cache-backed credential provides.
        credential = cast(CommunicationTokenCredential, gateway.credential(acs_user_id))
        self._client = ChatClient(
            gateway.endpoint, credential, **gateway.client_options(acs_user_id)
        )
        # (thread id, idempotency key) of sends that gave up not knowing if they succeeded
        self._unsettled: LruCache[tuple[str, str], datetime] = LruCache(MAX_UNSETTLED_SENDS)

    def _thread(self, thread_id: str) -> ChatThreadClient:
        thread_id = _validate.text_id(thread_id, "thread_id")
        return self._gateway.thread_client(
            self.user_id,
            thread_id,
            # The SDK's type comment on this method (and on create_chat_thread) reads as a
            # second `self: str` parameter; the call itself is as documented.
            lambda: self._client.get_chat_thread_client(  # type: ignore[misc]
                thread_id, **self._gateway.client_options(self.user_id)
            ),
        )

    # Threads

    def create_thread(
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
            result = self._client.create_chat_thread(  # type: ignore[misc]
                topic,
                thread_participants=_convert.to_sdk_participants(members),
                idempotency_token=key,
            )
        return CreatedThread(
            thread=_convert.thread(result.chat_thread),
            invalid_participants=_convert.invalid_participants(result.errors),
        )

    def delete_thread(self, thread_id: str) -> None:
        thread_id = _validate.text_id(thread_id, "thread_id")
        with translated():
            self._client.delete_chat_thread(thread_id)
        self._gateway.forget_thread_client(self.user_id, thread_id)

    def list_threads(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, start_time: datetime | None = None
    ) -> Iterator[ThreadSummary]:
        """Threads this user is or was in, most recent activity first, fetched page by page."""
        pages = self._client.list_chat_threads(
            results_per_page=_validate.page_size(page_size),
            start_time=_validate.start_time(start_time),
        )
        return _iterate(pages, _convert.thread_summary)

    def get_thread(self, thread_id: str) -> ThreadRecord:
        client = self._thread(thread_id)
        with translated():
            return _convert.thread(client.get_properties())

    def update_topic(self, thread_id: str, topic: str) -> None:
        client = self._thread(thread_id)
        topic = _validate.non_empty(topic, "topic")
        with translated():
            client.update_topic(topic=topic)

    # Messages

    def send_message(
        self,
        thread_id: str,
        content: str,
        *,
        type: str = "text",
        sender_display_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Send a message and return its id.

        With an `idempotency_key`, a send whose outcome is unknown (dropped connection, timeout,
        5xx) is first looked up by that key before it is repeated, so the thread never holds
        two messages for one key. Without one, such a send is never repeated: it raises
        `Unavailable` although the message may be stored, so the thread holds at most one.
        """
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
                return str(client.send_message(content, **options, **SEND_AT_MOST_ONCE).id)

        plan = IdempotentSend(
            self._gateway.retry, unsettled=self._unsettled, mark=(client.thread_id, key)
        )
        while True:
            try:
                if plan.look_first:
                    found = self._find_sent(client, key, plan.since)
                    if found is not None:
                        plan.settled()
                        return found
                    plan.looked()
                sent = client.send_message(content, retry_total=0, **options)
                plan.settled()
                return str(sent.id)
            except AzureError as error:
                time.sleep(plan.failed(error))

    def _find_sent(self, client: ChatThreadClient, key: str, since: datetime) -> str | None:
        for item in client.list_messages(results_per_page=LOOKUP_PAGE_SIZE, start_time=since):
            if _convert.carries_key(item, key, self.user_id):
                return str(item.id)
        return None

    def get_message(self, thread_id: str, message_id: str) -> MessageRecord:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            return _convert.message(client.get_message(message_id))

    def list_messages(
        self,
        thread_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_time: datetime | None = None,
    ) -> Iterator[MessageRecord]:
        """Messages newest first (system messages and deleted ones included), fetched lazily:
        reading the first `page_size` costs one request."""
        client = self._thread(thread_id)
        pages = client.list_messages(
            results_per_page=_validate.page_size(page_size),
            start_time=_validate.start_time(start_time),
        )
        return _iterate(pages, _convert.message)

    def update_message(
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
            client.update_message(message_id, content=content, metadata=checked)

    def delete_message(self, thread_id: str, message_id: str) -> None:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            client.delete_message(message_id)

    # Participants

    def add_participants(
        self, thread_id: str, participants: Iterable[ParticipantRecord | str]
    ) -> tuple[InvalidParticipant, ...]:
        """Add members (existing ones are left alone); returns those ACS refused."""
        client = self._thread(thread_id)
        members = _validate.participants(participants)
        if not members:
            return ()
        with translated():
            errors = client.add_participants(_convert.to_sdk_participants(members))
        return _convert.invalid_participants(errors)

    def remove_participant(self, thread_id: str, acs_user_id: str) -> None:
        client = self._thread(thread_id)
        user = _validate.text_id(acs_user_id, "acs_user_id")
        with translated():
            client.remove_participant(CommunicationUserIdentifier(user))

    def list_participants(
        self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ParticipantRecord]:
        client = self._thread(thread_id)
        pages = client.list_participants(results_per_page=_validate.page_size(page_size))
        return _iterate(pages, _convert.participant)

    # Read receipts and typing

    def send_read_receipt(self, thread_id: str, message_id: str) -> None:
        client = self._thread(thread_id)
        message_id = _validate.text_id(message_id, "message_id")
        with translated():
            client.send_read_receipt(message_id)

    def list_read_receipts(
        self, thread_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ReadReceiptRecord]:
        """The latest receipt of each participant."""
        client = self._thread(thread_id)
        pages = client.list_read_receipts(results_per_page=_validate.page_size(page_size))
        return _iterate(pages, _convert.read_receipt)

    def send_typing(self, thread_id: str, *, sender_display_name: str | None = None) -> None:
        client = self._thread(thread_id)
        name = _validate.optional_text(sender_display_name, "sender_display_name")
        with translated():
            client.send_typing_notification(sender_display_name=name)

    def __repr__(self) -> str:
        return f"UserChat({self.user_id!r})"
