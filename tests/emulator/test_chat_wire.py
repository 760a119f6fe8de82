"""The chat REST contract as a non-Python ACS client meets it: plain HTTPS, exact wire shapes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat, json_body, send_many


@pytest.fixture(scope="module")
def chat(emulator: AcsEmulator) -> Iterator[EmulatedChat]:
    chat = EmulatedChat(emulator)
    yield chat
    chat.close()


def test_created_resources_answer_201_with_location(chat: EmulatedChat) -> None:
    owner = chat.user()
    with chat.http(owner) as http:
        created = http.post("/chat/threads", json={"topic": "wire"})
        thread_id = json_body(created)["chatThread"]["id"]
        sent = http.post(f"/chat/threads/{thread_id}/messages", json={"content": "hi"})

    assert created.status_code == 201
    assert urlsplit(created.headers["location"]).path == f"/chat/threads/{thread_id}"
    assert sent.status_code == 201
    message_id = json_body(sent)["id"]
    assert urlsplit(sent.headers["location"]).path.endswith(f"/messages/{message_id}")


def test_thread_id_in_the_path_may_be_raw_or_url_encoded(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner, topic="paths")
    with chat.http(owner) as http:
        raw = http.get(f"/chat/threads/{thread_id}")
        encoded = http.get(f"/chat/threads/{quote(thread_id, safe='')}")

    assert raw.status_code == encoded.status_code == 200
    assert json_body(raw) == json_body(encoded)


def test_empty_bodies_for_no_content_answers(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    with chat.http(owner) as http:
        message_id = http.post(f"/chat/threads/{thread_id}/messages", json={"content": "x"}).json()[
            "id"
        ]
        typing = http.post(f"/chat/threads/{thread_id}/typing")
        receipt = http.post(
            f"/chat/threads/{thread_id}/readReceipts", json={"chatMessageId": message_id}
        )
        patch = http.patch(
            f"/chat/threads/{thread_id}",
            content=b'{"topic":"merged"}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        deleted = http.delete(f"/chat/threads/{thread_id}/messages/{message_id}")

    assert (typing.status_code, typing.content) == (200, b"")
    assert (receipt.status_code, receipt.content) == (200, b"")
    assert (patch.status_code, patch.content) == (204, b"")
    assert (deleted.status_code, deleted.content) == (204, b"")


def test_messages_next_link_is_followable_verbatim(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    with chat.http(owner) as http:
        for n in range(3):
            http.post(f"/chat/threads/{thread_id}/messages", json={"content": f"m{n}"})
        first = json_body(
            http.get(
                f"/chat/threads/{thread_id}/messages",
                params={"maxPageSize": 2, "startTime": "1970-01-01T00:00:00Z"},
            )
        )
        link = urlsplit(first["nextLink"])
        query = parse_qs(link.query)
        seen = [m["sequenceId"] for m in first["value"]]
        next_link = first["nextLink"]
        while next_link:
            page = json_body(http.get(next_link))
            seen += [m["sequenceId"] for m in page["value"]]
            next_link = page.get("nextLink")

    assert f"{link.scheme}://{link.netloc}/" == chat.endpoint
    assert link.path == f"/chat/threads/{thread_id}/messages"
    assert set(query) == {"syncState", "startTime", "maxPageSize", "api-version"}
    assert query["maxPageSize"] == ["2"] and query["api-version"] == ["2024-03-07"]
    assert query["syncState"][0].replace("-", "").replace("_", "").isalnum()
    assert seen == ["5", "4", "3", "2", "1"]


def test_participants_next_link_uses_skip(chat: EmulatedChat) -> None:
    owner, *guests = chat.users(3)
    thread_id = chat.new_thread(owner, *guests)
    with chat.http(owner) as http:
        first = json_body(http.get(f"/chat/threads/{thread_id}/participants?maxPageSize=2"))
        second = json_body(http.get(first["nextLink"]))

    query = parse_qs(urlsplit(first["nextLink"]).query)
    assert query == {"skip": ["2"], "maxPageSize": ["2"], "api-version": ["2024-03-07"]}
    assert len(first["value"]) == 2
    assert [p["communicationIdentifier"]["rawId"] for p in second["value"]] == [guests[1].raw_id]
    assert "nextLink" not in second


async def test_page_size_above_200_is_served_as_200(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    await send_many(chat, owner, thread_id, 199)
    with chat.http(owner) as http:
        page = json_body(http.get(f"/chat/threads/{thread_id}/messages?maxPageSize=500"))
        rest = json_body(http.get(page["nextLink"]))

    assert len(page["value"]) == 200
    assert [m["sequenceId"] for m in rest["value"]] == ["1"]


@pytest.mark.parametrize(
    ("method", "path", "body", "target"),
    [
        ("POST", "", b"{not json", None),
        ("POST", "", b"[1, 2]", None),
        ("POST", "", b"", None),
        ("POST", "/messages", b'{"content": 5}', "content"),
        ("POST", "/messages", b'{"senderDisplayName": "x"}', "content"),
        ("POST", "/messages", b'{"content": "x", "type": "topicUpdated"}', "type"),
        ("POST", "/messages", b'{"content": "x", "type": "image"}', "type"),
        ("POST", "/messages", b'{"content": "x", "metadata": {"n": 1}}', "metadata"),
        ("POST", "/messages", b'{"content": "x", "metadata": ["a"]}', "metadata"),
        ("PATCH", "", b'{"topic": 7}', "topic"),
        ("POST", "/participants/:add", b"{}", "participants"),
        ("POST", "/participants/:add", b'{"participants": [{"displayName": "x"}]}', None),
        (
            "POST",
            "/participants/:add",
            b'{"participants": [{"communicationIdentifier": {}}]}',
            None,
        ),
        ("POST", "/participants/:remove", b'{"communicationUser": {}}', None),
        ("POST", "/readReceipts", b'{"chatMessageId": 1}', "chatMessageId"),
        ("GET", "/messages?maxPageSize=0", b"", "maxPageSize"),
        ("GET", "/messages?maxPageSize=ten", b"", "maxPageSize"),
        ("GET", "/messages?startTime=yesterday", b"", "startTime"),
        ("GET", "/messages?syncState=bm90LWEtY3Vyc29y", b"", "syncState"),
        ("GET", "/participants?skip=-1", b"", "skip"),
    ],
)
def test_malformed_requests_get_a_400_error_body(
    chat: EmulatedChat, method: str, path: str, body: bytes, target: str | None
) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    url = "/chat/threads" if path == "" and method == "POST" else f"/chat/threads/{thread_id}{path}"
    with chat.http(owner) as http:
        response = http.request(
            method, url, content=body, headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 400
    error = json_body(response)["error"]
    assert error["code"] == "BadRequest"
    assert error["message"]
    if target is not None:
        assert error["target"] == target


def test_metadata_patch_merges_and_null_removes(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    merge_patch = {"Content-Type": "application/merge-patch+json"}
    with chat.http(owner) as http:
        message = (
            f"/chat/threads/{thread_id}/messages/"
            + http.post(
                f"/chat/threads/{thread_id}/messages",
                json={"content": "m", "metadata": {"a": "1", "b": "2"}},
            ).json()["id"]
        )
        http.patch(message, content=b'{"metadata": {"a": null, "c": "3"}}', headers=merge_patch)
        merged = json_body(http.get(message))
        http.patch(message, content=b'{"metadata": null}', headers=merge_patch)
        cleared = json_body(http.get(message))
        unchanged = http.patch(message, content=b"{}", headers=merge_patch)
        after = json_body(http.get(message))

    assert merged["metadata"] == {"b": "2", "c": "3"}
    assert merged["content"] == {"message": "m"}
    assert "metadata" not in cleared
    assert unchanged.status_code == 204
    assert after == cleared


def test_remove_accepts_a_bare_raw_id(chat: EmulatedChat) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    with chat.http(owner) as http:
        removed = http.post(
            f"/chat/threads/{thread_id}/participants/:remove", json={"rawId": guest.raw_id}
        )
        mismatch = http.post(
            f"/chat/threads/{thread_id}/participants/:remove",
            json={"rawId": guest.raw_id, "communicationUser": {"id": owner.raw_id}},
        )

    assert removed.status_code == 204
    assert mismatch.status_code == 400


def test_repeated_create_answers_the_identical_body(chat: EmulatedChat) -> None:
    owner = chat.user()
    stranger = chat.unknown_user().raw_id
    body = {
        "topic": "repeat",
        "participants": [{"communicationIdentifier": {"rawId": stranger}}],
    }
    with chat.http(owner) as http:
        first = http.post("/chat/threads", json=body, headers={"repeatability-request-id": "r-1"})
        http.patch(
            f"/chat/threads/{first.json()['chatThread']['id']}",
            json={"topic": "changed"},
        )
        again = http.post("/chat/threads", json=body, headers={"repeatability-request-id": "r-1"})

    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert json_body(first)["invalidParticipants"] == [
        {"target": stranger, "code": "404", "message": "Not found."}
    ]


def test_forbidden_and_not_found_bodies(chat: EmulatedChat) -> None:
    owner, outsider = chat.users(2)
    thread_id = chat.new_thread(owner)
    with chat.http(outsider) as http:
        forbidden = http.get(f"/chat/threads/{thread_id}")
        missing = http.get("/chat/threads/19:ffffffffffffffffffffffffffffffff@thread.v2")

    assert forbidden.status_code == 403
    assert json_body(forbidden) == {
        "error": {
            "code": "Forbidden",
            "message": "User is not allowed to perform specified action.",
        }
    }
    assert missing.status_code == 404
    assert json_body(missing)["error"]["code"] == "NotFound"


def test_concurrent_sends_keep_ids_and_sequence_ids_in_step(chat: EmulatedChat) -> None:
    owner = chat.user()
    thread_id = chat.new_thread(owner)
    ids = asyncio.run(send_many(chat, owner, thread_id, 40))
    with chat.http(owner) as http:
        listed = json_body(http.get(f"/chat/threads/{thread_id}/messages"))["value"]

    by_sequence = sorted(listed, key=lambda m: int(m["sequenceId"]))
    assert [int(m["id"]) for m in by_sequence] == sorted(int(m["id"]) for m in listed)
    assert {m["id"] for m in listed} >= set(ids)
    assert len({m["id"] for m in listed}) == 42
