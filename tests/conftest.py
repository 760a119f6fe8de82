"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.clock import SteppedClock

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.azurite"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """`../shared/reference`, present on developer machines and in CI, absent for users."""
    ref = SHARED / "reference"
    if not ref.is_dir():
        pytest.skip("../shared/reference is not present on this machine")
    return ref


@pytest.fixture(scope="session")
def emulator() -> Iterator[AcsEmulator]:
    """One HTTPS emulator for the whole run; tests create their own users and threads."""
    from acs_emulator import AcsEmulator

    with AcsEmulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def chat_clock() -> SteppedClock:
    """A chat clock for a module's own emulator; its tests step it instead of sleeping."""
    return SteppedClock()


@pytest.fixture
def embedded_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user of `ACS_CONNECTION_STRING=embedded` sets: a store and media folder of
    this test's own, and none of the other ACS or Twilio settings."""
    for name in ("TWILIO_COMPAT_NUMBERS", "ACS_CA_BUNDLE", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACS_CONNECTION_STRING", "embedded")
    monkeypatch.setenv("TWILIO_COMPAT_STORE", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("TWILIO_COMPAT_MEDIA", (tmp_path / "media").as_uri())
