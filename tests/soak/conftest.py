"""Fixtures for the soak tests: an emulator of their own, so injected faults touch nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan


@pytest.fixture(scope="module")
def faulty_emulator() -> Iterator[AcsEmulator]:
    """An emulator only this module uses; tests set and clear its fault plan."""
    with AcsEmulator() as emu:
        yield emu


def one_in_five_fails(seed: int) -> FaultPlan:
    """20% of every operation fails, a quarter each way: 503, 429 with Retry-After, a dropped
    connection, and a write committed whose answer is lost; 10% more are slowed down."""
    return FaultPlan(
        {
            "*": Fault(
                unavailable=0.05,
                throttled=0.05,
                drop=0.05,
                lose_response=0.05,
                latency=0.10,
                latency_ms=25,
                retry_after=1,
            )
        },
        seed=seed,
    )
