"""Webhook settings as the dispatcher reads them: kept by a process for a moment, so a message
does not read them from the store, yet changed everywhere once changed anywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from acs_adapter.adapter import AcsAdapter
from twilio_compat.core.configuration import WEBHOOKS_TTL, Document, RecentDocuments
from twilio_compat.rest import WireHandler

if TYPE_CHECKING:
    from twilio_compat.core import Core

ACCOUNT_SID = "AC" + "7" * 32


@dataclass(frozen=True)
class Shim:
    """One shim process's core, and its store's engine (to watch what it reads)."""

    core: Core
    engine: Engine


@contextmanager
def _shim(adapter: AcsAdapter) -> Iterator[Shim]:
    """A shim of its own (adapter, store connections, cache) on `adapter`'s store, as another
    process sharing it would have."""
    with AcsAdapter.open(adapter.settings) as opened:
        handler = WireHandler.open(adapter=opened, account_sid=ACCOUNT_SID)
        try:
            yield Shim(handler.core, opened.store.engine)
        finally:
            handler.close()


def _reads(shim: Shim) -> list[str]:
    """The key of every configuration document `shim`'s store reads from now on."""
    keys: list[str] = []

    def executing(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.startswith("SELECT configuration."):
            keys.extend(str(value) for value in parameters)

    event.listen(shim.engine, "before_cursor_execute", executing)
    return keys


def test_a_process_reads_webhook_settings_once_per_ttl(adapter: AcsAdapter) -> None:
    with _shim(adapter) as shim:
        core = shim.core
        service = core.services.default_sid
        reads = _reads(shim)
        for _ in range(20):
            core.configuration.account_webhooks()
            core.configuration.service_webhooks(service)
        assert sorted(reads) == sorted(["webhooks", f"service-webhooks:{service}"])


def test_a_change_applies_at_once_in_its_process_and_within_the_ttl_in_another(
    adapter: AcsAdapter,
) -> None:
    url = "https://hooks.example.com/post"
    with _shim(adapter) as one, _shim(adapter) as another:
        here, there = one.core, another.core
        service = here.services.default_sid
        assert there.configuration.account_webhooks()["post_webhook_url"] is None
        assert there.configuration.service_webhooks(service)["post_webhook_url"] is None
        here.configuration.account_webhooks()
        changed_at = time.monotonic()
        here.configuration.update_account_webhooks({"post_webhook_url": url})
        here.configuration.update_service_webhooks(service, {"post_webhook_url": url})
        assert here.configuration.account_webhooks()["post_webhook_url"] == url
        assert here.configuration.service_webhooks(service)["post_webhook_url"] == url
        time.sleep(max(0.0, changed_at + WEBHOOKS_TTL - time.monotonic()) + 0.05)
        assert there.configuration.account_webhooks()["post_webhook_url"] == url
        assert there.configuration.service_webhooks(service)["post_webhook_url"] == url


def test_a_read_that_raced_a_write_of_this_process_is_not_kept() -> None:
    recent = RecentDocuments(ttl=60.0)
    stored: Document = {"post_webhook_url": None}
    reading, written = threading.Event(), threading.Event()

    def slow_read(_key: str) -> Document:
        seen = dict(stored)
        reading.set()
        written.wait(10)
        return seen

    reader = threading.Thread(target=recent.get, args=("webhooks", slow_read))
    reader.start()
    assert reading.wait(10)
    stored = {"post_webhook_url": "https://hooks.example.com/new"}
    recent.forget("webhooks")
    written.set()
    reader.join(10)
    assert recent.get("webhooks", lambda _key: dict(stored)) == stored


def test_kept_documents_expire() -> None:
    recent = RecentDocuments(ttl=0.05)
    versions = iter([{"v": 1}, {"v": 2}])
    assert recent.get("k", lambda _key: next(versions)) == {"v": 1}
    assert recent.get("k", lambda _key: {"v": 0}) == {"v": 1}
    time.sleep(0.06)
    assert recent.get("k", lambda _key: next(versions)) == {"v": 2}
