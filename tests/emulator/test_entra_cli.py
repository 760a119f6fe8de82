"""`python -m acs_emulator` prints its Entra ID coordinates, and they are enough to sign in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from azure.communication.identity import CommunicationIdentityClient
from azure.identity import ClientSecretCredential

from tests.emulator.helpers import printed_settings


def test_printed_coordinates_sign_in_to_the_identity_endpoints() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "acs_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = printed_settings(process, "IDENTITY_HEADER")
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
