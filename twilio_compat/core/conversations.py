"""Conversations: a chat thread in ACS plus what Twilio keeps that ACS cannot.

The thread holds members and messages; the store holds the SID, unique name, attributes, state
and timers. The ACS topic mirrors ``friendly_name`` (falling back to the unique name, then the
SID, because ACS needs a topic) while Twilio's own value is what callers see.
"""

from __future__ import annotations

import heapq
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice

from acs_adapter.errors import Conflict, NotFound
from acs_adapter.store.conversations import Conversation as StoredConversation
from acs_adapter.store.conversations import Position
from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.codec import decode_timers, encode_timers, timers_due_at
from twilio_compat.core.hooks import API, Action, Origin, amend
from twilio_compat.core.stamps import now
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, looks_like_conversation_sid, new_sid

STATES = ("active", "inactive", "closed")
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MIN_INACTIVE = timedelta(minutes=1)
MIN_CLOSED = timedelta(minutes=10)
_WALK_BATCH_MAX = 500
"""The most rows one store read of a list fetches (batches grow to it while few match)."""
ABANDONED_AFTER = timedelta(minutes=10)
"""How long a create may hold its record pending before it counts as abandoned: far beyond
the bounded time an ACS thread create can take."""
RECOVERY_INTERVAL = timedelta(minutes=1)
_log = logging.getLogger("twilio_compat.core.conversations")


@dataclass(frozen=True)
class ConversationFields:
    """The Twilio fields of a create or update; None means "not given"."""

    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: str | None = None
    state: str | None = None
    timers_inactive: str | None = None
    timers_closed: str | None = None
    messaging_service_sid: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    created_by: str | None = None

    def __post_init__(self) -> None:
        check_unicode_fields(self)


def parse_duration(name: str, value: str, minimum: timedelta) -> timedelta:
    """An ISO 8601 duration such as ``PT5M``; Twilio's timers have minimum lengths."""
    found = _DURATION.match(value)
    if found is None or value in ("P", "PT"):
        raise errors.invalid(f"Parameter '{name}' must be an ISO 8601 duration such as PT10M")
    parts = {k: int(v) for k, v in found.groupdict().items() if v}
    length = timedelta(**parts)
    if length < minimum:
        raise errors.invalid(f"Parameter '{name}' must be at least {minimum}")
    return length


def check_unique_name(unique_name: str) -> None:
    if looks_like_conversation_sid(unique_name):
        raise errors.invalid(
            "Unique name should not match conversation SID pattern CH[0-9a-f]{32}",
            errors.UNIQUE_NAME_LOOKS_LIKE_SID,
        )


def unique_name_taken(unique_name: str) -> errors.TwilioApiError:
    return errors.TwilioApiError(
        409,
        errors.UNIQUE_NAME_TAKEN,
        f"Conversation with provided unique name already exists: {unique_name}",
    )


def _timers_document(fields: ConversationFields, start: datetime) -> str | None:
    if fields.timers_inactive is None and fields.timers_closed is None:
        return None
    inactive = closed = None
    if fields.timers_inactive is not None:
        inactive = start + parse_duration("Timers.Inactive", fields.timers_inactive, MIN_INACTIVE)
    if fields.timers_closed is not None:
        closed = start + parse_duration("Timers.Closed", fields.timers_closed, MIN_CLOSED)
    return encode_timers(
        inactive=fields.timers_inactive,
        closed=fields.timers_closed,
        date_inactive=inactive,
        date_closed=closed,
    )


def _due_after(row: StoredConversation, changes: dict[str, object]) -> datetime | None:
    """The `timer_due_at` of `row` once `changes` (which may set its state or timers) apply."""
    state = changes.get("state", row.state)
    timers = changes.get("timers", row.timers)
    assert isinstance(state, str) and (timers is None or isinstance(timers, str))
    return timers_due_at(state, timers)


def conversation_closed(sid: str) -> errors.TwilioApiError:
    return errors.invalid(
        f"Conversation {sid} is closed: it can't be updated or used for chatting anymore",
        errors.CONVERSATION_CLOSED,
    )


def ensure_open(row: StoredConversation) -> None:
    """Closed is Twilio's final state (set by hand or by timer): refuse any change (50377)."""
    if to_record(row).state == "closed":
        raise conversation_closed(row.sid)


