"""Fixtures shared by the adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.core.pipeline.transport import RequestsTransport

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator


@pytest.fixture(scope="module")
def identity_client(emulator: AcsEmulator) -> Iterator[Any]:
    """A real identity client on the shared emulator, with a transport the test closes."""
    with RequestsTransport(connection_verify=emulator.ca_bundle) as transport:
        yield CommunicationIdentityClient.from_connection_string(
            emulator.connection_string, transport=transport
        )
