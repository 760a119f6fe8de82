"""The emulator's chat answers against the 2024-03-07 spec and the real service's recordings.

This module provokes its own samples: a tour drives the real SDKs through every operation, its
success answers in their different shapes (paged, edited, deleted, with and without optional
fields) and the refusals clients meet (400, 403, 404). Every response must validate against the
spec's schema for its operation and status: success bodies against the operation's response
schema, error bodies against `CommunicationErrorResponse`, bodiless answers empty. Schemas are
applied strictly: a property the spec does not define fails validation. Then the shapes (key
sets and value formats) of the real service's recordings are reproduced.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, RecordedResponse
from tests.fixtures.chat_sdk import create_chat_thread

SPEC_BASE = "https://specs.invalid/acs/"
CHAT_SPEC = "Chat/stable/2024-03-07/communicationserviceschat.json"
COMMON_SPEC = "Common/stable/2023-11-15/common.json"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: re.Pattern[str]
    responses: dict[str, Any]


class ChatSpec:
    """The chat spec with its common definitions, ready to validate bodies by operation."""

    def __init__(self, reference: Path) -> None:
        specs = reference / "specs" / "acs"
        chat = json.loads((specs / CHAT_SPEC).read_text())
        common = json.loads((specs / COMMON_SPEC).read_text())
        self._registry: Registry[Any] = Registry().with_resources(
            [
                (SPEC_BASE + CHAT_SPEC, Resource.from_contents(_strict(chat), DRAFT4)),
                (SPEC_BASE + COMMON_SPEC, Resource.from_contents(_strict(common), DRAFT4)),
            ]
        )
        self.operations = [
            Operation(
                operation_id=operation["operationId"],
                method=method.upper(),
                path=re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$"),
                responses=operation["responses"],
            )
            for path, methods in chat["paths"].items()
            for method, operation in methods.items()
        ]

    def operation(self, method: str, path: str) -> Operation:
        matches = [o for o in self.operations if o.method == method and o.path.match(path)]
        assert len(matches) == 1, f"{method} {path} matches {len(matches)} operations"
        return matches[0]

    def problems(self, recorded: RecordedResponse) -> list[str]:
        """Why this response breaks the spec (empty when it conforms)."""
        operation = self.operation(recorded.method, recorded.path)
        declared = operation.responses.get(str(recorded.status))
        if declared is None and recorded.status < 400:
            return [f"status {recorded.status} is not a documented answer"]
        schema_ref = (declared or {}).get("schema", {}).get("$ref")
        if recorded.status >= 400:
            schema_ref = "#/definitions/CommunicationErrorResponse"
        if schema_ref is None:
            return [] if recorded.body == b"" else ["a bodiless answer carries a body"]
        if recorded.content_type != JSON_CONTENT_TYPE:
            return [f"Content-Type is {recorded.content_type!r}"]
        validator = Draft4Validator(
            {"$ref": SPEC_BASE + CHAT_SPEC + schema_ref},
            registry=self._registry,
            format_checker=Draft4Validator.FORMAT_CHECKER,
        )
        body = json.loads(recorded.body)
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def _strict(document: Any) -> Any:
    """A copy where every object schema listing properties allows no others."""
    document = copy.deepcopy(document)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(document)
    return document


@pytest.fixture(scope="module")
def spec(shared_reference: Path) -> ChatSpec:
    return ChatSpec(shared_reference)


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator, record=True)
    yield chat
    chat.close()


ANSWERS_TOURED = {
    "Chat_CreateChatThread": {201, 400},
    "Chat_ListChatThreads": {200},
    "Chat_DeleteChatThread": {204, 403, 404},
    "ChatThread_GetChatThreadProperties": {200, 403, 404},
    "ChatThread_UpdateChatThreadProperties": {204, 403},
    "ChatThread_SendChatMessage": {201, 400, 403, 404},
    "ChatThread_ListChatMessages": {200, 403, 404},
    "ChatThread_GetChatMessage": {200, 404},
    "ChatThread_UpdateChatMessage": {204, 400, 403, 404},
    "ChatThread_DeleteChatMessage": {204, 403, 404},
    "ChatThread_AddChatParticipants": {201, 400},
    "ChatThread_ListChatParticipants": {200, 403},
    "ChatThread_RemoveChatParticipant": {204, 404},
    "ChatThread_SendTypingNotification": {200, 403},
    "ChatThread_SendChatReadReceipt": {200, 404},
    "ChatThread_ListChatReadReceipts": {200},
}
"""Each operation's answers the tour provokes (and so checks against the spec)."""


