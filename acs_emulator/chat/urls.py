"""The chat routes: one per operation of the ACS Chat 2024-03-07 spec, named by operationId.

Paths are the spec's; Starlette hands `{chatThreadId}` over percent-decoded, so a thread id
arrives the same whether the client sent it raw or URL-encoded. The app wraps every endpoint
with the guard (authentication, scopes, api-version, throttling, faults) before it runs.
"""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.chat.models import ChatBackend
from acs_emulator.chat.responses import ChatResponses

THREADS = "/chat/threads"
THREAD = "/chat/threads/{chatThreadId}"


def routes(backend: ChatBackend) -> list[Route]:
    chat = ChatResponses(backend)
    table = [
        ("POST", THREADS, chat.create_chat_thread, "Chat_CreateChatThread"),
        ("GET", THREADS, chat.list_chat_threads, "Chat_ListChatThreads"),
        ("DELETE", THREAD, chat.delete_chat_thread, "Chat_DeleteChatThread"),
        ("GET", THREAD, chat.get_chat_thread_properties, "ChatThread_GetChatThreadProperties"),
        (
            "PATCH",
            THREAD,
            chat.update_chat_thread_properties,
            "ChatThread_UpdateChatThreadProperties",
        ),
        ("POST", THREAD + "/messages", chat.send_chat_message, "ChatThread_SendChatMessage"),
        ("GET", THREAD + "/messages", chat.list_chat_messages, "ChatThread_ListChatMessages"),
        (
            "GET",
            THREAD + "/messages/{chatMessageId}",
            chat.get_chat_message,
            "ChatThread_GetChatMessage",
        ),
        (
            "PATCH",
            THREAD + "/messages/{chatMessageId}",
            chat.update_chat_message,
            "ChatThread_UpdateChatMessage",
        ),
        (
            "DELETE",
            THREAD + "/messages/{chatMessageId}",
            chat.delete_chat_message,
            "ChatThread_DeleteChatMessage",
        ),
        (
            "GET",
            THREAD + "/participants",
            chat.list_chat_participants,
            "ChatThread_ListChatParticipants",
        ),
        (
            "POST",
            THREAD + "/participants/:add",
            chat.add_chat_participants,
            "ChatThread_AddChatParticipants",
        ),
        (
            "POST",
            THREAD + "/participants/:remove",
            chat.remove_chat_participant,
            "ChatThread_RemoveChatParticipant",
        ),
        (
            "POST",
            THREAD + "/typing",
            chat.send_typing_notification,
            "ChatThread_SendTypingNotification",
        ),
        (
            "POST",
            THREAD + "/readReceipts",
            chat.send_chat_read_receipt,
            "ChatThread_SendChatReadReceipt",
        ),
        (
            "GET",
            THREAD + "/readReceipts",
            chat.list_chat_read_receipts,
            "ChatThread_ListChatReadReceipts",
        ),
    ]
    return [
        Route(path, endpoint, methods=[method], name=name) for method, path, endpoint, name in table
    ]
