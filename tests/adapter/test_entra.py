"""The adapter on Microsoft Entra ID: user creation and user tokens through a `TokenCredential`,
so chat works without an access key; driven by real azure-identity against the emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from acs_adapter import AcsAdapter, AcsConnection, ConfigurationError, Settings
from acs_adapter.adapter import media_signing_key
from acs_adapter.errors import Forbidden
from acs_adapter.secret import Secret
from acs_emulator import AcsEmulator
from tests.fixtures.entra import app_credential, clean_env

__all__ = ["clean_env"]  # a fixture the tests here take


def _entra_only(emulator: AcsEmulator) -> str:
    """The emulator's connection string without its key: what an Entra-only deployment sets."""
    return f"endpoint={emulator.endpoint}"


def _entra_settings(emulator: AcsEmulator, tmp_path: Path, **given: Any) -> Settings:
    """Settings for the emulator with no access key, a store in `tmp_path`, no environment."""
    return Settings.load(
        connection_string=given.pop("connection_string", _entra_only(emulator)),
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{tmp_path}/store.sqlite3",
        environ={},
        **given,
    )


def _round_trip(adapter: AcsAdapter) -> None:
    """Users made through Entra, their ACS user tokens, and a chat thread between them."""
    alice = adapter.directory.acs_user_for("alice")
    bob = adapter.directory.acs_user_for("bob")
    thread_id = adapter.chat.as_user(alice).create_thread("Entra", [bob]).thread.id
    adapter.chat.as_user(alice).send_message(thread_id, "signed in with Entra")
    texts = [m.content or "" for m in adapter.chat.as_user(bob).list_messages(thread_id)]
    assert "signed in with Entra" in texts


def test_a_connection_string_without_a_key_means_entra() -> None:
    parsed = AcsConnection.parse("endpoint=https://example.communication.azure.com/")
    assert parsed.access_key is None
    assert parsed.endpoint == "https://example.communication.azure.com"
    assert AcsConnection.parse(parsed.connection_string().reveal()) == parsed
    with pytest.raises(ConfigurationError, match="no access key"):
        _ = parsed.key_bytes


def test_explicit_credential_opens_an_adapter_that_chats(
    emulator: AcsEmulator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    settings = _entra_settings(emulator, tmp_path)
    with (
        app_credential(emulator) as credential,
        AcsAdapter.open(settings, credential=credential) as adapter,
    ):
        _round_trip(adapter)


def test_credential_in_the_settings_wins_over_the_access_key(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    refused = app_credential(emulator, emulator.entra.register_app(allowed_on_resource=False))
    settings = _entra_settings(
        emulator, tmp_path, connection_string=emulator.connection_string, credential=refused
    )
    with refused, AcsAdapter.open(settings) as adapter, pytest.raises(Forbidden):
        adapter.directory.acs_user_for("not-allowed")


def test_default_credential_from_the_environment_runs_the_adapter(
    emulator: AcsEmulator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """`ACS_CONNECTION_STRING=endpoint=…` with no key plus the standard AZURE_* variables."""
    for name, value in emulator.entra.environ().items():
        clean_env.setenv(name, value)
    clean_env.setenv("ACS_CONNECTION_STRING", _entra_only(emulator))
    clean_env.setenv("ACS_CA_BUNDLE", emulator.ca_bundle)
    clean_env.setenv("TWILIO_COMPAT_STORE", f"sqlite:///{tmp_path}/env.sqlite3")
    with AcsAdapter.open() as adapter:
        assert adapter.settings.connection is not None
        assert adapter.settings.connection.access_key is None
        _round_trip(adapter)


def test_managed_identity_runs_the_adapter(
    emulator: AcsEmulator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.entra.imds_authority)
    clean_env.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
    settings = _entra_settings(emulator, tmp_path)
    with AcsAdapter.open(settings) as adapter:
        _round_trip(adapter)


def test_media_secret_signs_media_urls_without_an_access_key(
    emulator: AcsEmulator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    entra_only = AcsConnection.parse(_entra_only(emulator))
    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_MEDIA_SECRET"):
        media_signing_key(entra_only)
    secret = Secret("a deployment's own media secret")
    key = media_signing_key(entra_only, secret)
    assert key == media_signing_key(AcsConnection.parse(emulator.connection_string), secret)
    assert len(key) == 32
    clean_env.setenv("TWILIO_COMPAT_MEDIA_SECRET", "from the environment")
    loaded = Settings.load(connection_string=_entra_only(emulator))
    assert loaded.media_secret is not None
    assert loaded.media_secret.reveal() == "from the environment"
    assert "from the environment" not in repr(loaded)


def test_local_media_works_on_entra_without_a_media_secret(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    settings = _entra_settings(emulator, tmp_path)
    with (
        app_credential(emulator) as credential,
        AcsAdapter.open(settings, credential=credential) as adapter,
    ):
        stored = adapter.media.put(b"picture", content_type="image/png")
        url = adapter.media.temporary_url(stored.key)
        assert httpx.get(url).content == b"picture"
        forged = url.replace("signature=", "signature=A")
        assert httpx.get(forged).status_code in (401, 403, 404)


def test_missing_azure_identity_names_the_extra(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "sys.modules['azure.identity'] = None\n"
            "from acs_adapter import AcsAdapter, ConfigurationError, Settings\n"
            "settings = Settings.load(connection_string='endpoint=https://acs.example/',\n"
            f"    store_url='sqlite:///{tmp_path.as_posix()}/store.sqlite3', environ={{}})\n"
            "try:\n"
            "    AcsAdapter.open(settings)\n"
            "except ConfigurationError as error:\n"
            "    print(error)\n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'twilio-acs-compat[entra]'" in result.stdout
    assert "Entra ID" in result.stdout
