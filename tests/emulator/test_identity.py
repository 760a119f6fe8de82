"""The identity service through the real `azure-communication-identity` SDK."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from azure.communication.chat import CommunicationTokenCredential
from azure.communication.identity import CommunicationUserIdentifier
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)

from acs_emulator import AcsEmulator
from tests.emulator.helpers import chat_client, identity_client, new_user, signed_request

EXPIRES_ON = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$")


def _expires(text: str) -> datetime:
    return datetime.fromisoformat(text[:26] + text[27:])


def _expires_on(token: AccessToken) -> str:
    """The expiry as ACS wrote it: the identity SDK hands on ACS's ISO text, although
    ``AccessToken`` declares an int."""
    expires_on: object = token.expires_on
    assert isinstance(expires_on, str), expires_on
    return expires_on


def test_created_user_ids_have_the_acs_shape(emulator: AcsEmulator) -> None:
    user = identity_client(emulator).create_user()
    suffix = r"00000008-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(rf"8:acs:{emulator.resource_id}_{suffix}", user.properties["id"])


def test_user_and_token_in_one_call_gives_a_chat_token(emulator: AcsEmulator) -> None:
    client = identity_client(emulator)
    user, token = client.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=60))
    assert EXPIRES_ON.match(_expires_on(token))
    remaining = _expires(_expires_on(token)) - datetime.now(timezone.utc)
    assert timedelta(minutes=55) < remaining <= timedelta(minutes=60)
    chat = chat_client(emulator, token.token)
    assert list(chat.list_chat_threads()) == []
    assert user.properties["id"].startswith("8:acs:")


def test_token_lifetime_defaults_to_a_day(emulator: AcsEmulator) -> None:
    client = identity_client(emulator)
    token = client.get_token(client.create_user(), ["chat", "voip"])
    remaining = _expires(_expires_on(token)) - datetime.now(timezone.utc)
    assert timedelta(hours=23) < remaining <= timedelta(hours=24)


@pytest.mark.parametrize("scopes", [["chat", "email"], ["CHAT"]])
def test_unknown_scope_is_a_bad_request(emulator: AcsEmulator, scopes: list[str]) -> None:
    client = identity_client(emulator)
    with pytest.raises(HttpResponseError) as caught:
        client.get_token(client.create_user(), scopes)
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "BadRequest"
    assert "scope" in str(caught.value.error.message)


@pytest.mark.parametrize("minutes", [59, 1441])
def test_token_lifetime_outside_60_to_1440_minutes_is_refused(
    emulator: AcsEmulator, minutes: int
) -> None:
    client = identity_client(emulator)
    with pytest.raises(HttpResponseError) as caught:
        client.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=minutes))
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.target == "expiresInMinutes"


def test_issue_token_needs_scopes(emulator: AcsEmulator) -> None:
    raw_id = identity_client(emulator).create_user().properties["id"]
    path = f"/identities/{raw_id.replace(':', '%3A')}/:issueAccessToken?api-version=2023-10-01"
    for body, fragment in ((b"{}", "'scopes' is required"), (b'{"scopes": []}', "empty")):
        response = signed_request(emulator, "POST", path, body)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert fragment in response.json()["error"]["message"]


def test_malformed_json_body_is_a_clear_bad_request(emulator: AcsEmulator) -> None:
    response = signed_request(emulator, "POST", "/identities?api-version=2023-10-01", b'{"crea')
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert "not valid JSON" in error["message"]


def test_revoking_kills_earlier_tokens_only(emulator: AcsEmulator) -> None:
    client = identity_client(emulator)
    user = client.create_user()
    before = client.get_token(user, ["chat"]).token
    client.revoke_tokens(user)
    after = client.get_token(user, ["chat"]).token
    with pytest.raises(ClientAuthenticationError):
        list(chat_client(emulator, before).list_chat_threads())
    assert list(chat_client(emulator, after).list_chat_threads()) == []


def test_deleted_user_is_gone_and_its_tokens_dead(emulator: AcsEmulator) -> None:
    client = identity_client(emulator)
    user, token = client.create_user_and_token(["chat"])
    assert emulator.identity is not None
    assert emulator.identity.user_exists(user.properties["id"])
    client.delete_user(user)
    assert not emulator.identity.user_exists(user.properties["id"])
    with pytest.raises(ClientAuthenticationError):
        list(chat_client(emulator, token.token).list_chat_threads())
    with pytest.raises(ResourceNotFoundError):
        client.get_token(user, ["chat"])
    with pytest.raises(ResourceNotFoundError):
        client.delete_user(user)


def test_unknown_user_is_not_found(emulator: AcsEmulator) -> None:
    ghost = CommunicationUserIdentifier(f"8:acs:{emulator.resource_id}_00000008-dead-beef")
    with pytest.raises(ResourceNotFoundError):
        identity_client(emulator).revoke_tokens(ghost)


def test_teams_token_exchange_says_it_is_unsupported(emulator: AcsEmulator) -> None:
    with pytest.raises(HttpResponseError) as caught:
        identity_client(emulator).get_token_for_teams_user("aad-token", "app-id", "user-id")
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "UnsupportedOperation"


def test_counters_count_identity_operations(emulator: AcsEmulator) -> None:
    emulator.reset_counters()
    client = identity_client(emulator)
    client.get_token(client.create_user(), ["chat"])
    client.create_user()
    counts = emulator.counters
    assert counts["CommunicationIdentity_Create"] == 2
    assert counts["CommunicationIdentity_IssueAccessToken"] == 1


def test_tokens_carry_acs_claims(emulator: AcsEmulator) -> None:
    raw_id, token = new_user(emulator, ["chat", "voip"])
    payload = json.loads(_b64(token.split(".")[1]))
    assert payload["skypeid"] == raw_id.removeprefix("8:")
    assert payload["acsScope"] == "chat,voip"
    assert payload["resourceId"] == emulator.resource_id
    assert payload["scp"] == 1792
    assert payload["csi"] == str(payload["iat"])
    assert isinstance(payload["exp"], int)


def test_every_minted_token_parses_in_the_chat_sdk(emulator: AcsEmulator) -> None:
    """The chat SDK decodes the payload with standard base64: no token may contain - or _."""
    assert emulator.tokens is not None
    raw_id, _ = new_user(emulator)
    for _ in range(2000):
        issued = emulator.tokens.mint(raw_id, ["chat"])
        segment = issued.token.split(".")[1]
        assert "-" not in segment and "_" not in segment
        credential = CommunicationTokenCredential(issued.token)
        assert credential.get_token().expires_on == int(issued.expires_on.timestamp())


def _b64(segment: str) -> bytes:
    import base64

    return base64.b64decode(segment + "==")