def _refused(status: int, call: Callable[[], object]) -> None:
    with pytest.raises(HttpResponseError) as refused:
        call()
    assert refused.value.status_code == status


def _crowd(chat: EmulatedChat) -> list[ChatParticipant]:
    """201 well-formed participants: one more than a create or an add may carry."""
    resource = chat.emulator.resource_id
    return [
        ChatParticipant(identifier=CommunicationUserIdentifier(f"8:acs:{resource}_{n:036d}"))
        for n in range(201)
    ]


def _tour_every_operation(chat: EmulatedChat) -> None:
    """Each of the 16 operations, with paging, optional fields present and absent, and the
    refusals of bad input (400), of non-participants (403) and of what does not exist (404)."""
    owner, guest, outsider, loner = chat.users(4)
    client = chat.client(owner)
    list(chat.client(loner).list_chat_threads())  # no threads: an empty page
    created = create_chat_thread(
        client,
        "tour",
        thread_participants=[
            guest.as_participant("Guest"),
            ChatParticipant(identifier=chat.unknown_user()),
        ],
    )
    thread_id = created.chat_thread.id
    create_chat_thread(client, "second")
    thread = chat.thread(owner, thread_id)
    as_guest = chat.thread(guest, thread_id)
    as_outsider = chat.thread(outsider, thread_id)
    thread.get_properties()
    thread.update_topic("tour 2")
    list(thread.list_read_receipts())  # none yet: an empty page
    sent = thread.send_message("hello", metadata={"k": "v", "n": "1"}, sender_display_name="Owner")
    html = thread.send_message("<p>hi</p>", chat_message_type="html")
    thread.get_message(sent.id)
    thread.get_message(html.id)  # sent without a display name
    thread.update_message(sent.id, content="hello!", metadata={"n": "2"})
    thread.get_message(sent.id)  # edited
    list(thread.list_messages(results_per_page=2))
    list(client.list_chat_threads(results_per_page=1))  # threads with messages
    thread.add_participants([ChatParticipant(identifier=outsider.identifier)])
    thread.add_participants([ChatParticipant(identifier=chat.unknown_user())])
    thread.remove_participant(outsider.identifier)
    list(thread.list_participants(results_per_page=1))
    thread.send_typing_notification(sender_display_name="Owner")
    thread.send_read_receipt(sent.id)
    as_guest.send_read_receipt(sent.id)
    list(thread.list_read_receipts(results_per_page=1))
    thread.delete_message(html.id)
    thread.get_message(html.id)
    list(thread.list_messages())  # the deleted message, listed without its text

    too_long = "x" * (28 * 1024 + 1)
    _refused(400, lambda: create_chat_thread(client, "crowd", thread_participants=_crowd(chat)))
    _refused(400, lambda: thread.add_participants(_crowd(chat)))
    _refused(400, lambda: thread.send_message(too_long))
    _refused(400, lambda: thread.update_message(sent.id, content=too_long))
    _refused(403, lambda: as_guest.update_message(sent.id, content="mine now"))
    _refused(403, lambda: as_guest.delete_message(sent.id))
    _refused(404, lambda: thread.get_message("1"))
    _refused(404, lambda: thread.delete_message("1"))
    _refused(404, lambda: thread.update_message(html.id, content="back"))
    _refused(404, lambda: thread.send_read_receipt("1"))
    _refused(404, lambda: thread.remove_participant(outsider.identifier))
    # The outsider was removed: shut out of everything in the thread.
    _refused(403, as_outsider.get_properties)
    _refused(403, lambda: as_outsider.update_topic("mine"))
    _refused(403, lambda: as_outsider.send_message("hi"))
    _refused(403, lambda: list(as_outsider.list_messages()))
    _refused(403, lambda: list(as_outsider.list_participants()))
    _refused(403, lambda: as_outsider.send_typing_notification())
    _refused(403, lambda: chat.client(outsider).delete_chat_thread(thread_id))

    client.delete_chat_thread(thread_id)
    client.delete_chat_thread(thread_id)  # again, by a participant: 204, as on the service
    _refused(404, thread.get_properties)
    _refused(404, lambda: thread.send_message("anyone?"))
    _refused(404, lambda: list(thread.list_messages()))
    _refused(404, lambda: chat.client(loner).delete_chat_thread(thread_id))


