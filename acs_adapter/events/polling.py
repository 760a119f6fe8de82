"""`ChatEventPoller`: the same neutral events as Event Grid, for places it cannot reach.

ACS has no change feed, so the poller reads what it can see as one ACS user: the threads
with recent activity and, in each, the messages created, edited or deleted since its cursor.
User messages become message events; the system messages ACS writes become thread and
participant events (the first `participantAdded` and `topicUpdated` of a thread are its
creation). Two modes, like Event Grid's two levels:

- thread level (`per_user=False`, for the service user that is in every thread): events for
  everyone, `recipient_id` None, the user's own actions included;
- user level (`per_user=True`): what that user would be told, `recipient_id` set, its own
  actions left out as Event Grid leaves them out (`own_actions=True` keeps them, for a client
  that reports its own messages too).

A poll costs ACS calls in proportion to the threads that changed, not to the threads that are
active: the thread list, asked for activity since the cursor (ACS orders and filters it by the
newest message of any kind, system messages included), names the threads with new messages,
membership or topic changes, and only those are read.

Edits and deletions leave a thread's activity alone, so only reading a thread finds them. The
sweep reads the other threads active within `thread_horizon` for them, spread over polls so
that a poll's cost stays bounded however many threads are active. A pass first lists those
threads, a page of 100 a poll (the list also reports deleted threads), then takes them in id
order, joined by the threads that change meanwhile: each poll sweeps the next slice of
ceil(threads x `interval` / `sweep_interval`) threads, never more than `sweep_batch`. With few
threads a pass lasts about `sweep_interval`; with more than `sweep_batch` x `sweep_interval` /
`interval` (300 with the defaults) it lasts threads / 100 + threads / `sweep_batch` polls. A new
pass starts once the previous one has ended and began `sweep_interval` ago; `sweep_interval` 0
lists and sweeps every thread on every poll. A swept thread is read from when the rotation last
passed it: the cursor keeps where the pass stands (a restart lists the threads again and
resumes it) and one mark per slice. A thread that changed in the poll that sweeps it is read
once, from the earlier of its two starts.

The cursor in the mapping store (`store.cursors`, named after `consumer`, the level and the
user: pollers that must not share progress use different consumers) holds the newest ACS time
seen and the ids of the events of the last `overlap` before it. Each poll re-reads that
overlap (so writes that commit late are not missed) and skips the ids it already published,
so a restart neither misses nor repeats an event. The cursor is saved after publishing (and
after `settle`, which lets subscribers that queue events make them durable first): a crash in
between repeats that poll's events (at least once), a clean `stop()` never does.

Gaps (ACS exposes no history for them): typing, a thread's deletion where the service does
not list deleted threads, and the removal of the polling user itself (it can no longer read
the thread). Edits in threads with no new message for longer than `thread_horizon` are missed,
because ACS lists threads by their newest message; edits and deletions in quiet threads arrive
within one sweep pass rather than with the next poll. A sweep reads again the `overlap` before
a thread's previous read, and a thread that changed in between again since that read, so the
cursor also keeps the ids of the edits and deletions published since the oldest point a sweep
may read from again: they are not published twice.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from acs_adapter.chat import ChatGateway
from acs_adapter.errors import AdapterError, Forbidden, NotFound
from acs_adapter.events._model import ChatEvent, EventKind, event_id
from acs_adapter.events._times import parse_time
from acs_adapter.events.bus import EventBus
from acs_adapter.records import MessageRecord, ThreadSummary

logger = logging.getLogger("acs_adapter.events")

DEFAULT_INTERVAL = 2.0
DEFAULT_OVERLAP = timedelta(seconds=5)
DEFAULT_THREAD_HORIZON = timedelta(hours=1)
DEFAULT_SWEEP_INTERVAL = timedelta(seconds=30)
DEFAULT_SWEEP_BATCH = 20
SWEEP_LIST_PAGE = 100
"""Threads a poll lists for the sweep's next pass."""
_EDITS = (EventKind.MESSAGE_EDITED, EventKind.MESSAGE_DELETED, EventKind.THREAD_DELETED)
_USER_TYPES = ("text", "html")
_CURSOR_VERSION = 1


class CursorStore(Protocol):
    """What the poller needs of `store.cursors`."""

    def get(self, name: str) -> _CursorLike | None: ...

    def put(self, name: str, value: str) -> object: ...