@dataclass(frozen=True)
class StateChange:
    """A conversation's state moving (Twilio's `onConversationStateUpdated`): from what, why
    (`API`, `TIMER` or `EVENT`) and when; `conversation` holds the new state."""

    conversation: records.Conversation
    state_from: str
    reason: str
    at: datetime

    @property
    def conversation_sid(self) -> str:
        return self.conversation.sid


def state_changed(
    context: Context,
    conversation: records.Conversation,
    state_from: str,
    reason: str,
    *,
    at: datetime | None = None,
    origin: Origin | None = None,
) -> None:
    """Tell the hooks a conversation's state moved (post-event only; Twilio has no veto).

    A closed conversation frees the (address, proxy address) pairs its SMS/WhatsApp
    participants held, so another conversation may bind them.
    """
    if conversation.state == "closed":
        context.store.participants.release_bindings(conversation.sid)
    change = StateChange(conversation, state_from, reason, at or now())
    action = Action(
        "onConversationStateUpdated", conversation.service_sid, conversation.sid, change
    )
    context.hooks.after(action if origin is None else replace(action, origin=origin))


def apply_timers(context: Context, row: StoredConversation) -> StoredConversation:
    """Keep the state expired timers moved `row` to, and report it once with Reason `TIMER`.

    Timers are applied when a conversation is read or written, and by the timer job when
    they fire. A timer is nobody's REST request, so its webhook fires even when the request
    that noticed it disabled webhooks. Of several processes noticing one timer at once, only
    the first moves the state and reports it.
    """
    if not row.timers:
        return row
    seen = to_record(row)
    if seen.state == row.state:
        return row
    updated = context.store.conversations.move_state_if(
        row.sid,
        seen.state,
        expected=row.state,
        timer_due_at=timers_due_at(seen.state, row.timers),
        updated_at=row.updated_at,
    )
    if updated is None:  # moved meanwhile (by this timer elsewhere, or by a write)
        again = context.store.conversations.get(row.sid)
        if again is None:
            raise NotFound(f"conversation {row.sid!r} does not exist")
        return apply_timers(context, again)
    timers = seen.timers
    at = timers.date_closed if seen.state == "closed" else timers.date_inactive
    state_changed(
        context, to_record(updated), row.state, "TIMER", at=at, origin=Origin(API, None, True)
    )
    return updated


def record_activity(context: Context, row: StoredConversation) -> None:
    """A new message or participant: an inactive conversation is active again, timers restart.

    Twilio's timers count from the last activity. Conversations without timers that are
    already active need no write, so the common path costs nothing.
    """
    if row.state != "inactive" and not row.timers:
        return
    changes: dict[str, object] = {}
    if to_record(row).state == "inactive":
        changes["state"] = "active"
    if row.timers:
        kept = decode_timers(row.timers)
        restarted = ConversationFields(timers_inactive=kept.inactive, timers_closed=kept.closed)
        changes["timers"] = _timers_document(restarted, now())
    changes["timer_due_at"] = _due_after(row, changes)
    updated_at = None if "state" in changes else row.updated_at
    updated = context.store.conversations.update(
        row.sid,
        updated_at=updated_at,
        **changes,  # type: ignore[arg-type]
    )
    if "state" in changes:
        state_changed(context, to_record(updated), "inactive", "EVENT")


@dataclass(frozen=True)
class _ListQuery:
    """One conversation list request: which conversations, and which way it pages."""

    service_sid: str
    state: str | None
    start_date: datetime | None
    end_date: datetime | None
    backwards: bool
    limit: int


def _stored_sources(state: str | None) -> list[tuple[tuple[str, ...] | None, bool]]:
    """Where conversations now in `state` are stored: (stored states, timers only) pairs.

    A conversation is stored in the state it was last written with; expired timers move it
    on read. So "closed" also looks at active and inactive ones whose timers have fired,
    "inactive" at active ones whose timers have fired, through an index of due instants.
    """
    if state is None:
        return [(None, False)]
    earlier = STATES[: STATES.index(state)]
    sources: list[tuple[tuple[str, ...] | None, bool]] = [((state,), False)]
    if earlier:
        sources.append((earlier, True))
    return sources


