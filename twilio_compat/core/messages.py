"""Messages: ACS chat messages with Twilio's SIDs, indices, authors, attributes and media.

ACS lists messages only newest-first from a start time, so the store doubles as a read-through
cache of every message (body, attributes, author, media, index, ACS id, dates). Before each
read, one ``list_messages(start_time=<last sync>)`` call brings in what changed since: messages
created (also by ACS-native clients, which get the next index when first seen), edited or
deleted. Any page of a conversation is then one store query, whatever its depth.

A send writes its message row, pending and hidden, in the same store transaction that reserves
its index, then sends once; the ACS id it gets back makes the row visible (written with this
process's next read, or moments later). The SID and index also travel in the message metadata,
so a sync that sees the message first (another process, or after a crash) shows it with the
SID and index it was sent with. System messages (participant added, topic updated...) get no
index; deleted messages and failed sends leave a gap, as on Twilio.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, TypeVar

from acs_adapter.errors import Conflict, InvalidInput, NotFound
from acs_adapter.store import ChangeOrigin, changes_by
from acs_adapter.store.messages import Message as StoredMessage
from acs_adapter.store.messages import Outgoing, Reservation
from twilio_compat.core import conversations as conversation_rules
from twilio_compat.core import errors, records
from twilio_compat.core._context import Context
from twilio_compat.core.codec import (
    ATTRIBUTES_KEY,
    AUTHOR_KEY,
    INDEX_KEY,
    NO_BODY_KEY,
    SID_KEY,
    MessageMetadata,
    decode_attachments,
    encode_attachments,
)
from twilio_compat.core.content import ContentTemplates, parse_variables
from twilio_compat.core.hooks import (
    Action,
    amend,
    current_origin,
    origin_metadata,
)
from twilio_compat.core.indexing import NativeIndexer
from twilio_compat.core.media import MediaLibrary
from twilio_compat.core.participants import Participants
from twilio_compat.core.receipts import delivery_summaries
from twilio_compat.core.send_follow import SendFollower
from twilio_compat.core.stamps import iso, now, parse_iso
from twilio_compat.core.text import check_unicode_fields
from twilio_compat.sids import is_sid, new_sid

if TYPE_CHECKING:
    from acs_adapter.chat import UserChat
    from acs_adapter.records import MessageRecord
    from acs_adapter.store.conversations import Conversation as StoredConversation

__all__ = [
    "ATTRIBUTES_KEY",
    "AUTHOR_KEY",
    "INDEX_KEY",
    "NO_BODY_KEY",
    "SID_KEY",
    "MessageFields",
    "Messages",
    "sync_cursor",
]
"""The metadata keys are the codec's, importable from here as well."""

DEFAULT_AUTHOR = "system"
SYNC_PAGE_SIZE = 200
SYNC_OVERLAP = timedelta(seconds=5)
"""Each sync starts this long before the previous one did, so clock skew loses nothing;
re-reading a message that is already cached changes nothing."""
ACTIVITY_OVERLAP = timedelta(seconds=2)
"""How long after its ACS time a change may still be missing from ``list_messages``; each sync
also re-reads this much before the latest ACS activity the previous one saw."""
CURSOR_SAVE_INTERVAL = timedelta(seconds=30)
"""How often a conversation's sync cursor is written to the store: a restarted process re-reads
at most this much (plus the overlap), which changes nothing."""
SYNCED_CONVERSATIONS_KEPT = 10_000

_log = logging.getLogger("twilio_compat.core.messages")


@dataclass(frozen=True)
class MessageFields:
    """The Twilio fields of a message create or update; None means "not given"."""

    author: str | None = None
    body: str | None = None
    attributes: str | None = None
    media_sids: tuple[str, ...] = ()
    date_created: datetime | None = None
    date_updated: datetime | None = None
    content_sid: str | None = None
    content_variables: str | None = None
    """`ContentVariables` as given: JSON text of an object of strings."""

    def __post_init__(self) -> None:
        check_unicode_fields(self)


_F = TypeVar("_F", MessageFields, None)


