"""`python -m acs_emulator` prints its Entra ID coordinates, and they are enough to sign in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.identity import ClientSecretCredential

_LAST_LINE = "IDENTITY_HEADER"


def _printed_settings(process: subprocess.Popen[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    assert process.stdout is not None
    while _LAST_LINE not in settings:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the emulator stopped before printing {_LAST_LINE}")
        name, sep, value = line.strip().partition("=")
        if sep:
            settings[name] = value
    return settings


def test_printed_coordinates_sign_in_to_the_identity_endpoints() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "acs_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = _printed_settings(process)
        credential = ClientSecretCredential(
            printed["AZURE_TENANT_ID"],
            printed["AZURE_CLIENT_ID"],
            printed["AZURE_CLIENT_SECRET"],
            authority=printed["AZURE_AUTHORITY_HOST"],
            disable_instance_discovery=True,
            connection_verify=printed["ACS_CA_BUNDLE"],
        )
        endpoint = printed["ACS_CONNECTION_STRING"].split(";")[0].removeprefix("endpoint=")
        with credential:
            identity = CommunicationIdentityClient(
                endpoint, credential, connection_verify=printed["ACS_CA_BUNDLE"]
            )
            assert identity.create_user().properties["id"].startswith("8:acs:")
        assert printed["AZURE_POD_IDENTITY_AUTHORITY_HOST"].startswith("http://127.0.0.1:")
        assert printed["IDENTITY_ENDPOINT"].endswith("/msi/token")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