def _merged(
    walks: list[Iterator[records.Conversation]], limit: int, backwards: bool
) -> Iterator[records.Conversation]:
    """The walks' conversations in list order; the later walks only up to where the first
    one's page ends, so a walk that matches little is not read to its end."""
    first = list(islice(walks[0], limit + 1))
    bound = _position(first[-1]) if len(first) > limit else None

    def within(walk: Iterator[records.Conversation]) -> Iterator[records.Conversation]:
        for record in walk:
            if bound is not None and (_position(record) > bound) != backwards:
                return
            yield record

    return heapq.merge(first, *map(within, walks[1:]), key=_position, reverse=backwards)


def _position(record: records.Conversation) -> Position:
    return record.date_created, record.sid


def to_record(row: StoredConversation, at: datetime | None = None) -> records.Conversation:
    """The Twilio view of a stored conversation; expired timers move its state on read."""
    timers = decode_timers(row.timers)
    state = row.state
    if row.timers:
        moment = at or now()
        if timers.date_closed is not None and moment >= timers.date_closed:
            state = "closed"
        elif (
            timers.date_inactive is not None
            and moment >= timers.date_inactive
            and state == "active"
        ):
            state = "inactive"
    return records.Conversation(
        sid=row.sid,
        service_sid=row.scope,
        thread_id=row.thread_id or "",
        friendly_name=row.friendly_name,
        unique_name=row.unique_name,
        attributes=row.attributes,
        state=state,
        timers=timers,
        messaging_service_sid=row.messaging_service_sid,
        created_by=row.created_by,
        date_created=row.created_at,
        date_updated=row.updated_at,
    )