@dataclass(frozen=True)
class _SyncMark:
    """What this process knows about a conversation's last sync (see ``Messages.sync``)."""

    started: datetime | None  # on this clock; None: never synced
    saved: datetime | None  # what the store's cursor holds
    latest_activity: datetime | None  # the latest ACS time of a change it listed

    def resume_from(self) -> datetime | None:
        """Where the next sync starts: the later of two points before which all was seen."""
        if self.started is None:
            return None  # list everything
        points = [self.started - SYNC_OVERLAP]
        if self.latest_activity is not None:
            points.append(self.latest_activity - ACTIVITY_OVERLAP)
        return max(points)


FROM_ACS = ChangeOrigin("ACS")
"""The origin the change feed gives what a sync brings in from ACS."""


def sync_cursor(conversation_sid: str) -> str:
    return f"messages-sync:{conversation_sid}"


def attributes_kept(message_sid: str) -> str:
    """The cursor holding what the ACS message carried when the store's attributes of the
    message parted from it (attributes changed by someone other than the author)."""
    return f"message-attributes:{message_sid}"


class Messages:
    """Twilio's Message resource over ACS messages and the store's message cache."""

    def __init__(
        self,
        context: Context,
        participants: Participants,
        media: MediaLibrary,
        content: ContentTemplates | None = None,
    ) -> None:
        self._context = context
        self._participants = participants
        self._media = media
        self.content = content or ContentTemplates(context, participants.numbers)
        self._synced: dict[str, _SyncMark] = {}  # by conversation SID, oldest first
        self._sync_lock = threading.Lock()
        self.indexer = NativeIndexer(self._sync_now, context.store.conversations.get_by_thread_id)
        """Syncs in the background what an event source reports (`Events.index_from`)."""
        self.follower = SendFollower(self._follow_sends)
        """Syncs in the background once sends pause, so the sync mark follows them."""

    # -- reading --------------------------------------------------------------------

    def conversation(self, service_sid: str, key: str) -> StoredConversation:
        return self._participants.conversation(service_sid, key)

    def get(
        self, service_sid: str, conversation_key: str, sid: str, *, sync: bool = True
    ) -> records.Message:
        """One message; ``sync=False`` when the caller has just synced this conversation."""
        conversation = self.conversation(service_sid, conversation_key)
        if sync:
            self.sync(conversation)
        row = self._stored(conversation, sid)
        return self._records(conversation, [row])[0]

    def page(
        self,
        service_sid: str,
        conversation_key: str,
        *,
        newest_first: bool,
        after_index: int | None,
        limit: int,
        before_index: int | None = None,
    ) -> tuple[list[records.Message], bool]:
        """A page in index order starting past ``after_index``, and whether more follow.

        With ``before_index`` instead, the page that ends just before that index (the
        previous page), and whether more lie beyond it in that direction.
        """
        conversation = self.conversation(service_sid, conversation_key)
        self.sync(conversation)
        store = self._context.store.messages
        if before_index is not None:
            if newest_first:
                rows = store.list(conversation.sid, from_index=before_index + 1, limit=limit + 1)
            elif before_index <= 0:
                return [], False
            else:
                rows = store.list(
                    conversation.sid, to_index=before_index - 1, newest_first=True, limit=limit + 1
                )
            return self._records(conversation, rows[:limit][::-1]), len(rows) > limit
        if newest_first:
            if after_index is not None and after_index <= 0:
                return [], False
            upper = None if after_index is None else after_index - 1
            rows = store.list(conversation.sid, to_index=upper, newest_first=True, limit=limit + 1)
        else:
            lower = None if after_index is None else after_index + 1
            rows = store.list(conversation.sid, from_index=lower, limit=limit + 1)
        return self._records(conversation, rows[:limit]), len(rows) > limit

    def count_after(self, conversation: StoredConversation, index: int | None) -> int:
        """Messages past a read horizon (all of them when nothing was read)."""
        low = None if index is None else index + 1
        return self._context.store.messages.count(conversation.sid, from_index=low)

    def _stored(self, conversation: StoredConversation, sid: str) -> StoredMessage:
        row = self._context.store.messages.get(sid) if is_sid(sid, "IM") else None
        if row is None or row.conversation_sid != conversation.sid:
            raise errors.ResourceNotFound(f"/Conversations/{conversation.sid}/Messages/{sid}")
        return row

    def _records(
        self,
        conversation: StoredConversation,
        rows: list[StoredMessage],
        participant_sids: dict[str, str] | None = None,
        *,
        new: bool = False,
    ) -> list[records.Message]:
        """Twilio's view of cached messages; ``participant_sids`` maps authors when known;
        `new`: just sent (no deliveries to look up yet)."""
        known = dict(participant_sids or {})
        missing = {row.author for row in rows if row.author} - set(known)
        if missing:
            known.update(
                self._context.store.participants.sids_by_identity(conversation.sid, missing)
            )
        sids = [row.sid for row in rows]
        deliveries = {} if new else delivery_summaries(self._context, sids)
        contents = {} if new else self._context.store.message_contents.for_messages(sids)
        return [
            records.Message(
                sid=row.sid,
                conversation_sid=row.conversation_sid,
                service_sid=conversation.scope,
                index=row.index,
                author=row.author,
                body=row.body,
                attributes=row.attributes or "{}",
                media=decode_attachments(row.media, conversation.scope),
                participant_sid=known.get(row.author or "") or None,
                date_created=row.created_at,
                date_updated=row.updated_at,
                delivery=deliveries.get(row.sid),
                content_sid=contents[row.sid].content_sid if row.sid in contents else None,
                content_variables=contents[row.sid].variables if row.sid in contents else None,
            )
            for row in rows
        ]

    # -- the read-through cache --------------------------------------------------------

    def sync(self, conversation: StoredConversation, *, force: bool = False) -> None:
        """Bring the cache up to date, unless an Event Grid source keeps it so (see
        `indexing`); `force`: sync all the same (a consumer of an event about a message it
        must find in the cache now)."""
        if not force and conversation.thread_id and self.indexer.follows(conversation.thread_id):
            return
        self._sync_now(conversation)

    def sync_all(self, conversations: list[StoredConversation]) -> None:
        """`sync` several conversations in one pass: one thread-list call names those with
        activity since this process last synced them, and only those are read. Conversations
        this process has not synced yet are synced one by one, as is every one when the list
        runs long (a busy account with an old mark). A native deletion in a conversation with
        no activity since shows at that conversation's next read of its own."""
        due = [c for c in conversations if c.thread_id and not self.indexer.follows(c.thread_id)]
        with self._sync_lock:
            marks = {c.sid: self._synced.get(c.sid) for c in due}
        resumes = {sid: mark.resume_from() for sid, mark in marks.items() if mark is not None}
        points = {sid: point for sid, point in resumes.items() if point is not None}
        active = None  # one conversation to check costs one call either way
        listed_at = now()
        if len(points) > 1:
            active = self._active_threads(min(points.values()), len(points))
        for conversation in due:
            if active is None or conversation.sid not in points or conversation.thread_id in active:
                self._sync_now(conversation)
            else:
                self._mark_quiet(conversation.sid, marks[conversation.sid], listed_at)

    def _mark_quiet(self, sid: str, seen: _SyncMark | None, listed_at: datetime) -> None:
        """A thread list taken at `listed_at` showed no activity since the conversation's
        mark: that is what a sync started then and finding nothing would know, so the mark
        moves there (else the next pass would list from the old point, and every conversation
        active since would be read again)."""
        with self._sync_lock:
            if seen is None or self._synced.get(sid) is not seen:
                return  # a sync ran meanwhile; its mark is newer
            self._synced[sid] = replace(seen, started=listed_at)

    def _active_threads(self, since: datetime, wanted: int) -> set[str] | None:
        """The threads with activity since `since` (None when more than a pass should read)."""
        limit = 2 * wanted + SYNC_PAGE_SIZE
        found: set[str] = set()
        for summary in self._context.service_chat().list_threads(
            page_size=SYNC_PAGE_SIZE, start_time=since
        ):
            found.add(summary.id)
            if len(found) > limit:
                return None
        return found

    def _follow_sends(self, conversation: StoredConversation, sent_at: float) -> None:
        """Sync after sends that ended at `sent_at` (wall time), saving the mark in the store,
        unless the saved mark already resumes past them."""
        with self._sync_lock:
            mark = self._synced.get(conversation.sid)
        saved = mark.saved if mark is not None else None
        if saved is not None and (saved - SYNC_OVERLAP).timestamp() > sent_at:
            return
        self._sync_now(conversation, save=True)

    def _sync_now(self, conversation: StoredConversation, *, save: bool = False) -> None:
        """Bring the cache up to date with one ``list_messages`` call (more only if busy).

        It asks for what changed since the later of two points before which everything has
        been seen: where the previous sync started on this clock, less ``SYNC_OVERLAP`` (clock
        skew), and the latest ACS activity that sync saw, less ``ACTIVITY_OVERLAP`` (messages
        not yet listable). In a busy conversation the second keeps each sync from re-reading
        seconds of messages. Both are kept in memory; the store's cursor (what a restarted
        process resumes from) is rewritten every ``CURSOR_SAVE_INTERVAL``, since re-reading a
        cached message changes nothing. The messages read are matched to the cache in one query.
        """
        if not conversation.thread_id:
            return
        store = self._context.store
        name = sync_cursor(conversation.sid)
        with self._sync_lock:
            mark = self._synced.get(conversation.sid)
        if mark is None:
            cursor = store.cursors.get(name)
            since = parse_iso(cursor.value) if cursor else None
            mark = _SyncMark(started=since, saved=since, latest_activity=None)
        started = now()
        listed = list(
            self._context.service_chat().list_messages(
                conversation.thread_id, page_size=SYNC_PAGE_SIZE, start_time=mark.resume_from()
            )
        )
        changed = [message for message in listed if message.type in ("text", "html")]
        if changed:
            cached = store.messages.by_acs_message_ids(conversation.sid, [m.id for m in changed])
            in_order = sorted(changed, key=lambda m: m.sequence_id)
            with changes_by(FROM_ACS):  # on the change feed, these came from ACS, not the caller
                added = self._absorb_all(conversation, in_order, cached)
            if added:
                self._count_as_activity(conversation, max(added))
        saved = mark.saved
        if save or saved is None or started - saved >= CURSOR_SAVE_INTERVAL:
            store.cursors.put(name, iso(started))
            saved = started
        activity = [mark.latest_activity] if mark.latest_activity else []
        activity += [_activity(message) for message in listed]
        done = _SyncMark(started=started, saved=saved, latest_activity=max(activity, default=None))
        with self._sync_lock:
            self._synced.pop(conversation.sid, None)
            self._synced[conversation.sid] = done
            if len(self._synced) > SYNCED_CONVERSATIONS_KEPT:
                self._synced.pop(next(iter(self._synced)))

    def _count_as_activity(self, conversation: StoredConversation, latest: datetime) -> None:
        """Messages sent past the shim (native ACS clients) are activity too: an inactive
        conversation becomes active again and its timers restart, as a Twilio message does.
        Only messages newer than the conversation's last change count (a first sync also
        brings in old history)."""
        if conversation.state != "inactive" and not conversation.timers:
            return  # the common case: nothing to change, nothing to read
        fresh = self._context.store.conversations.get(conversation.sid)
        if fresh is None or latest <= fresh.updated_at:
            return
        if conversation_rules.to_record(fresh).state != "closed":
            conversation_rules.record_activity(self._context, fresh)

    def _absorb_all(
        self,
        conversation: StoredConversation,
        listed: list[MessageRecord],
        cached: dict[str, StoredMessage],
    ) -> list[datetime]:
        """Keep ACS messages (in sequence order) in the cache; the creation times of those new
        to the store. Runs of messages ACS-native clients sent, which the store has never seen,
        are added a page at a time in one transaction each, their authors looked up at once;
        the rest (sent through the shim, edited, deleted) one by one."""
        authors = self._authors([m for m in listed if _native_and_new(m, cached)])
        added: list[datetime] = []
        for start in range(0, len(listed), SYNC_PAGE_SIZE):
            seen: list[MessageRecord] = []
            for message in listed[start : start + SYNC_PAGE_SIZE]:
                if _native_and_new(message, cached):
                    seen.append(message)
                    continue
                added += self._add_seen(conversation, seen, authors)
                seen = []
                if self._absorb(conversation, message, cached.get(message.id)):
                    added.append(message.created_on)
            added += self._add_seen(conversation, seen, authors)
        return added

    def _add_seen(
        self, conversation: StoredConversation, seen: list[MessageRecord], authors: dict[str, str]
    ) -> list[datetime]:
        """Add native messages new to the store in one transaction (one by one if the batch
        is refused: a message the store cannot hold, or another process adding them too)."""
        if not seen:
            return []
        items = []
        for message in seen:
            carried = MessageMetadata.decode(message.metadata)
            sender = message.sender_id
            author = carried.author or (authors.get(sender) if sender else None)
            items.append(
                {
                    "sid": new_sid("IM"),
                    "acs_message_id": message.id,
                    "author": _storable(author or message.sender_display_name or sender),
                    "created_at": message.created_on,
                    "updated_at": message.edited_on or message.created_on,
                    "body": None if carried.no_body else _storable(message.content),
                    "attributes": carried.attributes or "{}",
                    "media": carried.attachments,
                }
            )
        try:
            count = self._context.store.messages.add_seen(conversation.sid, items)
        except (InvalidInput, Conflict):
            return [m.created_on for m in seen if self._absorb(conversation, m, None)]
        return [max(m.created_on for m in seen)] if count else []

    def _authors(self, listed: list[MessageRecord]) -> dict[str, str]:
        """The identities of these messages' senders that the shim created, by ACS user id."""
        senders = {m.sender_id for m in listed if m.sender_id}
        return self._context.store.identities.identities_for(senders) if senders else {}

    def _absorb(
        self, conversation: StoredConversation, message: MessageRecord, row: StoredMessage | None
    ) -> bool:
        """Keep one ACS message in the cache (True: it was new to the store); one the store
        cannot hold is left out, logged."""
        try:
            return self._absorb_checked(conversation, message, row)
        except InvalidInput as refused:
            _log.warning("ACS message %s not cached: %s", message.id, refused)
            return False

    def _absorb_checked(
        self, conversation: StoredConversation, message: MessageRecord, row: StoredMessage | None
    ) -> bool:
        store = self._context.store.messages
        if message.deleted_on is not None:
            if row is not None:
                store.delete(row.sid)
                if row.attributes not in (None, "{}"):
                    self._context.store.cursors.delete(attributes_kept(row.sid))
            return False
        carried = MessageMetadata.decode(message.metadata)
        sid = carried.twilio_sid
        if row is None and sid is not None:
            # Sent through the shim, perhaps by another process that has not recorded its id.
            row = store.confirm(sid, conversation.sid, message.id)
        body = None if carried.no_body else _storable(message.content)
        attributes = carried.attributes or "{}"
        media = carried.attachments
        if row is not None:
            # ACS times have whole seconds, so compare what changed rather than when.
            author = row.author if carried.author is None else carried.author
            cached = (row.body, row.attributes or "{}", row.media, row.author)
            fresh = (body, attributes, media, author)
            if message.edited_on is not None and cached[1] != attributes:
                fresh = (body, self._kept_attributes(row, attributes), media, author)
            if message.edited_on is not None and cached != fresh:
                store.update(
                    row.sid,
                    body=body,
                    attributes=fresh[1],
                    media=media,
                    author=author,
                    updated_at=max(message.edited_on, row.updated_at),
                )
            return False
        author = _storable(carried.author or self._author_of(message))
        try:
            store.insert(
                sid=sid or new_sid("IM"),
                conversation_sid=conversation.sid,
                index=carried.index if sid else None,
                acs_message_id=message.id,
                author=author,
                created_at=message.created_on,
                updated_at=message.edited_on or message.created_on,
                body=body,
                attributes=attributes,
                media=media,
            )
        except Conflict:
            return False  # its sender (or another sync) recorded it first
        return True

    def _author_of(self, message: MessageRecord) -> str | None:
        if message.sender_id:
            identity = self._context.adapter.directory.identity_for(message.sender_id)
            if identity is not None:
                return identity
        return message.sender_display_name or message.sender_id

    # -- writing -----------------------------------------------------------------------

    def create(
        self,
        service_sid: str,
        conversation_key: str,
        fields: MessageFields,
        *,
        sid: str | None = None,
    ) -> records.Message:
        """Send one ACS message (one request) and record it; retries never duplicate it.

        `sid`: the message's SID when the caller derives it (a message arriving from another
        channel, added once however often it is reported); a SID taken raises `Conflict`."""
        return self.send(service_sid, conversation_key, fields, sid=sid)[0]

    def send(
        self,
        service_sid: str,
        conversation_key: str,
        fields: MessageFields,
        *,
        sid: str | None = None,
    ) -> tuple[records.Message, str]:
        """`create`, also giving the ACS id of the message sent."""
        store = self._context.store
        variables: dict[str, str] | None = None
        if fields.content_sid is not None:
            # As on Twilio, a content template replaces Body and MediaSid; chat readers and SMS
            # participants read the template's text filled in.
            template = self.content.require(fields.content_sid)
            variables = parse_variables(fields.content_variables)
            fields = replace(fields, body=template.render(variables), media_sids=())
        author = fields.author or DEFAULT_AUTHOR
        # Dates not given are stamped by the store as it reserves the index, so a conversation's
        # index order and date order agree however many sends race.
        outgoing = Outgoing(
            sid=sid or new_sid("IM"),
            author=author,
            body=fields.body or None,
            attributes=fields.attributes or "{}",
            created_at=fields.date_created,
            updated_at=fields.date_updated,
        )
        quick = self._quick_reservation(service_sid, conversation_key, fields, outgoing)
        media: list[records.Media] = []
        if quick is not None:
            conversation, reserved = quick
        else:
            conversation = self.conversation(service_sid, conversation_key)
            conversation_rules.ensure_open(conversation)
            media = self._media.for_message(service_sid, list(fields.media_sids))
            if not fields.body and not media:
                raise errors.invalid("Missing required parameter Body or MediaSid in the post body")
            fields = self._before(
                Action(
                    "onMessageAdd",
                    service_sid,
                    conversation.sid,
                    None,
                    {
                        "author": fields.author,
                        "body": fields.body,
                        "attributes": fields.attributes,
                        "media": media,
                    },
                ),
                fields,
            )
            author = fields.author or DEFAULT_AUTHOR
            outgoing = replace(
                outgoing,
                author=author,
                body=fields.body or None,
                attributes=fields.attributes or "{}",
                media=encode_attachments(media) if media else None,
            )
            reserved = store.messages.reserve(conversation.sid, author, message=outgoing)
            if fields.content_sid is not None:
                # Kept before the message shows, so the channels' fan-out sends the template.
                store.message_contents.put(
                    outgoing.sid, fields.content_sid, json.dumps(variables or {})
                )
        index, member = reserved.index, reserved.author
        created_at = reserved.created_at or now()
        updated_at = reserved.updated_at or created_at
        sender = member.acs_user_id if member and member.acs_user_id else None
        sid = outgoing.sid
        content = fields.body or ""
        carried = MessageMetadata(
            sid=sid,
            index=index,
            author=None if sender else author,
            attributes=fields.attributes,
            attachments=outgoing.media,
            no_body=not content,
        )
        metadata = {**carried.encode(), **origin_metadata(current_origin())}
        if not content:
            content = ", ".join(m.filename or m.sid for m in media)
        chat = self._context.chat_as(sender) if sender else self._context.service_chat()
        try:
            acs_id = chat.send_message(
                conversation.thread_id or "",
                content,
                sender_display_name=author,
                metadata=metadata,
                idempotency_key=sid,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                store.messages.discard_pending(sid)
            raise
        store.messages.confirm_sent(sid, acs_id)
        self.follower.sent(conversation)
        self._media.attach(media, sid)
        conversation_rules.record_activity(self._context, conversation)
        row = StoredMessage(
            sid=sid,
            conversation_sid=conversation.sid,
            acs_message_id=acs_id,
            index=index,
            author=author,
            created_at=created_at,
            updated_at=updated_at,
            archived=False,
            body=outgoing.body,
            attributes=outgoing.attributes,
            media=outgoing.media,
        )
        # The reservation looked the author up as `_records` would (by identity or address).
        known = {author: member.sid if member else ""}
        added = self._records(conversation, [row], known, new=True)[0]
        if fields.content_sid is not None:
            added = replace(
                added,
                content_sid=fields.content_sid,
                content_variables=json.dumps(variables or {}),
            )
        self._context.hooks.after(Action("onMessageAdded", service_sid, conversation.sid, added))
        return added, acs_id

    def _quick_reservation(
        self, service_sid: str, conversation_key: str, fields: MessageFields, outgoing: Outgoing
    ) -> tuple[StoredConversation, Reservation] | None:
        """The common send in one store transaction: a text message, no pre-event hook that
        could veto or change it, into a plainly active conversation (found, checked, given its
        index and its pending row at once). None when anything else applies: `send` then takes
        the full path, which also gives the right error."""
        if not fields.body or fields.media_sids or fields.content_sid or not conversation_key:
            return None
        if self._context.hooks.vets(service_sid, "onMessageAdd"):
            return None
        try:
            return self._context.store.messages.reserve_in_active(
                service_sid,
                conversation_key,
                outgoing.author,
                by_sid=is_sid(conversation_key, "CH"),
                message=outgoing,
            )
        except InvalidInput:
            return None  # refused before any write; the full path says what is wrong

    def update(
        self,
        service_sid: str,
        conversation_key: str,
        sid: str,
        fields: MessageFields,
        *,
        in_store_only: bool = False,
    ) -> records.Message:
        """Change a message in ACS (as its sender) and in the store.

        ``in_store_only``: attributes changed by someone other than the author (a reaction a
        role allows): kept in the store and served to every Twilio reader, while the ACS
        message keeps the metadata its sender gave it (see `_kept_attributes`).
        """
        conversation = self.conversation(service_sid, conversation_key)
        conversation_rules.ensure_open(conversation)
        self.sync(conversation)
        row = self._stored(conversation, sid)
        before = self._records(conversation, [row])[0]
        fields = self._before(
            Action(
                "onMessageUpdate",
                service_sid,
                conversation.sid,
                before,
                {"author": fields.author, "body": fields.body, "attributes": fields.attributes},
            ),
            fields,
        )
        metadata = MessageMetadata(attributes=fields.attributes, author=fields.author).encode()
        content = fields.body if fields.body else None
        if in_store_only:
            self._keep_in_store(row)
            metadata = {}  # the ACS message keeps its sender's (a hook's new body still goes)
        if row.acs_message_id and conversation.thread_id and (content or metadata):
            chat = self._sender_chat(conversation, row)
            self._context.shim_writes.mark(conversation.thread_id, row.acs_message_id, "edited")
            chat.update_message(
                conversation.thread_id,
                row.acs_message_id,
                content=content,
                metadata=metadata or None,
            )
        changes: dict[str, object] = {}
        if fields.body is not None:
            changes["body"] = fields.body
        if fields.attributes is not None:
            changes["attributes"] = fields.attributes
        if fields.author is not None:
            changes["author"] = fields.author
        updated = self._context.store.messages.update(
            row.sid,
            updated_at=fields.date_updated,
            **changes,  # type: ignore[arg-type]
        )
        result = self._records(conversation, [updated])[0]
        self._context.hooks.after(Action("onMessageUpdated", service_sid, conversation.sid, result))
        return result

    def _keep_in_store(self, row: StoredMessage) -> None:
        """Note, before the store's attributes part from the ACS message's, what the ACS
        message carries, so a sync keeps the store's until the ACS attributes change."""
        name = attributes_kept(row.sid)
        cursors = self._context.store.cursors
        if cursors.get(name) is None:
            cursors.put(name, row.attributes or "{}")

    def _kept_attributes(self, row: StoredMessage, acs_attributes: str) -> str:
        """The attributes a sync keeps for a cached message whose ACS message changed: the
        store's while the ACS message still carries what it had when they parted (a body edit
        keeps a reaction), else the ACS message's (a newer attributes edit wins)."""
        name = attributes_kept(row.sid)
        cursors = self._context.store.cursors
        parted = cursors.get(name)
        if parted is None:
            return acs_attributes
        if parted.value == acs_attributes:
            return row.attributes or "{}"
        cursors.delete(name)
        return acs_attributes

    def delete(self, service_sid: str, conversation_key: str, sid: str) -> None:
        conversation = self.conversation(service_sid, conversation_key)
        self.sync(conversation)
        row = self._stored(conversation, sid)
        removed = self._records(conversation, [row])[0]
        self._before(Action("onMessageRemove", service_sid, conversation.sid, removed), None)
        # Of concurrent deletes (in any process) only the one that claims the row goes on;
        # the others answer as if it were already gone, and post no onMessageRemoved.
        store = self._context.store.messages
        if store.claim(row.sid) is None:
            raise errors.ResourceNotFound(f"/Conversations/{conversation.sid}/Messages/{sid}")
        if row.acs_message_id and conversation.thread_id:
            self._context.shim_writes.mark(conversation.thread_id, row.acs_message_id, "deleted")
            try:
                with contextlib.suppress(NotFound):
                    self._sender_chat(conversation, row).delete_message(
                        conversation.thread_id, row.acs_message_id
                    )
            except BaseException:
                with contextlib.suppress(Exception):
                    store.release(row.sid)
                raise
            # The claimed row stays, hidden, until a sync sees the deletion in ACS: a sync that
            # listed the message just before it went would otherwise write it back.
        else:
            store.delete(row.sid)
        self._context.hooks.after(
            Action("onMessageRemoved", service_sid, conversation.sid, removed)
        )

    def _before(self, action: Action, fields: _F) -> _F:
        """Ask the pre-event hook; apply the changes Twilio lets it make to a message."""
        changes = self._context.hooks.before(action)
        if fields is None:
            return fields
        return amend(fields, changes, ("body", "author", "attributes"))

    def _sender_chat(self, conversation: StoredConversation, row: StoredMessage) -> UserChat:
        """ACS lets only a message's sender edit or delete it: act as that user."""
        message = self._context.service_chat().get_message(
            conversation.thread_id or "", row.acs_message_id or ""
        )
        if message.sender_id and message.sender_id != self._context.service_user:
            return self._context.chat_as(message.sender_id)
        return self._context.service_chat()

    # -- lookups for the client face and event consumers ------------------------------------

    def newest(
        self, service_sid: str, conversation_key: str, *, sync: bool = True
    ) -> records.Message | None:
        """The message with the highest index; ``sync=False`` when the caller just synced."""
        conversation = self.conversation(service_sid, conversation_key)
        if sync:
            self.sync(conversation)
        row = self._context.store.messages.last(conversation.sid)
        return self._records(conversation, [row])[0] if row is not None else None

    def count_between(
        self, conversation_sid: str, *, from_index: int | None = None, to_index: int | None = None
    ) -> int:
        """Cached messages with an index in [`from_index`, `to_index`] (None: unbounded)."""
        store = self._context.store.messages
        return store.count(conversation_sid, from_index=from_index, to_index=to_index)

    def acs_message_ids(
        self, conversation_sid: str, *, from_index: int, to_index: int, limit: int
    ) -> dict[str, str]:
        """ACS message id -> SID of the cached messages in an index range (one query)."""
        rows = self._context.store.messages.list(
            conversation_sid, from_index=from_index, to_index=to_index, limit=limit
        )
        return {row.acs_message_id: row.sid for row in rows if row.acs_message_id}

    def find_by_acs_message_id(
        self, conversation: StoredConversation, acs_message_id: str
    ) -> records.Message | None:
        """The cached message for an ACS message id (sync first to see the newest)."""
        row = self._context.store.messages.get_by_acs_message_id(conversation.sid, acs_message_id)
        return self._records(conversation, [row])[0] if row is not None else None

    def conversation_sid_of(self, message_sid: str) -> str | None:
        """The conversation a message (by SID) belongs to, or None if there is no such message."""
        row = self._context.store.messages.get(message_sid) if is_sid(message_sid, "IM") else None
        return row.conversation_sid if row is not None else None


def _native_and_new(message: MessageRecord, cached: dict[str, StoredMessage]) -> bool:
    """A live message the store does not hold and the shim did not send (no SID carried)."""
    return (
        message.id not in cached
        and message.deleted_on is None
        and MessageMetadata.decode(message.metadata).twilio_sid is None
    )


def _activity(message: MessageRecord) -> datetime:
    """The ACS time of a message's latest change (what ``start_time`` filters on).

    ACS dates have whole seconds; ``version`` is that time in epoch milliseconds, used when it
    falls within the second the dates give (so a ``version`` of another meaning is ignored).
    """
    dated = max(t for t in (message.created_on, message.edited_on, message.deleted_on) if t)
    if message.version.isdigit() and len(message.version) <= 15:
        precise = datetime.fromtimestamp(int(message.version) / 1000, timezone.utc)
        if dated <= precise < dated + timedelta(seconds=1):
            return precise
    return dated


def _storable(text: str | None) -> str | None:
    """ACS-native text as the store can keep it: NUL (which no store column takes) as U+FFFD."""
    return None if text is None else text.replace("\x00", "\ufffd")