class _CursorLike(Protocol):
    @property
    def value(self) -> str: ...


@dataclass
class _State:
    since: datetime
    recent: dict[str, datetime] = field(default_factory=dict)
    swept: datetime | None = None
    """When the threads past the last mark were last swept (None: as of `since`)."""
    marks: list[tuple[str, datetime]] = field(default_factory=list)
    """The sweep's rotation by ascending thread id: the threads with an id up to a mark's (and
    past the previous mark's) were last swept at its time."""
    after: str | None = None
    """The last thread id the pass under way swept (None: no pass under way)."""
    edits: dict[str, datetime] = field(default_factory=dict)
    """Edit and deletion events already published that a later sweep may read again."""

    def swept_at(self, thread_id: str) -> datetime:
        """When the rotation last passed `thread_id`."""
        index = bisect.bisect_left([mark for mark, _ in self.marks], thread_id)
        if index < len(self.marks):
            return self.marks[index][1]
        return self.swept or self.since

    def oldest_sweep(self) -> datetime:
        """The earliest time any thread was last swept: where the pass under way began."""
        return min([self.swept or self.since, *(at for _, at in self.marks)])

    def advance(self, last: str | None, at: datetime) -> None:
        """Record the threads past `after` up to `last` as swept at `at` (None: all the rest,
        which ends the pass)."""
        after = self.after
        done = [m for m in self.marks if after is not None and m[0] <= after]
        if last is None:
            self.marks, self.swept, self.after = done, at, None
        else:
            self.marks = [*done, (last, at), *(m for m in self.marks if m[0] > last)]
            self.after = last

    def dump(self) -> str:
        raw: dict[str, object] = {
            "v": _CURSOR_VERSION,
            "since": self.since.isoformat(),
            "recent": {k: v.isoformat() for k, v in self.recent.items()},
        }
        if self.swept is not None:
            raw["swept"] = self.swept.isoformat()
        if self.marks:
            raw["marks"] = [[thread, at.isoformat()] for thread, at in self.marks]
        if self.after is not None:
            raw["after"] = self.after
        if self.edits:
            raw["edits"] = {k: v.isoformat() for k, v in self.edits.items()}
        return json.dumps(raw, separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> _State | None:
        """The state `text` holds; a cursor without the rotation's fields (written before the
        sweep was spread over polls) starts a new pass."""
        try:
            raw = json.loads(text)
            since = parse_time(raw["since"])
            recent = _times(raw.get("recent", {}))
            swept = parse_time(raw["swept"]) if raw.get("swept") else None
            marks = [(str(thread), parse_time(at)) for thread, at in raw.get("marks", [])]
            after = raw.get("after")
            edits = _times(raw.get("edits", {}))
        except (ValueError, KeyError, TypeError):
            return None
        if since is None or any(at is None for _, at in marks):
            return None
        kept_marks = sorted((thread, at) for thread, at in marks if at is not None)
        return cls(
            since,
            recent,
            swept,
            kept_marks,
            str(after) if after is not None else None,
            edits,
        )


def _times(raw: object) -> dict[str, datetime]:
    if not isinstance(raw, dict):
        raise TypeError("expected an object of times")
    times = {str(k): parse_time(v) for k, v in raw.items()}
    return {k: v for k, v in times.items() if v is not None}


class ChatEventPoller:
    """Polls ACS as `user_id` and publishes what changed on `bus`."""

    def __init__(
        self,
        chat: ChatGateway,
        cursors: CursorStore,
        bus: EventBus,
        user_id: str,
        *,
        per_user: bool = False,
        own_actions: bool = False,
        interval: float = DEFAULT_INTERVAL,
        overlap: timedelta = DEFAULT_OVERLAP,
        thread_horizon: timedelta = DEFAULT_THREAD_HORIZON,
        sweep_interval: timedelta = DEFAULT_SWEEP_INTERVAL,
        sweep_batch: int = DEFAULT_SWEEP_BATCH,
        start: datetime | None = None,
        consumer: str = "default",
        settle: Callable[[], None] | None = None,
    ) -> None:
        _check_interval(interval)
        if overlap < timedelta(0) or thread_horizon < timedelta(0) or sweep_interval < timedelta(0):
            raise ValueError("overlap, thread_horizon and sweep_interval must not be negative")
        if isinstance(sweep_batch, bool) or not isinstance(sweep_batch, int) or sweep_batch < 1:
            raise ValueError("sweep_batch must be a positive number of threads")
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be a timezone-aware datetime")
        self.bus = bus
        self.user_id = user_id
        self.per_user = per_user
        self.own_actions = own_actions
        self.interval = interval
        level = ("own" if own_actions else "user") if per_user else "thread"
        self.cursor_name = f"chat-events/{consumer}/{level}/{user_id}"
        self._chat = chat.as_user(user_id)
        self._cursors = cursors
        self._overlap = overlap
        self._horizon = thread_horizon
        self._sweep_interval = sweep_interval
        self._sweep_batch = sweep_batch
        self._roster: list[str] | None = None
        """The pass's threads by id (None: list them first)."""
        self._listing: Iterator[ThreadSummary] | None = None
        """The thread list being read for the next `_roster`, a page a poll."""
        self._listed: set[str] = set()
        """The threads of the next `_roster` so far."""
        self._saved: str | None = None
        """The cursor this poller saved last: another value means another poller moved on."""
        self._settle = settle
        self.acs_calls = 0
        """ACS list calls made by the polls so far (the thread list's pages not counted)."""
        self._start = start
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # One poll

    def poll_once(self) -> list[ChatEvent]:
        """Read what changed since the cursor, publish it, move the cursor; returns the new
        events in publish order."""
        with self._poll_lock:
            try:
                return self._poll()
            except BaseException:
                self._roster, self._listing = None, None  # a page read may not be reported
                raise

    def _poll(self) -> list[ChatEvent]:
        """`poll_once` under its lock."""
        state = self._load()
        cutoff = state.since - self._overlap
        polled_at = datetime.now(timezone.utc)
        changed = {s.id: s for s in self._chat.list_threads(start_time=cutoff)}
        found: list[ChatEvent] = []
        sweeping = state.after is not None or (
            polled_at - state.oldest_sweep() >= self._sweep_interval
        )
        deletions = self._list_pass(state, polled_at, changed) if sweeping else []
        sweeping = sweeping and self._roster is not None
        swept = self._next_slice(state, changed) if sweeping else []
        for summary in changed.values():
            start = cutoff
            if summary.id in swept:
                start = min(cutoff, state.swept_at(summary.id) - self._overlap)
            events = self._thread_events(summary, start)
            found.extend(e for e in events if e.time >= cutoff or e.kind in _EDITS)
        found.extend(deletions)
        for thread_id in swept:
            if thread_id not in changed:
                since = state.swept_at(thread_id) - self._overlap
                events = self._thread_events(ThreadSummary(thread_id, ""), since)
                found.extend(e for e in events if e.kind in _EDITS)
        if sweeping:
            assert self._roster is not None
            ends = not swept or swept[-1] == self._roster[-1]
            state.advance(None if ends else swept[-1], polled_at)
            if ends:
                self._roster = None
        published = {**state.recent, **state.edits}
        fresh = list({e.id: e for e in found if e.id not in published}.values())
        for event in fresh:
            self.bus.publish(event)
        if fresh and self._settle is not None:
            self._settle()
        newest = max([state.since, *(e.time for e in found)])
        keep_from = newest - self._overlap
        recent = {**state.recent, **{e.id: e.time for e in found}}
        kept = {k: t for k, t in recent.items() if t >= keep_from}
        reread_from = state.oldest_sweep() - self._overlap
        edits = {**state.edits, **{e.id: e.time for e in found if e.kind in _EDITS}}
        state.edits = {k: t for k, t in edits.items() if t >= reread_from}
        state.since, state.recent = newest, kept
        self._saved = state.dump()
        self._cursors.put(self.cursor_name, self._saved)
        return fresh

    def _list_pass(
        self, state: _State, polled_at: datetime, changed: dict[str, ThreadSummary]
    ) -> list[ChatEvent]:
        """Move the listing of the pass's threads on by a page, when there is no list of them
        (at a pass's start, or resuming one this poller did not run); returns the deletions it
        reports. The threads that change meanwhile join the list, which is done (`_roster`) at
        the listing's last page."""
        if self._roster is not None:
            return []
        if self._listing is None:
            self._listing = self._chat.list_threads(
                page_size=SWEEP_LIST_PAGE, start_time=polled_at - self._horizon
            )
            self._listed = set()
        # Sweeping every poll, the whole list is read at once.
        size = None if not self._sweep_interval else SWEEP_LIST_PAGE
        try:
            page = list(itertools.islice(self._listing, size))
        except BaseException:
            self._listing = None
            raise
        reread_from = state.oldest_sweep() - self._overlap
        deletions: list[ChatEvent] = []
        for summary in page:
            if summary.deleted_on is None:
                self._listed.add(summary.id)
            elif summary.deleted_on >= reread_from:
                deleted = self._event(
                    EventKind.THREAD_DELETED, summary.id, summary.deleted_on, None
                )
                deletions.append(deleted)
        self._listed.update(s.id for s in changed.values() if s.deleted_on is None)
        if size is None or len(page) < size:
            self._roster, self._listing = sorted(self._listed), None
        return deletions

    def _next_slice(self, state: _State, changed: dict[str, ThreadSummary]) -> list[str]:
        """The thread ids this poll sweeps: the next ones after `state.after` in the pass."""
        roster = self._roster
        assert roster is not None
        for summary in changed.values():
            index = bisect.bisect_left(roster, summary.id)
            live = summary.deleted_on is None
            if live and (index == len(roster) or roster[index] != summary.id):
                roster.insert(index, summary.id)
        first = 0 if state.after is None else bisect.bisect_right(roster, state.after)
        count = len(roster)
        interval = self._sweep_interval.total_seconds()
        if interval > 0:
            count = min(self._sweep_batch, math.ceil(len(roster) * self.interval / interval))
        return roster[first : first + count]

    def _load(self) -> _State:
        cursor = self._cursors.get(self.cursor_name)
        if cursor is None or cursor.value != self._saved:
            self._roster, self._listing = None, None
        state = _State.load(cursor.value) if cursor is not None else None
        if state is None:
            if cursor is not None:
                logger.warning("unreadable cursor %s; starting from now", self.cursor_name)
            state = _State(self._start or datetime.now(timezone.utc))
        if state.swept is None:
            state.swept = state.since
        return state

    def _thread_events(self, summary: ThreadSummary, cutoff: datetime) -> list[ChatEvent]:
        self.acs_calls += 1
        try:
            messages = sorted(
                self._chat.list_messages(summary.id, start_time=cutoff),
                key=lambda m: m.sequence_id,
            )
        except (Forbidden, NotFound):
            messages = []
        creation_topic = next(
            (m.topic for m in messages if m.sequence_id == 2 and m.type == "topicUpdated"),
            summary.topic,
        )
        ranked: list[tuple[datetime, int, int, ChatEvent]] = []
        for message in messages:
            for rank, event in self._message_events(summary.id, message, creation_topic):
                if event.time >= cutoff:
                    ranked.append((event.time, rank, message.sequence_id, event))
        if summary.deleted_on is not None and summary.deleted_on >= cutoff:
            event = self._event(EventKind.THREAD_DELETED, summary.id, summary.deleted_on, None)
            ranked.append((summary.deleted_on, 3, 0, event))
        ranked.sort(key=lambda item: item[:3])
        return [
            event
            for _, _, _, event in ranked
            if self.own_actions or not (self.per_user and event.actor_id == self.user_id)
        ]

    def _message_events(
        self, thread_id: str, message: MessageRecord, creation_topic: str | None
    ) -> Iterable[tuple[int, ChatEvent]]:
        if message.type in _USER_TYPES:
            yield from self._user_message_events(thread_id, message)
            return
        actor = message.initiator_id
        members = tuple(p.user_id for p in message.participants)
        at = message.created_on
        if message.type == "participantAdded" and message.sequence_id == 1:
            yield (
                0,
                self._event(
                    EventKind.THREAD_CREATED,
                    thread_id,
                    at,
                    actor,
                    version=message.version,
                    topic=creation_topic,
                    participant_ids=members,
                ),
            )
        elif message.type in ("participantAdded", "participantRemoved"):
            kind = (
                EventKind.PARTICIPANT_ADDED
                if message.type == "participantAdded"
                else EventKind.PARTICIPANT_REMOVED
            )
            for member in members:
                yield (
                    0,
                    self._event(
                        kind,
                        thread_id,
                        at,
                        actor,
                        version=message.version,
                        participant_ids=(member,),
                    ),
                )
        elif message.type == "topicUpdated" and message.sequence_id > 2:
            yield (
                0,
                self._event(
                    EventKind.THREAD_UPDATED,
                    thread_id,
                    at,
                    actor,
                    version=message.version,
                    topic=message.topic,
                ),
            )

    def _user_message_events(
        self, thread_id: str, message: MessageRecord
    ) -> Iterable[tuple[int, ChatEvent]]:
        changed = message.edited_on is not None or message.deleted_on is not None
        common = {
            "message_id": message.id,
            "sequence_id": message.sequence_id,
            "message_type": message.type,
            "sender_display_name": message.sender_display_name or None,
        }
        yield (
            0,
            self._event(
                EventKind.MESSAGE_RECEIVED,
                thread_id,
                message.created_on,
                message.sender_id,
                version=message.id if changed else message.version,
                content=message.content or "",
                metadata=message.metadata,
                **common,
            ),
        )
        if message.edited_on is not None and message.deleted_on is None:
            yield (
                1,
                self._event(
                    EventKind.MESSAGE_EDITED,
                    thread_id,
                    message.edited_on,
                    message.sender_id,
                    version=message.version,
                    content=message.content or "",
                    metadata=message.metadata,
                    **common,
                ),
            )
        if message.deleted_on is not None:
            yield (
                2,
                self._event(
                    EventKind.MESSAGE_DELETED,
                    thread_id,
                    message.deleted_on,
                    message.sender_id,
                    version=message.version,
                    **common,
                ),
            )

    def _event(
        self,
        kind: EventKind,
        thread_id: str,
        at: datetime,
        actor: str | None,
        **fields: object,
    ) -> ChatEvent:
        recipient = self.user_id if self.per_user else None
        participants = fields.get("participant_ids", ())
        assert isinstance(participants, tuple)
        message_id = fields.get("message_id")
        version = fields.get("version")
        key = event_id(
            kind,
            thread_id,
            recipient_id=recipient,
            message_id=message_id if isinstance(message_id, str) else None,
            version=version if isinstance(version, str) else None,
            participant_id=participants[0] if len(participants) == 1 else None,
        )
        return ChatEvent(
            id=key,
            kind=kind,
            thread_id=thread_id,
            time=at.astimezone(timezone.utc),
            actor_id=actor,
            recipient_id=recipient,
            **fields,  # type: ignore[arg-type]
        )

    # Running in the background

    def start(self, interval: float | None = None) -> None:
        """Poll every `interval` seconds on a daemon thread until `stop()`."""
        if interval is not None:
            _check_interval(interval)
            self.interval = interval
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the poller is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"chat-poller-{self.user_id[-8:]}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling; waits for a poll in progress to finish and save its cursor."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            self._poll_logged()
            self._stop.wait(self._until_next(due))
            due = max(due + self.interval, time.monotonic())

    def _until_next(self, started: float) -> float:
        """Seconds to wait so polls start `interval` apart, however long one took (none if a
        poll took longer: the next starts at once, and the schedule moves on from there)."""
        return max(0.0, started + self.interval - time.monotonic())

    def _poll_logged(self) -> None:
        try:
            self.poll_once()
        except AdapterError as error:
            logger.warning("polling chat events as %s failed: %s", self.user_id, error)
        except Exception:
            logger.exception("polling chat events as %s failed", self.user_id)

    async def run(self, interval: float | None = None) -> None:
        """Poll every `interval` seconds until cancelled, without blocking the event loop."""
        if interval is not None:
            _check_interval(interval)
            self.interval = interval
        due = time.monotonic()
        while True:
            await asyncio.to_thread(self._poll_logged)
            await asyncio.sleep(self._until_next(due))
            due = max(due + self.interval, time.monotonic())

    def __enter__(self) -> ChatEventPoller:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ChatEventPoller(user_id={self.user_id!r}, per_user={self.per_user})"


def _check_interval(interval: float) -> None:
    if not isinstance(interval, (int, float)) or not interval > 0:
        raise ValueError("interval must be a positive number of seconds")
