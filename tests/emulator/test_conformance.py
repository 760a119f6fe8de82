"""The emulator's chat answers against the 2024-03-07 spec and the real service's recordings.

Every response a chat test received through `chat_helpers` (this module's own tour of every
operation, plus whatever the other chat test modules recorded earlier in the session) must
validate against the spec's schema for its operation and status: success bodies against the
operation's response schema, error bodies against `CommunicationErrorResponse`, bodiless answers
empty. Schemas are applied strictly: a property the spec does not define fails validation.
Then the shapes (key sets and value formats) of the real service's recordings are reproduced.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.communication.chat import ChatParticipant
from azure.core.exceptions import HttpResponseError
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import RECORDED, EmulatedChat, RecordedResponse

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
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def _tour_every_operation(chat: EmulatedChat) -> None:
    """Each of the 16 operations at least once, with paging, plus typical error answers."""
    owner, guest, outsider = chat.users(3)
    client = chat.client(owner)
    created = client.create_chat_thread(
        "tour",
        thread_participants=[
            guest.as_participant("Guest"),
            ChatParticipant(identifier=chat.unknown_user()),
        ],
    )
    thread_id = created.chat_thread.id
    client.create_chat_thread("second")
    list(client.list_chat_threads(results_per_page=1))
    thread = chat.thread(owner, thread_id)
    thread.get_properties()
    thread.update_topic("tour 2")
    sent = thread.send_message("hello", metadata={"k": "v"}, sender_display_name="Owner")
    thread.send_message("<p>hi</p>", chat_message_type="html")
    thread.get_message(sent.id)
    thread.update_message(sent.id, content="hello!")
    list(thread.list_messages(results_per_page=2))
    thread.add_participants([ChatParticipant(identifier=outsider.identifier)])
    thread.add_participants([ChatParticipant(identifier=chat.unknown_user())])
    thread.remove_participant(outsider.identifier)
    list(thread.list_participants(results_per_page=1))
    thread.send_typing_notification(sender_display_name="Owner")
    thread.send_read_receipt(sent.id)
    chat.thread(guest, thread_id).send_read_receipt(sent.id)
    list(thread.list_read_receipts(results_per_page=1))
    thread.delete_message(sent.id)
    thread.get_message(sent.id)
    for failing in (
        lambda: chat.thread(outsider, thread_id).get_properties(),
        lambda: thread.get_message("1"),
        lambda: thread.send_message("x" * (28 * 1024 + 1)),
    ):
        with pytest.raises(HttpResponseError):
            failing()
    client.delete_chat_thread(thread_id)


def test_every_chat_response_matches_the_spec(chat: EmulatedChat, spec: ChatSpec) -> None:
    _tour_every_operation(chat)

    problems = {
        f"{r.method} {r.path} -> {r.status}": found for r in RECORDED if (found := spec.problems(r))
    }

    assert problems == {}
    covered = {spec.operation(r.method, r.path).operation_id for r in RECORDED}
    assert covered == {o.operation_id for o in spec.operations}
    assert {r.status for r in RECORDED} >= {200, 201, 204, 400, 403, 404}


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


def _last_json() -> Any:
    return json.loads(RECORDED[-1].body)


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

    chat.client(owner).create_chat_thread(
        "test topic", thread_participants=[guest.as_participant("name")]
    )
    created = _last_json()
    thread = chat.thread(owner, created["chatThread"]["id"])
    thread.send_message("hello world", sender_display_name="sender name")
    sent = _last_json()
    thread.get_message(sent["id"])
    got = _last_json()

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

    client.create_chat_thread("test topic1", thread_participants=[])
    list(client.list_chat_threads())

    assert _same_shape(_shape(_last_json()), _shape(listed_rec))


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
    listed = _last_json()

    assert _same_shape(_shape(listed), _shape(listed_rec))
    assert [(m["type"], m["sequenceId"]) for m in listed["value"]] == [
        (m["type"], m["sequenceId"]) for m in listed_rec["value"]
    ]
    added = listed["value"][-1]["content"]["participants"]
    assert [p["shareHistoryTime"] for p in added] == ["1970-01-01T00:00:00Z"] * 2