def test_every_chat_response_matches_the_spec(chat: EmulatedChat, spec: ChatSpec) -> None:
    _tour_every_operation(chat)
    recorded = chat.recorded

    problems = {
        f"{r.method} {r.path} -> {r.status}": found for r in recorded if (found := spec.problems(r))
    }

    assert problems == {}
    covered = {spec.operation(r.method, r.path).operation_id for r in recorded}
    assert covered == {o.operation_id for o in spec.operations}
    assert {r.status for r in recorded} >= {200, 201, 204, 400, 403, 404}
    answers: dict[str, set[int]] = {}
    for r in recorded:
        answers.setdefault(spec.operation(r.method, r.path).operation_id, set()).add(r.status)
    assert answers == ANSWERS_TOURED


# Shapes of the real service's recordings


_FORMATS = [
    ("epoch-ms", re.compile(r"^\d{13}$")),
    ("number", re.compile(r"^\d{1,12}$")),
    ("time", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")),
    ("thread-id", re.compile(r"^19:[\w-]+@thread\.v2$")),
    (
        "user-id",
        re.compile(
            r"^8:acs:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}_[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
        ),
    ),
]


def _shape(value: Any) -> Any:
    """Key sets and value formats, not values: what a client could depend on."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, str):
        if value == "sanitized":
            return "sanitized"
        return next((name for name, pattern in _FORMATS if pattern.match(value)), "text")
    return type(value).__name__


def _same_shape(ours: Any, theirs: Any) -> bool:
    """Equal shapes; a value the recording sanitized matches any string format."""
    if theirs == "sanitized":
        return isinstance(ours, str)
    if isinstance(theirs, dict):
        return (
            isinstance(ours, dict)
            and ours.keys() == theirs.keys()
            and all(_same_shape(ours[k], theirs[k]) for k in theirs)
        )
    if isinstance(theirs, list):
        return (
            isinstance(ours, list)
            and len(ours) == len(theirs)
            and all(_same_shape(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    return bool(ours == theirs)


def _last_json(chat: EmulatedChat) -> Any:
    return json.loads(chat.recorded[-1].body)


def _python_recording(reference: Path, name: str) -> list[Any]:
    entries = json.loads((reference / "acs_recordings" / name).read_text())["Entries"]
    return [entry["ResponseBody"] for entry in entries]


def test_create_send_get_shapes_match_the_python_recording(
    chat: EmulatedChat, shared_reference: Path
) -> None:
    created_rec, sent_rec, got_rec = _python_recording(
        shared_reference, "python_test_get_message.json"
    )
    owner, guest = chat.users(2)

    create_chat_thread(
        chat.client(owner), "test topic", thread_participants=[guest.as_participant("name")]
    )
    created = _last_json(chat)
    thread = chat.thread(owner, created["chatThread"]["id"])
    thread.send_message("hello world", sender_display_name="sender name")
    sent = _last_json(chat)
    thread.get_message(sent["id"])
    got = _last_json(chat)

    assert _same_shape(_shape(created), _shape(created_rec))
    assert _same_shape(_shape(sent), _shape(sent_rec))
    assert _same_shape(_shape(got), _shape(got_rec))
    assert got["sequenceId"] == got_rec["sequenceId"] == "3"
    assert got["version"] == got["id"]


def test_fresh_thread_list_item_matches_the_python_recording(
    chat: EmulatedChat, shared_reference: Path
) -> None:
    _, listed_rec = _python_recording(shared_reference, "python_test_access_token_validation.json")
    owner = chat.user()
    client = chat.client(owner)

    create_chat_thread(client, "test topic1", thread_participants=[])
    list(client.list_chat_threads())

    assert _same_shape(_shape(_last_json(chat)), _shape(listed_rec))


def test_system_and_text_messages_match_the_js_recording(
    chat: EmulatedChat, shared_reference: Path
) -> None:
    source = (
        shared_reference
        / "acs_recordings"
        / "js_nock_list_messages_after_create_topic_update_send.js"
    ).read_text()
    listed_rec, _ = json.JSONDecoder().raw_decode(source, source.index(".reply(200, ") + 12)
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest, topic="test topic")
    thread = chat.thread(owner, thread_id)

    thread.update_topic("new topic")
    thread.send_message("content")
    list(thread.list_messages())
    listed = _last_json(chat)

    assert _same_shape(_shape(listed), _shape(listed_rec))
    assert [(m["type"], m["sequenceId"]) for m in listed["value"]] == [
        (m["type"], m["sequenceId"]) for m in listed_rec["value"]
    ]
    added = listed["value"][-1]["content"]["participants"]
    assert [p["shareHistoryTime"] for p in added] == ["1970-01-01T00:00:00Z"] * 2
