"""History import: a Twilio account's conversations, written to ACS and the mapping store.

Two modes:

- **archive** (default): every message keeps its Twilio SID, index, author, dates, attributes
  and media, and lives in the store only (``archived``); each conversation gets an ACS thread
  (created by the service user, with the chat participants as members) so it continues live.
  New messages take indices past the imported ones; both faces list archive and live
  messages as one sequence, because the core reads every page from the store.
- **replay**: every message is sent again into the ACS thread, by its author where the author
  is a participant, with the original SID, index, author, date and attributes in its metadata,
  paced to ACS's per-thread limits, several conversations in parallel. The store records the
  original values, so the Twilio faces still show them.

Roles and users come first, with their Twilio SIDs, so the role and user SIDs that imported
records (and the application's own configuration) hold still name something.

Resumable and idempotent: each conversation has a checkpoint (``import:<CH...>``) holding the
URL of the next source page; each page is written in one store transaction together with its
checkpoint, and every write first looks for its SID, so a rerun (after success, or after the
process was killed at any moment) writes only what is missing. Thread creation uses the SID as
ACS idempotency token; a replay first looks in the thread for messages sent just before a
crash, so none is sent twice. While a conversation's checkpoint says it is still importing,
``MigrationRoutingHttpClient`` keeps routing it to Twilio.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from acs_adapter.errors import AdapterError, Conflict
from acs_adapter.records import ParticipantRecord
from twilio_compat.core import records
from twilio_compat.core.configuration import ACCOUNT_KEY
from twilio_compat.core.media import ATTACHMENT_FLAG, ATTACHMENTS, attachments_json
from twilio_compat.core.messages import (
    ATTRIBUTES_KEY,
    AUTHOR_KEY,
    INDEX_KEY,
    NO_BODY_KEY,
    SID_KEY,
    sync_cursor,
)
from twilio_compat.core.roles import ROLE_TYPES
from twilio_compat.core.stamps import dumps, iso, now, parse_iso
from twilio_compat.migration.pacing import ThreadPacer
from twilio_compat.migration.source import SourceError, SourcePage, TwilioSource
from twilio_compat.migration.summary import ImportSummary
from twilio_compat.sids import is_sid

if TYPE_CHECKING:
    from acs_adapter.store import MappingStore
    from acs_adapter.store.conversations import Conversation as StoredConversation
    from twilio_compat.core import Core

Json = dict[str, Any]
Progress = Callable[[str, int], None]
MODES = ("archive", "replay")
DATE_KEY = "twilioDateCreated"
"""Replay metadata key with the original creation time (ACS stamps its own)."""
MAX_MEMBERS_PER_CALL = 200
MEDIA_KEY_PREFIX = "twilio-"


def checkpoint_name(conversation_sid: str) -> str:
    """The checkpoint of one conversation's import."""
    return f"import:{conversation_sid}"


def is_importing(store: MappingStore, conversation_sid: str) -> bool:
    """True while an import of this conversation has started and not finished."""
    found = store.checkpoints.get(checkpoint_name(conversation_sid))
    return found is not None and not json.loads(found.state).get("done", False)


@dataclass(frozen=True)
class ImportOptions:
    """How to import.

    ``only``: conversation SIDs or unique names to import (empty: all of them).
    ``keep_service_sid``: keep the source's ``IS...`` as the target scope (and make it the
    target's default service when the source's is the account default and the target's own
    default service is still empty); otherwise import into the target's default service.
    ``workers``: conversations replayed in parallel (archive mode writes one at a time).
    """

    mode: str = "archive"
    dry_run: bool = False
    only: tuple[str, ...] = ()
    keep_service_sid: bool = False
    workers: int = 8
    pacer: ThreadPacer | None = None


def _date(value: object) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) and value else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _attributes(value: object) -> str:
    """Twilio's attributes string as sent; anything unparsable becomes ``{}``."""
    if not isinstance(value, str) or not value:
        return "{}"
    try:
        json.loads(value)
    except ValueError:
        return "{}"
    return value


