"""No access key, token or password shows up in a repr, a str, a log record or an error."""

from __future__ import annotations

import base64
import logging
import pickle
from pathlib import Path

import pytest
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter import (
    AcsAdapter,
    AdapterError,
    ConfigurationError,
    Forbidden,
    InvalidInput,
    NotFound,
    RetrySettings,
    Secret,
    Settings,
    Unauthorized,
)
from acs_emulator import AcsEmulator


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>20}"]
    assert all(text == "Secret('***')" for text in shown)
    assert secret.reveal() == "hunter2"
    assert "hunter2" not in repr({"key": secret}) + repr([secret])


def test_secret_compares_and_hashes_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert len({Secret("a"), Secret("a")}) == 1
    assert Secret("a") != "a"
    assert not Secret("")


def test_secret_survives_pickling_for_worker_processes() -> None:
    assert pickle.loads(pickle.dumps(Secret("x"))).reveal() == "x"  # noqa: S301


def test_secret_wraps_only_strings() -> None:
    with pytest.raises(TypeError):
        Secret(b"bytes")  # type: ignore[arg-type]


def _errors_of_a_bad_day(adapter: AcsAdapter, emulator: AcsEmulator) -> list[BaseException]:
    """Exercise failures that carry request details: each error must stay clean."""
    errors: list[BaseException] = []
    alice = adapter.directory.acs_user_for("alice@example.com")
    mallory = adapter.directory.acs_user_for("mallory")
    thread = adapter.chat.as_user(alice).create_thread("private").thread.id
    attempts = [
        lambda: adapter.chat.as_user(mallory).get_thread(thread),  # 403
        lambda: adapter.chat.as_user(alice).get_message(thread, "1"),  # 404
        lambda: adapter.chat.as_user(alice).send_message(thread, "x" * 40_000),  # 400
        lambda: adapter.chat.as_user(alice).send_message(thread, ""),  # local check
        lambda: Settings.load(
            connection_string=f"endpoint=http://h/;accesskey={emulator.access_key}", environ={}
        ),
    ]
    for attempt in attempts:
        with pytest.raises((AdapterError, ConfigurationError)) as caught:
            attempt()
        errors.append(caught.value)
    assert [type(e) for e in errors[:4]] == [Forbidden, NotFound, InvalidInput, InvalidInput]

    wrong_key = base64.b64encode(b"w" * 32).decode()
    wrong = Settings.load(
        connection_string=f"endpoint={emulator.endpoint};accesskey={wrong_key}",
        ca_bundle=emulator.ca_bundle,
        store_url=adapter.settings.store_url,
        media=adapter.settings.media,
        environ={},
    )
    with AcsAdapter.open(wrong) as bad, pytest.raises(Unauthorized) as denied:
        bad.directory.acs_user_for("eve")
    errors.append(denied.value)
    assert wrong_key not in repr(wrong) + repr(bad)
    return errors


def test_whole_workflow_leaks_no_secret(
    emulator: AcsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        media=(tmp_path / "media").as_uri(),
        retry=RetrySettings(total=1, timeout=10),
        environ={},
    )
    seen_tokens: list[str] = []
    with AcsAdapter.open(settings) as adapter:
        alice = adapter.directory.acs_user_for("alice@example.com")
        bob = adapter.directory.acs_user_for("bob")
        chat = adapter.chat.as_user(alice)
        thread = chat.create_thread("hello", [bob]).thread.id
        message = chat.send_message(thread, "hi", idempotency_key="first")
        chat.update_message(thread, message, content="hi!")
        list(chat.list_messages(thread))
        seen_tokens.append(adapter.tokens.token_for(alice).token)

        with RequestsTransport(connection_verify=emulator.ca_bundle) as transport:
            identity = CommunicationIdentityClient.from_connection_string(
                emulator.connection_string, transport=transport
            )
            identity.revoke_tokens(CommunicationUserIdentifier(alice))
        chat.send_typing(thread)  # 401, renewed, resent
        seen_tokens.append(adapter.tokens.token_for(alice).token)
        seen_tokens.append(adapter.tokens.token_for(bob).token)
        assert seen_tokens[0] != seen_tokens[1]

        errors = _errors_of_a_bad_day(adapter, emulator)
        displayed = [
            repr(adapter),
            str(adapter),
            repr(settings),
            str(settings),
            repr(adapter.tokens),
            repr(adapter.chat),
            repr(chat),
            repr(adapter.tokens.credential(alice)),
        ]
        displayed += [repr(e) for e in errors] + [str(e) for e in errors]

    everything = "\n".join(displayed) + "\n" + caplog.text
    assert caplog.records, "the workflow should have produced log records to check"
    assert emulator.access_key not in everything
    for token in seen_tokens:
        assert token not in everything
        assert token.split(".")[1] not in everything  # not even the JWT payload
