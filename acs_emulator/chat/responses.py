"""The chat REST operations: read the request, ask the backend, render the spec's JSON.

Bodies match the 2024-03-07 response schemas and the service's recordings: identifiers without
`kind`, whole-second UTC times, optional fields left out rather than sent as null. JSON bodies
carry `Content-Type: application/json; charset=utf-8`; a created thread or message comes with
`Location`; 204s and the 200s of typing and read receipts have empty bodies, as the spec says.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acs_emulator.chat import paging, parsing
from acs_emulator.chat.identifiers import identifier_model
from acs_emulator.chat.models import ChatBackend
from acs_emulator.chat.records import (
    USER_MESSAGE_TYPES,
    CreatedThread,
    Message,
    Participant,
    ReadReceipt,
    Thread,
    ThreadCursor,
    ThreadSummary,
)
from acs_emulator.chat.timestamps import query_time, rest_time
from acs_emulator.principal import principal_of

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


class ChatResponses:
    """One endpoint per spec operation; each is `async (request) -> Response`."""

    def __init__(self, backend: ChatBackend) -> None:
        self.backend = backend

    # Threads

    async def create_chat_thread(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        topic, participants = parsing.create_thread(await parsing.json_object(request))
        created = self.backend.create_thread(
            caller,
            topic,
            participants,
            request_id=parsing.repeatability_request_id(request.headers),
        )
        location = _url(request, paging.thread_path(created.thread.id))
        return json_response(201, create_thread_result(created), location=location)

    async def list_chat_threads(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        query = request.query_params
        size = paging.page_size(query)
        start = parsing.start_time(query)
        token = query.get("syncState")
        after = paging.decode_thread_cursor(token) if token else None
        page = self.backend.list_threads(caller, start_ms=start, page_size=size, after=after)
        body: dict[str, Any] = {"value": [thread_item(item) for item in page.items]}
        if page.has_more:
            last = page.items[-1]
            cursor = ThreadCursor(activity_ms=last.activity_ms, thread_id=last.id)
            body["nextLink"] = paging.next_link(
                request,
                "chat/threads",
                {
                    "syncState": paging.encode_thread_cursor(cursor),
                    "startTime": query_time(start or 0),
                    "maxPageSize": size,
                },
            )
        return json_response(200, body)

    async def delete_chat_thread(self, request: Request) -> Response:
        self.backend.delete_thread(principal_of(request).raw_id, _thread_id(request))
        return Response(status_code=204)

    async def get_chat_thread_properties(self, request: Request) -> Response:
        thread = self.backend.get_thread(principal_of(request).raw_id, _thread_id(request))
        return json_response(200, thread_properties(thread))

    async def update_chat_thread_properties(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        topic = parsing.topic_update(await parsing.json_object(request))
        if topic is None:
            self.backend.get_thread(caller, _thread_id(request))
        else:
            self.backend.update_topic(caller, _thread_id(request), topic)
        return Response(status_code=204)

    # Messages

    async def send_chat_message(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        message = parsing.new_message(await parsing.json_object(request))
        thread_id = _thread_id(request)
        sent = self.backend.send_message(caller, thread_id, message)
        location = _url(request, paging.thread_path(thread_id, "messages", str(sent.id)))
        return json_response(201, {"id": str(sent.id)}, location=location)

    async def list_chat_messages(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        thread_id = _thread_id(request)
        query = request.query_params
        size = paging.page_size(query)
        start = parsing.start_time(query)
        token = query.get("syncState")
        before = paging.decode_message_cursor(token) if token else None
        page = self.backend.list_messages(
            caller, thread_id, start_ms=start, page_size=size, before_sequence=before
        )
        body: dict[str, Any] = {"value": [chat_message(item) for item in page.items]}
        if page.has_more:
            body["nextLink"] = paging.next_link(
                request,
                paging.thread_path(thread_id, "messages"),
                {
                    "syncState": paging.encode_message_cursor(page.items[-1].sequence_id),
                    "startTime": query_time(start or 0),
                    "maxPageSize": size,
                },
            )
        return json_response(200, body)

    async def get_chat_message(self, request: Request) -> Response:
        message = self.backend.get_message(
            principal_of(request).raw_id, _thread_id(request), _message_id(request)
        )
        return json_response(200, chat_message(message))

    async def update_chat_message(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        edit = parsing.message_edit(await parsing.json_object(request))
        self.backend.update_message(caller, _thread_id(request), _message_id(request), edit)
        return Response(status_code=204)

    async def delete_chat_message(self, request: Request) -> Response:
        self.backend.delete_message(
            principal_of(request).raw_id, _thread_id(request), _message_id(request)
        )
        return Response(status_code=204)

    # Participants

    async def list_chat_participants(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        thread_id = _thread_id(request)
        size = paging.page_size(request.query_params)
        skip = paging.skip_count(request.query_params)
        page = self.backend.list_participants(caller, thread_id, skip=skip, page_size=size)
        body: dict[str, Any] = {"value": [chat_participant(item) for item in page.items]}
        if page.has_more:
            body["nextLink"] = paging.next_link(
                request,
                paging.thread_path(thread_id, "participants"),
                {"skip": skip + len(page.items), "maxPageSize": size},
            )
        return json_response(200, body)

    async def add_chat_participants(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        participants = parsing.participants(await parsing.json_object(request), required=True)
        invalid = self.backend.add_participants(caller, _thread_id(request), participants)
        body: dict[str, Any] = {}
        if invalid:
            body["invalidParticipants"] = [invalid_participant(raw_id) for raw_id in invalid]
        return json_response(201, body)

    async def remove_chat_participant(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        raw_id = parsing.removed_participant(await parsing.json_object(request))
        self.backend.remove_participant(caller, _thread_id(request), raw_id)
        return Response(status_code=204)

    # Typing and read receipts

    async def send_typing_notification(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        body = await parsing.json_object(request, optional=True)
        self.backend.send_typing(caller, _thread_id(request), parsing.typing_display_name(body))
        return Response(status_code=200)

    async def send_chat_read_receipt(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        message_id = parsing.read_receipt(await parsing.json_object(request))
        self.backend.send_read_receipt(caller, _thread_id(request), message_id)
        return Response(status_code=200)

    async def list_chat_read_receipts(self, request: Request) -> Response:
        caller = principal_of(request).raw_id
        thread_id = _thread_id(request)
        size = paging.page_size(request.query_params)
        skip = paging.skip_count(request.query_params)
        page = self.backend.list_read_receipts(caller, thread_id, skip=skip, page_size=size)
        body: dict[str, Any] = {"value": [read_receipt(item) for item in page.items]}
        if page.has_more:
            body["nextLink"] = paging.next_link(
                request,
                paging.thread_path(thread_id, "readReceipts"),
                {"skip": skip + len(page.items), "maxPageSize": size},
            )
        return json_response(200, body)


# Rendering


def json_response(status: int, body: Any, *, location: str | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Location": location} if location else None
    return Response(content, status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)


def thread_properties(thread: Thread) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": thread.id,
        "topic": thread.topic,
        "createdOn": rest_time(thread.created_ms),
        "createdByCommunicationIdentifier": identifier_model(thread.created_by),
    }
    if thread.deleted_ms is not None:
        body["deletedOn"] = rest_time(thread.deleted_ms)
    return body


def create_thread_result(created: CreatedThread) -> dict[str, Any]:
    body: dict[str, Any] = {"chatThread": thread_properties(created.thread)}
    if created.invalid_raw_ids:
        body["invalidParticipants"] = [invalid_participant(r) for r in created.invalid_raw_ids]
    return body


def invalid_participant(raw_id: str) -> dict[str, Any]:
    """A `CommunicationError` for a user that does not exist; `target` is its raw id."""
    return {"target": raw_id, "code": "404", "message": "Not found."}


def thread_item(item: ThreadSummary) -> dict[str, Any]:
    body: dict[str, Any] = {"id": item.id, "topic": item.topic}
    if item.deleted_ms is not None:
        body["deletedOn"] = rest_time(item.deleted_ms)
    if item.last_message_ms is not None:
        body["lastMessageReceivedOn"] = rest_time(item.last_message_ms)
    return body


def chat_participant(participant: Participant) -> dict[str, Any]:
    body: dict[str, Any] = {"communicationIdentifier": identifier_model(participant.raw_id)}
    if participant.display_name is not None:
        body["displayName"] = participant.display_name
    body["shareHistoryTime"] = rest_time(participant.share_history_ms)
    return body


def chat_message(message: Message) -> dict[str, Any]:
    """A `ChatMessage`; user messages carry sender fields, system messages an initiator."""
    body: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "sequenceId": str(message.sequence_id),
        "version": str(message.version),
    }
    if message.type in USER_MESSAGE_TYPES:
        body["content"] = {"message": message.body or ""}
        body["senderDisplayName"] = message.sender_display_name or ""
        body["createdOn"] = rest_time(message.created_ms)
        if message.sender is not None:
            body["senderCommunicationIdentifier"] = identifier_model(message.sender)
    else:
        content: dict[str, Any] = {}
        if message.topic is not None:
            content["topic"] = message.topic
        if message.participants is not None:
            content["participants"] = [chat_participant(p) for p in message.participants]
        if message.initiator is not None:
            content["initiatorCommunicationIdentifier"] = identifier_model(message.initiator)
        body["content"] = content
        body["createdOn"] = rest_time(message.created_ms)
    if message.deleted_ms is not None:
        body["deletedOn"] = rest_time(message.deleted_ms)
    if message.edited_ms is not None:
        body["editedOn"] = rest_time(message.edited_ms)
    if message.metadata:
        body["metadata"] = dict(message.metadata)
    return body


def read_receipt(receipt: ReadReceipt) -> dict[str, Any]:
    return {
        "senderCommunicationIdentifier": identifier_model(receipt.raw_id),
        "chatMessageId": str(receipt.message_id),
        "readOn": rest_time(receipt.read_ms),
    }


def _thread_id(request: Request) -> str:
    thread_id: str = request.path_params["chatThreadId"]
    return thread_id


def _message_id(request: Request) -> str:
    message_id: str = request.path_params["chatMessageId"]
    return message_id


def _url(request: Request, path: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/{path}"
