"""A small and a large service side by side, for benchmarks that compare a list on each."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from benchmarks.emulated_adapter import open_adapter
from twilio_compat.rest import AcsHttpClient, WireHandler


@contextmanager
def small_and_large(account_sid: str) -> Iterator[tuple[AcsAdapter, Client, str, str]]:
    """An adapter on the emulator, twilio-python's Client over it (``AcsHttpClient``), and the
    SIDs of two new services named small and large, for the caller to fill."""
    with (
        AcsEmulator() as emu,
        tempfile.TemporaryDirectory() as folder,
        open_adapter(emu, Path(folder)) as adapter,
    ):
        handler = WireHandler.open(adapter=adapter, account_sid=account_sid)
        try:
            client = Client(account_sid, "token", http_client=AcsHttpClient(handler=handler))
            services = client.conversations.v1.services
            small = services.create(friendly_name="small").sid
            large = services.create(friendly_name="large").sid
            yield adapter, client, small, large
        finally:
            handler.close()
