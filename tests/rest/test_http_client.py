"""``AsyncAcsHttpClient`` opening its own runtime: once, however many first requests race."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from twilio_compat.core.offload import Offload
from twilio_compat.rest import AsyncAcsHttpClient

from .conftest import ACCOUNT_SID, AUTH_TOKEN, adapter_settings

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator


@pytest.fixture
def adapters_opened(monkeypatch: pytest.MonkeyPatch) -> list[AcsAdapter]:
    """Every adapter opened while the test runs, in order."""
    opened: list[AcsAdapter] = []
    original = AcsAdapter.open.__func__  # type: ignore[attr-defined]

    def counting(cls: type[AcsAdapter], *args: Any, **kwargs: Any) -> AcsAdapter:
        adapter: AcsAdapter = original(cls, *args, **kwargs)
        opened.append(adapter)
        return adapter

    monkeypatch.setattr(AcsAdapter, "open", classmethod(counting))
    return opened


async def test_concurrent_first_requests_open_one_adapter(
    emulator: AcsEmulator, tmp_path: Path, adapters_opened: list[AcsAdapter]
) -> None:
    pool = Offload("http-client-probe", max_workers=8)
    http = AsyncAcsHttpClient(
        adapter_settings(emulator, tmp_path), account_sid=ACCOUNT_SID, offload=pool
    )
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    try:
        pages = await asyncio.gather(
            *(client.conversations.v1.conversations.list_async(limit=1) for _ in range(8))
        )
        assert len(pages) == 8
        assert len(adapters_opened) == 1
        workers = [t.name for t in threading.enumerate() if t.name.startswith("http-client-probe")]
        assert workers, "the handler runs on the client's own worker pool"
    finally:
        await http.close()
        pool.close()


async def test_a_client_given_a_handler_opens_nothing(
    handler: Any, adapters_opened: list[AcsAdapter]
) -> None:
    http = AsyncAcsHttpClient(handler=handler)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    await asyncio.gather(
        *(client.conversations.v1.conversations.list_async(limit=1) for _ in range(4))
    )
    await http.close()
    assert adapters_opened == []
