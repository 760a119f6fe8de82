"""The adapter the benchmarks measure: on an emulator, with a store and media in a folder."""

from __future__ import annotations

from pathlib import Path

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator


def open_adapter(
    emu: AcsEmulator,
    folder: Path,
    *,
    store_url: str | None = None,
    cached_users: int | None = None,
    cached_thread_clients: int | None = None,
    store_pool_size: int | None = None,
) -> AcsAdapter:
    """An adapter on the emulator with a SQLite store in `folder` unless
    `store_url` names another, and the given bounds (unset: the defaults)."""
    settings = Settings.load(
        connection_string=emu.connection_string,
        ca_bundle=emu.ca_bundle,
        store_url=store_url or f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
        cached_users=cached_users,
        cached_thread_clients=cached_thread_clients,
        store_pool_size=store_pool_size,
    )
    return AcsAdapter.open(settings)
