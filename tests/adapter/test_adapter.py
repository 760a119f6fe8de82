"""`AcsAdapter`: one object opened from settings, with everything the faces need."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from acs_adapter import (
    AcsAdapter,
    AcsConnection,
    ConfigurationError,
    IdentityDirectory,
    Settings,
    TokenCache,
    UserChat,
)
from acs_adapter.adapter import media_signing_key
from acs_adapter.media import LocalMediaStore
from acs_emulator import AcsEmulator


def _settings(emulator: AcsEmulator, tmp_path: Path) -> Settings:
    return Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        environ={},
    )


def _emulator_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "acs-emulator")


def _accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_open_gives_every_part_wired_together(emulator: AcsEmulator, tmp_path: Path) -> None:
    with AcsAdapter.open(_settings(emulator, tmp_path)) as adapter:
        assert adapter.endpoint == emulator.endpoint.rstrip("/")
        assert isinstance(adapter.directory, IdentityDirectory)
        assert isinstance(adapter.tokens, TokenCache)
        assert isinstance(adapter.media, LocalMediaStore)
        assert adapter.media.root == tmp_path.resolve() / "twilio_compat_media"
        assert adapter.emulator is None

        alice = adapter.directory.acs_user_for("alice")
        bob = adapter.directory.acs_user_for("bob")
        assert adapter.store.identities.get("alice") == alice
        chat = adapter.chat.as_user(alice)
        assert isinstance(chat, UserChat)
        thread_id = chat.create_thread("Composed", [bob]).thread.id
        chat.send_message(thread_id, "from sync")

        bobs = adapter.chat.as_user(bob)
        bobs.send_message(thread_id, "from bob")
        assert [m.content or "" for m in bobs.list_messages(thread_id)][:2] == [
            "from bob",
            "from sync",
        ]


def test_embedded_configuration_starts_and_stops_an_emulator(tmp_path: Path) -> None:
    settings = Settings.load(
        connection_string="embedded",
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        environ={},
    )
    threads_before = _emulator_threads()
    with AcsAdapter.open(settings) as adapter:
        assert adapter.emulator is not None
        port = adapter.emulator.port
        assert adapter.endpoint == f"https://127.0.0.1:{port}"
        assert adapter.ca_bundle is not None and adapter.ca_bundle.is_file()
        assert _accepts_connections(port)
        user = adapter.directory.acs_user_for("embedded-user")
        thread = adapter.chat.as_user(user).create_thread("Embedded").thread
        assert thread.created_by == user
    assert not _accepts_connections(port)
    assert _emulator_threads() == threads_before


def test_embedded_state_outlives_the_adapter_beside_the_store(tmp_path: Path) -> None:
    settings = Settings.load(
        connection_string="embedded",
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        environ={},
    )
    with AcsAdapter.open(settings) as first:
        user = first.directory.acs_user_for("returning")
        thread_id = first.chat.as_user(user).create_thread("Kept").thread.id
    assert settings.embedded_state == tmp_path.resolve() / "twilio_compat_emulator.sqlite3"
    assert settings.embedded_state.is_file()

    with AcsAdapter.open(settings) as second:
        assert second.directory.acs_user_for("returning") == user
        assert second.chat.as_user(user).get_thread(thread_id).topic == "Kept"


def test_open_reads_the_environment(
    emulator: AcsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACS_CONNECTION_STRING", emulator.connection_string)
    monkeypatch.setenv("ACS_CA_BUNDLE", emulator.ca_bundle)
    monkeypatch.setenv("TWILIO_COMPAT_STORE", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("TWILIO_COMPAT_MEDIA", (tmp_path / "env-media").as_uri())
    with AcsAdapter.open() as adapter:
        assert adapter.settings.ca_bundle == Path(emulator.ca_bundle).resolve()
        assert isinstance(adapter.media, LocalMediaStore)
        assert adapter.media.root == (tmp_path / "env-media").resolve()
        assert adapter.directory.acs_user_for("from-env").startswith("8:acs:")


def test_open_without_a_connection_string_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ACS_CONNECTION_STRING", raising=False)
    with pytest.raises(ConfigurationError, match="ACS_CONNECTION_STRING"):
        AcsAdapter.open()


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("missing", ["trustme", "acs_emulator"])
def test_embedded_without_the_emulator_extra_names_the_extra(missing: str, tmp_path: Path) -> None:
    result = _run_python(
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "from acs_adapter import AcsAdapter, ConfigurationError, Settings\n"
        f"settings = Settings.load(connection_string='embedded', environ={{}},\n"
        f"    store_url='sqlite:///{tmp_path.as_posix()}/store.sqlite3')\n"
        "try:\n"
        "    AcsAdapter.open(settings)\n"
        "except ConfigurationError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "ACS_CONNECTION_STRING=embedded needs the emulator extra: "
        "pip install 'twilio-acs-compat[emulator]'"
    )


def test_no_adapter_module_imports_the_emulator() -> None:
    result = _run_python(
        "import importlib, pkgutil, sys, acs_adapter\n"
        "for module in pkgutil.walk_packages(acs_adapter.__path__, 'acs_adapter.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(sorted(name for name in sys.modules if name.startswith('acs_emulator')))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_part_failing_to_open_closes_those_already_open(tmp_path: Path) -> None:
    settings = Settings.load(
        connection_string="embedded",
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        media="http://media.example.com/container?sig=abc",  # http is only for loopback hosts
        environ={},
    )
    threads_before = _emulator_threads()
    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_MEDIA") as caught:
        AcsAdapter.open(settings)
    assert "sig=abc" not in str(caught.value)
    assert _emulator_threads() == threads_before


def test_media_signing_key_is_stable_per_access_key() -> None:
    key = base64.b64encode(b"a" * 32).decode()
    one = AcsConnection.parse(f"endpoint=https://one.example/;accesskey={key}")
    same_key = AcsConnection.parse(f"ENDPOINT=https://two.example;AccessKey={key}")
    other = AcsConnection.parse(
        f"endpoint=https://one.example/;accesskey={base64.b64encode(b'b' * 32).decode()}"
    )
    assert media_signing_key(one) == media_signing_key(same_key)
    assert media_signing_key(one) != media_signing_key(other)
    assert len(media_signing_key(one)) == 32
    assert media_signing_key(one) != one.key_bytes


def test_two_adapters_on_one_configuration_share_users(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    settings = _settings(emulator, tmp_path)
    with AcsAdapter.open(settings) as first, AcsAdapter.open(settings) as second:
        assert first.directory.acs_user_for("shared") == second.directory.acs_user_for("shared")
