"""Access tokens: the twilio drop-in, verification, expiry warnings and updateToken."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt as pyjwt
import pytest
from twilio.jwt.access_token import AccessToken as TwilioAccessToken
from twilio.jwt.access_token.grants import ChatGrant as TwilioChatGrant

from tests.conversations.conftest import (
    ACCOUNT_SID,
    KEY_SECRET,
    KEY_SID,
    ClientFactory,
    eventually,
    make_token,
)
from twilio_compat.conversations import AccessTokenError, Client, SigningKeys
from twilio_compat.core import Core
from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant


def test_token_has_twilios_shape_and_claims() -> None:
    ours = AccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity="ann", ttl=600)
    ours.add_grant(ChatGrant(service_sid="IS" + "0" * 32))
    theirs = TwilioAccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity="ann", ttl=600)
    theirs.add_grant(TwilioChatGrant(service_sid="IS" + "0" * 32))
    mine, twilios = ours.to_jwt(), theirs.to_jwt()
    assert pyjwt.get_unverified_header(mine) == pyjwt.get_unverified_header(twilios)
    a = pyjwt.decode(mine, KEY_SECRET, algorithms=["HS256"])
    b = pyjwt.decode(twilios, KEY_SECRET, algorithms=["HS256"])
    assert a["grants"] == b["grants"]
    assert (a["iss"], a["sub"]) == (b["iss"], b["sub"])
    assert a["exp"] - a["nbf"] == 600
    assert str(ours).count(".") == 2


def test_tokens_from_twilios_own_class_are_accepted(keys: SigningKeys) -> None:
    theirs = TwilioAccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity="zoe")
    theirs.add_grant(TwilioChatGrant())
    assert keys.verify(theirs.to_jwt()).identity == "zoe"


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["grants"]["identity"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_tampered(make_token("bob")), "signature"),
        (make_token("bob", secret="not-the-configured-secret-0123456789ab"), "signature"),
        (make_token("bob", ttl=-10), "expired"),
        ("not a token", "not a JWT"),
    ],
)
def test_bad_tokens_are_refused(keys: SigningKeys, token: str, message: str) -> None:
    with pytest.raises(AccessTokenError) as caught:
        keys.verify(token)
    assert message in caught.value.message
    assert caught.value.status == 401


def test_missing_grants_are_refused(keys: SigningKeys) -> None:
    no_chat = AccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET, identity="ann").to_jwt()
    with pytest.raises(AccessTokenError, match="chat grant"):
        keys.verify(no_chat)
    anonymous = AccessToken(ACCOUNT_SID, KEY_SID, KEY_SECRET)
    anonymous.add_grant(ChatGrant())
    with pytest.raises(AccessTokenError, match="identity"):
        keys.verify(anonymous.to_jwt())
    other_account = AccessToken("AC" + "9" * 32, KEY_SID, KEY_SECRET, identity="ann")
    other_account.add_grant(ChatGrant())
    with pytest.raises(AccessTokenError, match="another account"):
        keys.verify(other_account.to_jwt())


def test_signing_keys_from_the_environment() -> None:
    keys = SigningKeys.load(environ={"TWILIO_AUTH_TOKEN": KEY_SECRET})
    assert keys.verify(make_token("eve")).identity == "eve"
    nothing = SigningKeys.load(environ={})
    with pytest.raises(AccessTokenError, match="not configured"):
        nothing.verify(make_token("eve"))


async def test_forged_token_fails_initialization(core: Core, keys: SigningKeys) -> None:
    events: list[tuple[str, Any]] = []
    client = Client(_tampered(make_token("bob")), core=core, signingKeys=keys, pollInterval=0)
    client.on("initFailed", lambda payload: events.append(("initFailed", payload)))
    client.on("connectionStateChanged", lambda state: events.append(("state", state)))
    client.on("initialized", lambda: events.append(("initialized", None)))
    with pytest.raises(AccessTokenError):
        await client.getSubscribedConversations()
    assert ("state", "denied") in events
    assert ("initialized", None) not in events
    failure = next(payload for name, payload in events if name == "initFailed")
    assert failure["error"]["terminal"] is True
    assert client.connectionState == "denied"


async def test_lifecycle_events_and_shutdown(core: Core, keys: SigningKeys, unique: str) -> None:
    states: list[str] = []
    client = Client(make_token(f"ann-{unique}"), {"pollInterval": 0}, core=core, signingKeys=keys)
    client.on("connectionStateChanged", states.append)
    ready: list[str] = []
    client.once("stateChanged", ready.append)
    await client._ready()
    assert states == ["connecting", "connected"]
    assert ready == ["initialized"]
    assert client.user is not None and client.user.identity == f"ann-{unique}"
    assert client.reachabilityEnabled is False
    await client.shutdown()
    assert states[-2:] == ["disconnecting", "disconnected"]
    with pytest.raises(Exception, match="shut down"):
        await client.getSubscribedConversations()


async def test_token_expiry_events_and_update_keep_subscriptions(
    connect: ClientFactory, unique: str
) -> None:
    identity = f"tim-{unique}"
    client = await connect(identity, tokenAboutToExpireSeconds=2)
    conversation = await client.createConversation()
    await conversation.join()
    added: list[Any] = []
    conversation.on("messageAdded", added.append)

    warnings: list[str] = []
    expired: list[str] = []
    client.on("tokenAboutToExpire", lambda: warnings.append("soon"))
    client.on("tokenExpired", lambda: expired.append("now"))
    await client.updateToken(make_token(identity, ttl=3))
    await eventually(lambda: bool(warnings))
    assert not expired or warnings
    await eventually(lambda: bool(expired))
    with pytest.raises(AccessTokenError, match="expired"):
        await conversation.sendMessage("too late")

    with pytest.raises(AccessTokenError, match="another identity"):
        await client.updateToken(make_token(f"other-{unique}"))
    await client.updateToken(make_token(identity))
    await conversation.sendMessage("after the new token")
    assert [m.body for m in added] == ["after the new token"]
    with pytest.raises(ValueError, match="token"):
        await client.updateToken("")