def _timers(item: Json) -> str | None:
    timers = item.get("timers") or {}
    kept = {k: timers[k] for k in ("date_inactive", "date_closed") if timers.get(k)}
    return dumps({k: iso(parse_iso(v)) for k, v in kept.items()}) if kept else None


def _in_listed_order(items: Iterable[Json]) -> Iterable[Json]:
    """Items with ``date_created`` nudged by whole milliseconds where Twilio's whole-second
    dates tie, so the store's (date, SID) order is the order Twilio listed them in; dates
    still render to the same second."""
    previous: datetime | None = None
    for item in items:
        created = _date(item.get("date_created"))
        tied = (
            created is not None
            and previous is not None
            and created <= previous
            and created.replace(microsecond=0) == previous.replace(microsecond=0)
        )
        if tied and previous is not None:
            created = previous + timedelta(milliseconds=1)
            item = {**item, "date_created": iso(created)}
        previous = created if created is not None else previous
        yield item


def _media_records(item: Json, scope: str) -> list[records.Media]:
    out = []
    for media in item.get("media") or []:
        if isinstance(media, dict) and isinstance(media.get("sid"), str):
            out.append(
                records.Media(
                    sid=media["sid"],
                    service_sid=scope,
                    content_type=str(media.get("content_type") or "application/octet-stream"),
                    filename=_text(media.get("filename")),
                    size=int(media.get("size") or 0),
                    date_created=None,
                )
            )
    return out


