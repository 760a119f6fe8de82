"""Authentication and scopes: HMAC for identity, Bearer tokens for chat."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from azure.communication.identity import CommunicationIdentityClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from acs_emulator import AcsEmulator
from tests.emulator.helpers import (
    bearer_request,
    chat_client,
    new_user,
    signed_request,
    thread_client,
)
from tests.fixtures.chat_sdk import create_chat_thread

CREATE = "/identities?api-version=2023-10-01"
DENIED = {"error": {"code": "Denied", "message": "Denied by the resource provider."}}


# HMAC (identity)


def test_wrong_access_key_is_denied(emulator: AcsEmulator) -> None:
    other_key = base64.b64encode(b"not the emulator's key, 32 bytes").decode()
    client = CommunicationIdentityClient(
        emulator.endpoint, AzureKeyCredential(other_key), connection_verify=emulator.ca_bundle
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        client.create_user()
    assert caught.value.status_code == 401
    assert caught.value.error is not None
    assert caught.value.error.code == "Denied"


def test_a_correctly_signed_raw_request_is_accepted(emulator: AcsEmulator) -> None:
    response = signed_request(emulator, "POST", CREATE, b"{}")
    assert response.status_code == 201
    assert response.json()["identity"]["id"].startswith("8:acs:")


def test_body_changed_after_signing_is_denied(emulator: AcsEmulator) -> None:
    signed = b'{"createTokenWithScopes":["chat"]}'
    response = signed_request(emulator, "POST", CREATE, signed, send_body=b"{}")
    assert response.status_code == 401
    assert response.json() == DENIED


@pytest.mark.parametrize("minutes_off", [-20, 20])
def test_date_more_than_15_minutes_off_is_denied(emulator: AcsEmulator, minutes_off: int) -> None:
    date = datetime.now(timezone.utc) + timedelta(minutes=minutes_off)
    response = signed_request(emulator, "POST", CREATE, b"", date=date)
    assert response.status_code == 401
    assert response.json() == DENIED


def test_date_a_few_minutes_off_is_accepted(emulator: AcsEmulator) -> None:
    date = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert signed_request(emulator, "POST", CREATE, b"", date=date).status_code == 201


def test_signature_covers_the_query(emulator: AcsEmulator) -> None:
    other_version = CREATE.replace("2023-10-01", "2022-10-01")
    response = signed_request(emulator, "POST", CREATE, b"", send_path=other_version)
    assert response.status_code == 401
    assert response.json() == DENIED


def test_identity_without_authorization_is_denied(emulator: AcsEmulator) -> None:
    response = bearer_request(emulator, "POST", CREATE, None)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "retry-after" not in response.headers


# Bearer tokens (chat)

THREADS = "/chat/threads?api-version=2024-03-07"
UNAUTHORIZED = {"error": {"code": "Unauthorized", "message": "Request is not authorized."}}


def _clean_forgery(payload: dict[str, object], secret: str) -> str:
    for nonce in range(1000):
        token = jwt.encode({**payload, "jti": f"forged{nonce}"}, secret, algorithm="HS256")
        if "-" not in token.split(".")[1] and "_" not in token.split(".")[1]:
            return token
    raise AssertionError("no clean forgery")


def _payload(token: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(base64.b64decode(token.split(".")[1] + "=="))
    return data


def test_token_signed_with_another_secret_is_refused(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    forged = _clean_forgery(_payload(token), "another secret, long enough for HS256 keys")
    with pytest.raises(ClientAuthenticationError):
        list(chat_client(emulator, forged).list_chat_threads())


def test_edited_payload_is_refused(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    other, _ = new_user(emulator)
    header, _, signature = token.split(".")
    payload = {**_payload(token), "skypeid": other.removeprefix("8:")}
    segment = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    response = bearer_request(emulator, "GET", THREADS, f"{header}.{segment}.{signature}")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer not-a-jwt", "Basic abc"])
def test_missing_or_garbage_authorization_is_refused(
    emulator: AcsEmulator, authorization: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = bearer_request(emulator, "GET", THREADS, None, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert "retry-after" not in response.headers


def test_expired_token_is_refused(emulator: AcsEmulator) -> None:
    assert emulator.tokens is not None
    raw_id, _ = new_user(emulator)
    expired = emulator.tokens.mint(raw_id, ["chat"], timedelta(minutes=-1)).token
    with pytest.raises(ClientAuthenticationError) as caught:
        list(chat_client(emulator, expired).list_chat_threads())
    assert caught.value.status_code == 401


def test_token_of_a_user_from_another_emulator_is_refused(emulator: AcsEmulator) -> None:
    with AcsEmulator() as other:
        _, foreign = new_user(other)
    with pytest.raises(ClientAuthenticationError):
        list(chat_client(emulator, foreign).list_chat_threads())


# Scopes


def _forbidden(caught: pytest.ExceptionInfo[HttpResponseError]) -> bool:
    return (
        caught.value.status_code == 403
        and caught.value.error is not None
        and (caught.value.error.code == "Forbidden")
    )


def test_chat_join_may_take_part_but_not_administer(emulator: AcsEmulator) -> None:
    _, owner_token = new_user(emulator)
    joiner, joiner_token = new_user(emulator, ["chat.join"])
    guest, _ = new_user(emulator)
    created = create_chat_thread(
        chat_client(emulator, owner_token),
        "scopes",
        thread_participants=[ChatParticipant(identifier=CommunicationUserIdentifier(joiner))],
    )
    thread_id = created.chat_thread.id
    joined = thread_client(emulator, joiner_token, thread_id)
    joined.send_message("hello from chat.join")
    joined.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(guest))])
    with pytest.raises(HttpResponseError) as caught:
        joined.update_topic("renamed")
    assert _forbidden(caught)
    with pytest.raises(HttpResponseError) as caught:
        create_chat_thread(chat_client(emulator, joiner_token), "mine")
    assert _forbidden(caught)
    with pytest.raises(HttpResponseError) as caught:
        chat_client(emulator, joiner_token).delete_chat_thread(thread_id)
    assert _forbidden(caught)
    assert thread_client(emulator, owner_token, thread_id).get_properties().topic == "scopes"


def test_chat_join_limited_may_not_change_participants(emulator: AcsEmulator) -> None:
    owner, owner_token = new_user(emulator)
    limited, limited_token = new_user(emulator, ["chat.join.limited"])
    guest, _ = new_user(emulator)
    thread_id = create_chat_thread(
        chat_client(emulator, owner_token),
        "limited",
        thread_participants=[ChatParticipant(identifier=CommunicationUserIdentifier(limited))],
    ).chat_thread.id
    mine = thread_client(emulator, limited_token, thread_id)
    mine.send_message("hello from chat.join.limited")
    assert len([p for p in mine.list_participants()]) == 2
    with pytest.raises(HttpResponseError) as caught:
        mine.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(guest))])
    assert _forbidden(caught)
    with pytest.raises(HttpResponseError) as caught:
        mine.remove_participant(CommunicationUserIdentifier(owner))
    assert _forbidden(caught)


def test_token_without_a_chat_scope_may_not_chat(emulator: AcsEmulator) -> None:
    _, voip_token = new_user(emulator, ["voip"])
    with pytest.raises(HttpResponseError) as caught:
        list(chat_client(emulator, voip_token).list_chat_threads())
    assert _forbidden(caught)
