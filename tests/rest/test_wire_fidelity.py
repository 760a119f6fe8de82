"""Response bodies have the fields, URLs and list meta of Twilio's own, compared with the
canned Twilio bodies and the examples of the Twilio OpenAPI document."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from twilio.rest import Client

BASE = "https://conversations.twilio.com/v1"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def canned(reference: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((reference / "twilio_canned" / name).read_text()))


def openapi_example(reference: Path, path: str, method: str) -> dict[str, Any]:
    spec = json.loads((reference / "specs" / "twilio" / "twilio_conversations_v1.json").read_text())
    responses = spec["paths"][path][method]["responses"]
    for answer in responses.values():
        examples = answer.get("content", {}).get("application/json", {}).get("examples", {})
        for example in examples.values():
            value = example["value"]
            if "meta" in value:
                return dict(value[value["meta"]["key"]][0])
            return dict(value)
    raise AssertionError(f"no example for {method} {path}")


def get(client: Client, url: str, params: dict[str, object] | None = None) -> dict[str, Any]:
    response = client.request("GET", url, params=params)
    assert response.status_code == 200, response.text
    return dict(json.loads(response.text))


@pytest.fixture
def world(client: Client, unique: str) -> dict[str, str]:
    conversation = client.conversations.v1.conversations.create(
        unique_name=f"wire-{unique}", friendly_name="wire"
    )
    conv = client.conversations.v1.conversations(conversation.sid)
    participant = conv.participants.create(identity=f"wire-{unique}")
    message = conv.messages.create(author=f"wire-{unique}", body="hello")
    user = client.conversations.v1.users(f"wire-{unique}").fetch()
    return {
        "conversation": conversation.sid,
        "participant": participant.sid,
        "message": message.sid,
        "user": user.sid,
    }


def test_conversation_matches_the_canned_body(
    client: Client, world: dict[str, str], shared_reference: Path
) -> None:
    body = get(client, f"{BASE}/Conversations/{world['conversation']}")
    expected = canned(shared_reference, "conversation_fetch.json")
    assert set(body) == set(expected)
    assert set(body["links"]) == set(expected["links"])
    assert body["url"] == f"{BASE}/Conversations/{world['conversation']}"
    assert DATE.match(body["date_created"]) and DATE.match(body["date_updated"])
    assert isinstance(body["attributes"], str)


def test_participant_and_message_match_the_canned_bodies(
    client: Client, world: dict[str, str], shared_reference: Path
) -> None:
    conversation = f"{BASE}/Conversations/{world['conversation']}"
    participant = get(client, f"{conversation}/Participants/{world['participant']}")
    assert set(participant) == set(canned(shared_reference, "participant_create_chat.json"))
    message = get(client, f"{conversation}/Messages/{world['message']}")
    expected = canned(shared_reference, "message_create_with_media.json")
    assert set(message) == set(expected)
    assert set(expected["links"]) <= set(message["links"])
    assert message["index"] == 0 and isinstance(message["index"], int)


def test_list_meta_matches_the_canned_page(
    client: Client, world: dict[str, str], shared_reference: Path
) -> None:
    url = f"{BASE}/Conversations/{world['conversation']}/Messages"
    page = get(client, url, {"PageSize": 50})
    expected = canned(shared_reference, "messages_list_page.json")
    assert set(page) == set(expected)
    assert set(page["meta"]) == set(expected["meta"])
    assert page["meta"]["key"] == "messages"
    assert page["meta"]["first_page_url"] == f"{url}?PageSize=50&Page=0"
    assert page["meta"]["url"] == f"{url}?PageSize=50&Page=0"
    assert page["meta"]["previous_page_url"] is None and page["meta"]["next_page_url"] is None


@pytest.mark.parametrize(
    ("spec_path", "method", "url"),
    [
        ("/v1/Conversations/{Sid}", "post", "/Conversations/{conversation}"),
        (
            "/v1/Conversations/{ConversationSid}/Participants/{Sid}",
            "post",
            "/Conversations/{conversation}/Participants/{participant}",
        ),
        (
            "/v1/Conversations/{ConversationSid}/Messages/{Sid}",
            "post",
            "/Conversations/{conversation}/Messages/{message}",
        ),
        ("/v1/Users/{Sid}", "post", "/Users/{user}"),
        (
            "/v1/Users/{UserSid}/Conversations/{ConversationSid}",
            "post",
            "/Users/{user}/Conversations/{conversation}",
        ),
        ("/v1/Configuration", "get", "/Configuration"),
        ("/v1/Configuration/Webhooks", "get", "/Configuration/Webhooks"),
        ("/v1/Roles", "post", "/Roles"),
        ("/v1/Services", "post", "/Services"),
    ],
)
def test_fields_match_the_openapi_examples(
    client: Client,
    world: dict[str, str],
    shared_reference: Path,
    spec_path: str,
    method: str,
    url: str,
) -> None:
    example = openapi_example(shared_reference, spec_path, method)
    body = get(client, BASE + url.format(**world))
    if "meta" in body:
        body = body[body["meta"]["key"]][0]
    assert set(body) == set(example)
