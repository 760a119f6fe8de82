"""The sent log's writer thread stops when the store closes, whenever the close lands."""

from __future__ import annotations

from acs_adapter.store._sent import SentLog


def test_a_close_landing_just_before_the_writer_clears_its_wake_up_still_stops_it() -> None:
    log = SentLog()
    written: list[dict[str, str]] = []
    log.bind(written.append)
    clear = log._wake.clear

    def close_lands_first() -> None:
        # What `close` does before it joins, at the worst moment for the writer.
        log._stopping.set()
        log._wake.set()
        clear()

    log._wake.clear = close_lands_first  # type: ignore[method-assign]
    log.add("IM1", "acs-1")
    thread = log._thread
    assert thread is not None
    thread.join(timeout=10)
    assert not thread.is_alive(), "the writer waits for a wake-up that never comes"
    assert written == [{"IM1": "acs-1"}]
