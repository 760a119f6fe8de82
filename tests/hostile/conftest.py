"""Fixtures for hostile-input tests: one adapter and wire handler over the shared emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from acs_adapter.adapter import AcsAdapter
from tests.rest.conftest import adapter_settings
from twilio_compat.rest import WireHandler

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "9" * 32


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder = tmp_path_factory.mktemp("hostile")
    with AcsAdapter.open(adapter_settings(emulator, folder)) as opened:
        yield opened


@pytest.fixture(scope="module")
def handler(adapter: AcsAdapter) -> Iterator[WireHandler]:
    opened = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
    yield opened
    opened.close()