class Conversations:
    """Twilio's Conversation resource over ACS threads and the store."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._next_recovery = 0.0

    def stored(self, service_sid: str, key: str) -> StoredConversation:
        """The stored conversation of a service by SID or unique name, else Twilio's 20404."""
        found = self._context.store.conversations.find(service_sid, key) if key else None
        if found is None:
            raise errors.ResourceNotFound(f"/Conversations/{key}")
        return apply_timers(self._context, found)

    def get(self, service_sid: str, sid_or_unique_name: str) -> records.Conversation:
        return to_record(self.stored(service_sid, sid_or_unique_name))

    def by_thread_id(self, thread_id: str) -> StoredConversation | None:
        """The conversation mapped to an ACS thread (any service), or None if none is."""
        return self._context.store.conversations.get_by_thread_id(thread_id)

    def messaging_service_sid(self, conversation_sid: str) -> str | None:
        """The Messaging Service a conversation is bound to, if any."""
        found = self._context.store.conversations.get(conversation_sid)
        return found.messaging_service_sid if found is not None else None

    def create(
        self,
        service_sid: str,
        fields: ConversationFields,
        *,
        members: tuple[tuple[str, str], ...] = (),
    ) -> records.Conversation:
        """Write the record (pending, hidden), create the thread, then complete the record.

        A failed thread create removes the record; a create that dies in between leaves a
        pending record, which `recover_pending` later removes with any thread it made.
        ``members`` are ``(acs_user_id, display_name)`` pairs added with the thread in the
        same ACS request (ConversationWithParticipants).
        """
        from acs_adapter.records import ParticipantRecord

        self._check(fields)
        if fields.state == "closed":
            raise errors.invalid("Initial state can't be 'closed'", errors.INITIAL_STATE_CLOSED)
        fields = self._before(
            Action("onConversationAdd", service_sid, None, None, vars(fields)), fields
        )
        self._recover_now_and_then()
        store = self._context.store
        sid = new_sid("CH")
        created = fields.date_created or now()
        state = fields.state or "active"
        timers = _timers_document(fields, created)
        try:
            store.conversations.insert(
                sid=sid,
                scope=service_sid,
                unique_name=fields.unique_name,
                friendly_name=fields.friendly_name,
                attributes=fields.attributes or "{}",
                state=state,
                timers=timers,
                timer_due_at=timers_due_at(state, timers),
                messaging_service_sid=fields.messaging_service_sid,
                created_by=fields.created_by,
                created_at=created,
                updated_at=fields.date_updated or created,
                pending=True,
            )
        except Conflict:
            if fields.unique_name is not None:
                raise unique_name_taken(fields.unique_name) from None
            raise
        try:
            thread = self._context.service_chat().create_thread(
                fields.friendly_name or fields.unique_name or sid,
                [ParticipantRecord(user_id, display_name) for user_id, display_name in members],
                idempotency_key=sid,
            )
        except BaseException:
            self._discard_pending(sid)
            raise
        try:
            row = store.conversations.complete_pending(sid, thread.thread.id)
        except BaseException:
            self._forget_thread(thread.thread.id)
            self._discard_pending(sid)
            raise
        added = to_record(row)
        self._context.hooks.after(Action("onConversationAdded", service_sid, added.sid, added))
        return added

    def recover_pending(self, older_than: timedelta = ABANDONED_AFTER) -> int:
        """Remove records of creates pending longer than `older_than`, with any thread they made.

        The thread is found by repeating its create with the same idempotency key (ACS answers
        with the thread it made then, or makes one now), then deleted. What cannot be removed
        is logged and left for the next call. Returns how many records were removed.
        """
        store = self._context.store
        removed = 0
        for row in store.conversations.stale_pending(now() - older_than):
            try:
                thread = self._context.service_chat().create_thread(
                    row.friendly_name or row.unique_name or row.sid, idempotency_key=row.sid
                )
                self._forget_thread(thread.thread.id, quiet=False)
            except Exception as error:
                _log.warning(
                    "could not remove the thread of unfinished conversation create %s (%s); "
                    "trying again later",
                    row.sid,
                    type(error).__name__,
                )
                continue
            removed += self._discard_pending(row.sid)
        return removed

    def _recover_now_and_then(self) -> None:
        """Run `recover_pending` from creates, at most once per `RECOVERY_INTERVAL`."""
        due = time.monotonic()
        if due < self._next_recovery:
            return
        self._next_recovery = due + RECOVERY_INTERVAL.total_seconds()
        self.recover_pending()

    def _discard_pending(self, sid: str) -> bool:
        try:
            return self._context.store.conversations.discard_pending(sid)
        except Exception as error:
            _log.warning(
                "could not remove the pending record of conversation %s (%s); "
                "recover_pending removes it later",
                sid,
                type(error).__name__,
            )
            return False

    def update(
        self, service_sid: str, sid_or_unique_name: str, fields: ConversationFields
    ) -> records.Conversation:
        self._check(fields)
        store = self._context.store
        row = self.stored(service_sid, sid_or_unique_name)
        ensure_open(row)
        fields = self._before(
            Action("onConversationUpdate", service_sid, row.sid, to_record(row), vars(fields)),
            fields,
        )
        if fields.unique_name and fields.unique_name != row.unique_name:
            other = store.conversations.get_by_unique_name(service_sid, fields.unique_name)
            if other is not None:
                raise unique_name_taken(fields.unique_name)
        changes: dict[str, object] = {}
        if fields.friendly_name is not None:
            changes["friendly_name"] = fields.friendly_name
        if fields.unique_name is not None:
            changes["unique_name"] = fields.unique_name or None
        if fields.attributes is not None:
            changes["attributes"] = fields.attributes
        if fields.state is not None:
            changes["state"] = fields.state
        if fields.messaging_service_sid is not None:
            changes["messaging_service_sid"] = fields.messaging_service_sid
        if fields.timers_inactive is not None or fields.timers_closed is not None:
            changes["timers"] = _timers_document(fields, now())
        if "state" in changes or "timers" in changes:
            changes["timer_due_at"] = _due_after(row, changes)
        new_topic = self._topic_after(row, fields)
        if new_topic is not None and row.thread_id:
            self._context.service_chat().update_topic(row.thread_id, new_topic)
        try:
            updated = store.conversations.update(
                row.sid,
                updated_at=fields.date_updated,
                **changes,  # type: ignore[arg-type]
            )
        except Conflict:
            raise unique_name_taken(fields.unique_name or "") from None
        result = to_record(updated)
        self._context.hooks.after(Action("onConversationUpdated", service_sid, row.sid, result))
        if result.state != row.state:
            state_changed(self._context, result, row.state, "API")
        return result

    def delete(self, service_sid: str, sid_or_unique_name: str) -> None:
        row = self.stored(service_sid, sid_or_unique_name)
        removed = to_record(row)
        self._context.hooks.before(Action("onConversationRemove", service_sid, row.sid, removed))
        if row.thread_id:
            self._forget_thread(row.thread_id, quiet=False)
        # Deleting a thread is idempotent; of concurrent deletes (in any process) only the one
        # whose DELETE removes the row posts onConversationRemoved, the others answer 404.
        if not self._context.store.conversations.delete(row.sid):
            raise errors.ResourceNotFound(f"/Conversations/{sid_or_unique_name}")
        self._context.hooks.after(Action("onConversationRemoved", service_sid, row.sid, removed))

    def _before(self, action: Action, fields: ConversationFields) -> ConversationFields:
        """Ask the pre-event hook; Twilio lets it change only the friendly name."""
        return amend(fields, self._context.hooks.before(action), ("friendly_name",))

    def page(
        self,
        service_sid: str,
        *,
        state: str | None,
        start_date: datetime | None,
        end_date: datetime | None,
        position: Position | None = None,
        backwards: bool = False,
        limit: int,
    ) -> tuple[list[records.Conversation], bool]:
        """A page of the service's conversations, oldest first, and whether more follow.

        The page starts just after `position`, or with `backwards` ends just before it (and
        "more" then means earlier ones). Pages are keyset pages: one deep in the list costs
        what the first one does.
        """
        query = _ListQuery(service_sid, state, start_date, end_date, backwards, limit)
        walks = [
            self._walk(query, position, stored, with_timers)
            for stored, with_timers in _stored_sources(state)
        ]
        found = list(islice(_merged(walks, limit, backwards), limit + 1))
        items = found[:limit]
        return (items[::-1] if backwards else items), len(found) > limit

    def _walk(
        self,
        query: _ListQuery,
        position: Position | None,
        stored: tuple[str, ...] | None,
        with_timers: bool,
    ) -> Iterator[records.Conversation]:
        """The conversations stored in one of `stored` states in list order from `position`,
        keeping those whose state, as timers give it now, is the query's.

        With `with_timers` only those whose timers have fired are read: a conversation whose
        timers are still waiting is in its stored state, which another walk reads.
        """
        batch = query.limit + 1
        due_by = now() if with_timers else None
        while True:
            rows = self._context.store.conversations.seek(
                query.service_sid,
                states=stored,
                with_timers=with_timers,
                due_by=due_by,
                created_from=query.start_date,
                created_before=query.end_date,
                after=None if query.backwards else position,
                before=position if query.backwards else None,
                limit=batch,
            )
            for row in rows:
                record = to_record(row)
                if query.state is None or record.state == query.state:
                    yield record
            if len(rows) < batch:
                return
            position = rows[-1].position
            batch = min(batch * 2, _WALK_BATCH_MAX)

    def _check(self, fields: ConversationFields) -> None:
        if fields.unique_name:
            check_unique_name(fields.unique_name)
        if fields.state is not None and fields.state not in STATES:
            raise errors.invalid(f"Parameter 'State' must be one of: {', '.join(STATES)}")
        if fields.messaging_service_sid and not is_sid(fields.messaging_service_sid, "MG"):
            raise errors.invalid("Parameter 'MessagingServiceSid' must be a MG SID")
        if fields.timers_inactive is not None:
            parse_duration("Timers.Inactive", fields.timers_inactive, MIN_INACTIVE)
        if fields.timers_closed is not None:
            parse_duration("Timers.Closed", fields.timers_closed, MIN_CLOSED)

    @staticmethod
    def _topic_after(row: StoredConversation, fields: ConversationFields) -> str | None:
        if fields.friendly_name is None and fields.unique_name is None:
            return None
        friendly = fields.friendly_name if fields.friendly_name is not None else row.friendly_name
        unique = fields.unique_name if fields.unique_name is not None else row.unique_name
        topic = friendly or unique or row.sid
        old = row.friendly_name or row.unique_name or row.sid
        return topic if topic != old else None

    def _forget_thread(self, thread_id: str, *, quiet: bool = True) -> None:
        """Delete a thread; a `quiet` failure is logged (the thread is left orphaned)."""
        try:
            self._context.service_chat().delete_thread(thread_id)
        except NotFound:
            return
        except Exception as error:
            if not quiet:
                raise
            _log.warning(
                "could not delete ACS thread %s (%s); it is left without a conversation",
                thread_id,
                type(error).__name__,
            )
