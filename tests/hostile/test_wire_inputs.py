"""Property tests over the Twilio wire: whatever a caller sends, the answer is a success or a
Twilio-shaped 4xx, never a 500, and a refused write leaves the store and ACS unchanged."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.hostile.strategies import hostile_json, hostile_text, page_query, sid_like
from tests.hostile.wire import acs_writes, assert_twilio_error, call, store_counts
from twilio_compat.rest import WireHandler

EXAMPLES = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _optional(**fields: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, list[str]]]:
    extra = st.dictionaries(
        hostile_text.filter(bool), st.lists(hostile_text, max_size=2), max_size=1
    )
    known = st.fixed_dictionaries({}, optional={k: v.map(lambda x: [x]) for k, v in fields.items()})
    return st.tuples(known, extra | st.just({})).map(lambda pair: {**pair[1], **pair[0]})


def _refused_cleanly(
    adapter: AcsAdapter, emulator: AcsEmulator, status: int, body: dict[str, Any], before: Any
) -> None:
    assert_twilio_error(status, body)
    counts, writes = before
    assert store_counts(adapter) == counts, "a refused request changed the store"
    after = acs_writes(emulator)
    created = after["Chat_CreateChatThread"] - writes["Chat_CreateChatThread"]
    deleted = after["Chat_DeleteChatThread"] - writes["Chat_DeleteChatThread"]
    assert created == deleted, "a refused request left a thread in ACS"
    for name in ("ChatThread_SendChatMessage", "ChatThread_AddChatParticipants"):
        assert after[name] == writes[name], f"a refused request called {name}"


def _snapshot(adapter: AcsAdapter, emulator: AcsEmulator) -> tuple[Any, Any]:
    return store_counts(adapter), acs_writes(emulator)


@pytest.fixture(scope="module")
def conversation(handler: WireHandler) -> str:
    status, body = call(handler, "POST", "/Conversations", {"FriendlyName": ["hostile target"]})
    assert status == 201
    participant = {"Identity": ["member"]}
    assert (
        call(handler, "POST", f"/Conversations/{body['sid']}/Participants", participant)[0] == 201
    )
    # Twilio's default roles and the service configuration appear on first read: read them
    # now, so the "nothing written" checks below see only what hostile requests cause.
    assert call(handler, "GET", "/Roles")[0] == 200
    assert call(handler, "GET", "/Configuration")[0] == 200
    return str(body["sid"])


@EXAMPLES
@given(
    form=_optional(
        FriendlyName=hostile_text,
        UniqueName=hostile_text,
        Attributes=hostile_json,
        State=hostile_text,
        MessagingServiceSid=sid_like,
        DateCreated=hostile_text,
    )
)
def test_conversation_create(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    form: dict[str, list[str]],
) -> None:
    before = _snapshot(adapter, emulator)
    status, body = call(handler, "POST", "/Conversations", form)
    if status >= 400:
        _refused_cleanly(adapter, emulator, status, body, before)
        return
    assert status == 201, body
    fetched_status, fetched = call(handler, "GET", f"/Conversations/{body['sid']}")
    assert fetched_status == 200 and fetched == body
    for wire, field in (("FriendlyName", "friendly_name"), ("UniqueName", "unique_name")):
        if form.get(wire, [""])[0]:
            assert body[field] == form[wire][0]
    if "UniqueName" in form and form["UniqueName"][0]:
        by_name = call(handler, "GET", "/Conversations/" + quote(form["UniqueName"][0], safe=""))
        assert by_name == (200, body)
    if "Attributes" in form:
        assert json.loads(body["attributes"]) == json.loads(form["Attributes"][0])


@EXAMPLES
@given(
    form=_optional(
        Body=hostile_text,
        Author=hostile_text,
        Attributes=hostile_json,
        MediaSid=sid_like,
        DateCreated=hostile_text,
    )
)
def test_message_create(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    form: dict[str, list[str]],
) -> None:
    before = _snapshot(adapter, emulator)
    status, body = call(handler, "POST", f"/Conversations/{conversation}/Messages", form)
    if status >= 400:
        _refused_cleanly(adapter, emulator, status, body, before)
        return
    assert status == 201, body
    fetched = call(handler, "GET", f"/Conversations/{conversation}/Messages/{body['sid']}")
    assert fetched == (200, body)
    assert body["body"] == form["Body"][0]
    if form.get("Author", [""])[0]:
        assert body["author"] == form["Author"][0]
    if "Attributes" in form:
        assert json.loads(body["attributes"]) == json.loads(form["Attributes"][0])


@EXAMPLES
@given(form=_optional(Identity=hostile_text, Attributes=hostile_json, RoleSid=sid_like))
@example(form={"Identity": ["user|identity&string"], "Attributes": ['{"a": "\\udfff"}']})
def test_participant_create(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    form: dict[str, list[str]],
) -> None:
    before = _snapshot(adapter, emulator)
    status, body = call(handler, "POST", f"/Conversations/{conversation}/Participants", form)
    if status >= 400:
        _refused_cleanly(adapter, emulator, status, body, before)
        return
    assert status == 201, body
    identity = form["Identity"][0]
    assert body["identity"] == identity
    path = f"/Conversations/{conversation}/Participants/" + quote(identity, safe="")
    assert call(handler, "GET", path) == (200, body)
    assert (
        call(handler, "DELETE", f"/Conversations/{conversation}/Participants/{body['sid']}")[0]
        == 204
    )


@EXAMPLES
@given(
    form=_optional(
        FriendlyName=hostile_text,
        UniqueName=hostile_text,
        Attributes=hostile_json,
        State=hostile_text,
    )
)
def test_conversation_update(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    form: dict[str, list[str]],
) -> None:
    _, before_body = call(handler, "GET", f"/Conversations/{conversation}")
    before = _snapshot(adapter, emulator)
    status, body = call(handler, "POST", f"/Conversations/{conversation}", form)
    if status >= 400:
        _refused_cleanly(adapter, emulator, status, body, before)
        assert call(handler, "GET", f"/Conversations/{conversation}") == (200, before_body)
        return
    assert status == 200, body
    assert call(handler, "GET", f"/Conversations/{conversation}") == (200, body)


READ_PATHS = (
    "/Conversations/{x}",
    "/Conversations/{x}/Messages",
    "/Conversations/{c}/Messages/{x}",
    "/Conversations/{c}/Participants/{x}",
    "/Conversations/{c}/Messages/{x}/Receipts",
    "/Users/{x}",
    "/Users/{x}/Conversations",
    "/Roles/{x}",
    "/Services/{x}/Conversations",
    "/Credentials/{x}",
)


@EXAMPLES
@given(
    template=st.sampled_from(READ_PATHS),
    key=sid_like,
    query=page_query,
    method=st.sampled_from(["GET", "DELETE"]),
)
def test_lookups_and_paging_with_wrong_shapes(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    template: str,
    key: str,
    query: dict[str, list[str]],
    method: str,
) -> None:
    path = template.format(c=conversation, x=quote(key, safe="") or "%20")
    if method == "DELETE":
        query = {}
    before = _snapshot(adapter, emulator)
    status, body = call(handler, method, path, query=query)
    if status >= 400:
        _refused_cleanly(adapter, emulator, status, body, before)
    else:
        assert method == "GET" and status == 200, body


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/Conversations", {"Attributes": ["[" * 5000 + "]" * 5000]}),
        ("/Conversations/{c}/Messages", {"Body": ["x"], "Attributes": ["[" * 1500 + "]" * 1500]}),
    ],
)
def test_deep_json_is_a_400(
    adapter: AcsAdapter,
    handler: WireHandler,
    emulator: AcsEmulator,
    conversation: str,
    path: str,
    form: dict[str, list[str]],
) -> None:
    before = _snapshot(adapter, emulator)
    status, body = call(handler, "POST", path.format(c=conversation), form)
    _refused_cleanly(adapter, emulator, status, body, before)
