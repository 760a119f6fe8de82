"""ACS out of reach: twilio code sees Twilio's 503 / 20503 with a message naming where ACS is and
what failed, and the cause is logged once on the `acs_adapter` logger. Real sockets throughout."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter._retry import RetrySettings
from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan
from twilio_compat.rest import AcsHttpClient, WireHandler

ACCOUNT_SID = "AC" + "3" * 32
ACCESS_KEY = "c2VjcmV0LWtleS1uZXZlci1zaG93bg=="
TIMEOUT = 1.5
ROOT = Path(__file__).resolve().parents[2]
UNTRUSTED = "certificate verify failed (is ACS_CA_BUNDLE set?)"
REFUSED = "connection refused"
UNRESOLVED = "name not resolved"
TIMED_OUT = "timed out after"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def _settings(connection_string: str, folder: Path) -> Settings:
    """No CA bundle and no retries: the failure the caller sees is the first one."""
    return Settings.load(
        connection_string=connection_string,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        retry=RetrySettings(total=0, timeout=TIMEOUT),
        environ={},
    )


def _create_through_rest(connection_string: str, folder: Path) -> TwilioRestException:
    with AcsAdapter.open(_settings(connection_string, folder)) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        try:
            client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
            with pytest.raises(TwilioRestException) as caught:
                client.conversations.v1.conversations.create(friendly_name="unreachable")
        finally:
            handler.close()
    return caught.value


def _connection_string(endpoint: str) -> str:
    return f"endpoint={endpoint};accesskey={ACCESS_KEY}"


def _check_reported(
    connection_string: str,
    where: str,
    what: str,
    folder: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A create through the REST face answers 503 / 20503 saying where and what, and the
    adapter logs the cause once; neither shows the key or a query string."""
    caplog.set_level(logging.WARNING, logger="acs_adapter")
    error = _create_through_rest(connection_string, folder)
    expected = f"ACS at {where} could not be reached: {what}"
    assert (error.status, error.code) == (503, 20503)
    assert expected in error.msg
    warnings = [
        record
        for record in caplog.records
        if record.name.startswith("acs_adapter") and record.levelno == logging.WARNING
    ]
    assert len(warnings) == 1, [record.getMessage() for record in warnings]
    logged = warnings[0].getMessage()
    assert logged.startswith(expected)
    assert "cause:" in logged
    for text in (error.msg, logged):
        assert ACCESS_KEY not in text
        assert "?" not in text.replace("(is ACS_CA_BUNDLE set?)", "")


def test_an_untrusted_certificate_is_named_with_the_setting_that_fixes_it(
    emulator: AcsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = emulator.connection_string.split(";")[0].removeprefix("endpoint=")
    _check_reported(emulator.connection_string, where, UNTRUSTED, tmp_path, caplog)


def test_a_closed_port_reads_as_connection_refused(
    closed_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = f"https://127.0.0.1:{closed_port}/"
    _check_reported(_connection_string(where), where, REFUSED, tmp_path, caplog)


def test_an_unknown_host_reads_as_name_not_resolved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = "https://does-not-exist.invalid/"
    _check_reported(_connection_string(where), where, UNRESOLVED, tmp_path, caplog)


def test_a_silent_server_reads_as_timed_out_after_the_configured_seconds(
    silent_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = f"https://127.0.0.1:{silent_port}/"
    what = f"{TIMED_OUT} {TIMEOUT:g} s"
    _check_reported(_connection_string(where), where, what, tmp_path, caplog)


@pytest.mark.parametrize("document", ["migration_guide/README.md", "README.md"])
def test_the_troubleshooting_tables_show_these_messages(document: str) -> None:
    text = (ROOT / document).read_text()
    troubleshooting = text[text.index("Troubleshooting") :]
    for what in (UNTRUSTED, REFUSED, UNRESOLVED, TIMED_OUT):
        assert f"could not be reached: {what}" in troubleshooting, what


def test_a_slow_chat_call_times_out_with_the_endpoint_named(
    emulator: AcsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A call azure-core's retry policy gives up on ("Response timeout", which names nothing)
    still says where ACS is and how long the call was allowed."""
    settings = replace(
        Settings.load(
            connection_string=emulator.connection_string,
            ca_bundle=emulator.ca_bundle,
            store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
            media=(tmp_path / "media").as_uri(),
            environ={},
        ),
        retry=RetrySettings(total=2, timeout=TIMEOUT),
    )
    with AcsAdapter.open(settings) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
        client.conversations.v1.conversations.create()  # service user and token ready
        caplog.set_level(logging.WARNING, logger="acs_adapter")
        slow = Fault(latency=1.0, latency_ms=int(TIMEOUT * 2000))
        emulator.set_faults(FaultPlan({"Chat_CreateChatThread": slow}))
        try:
            with pytest.raises(TwilioRestException) as caught:
                client.conversations.v1.conversations.create(friendly_name="slow")
        finally:
            emulator.clear_faults()
            handler.close()
    where = emulator.connection_string.split(";")[0].removeprefix("endpoint=")
    assert (caught.value.status, caught.value.code) == (503, 20503)
    assert f"ACS at {where} could not be reached: {TIMED_OUT} {TIMEOUT:g} s" in caught.value.msg
    assert len([r for r in caplog.records if r.name.startswith("acs_adapter")]) == 1