class HistoryImport:
    """One import run from a ``TwilioSource`` into the core's ACS resource and store."""

    def __init__(
        self,
        source: TwilioSource,
        core: Core,
        options: ImportOptions | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.options = options or ImportOptions()
        if self.options.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.options.workers < 1:
            raise ValueError("workers must be at least 1")
        self.source = source
        self.core = core
        self.summary = ImportSummary(self.options.mode, self.options.dry_run)
        self._store = core.context.store
        self._progress = progress or (lambda kind, count: None)
        self._pacer = self.options.pacer or ThreadPacer()
        self._scope = ""

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> ImportSummary:
        started = time.perf_counter()
        try:
            self._scope = self._target_scope()
            self._roles()
            self._users()
            if self.options.mode == "replay" and not self.options.dry_run:
                with ThreadPoolExecutor(self.options.workers) as pool:
                    for done in pool.map(self._guarded, self._conversations()):
                        del done
            else:
                for item in self._conversations():
                    self._guarded(item)
        finally:
            self.summary.seconds = time.perf_counter() - started
        return self.summary

    def _guarded(self, item: Json) -> None:
        sid = str(item.get("sid"))
        try:
            self._conversation(item)
        except (SourceError, AdapterError) as exc:
            self.summary.fail("conversation", sid, str(exc))
        self._progress("conversations", 1)

    def _target_scope(self) -> str:
        services = self.core.services
        if not self.options.keep_service_sid:
            return services.resolve(None)
        info = self.source.service()
        sid = str(info["sid"])
        if self.options.dry_run:
            return sid
        services.adopt(
            sid,
            str(info.get("friendly_name") or sid),
            _date(info.get("date_created")) or now(),
            _date(info.get("date_updated")) or now(),
        )
        configured = self._store.configuration.get(ACCOUNT_KEY)
        has_default = configured is not None and bool(
            json.loads(configured.document).get("default_chat_service_sid")
        )
        default_empty = self._store.conversations.count(services.resolve(None)) == 0
        if not has_default and default_empty and self.source.is_default_service():
            self.core.configuration.update_account({"default_chat_service_sid": sid})
        return sid

    def _conversations(self) -> Iterable[Json]:
        if self.options.only:
            for key in self.options.only:
                try:
                    yield self.source.conversation(key)
                except SourceError as exc:
                    self.summary.fail("conversation", key, str(exc))
            return
        listed = self.source.pages(self.source.conversations_url())
        yield from _in_listed_order(item for page in listed for item in page.items)

    # -- roles -----------------------------------------------------------------------------

    def _roles(self) -> None:
        """Roles keep their Twilio SIDs, so the role SIDs of imported users and participants,
        and those the application keeps in its own configuration, still name a role."""
        roles = self._store.roles
        try:
            items = self.source.roles()
        except SourceError as exc:
            self.summary.fail("roles", self.source.service_sid, str(exc))
            return
        for item in items:
            sid = str(item.get("sid"))
            if roles.get(sid) is not None:
                self.summary.found("roles")
                continue
            kind, name = _text(item.get("type")), _text(item.get("friendly_name"))
            permissions = item.get("permissions")
            if not is_sid(sid, "RL") or kind not in ROLE_TYPES or not name:
                self.summary.skip("role", sid, "not a role this import understands")
                continue
            if not isinstance(permissions, list) or not all(
                isinstance(p, str) for p in permissions
            ):
                self.summary.skip("role", sid, "its permissions are not a list of names")
                continue
            if not self.options.dry_run:
                try:
                    roles.insert(
                        sid=sid,
                        scope=self._scope,
                        friendly_name=name,
                        type=kind,
                        permissions=dumps(permissions),
                        created_at=_date(item.get("date_created")),
                        updated_at=_date(item.get("date_updated")),
                    )
                except Conflict:
                    self.summary.found("roles")
                    continue
            self.summary.add("roles")

    # -- users -----------------------------------------------------------------------------

    def _users(self) -> None:
        users = self._store.users
        for page in self.source.pages(self.source.users_url()):
            for item in page.items:
                sid, identity = str(item.get("sid")), _text(item.get("identity"))
                if users.get(sid) is not None:
                    self.summary.found("users")
                    continue
                other = users.get_by_identity(self._scope, identity) if identity else None
                if not identity or other is not None:
                    reason = f"identity already has user {other.sid}" if other else "no identity"
                    self.summary.skip("user", sid, reason)
                    continue
                if not self.options.dry_run:
                    try:
                        users.insert(
                            sid=sid,
                            scope=self._scope,
                            identity=identity,
                            friendly_name=_text(item.get("friendly_name")),
                            attributes=_attributes(item.get("attributes")),
                            role_sid=_text(item.get("role_sid")),
                            created_at=_date(item.get("date_created")),
                            updated_at=_date(item.get("date_updated")),
                        )
                    except Conflict:
                        self.summary.found("users")
                        continue
                self.summary.add("users")

    # -- one conversation ------------------------------------------------------------------

    def _state(self, sid: str) -> Json | None:
        found = self._store.checkpoints.get(checkpoint_name(sid))
        return None if found is None else dict(json.loads(found.state))

    def _save(self, sid: str, state: Json) -> None:
        self._store.checkpoints.put(checkpoint_name(sid), dumps(state))

    def _conversation(self, item: Json) -> None:
        sid = str(item.get("sid"))
        if not is_sid(sid, "CH"):
            self.summary.fail("conversation", sid, "not a conversation SID")
            return
        state = self._state(sid)
        if state is not None and state.get("mode", "archive") != self.options.mode:
            self.summary.skip("conversation", sid, f"already imported in {state.get('mode')} mode")
            return
        if state is not None and state.get("done"):
            self.summary.found("conversations")
            return
        row = self._store.conversations.get(sid)
        if row is not None and state is None:
            self.summary.skip("conversation", sid, "already exists in ACS (not by an import)")
            return
        if self.options.dry_run:
            self._dry_run(sid, row)
            return
        if row is None or state is None:
            row = self._create_record(item, sid)
            state = self._state(sid)
            if row is None or state is None:
                return
        else:
            self.summary.found("conversations")
        row = self._ensure_thread(row, self._members(sid))
        if self.options.mode == "archive":
            self._archive_messages(row, state)
        else:
            self._replay_messages(row, state)
        state.update(done=True, next=None)
        self._save(sid, state)
        if self.options.mode == "replay":
            # Everything in the thread is recorded: the first live read need not list it again.
            self._store.cursors.put(sync_cursor(sid), iso(now()))

    def _create_record(self, item: Json, sid: str) -> StoredConversation | None:
        unique_name = _text(item.get("unique_name"))
        store = self._store
        if unique_name and store.conversations.get_by_unique_name(self._scope, unique_name):
            self.summary.fail("conversation", sid, f"unique name {unique_name!r} is taken in ACS")
            return None
        created = _date(item.get("date_created"))
        state = {"mode": self.options.mode, "done": False, "since": iso(now())}
        try:
            with store.transaction() as tx:
                # The checkpoint comes first: routing never sees a half-imported conversation.
                tx.checkpoints.put(checkpoint_name(sid), dumps(state))
                row = tx.conversations.insert(
                    sid=sid,
                    scope=self._scope,
                    unique_name=unique_name,
                    friendly_name=_text(item.get("friendly_name")),
                    attributes=_attributes(item.get("attributes")),
                    state=_text(item.get("state")) or "active",
                    timers=_timers(item),
                    messaging_service_sid=_text(item.get("messaging_service_sid")),
                    created_at=created,
                    updated_at=_date(item.get("date_updated")) or created,
                    archived=self.options.mode == "archive",
                )
        except Conflict as exc:
            self.summary.fail("conversation", sid, str(exc))
            return None
        self.summary.add("conversations")
        return row

    def _members(self, sid: str) -> list[tuple[Json, str]]:
        """Chat participants with their ACS users; others are skipped (ACS Chat has none)."""
        members = []
        directory = self.core.context.adapter.directory
        for participant in _in_listed_order(self.source.participants(sid)):
            identity = _text(participant.get("identity"))
            if not identity:
                binding = (participant.get("messaging_binding") or {}).get("type", "non-chat")
                self.summary.skip(
                    "participant",
                    str(participant.get("sid")),
                    f"{binding} participants have no ACS Chat equivalent",
                )
                continue
            members.append((participant, directory.acs_user_for(identity)))
        return members

    def _ensure_thread(
        self, row: StoredConversation, members: list[tuple[Json, str]]
    ) -> StoredConversation:
        chat = self.core.context.service_chat()
        records_ = [ParticipantRecord(acs, str(p["identity"])) for p, acs in members]
        if row.thread_id is None:
            topic = row.friendly_name or row.unique_name or row.sid
            created = chat.create_thread(
                topic, records_[:MAX_MEMBERS_PER_CALL], idempotency_key=row.sid
            )
            for refused in created.invalid_participants:
                self.summary.fail("participant", refused.user_id, refused.message or "refused")
            row = self._store.conversations.update(
                row.sid, thread_id=created.thread.id, updated_at=row.updated_at
            )
        thread_id = row.thread_id or ""
        for start in range(MAX_MEMBERS_PER_CALL, len(records_), MAX_MEMBERS_PER_CALL):
            batch = records_[start : start + MAX_MEMBERS_PER_CALL]
            for refused in chat.add_participants(thread_id, batch):
                self.summary.fail("participant", refused.user_id, refused.message or "refused")
        self._participants(row, members)
        return row

    def _participants(self, row: StoredConversation, members: list[tuple[Json, str]]) -> None:
        with self._store.transaction() as tx:
            for item, acs_user in members:
                sid = str(item.get("sid"))
                if tx.participants.get(sid) is not None:
                    self.summary.found("participants")
                    continue
                identity = str(item["identity"])
                if tx.participants.get_by_identity(row.sid, identity) is not None:
                    self.summary.skip("participant", sid, f"{identity!r} is already a member")
                    continue
                tx.participants.insert(
                    sid=sid,
                    conversation_sid=row.sid,
                    identity=identity,
                    acs_user_id=acs_user,
                    attributes=_attributes(item.get("attributes")),
                    role_sid=_text(item.get("role_sid")),
                    last_read_index=_index(item.get("last_read_message_index")),
                    last_read_at=_date(item.get("last_read_timestamp")),
                    created_at=_date(item.get("date_created")),
                    updated_at=_date(item.get("date_updated")),
                )
                self.summary.add("participants")

    # -- archive mode ------------------------------------------------------------------------

    def _pages(self, row: StoredConversation, state: Json) -> Iterable[SourcePage]:
        start = state.get("next") or self.source.messages_url(row.sid)
        return self.source.pages(str(start))

    def _archive_messages(self, row: StoredConversation, state: Json) -> None:
        for page in self._pages(row, state):
            stored_media = self._fetch_media(page.items)
            state["next"] = page.next_url or page.url
            written = self._archive_page(row, page.items, stored_media, state)
            self._progress("messages", written)

    def _fetch_media(self, items: list[Json]) -> dict[str, tuple[str, int]]:
        """Media bytes not yet in the media store, fetched before the page's transaction."""
        out: dict[str, tuple[str, int]] = {}
        media_store = self.core.context.adapter.media
        for item in items:
            for media in _media_records(item, self._scope):
                if self._store.media.get(media.sid) is not None:
                    continue
                key = MEDIA_KEY_PREFIX + media.sid
                try:
                    data = self.source.media_bytes(media.sid)
                    try:
                        stored = media_store.put(
                            data, content_type=media.content_type, filename=media.filename, key=key
                        )
                    except Conflict:  # stored by a run that stopped before its transaction
                        stored = media_store.info(key)
                except (SourceError, AdapterError) as exc:
                    self.summary.fail("media", media.sid, str(exc))
                    continue
                out[media.sid] = (stored.key, stored.size)
        return out

    def _archive_page(
        self,
        row: StoredConversation,
        items: list[Json],
        stored_media: dict[str, tuple[str, int]],
        state: Json,
    ) -> int:
        """Write one source page and its checkpoint in one transaction, a few statements in all.

        What is already imported (a rerun, or a resume after a crash) is recognised by SID;
        everything new goes in with one bulk insert.
        """
        sids = {str(item.get("sid")) for item in items}
        indices = [i for i in (_index(item.get("index")) for item in items) if i is not None]
        seen: set[str] = set()
        batch: list[dict[str, Any]] = []
        accepted: list[tuple[str, list[records.Media]]] = []
        with self._store.transaction() as tx:
            owners = tx.messages.conversations_of(s for s in sids if is_sid(s, "IM"))
            taken = tx.messages.taken_indices(row.sid, indices)
            for item in items:
                sid, index = str(item.get("sid")), _index(item.get("index"))
                if sid in seen:
                    self.summary.skip("message", sid, "the source listed this SID twice")
                    continue
                media = _media_records(item, self._scope)
                owner = owners.get(sid)
                if owner == row.sid:
                    self.summary.found("messages")
                else:
                    reason = _refusal(sid, index, owner is not None, taken)
                    if reason or index is None:
                        self.summary.skip("message", sid, reason or "no index")
                        continue
                    taken.add(index)
                    created = _date(item.get("date_created"))
                    batch.append(
                        {
                            "sid": sid,
                            "index": index,
                            "author": _text(item.get("author")),
                            "created_at": created,
                            "updated_at": _date(item.get("date_updated")) or created,
                            "archived": True,
                            "body": _text(item.get("body")),
                            "attributes": _attributes(item.get("attributes")),
                            "media": attachments_json(media) if media else None,
                        }
                    )
                seen.add(sid)
                accepted.append((sid, media))
            written = tx.messages.insert_many(row.sid, batch)
            self.summary.add("messages", written)
            for sid, media in accepted:
                self._media_rows(tx, sid, media, stored_media)
            tx.checkpoints.put(checkpoint_name(row.sid), dumps(state))
        return written

    def _media_rows(
        self,
        tx: Any,
        message_sid: str,
        media: list[records.Media],
        stored_media: dict[str, tuple[str, int]],
    ) -> None:
        for item in media:
            if item.sid not in stored_media or tx.media.get(item.sid) is not None:
                continue
            key, size = stored_media[item.sid]
            tx.media.insert(
                sid=item.sid,
                scope=self._scope,
                content_type=item.content_type,
                size=size,
                storage_key=key,
                filename=item.filename,
                message_sid=message_sid,
            )
            self.summary.add("media")

    # -- replay mode -------------------------------------------------------------------------

    def _replay_messages(self, row: StoredConversation, state: Json) -> None:
        thread_id = row.thread_id or ""
        service = self.core.context.service_chat()
        since = _date(state.get("since"))
        already_sent = {
            message.metadata[SID_KEY]: message.id
            for message in service.list_messages(thread_id, page_size=200, start_time=since)
            if SID_KEY in message.metadata and message.deleted_on is None
        }
        for page in self._pages(row, state):
            stored_media = self._fetch_media(page.items)
            written = 0
            for item in page.items:
                if self._replay_one(row, item, already_sent, stored_media):
                    written += 1
            state["next"] = page.next_url or page.url
            self._save(row.sid, state)
            self._progress("messages", written)

    def _replay_one(
        self,
        row: StoredConversation,
        item: Json,
        already_sent: dict[str, str],
        stored_media: dict[str, tuple[str, int]],
    ) -> bool:
        store = self._store
        sid, index = str(item.get("sid")), _index(item.get("index"))
        existing = store.messages.get(sid) if is_sid(sid, "IM") else None
        if existing is not None:
            self.summary.found("messages")
            return False
        if not is_sid(sid, "IM") or index is None:
            self.summary.skip("message", sid, "not a message SID or no index")
            return False
        if store.messages.get_by_index(row.sid, index) is not None:
            self.summary.skip("message", sid, f"index {index} is taken in ACS by another message")
            return False
        author = _text(item.get("author"))
        body = _text(item.get("body"))
        attributes = _attributes(item.get("attributes"))
        media = _media_records(item, self._scope)
        created = _date(item.get("date_created"))
        acs_id = already_sent.get(sid)
        if acs_id is None:
            content = body or ", ".join(m.filename or m.sid for m in media)
            if not content:
                self.summary.skip("message", sid, "neither a body nor media")
                return False
            metadata = {SID_KEY: sid, INDEX_KEY: str(index), ATTRIBUTES_KEY: attributes}
            if created is not None:
                metadata[DATE_KEY] = iso(created)
            if not body:
                metadata[NO_BODY_KEY] = "true"
            if media:
                metadata[ATTACHMENT_FLAG] = "true"
                metadata[ATTACHMENTS] = attachments_json(media)
            member = store.participants.get_by_identity(row.sid, author) if author else None
            if member is None or not member.acs_user_id:
                metadata[AUTHOR_KEY] = author or ""
                chat = self.core.context.service_chat()
            else:
                chat = self.core.context.chat_as(member.acs_user_id)
            with self._pacer.slot(row.thread_id or ""):
                acs_id = chat.send_message(
                    row.thread_id or "",
                    content,
                    sender_display_name=author,
                    metadata=metadata,
                    idempotency_key=sid,
                )
        with store.transaction() as tx:
            try:
                tx.messages.insert(
                    sid=sid,
                    conversation_sid=row.sid,
                    index=index,
                    acs_message_id=acs_id,
                    author=author,
                    created_at=created,
                    updated_at=_date(item.get("date_updated")) or created,
                    body=body,
                    attributes=attributes,
                    media=attachments_json(media) if media else None,
                )
            except Conflict:
                self.summary.found("messages")
                return False
            self._media_rows(tx, sid, media, stored_media)
        self.summary.add("messages")
        return True

    # -- dry run -------------------------------------------------------------------------------

    def _dry_run(self, sid: str, row: StoredConversation | None) -> None:
        if row is None:
            self.summary.add("conversations")
        else:
            self.summary.found("conversations")
        store = self._store
        for participant in self.source.participants(sid):
            if not _text(participant.get("identity")):
                self.summary.skip("participant", str(participant.get("sid")), "not a chat member")
            elif store.participants.get(str(participant.get("sid"))) is None:
                self.summary.add("participants")
            else:
                self.summary.found("participants")
        for page in self.source.pages(self.source.messages_url(sid)):
            for item in page.items:
                message_sid = str(item.get("sid"))
                if is_sid(message_sid, "IM") and store.messages.get(message_sid):
                    self.summary.found("messages")
                else:
                    self.summary.add("messages")
                for media in _media_records(item, self._scope):
                    if store.media.get(media.sid) is None:
                        self.summary.add("media")
            self._progress("messages", len(page.items))


def _index(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _refusal(sid: str, index: int | None, elsewhere: bool, taken: set[int]) -> str | None:
    """Why a source message cannot be archived as it is, or None if it can."""
    if not is_sid(sid, "IM"):
        return "not a message SID"
    if elsewhere:
        return "SID already used by another conversation"
    if index is None:
        return "no index"
    if index in taken:
        return f"index {index} is taken in ACS by another message"
    return None
