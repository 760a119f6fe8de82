"""The edit sweep: spread over polls, no poll reads more than `sweep_batch` quiet threads, and
every edit in a quiet thread still arrives, once, within one pass."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter import ParticipantRecord
from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEventPoller, EventBus, EventKind, polling

# Every poll may sweep: the slice is then `sweep_batch` threads.
EVERY_POLL = timedelta(milliseconds=1)


def _new_user(adapter: AcsAdapter) -> str:
    return str(adapter.identity_client.create_user().properties["id"])


def _quiet_threads(adapter: AcsAdapter, owner: str, guest: str, count: int) -> dict[str, str]:
    """Thread id -> the guest's message in it, all older than the cursor a poller starts now."""
    as_owner, as_guest = adapter.chat.as_user(owner), adapter.chat.as_user(guest)
    made = {}
    for number in range(count):
        thread = as_owner.create_thread(f"T{number}", [ParticipantRecord(guest, "Guest")]).thread
        made[thread.id] = as_guest.send_message(thread.id, f"first in {number}")
    time.sleep(1.1)  # ACS times have whole seconds: the threads' activity is before the cursor
    return made


def _poller(adapter: AcsAdapter, owner: str, batch: int) -> ChatEventPoller:
    return ChatEventPoller(
        adapter.chat,
        adapter.store.cursors,
        EventBus(),
        owner,
        start=datetime.now(timezone.utc) - EVERY_POLL,  # a pass is due at once
        overlap=timedelta(0),
        sweep_interval=EVERY_POLL,
        sweep_batch=batch,
        consumer="sweep-test",
    )


def _edit_all(adapter: AcsAdapter, guest: str, threads: dict[str, str]) -> None:
    as_guest = adapter.chat.as_user(guest)
    for thread, message in threads.items():
        as_guest.update_message(thread, message, content="edited")


def _poll(poller: ChatEventPoller) -> tuple[list[str], int]:
    """The threads of the edits one poll publishes, and the list_messages calls it made."""
    before = poller.acs_calls
    events = poller.poll_once()
    assert all(e.kind == EventKind.MESSAGE_EDITED for e in events)
    return [e.thread_id for e in events], poller.acs_calls - before


def test_no_poll_sweeps_more_than_a_batch_and_every_edit_arrives_within_a_pass(
    adapter: AcsAdapter,
) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    threads = _quiet_threads(adapter, owner, guest, 30)
    poller = _poller(adapter, owner, batch=5)
    polls = [_poll(poller)]
    time.sleep(1.1)  # the edits are later than the first slice's sweep
    _edit_all(adapter, guest, threads)
    edited: list[str] = []
    for number in range(math.ceil(30 / 5)):
        if number == 3:  # a restart resumes the rotation from the cursor
            poller = _poller(adapter, owner, batch=5)
        polls.append(_poll(poller))
        edited += polls[-1][0]
    assert sorted(edited) == sorted(threads)
    polls += [_poll(poller) for _ in range(math.ceil(30 / 5))]
    assert all(found == [] for found, _ in polls[-6:])  # a further pass publishes nothing again
    assert max(calls for _, calls in polls) <= 5  # no thread changed: the slices were read


def test_a_pass_lists_its_threads_a_page_a_poll_before_sweeping_them(
    adapter: AcsAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "SWEEP_LIST_PAGE", 5)
    owner, guest = _new_user(adapter), _new_user(adapter)
    threads = _quiet_threads(adapter, owner, guest, 12)
    poller = _poller(adapter, owner, batch=4)
    assert _poll(poller) == ([], 0)  # the list's first page
    time.sleep(1.1)  # the edits are later than the cursor's start
    _edit_all(adapter, guest, threads)
    # The list's last two pages, the last with the first slice, then two more slices.
    polls = [_poll(poller) for _ in range(4)]
    assert [calls for _, calls in polls] == [0, 4, 4, 4]
    assert sorted(t for found, _ in polls for t in found) == sorted(threads)


def test_an_edit_found_with_new_activity_is_not_published_again_by_the_sweep(
    adapter: AcsAdapter,
) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    threads = _quiet_threads(adapter, owner, guest, 3)
    poller = _poller(adapter, owner, batch=1)
    for _ in range(3):  # one pass, a thread a poll
        assert poller.poll_once() == []
    last = max(threads)  # swept last in a pass, so not by the next poll
    as_guest = adapter.chat.as_user(guest)
    time.sleep(1.1)  # the edit is later than the pass's sweeps
    as_guest.update_message(last, threads[last], content="edited")
    time.sleep(1.1)  # the new message is later than the edit
    as_guest.send_message(last, "and more")
    kinds = [(e.kind, e.content) for e in poller.poll_once()]
    assert kinds == [(EventKind.MESSAGE_EDITED, "edited"), (EventKind.MESSAGE_RECEIVED, "and more")]
    for _ in range(3):  # the sweep reads the thread again from before the edit
        assert poller.poll_once() == []


def test_a_cursor_saved_before_the_sweep_was_spread_starts_a_pass(adapter: AcsAdapter) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    threads = _quiet_threads(adapter, owner, guest, 2)
    as_guest = adapter.chat.as_user(guest)
    swept = datetime.now(timezone.utc)
    time.sleep(1.1)  # the edit is later than the old cursor's sweep
    thread = min(threads)
    as_guest.update_message(thread, threads[thread], content="edited")
    poller = _poller(adapter, owner, batch=1)
    old = {"v": 1, "since": swept.isoformat(), "recent": {}, "swept": swept.isoformat()}
    adapter.store.cursors.put(poller.cursor_name, json.dumps(old))
    kinds = [(e.kind, e.thread_id) for e in poller.poll_once()]
    assert kinds == [(EventKind.MESSAGE_EDITED, thread)]
    cursor = adapter.store.cursors.get(poller.cursor_name)
    assert cursor is not None and json.loads(cursor.value)["after"] == thread
    assert poller.poll_once() == []


def test_the_batch_must_be_a_positive_number_of_threads(adapter: AcsAdapter) -> None:
    for batch in (0, -1, True):
        with pytest.raises(ValueError):
            _poller(adapter, "8:acs:someone", batch=batch)
