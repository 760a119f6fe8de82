"""Fixtures for the soak tests: an emulator of their own, so injected faults touch nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_emulator import AcsEmulator


@pytest.fixture(scope="module")
def faulty_emulator() -> Iterator[AcsEmulator]:
    """An emulator only this module uses; tests set and clear its fault plan."""
    with AcsEmulator() as emu:
        yield emu
