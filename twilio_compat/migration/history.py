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

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from twilio_compat.core import records
from twilio_compat.core.adapter_types import AdapterError, Conflict
from twilio_compat.core.codec import (
    MessageMetadata,
    encode_attachments,
    encode_timers,
    json_or_empty,
    timers_due_at,
)
from twilio_compat.core.imports import (
    ImportedConversation,
    ImportedMedia,
    ImportedMessage,
    ImportedParticipant,
    ImportedRole,
    ImportedUser,
    ImportWrites,
)
from twilio_compat.core.roles import ROLE_TYPES
from twilio_compat.core.stamps import dumps, iso, now, parse_iso
from twilio_compat.migration.pacing import ThreadPacer
from twilio_compat.migration.source import SourceError, SourcePage, TwilioSource
from twilio_compat.migration.summary import ImportSummary
from twilio_compat.sids import is_sid

if TYPE_CHECKING:
    from twilio_compat.core import Core

Json = dict[str, Any]
Progress = Callable[[str, int], None]
MODES = ("archive", "replay")


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


def _binding(participant: Json) -> tuple[str, str, str] | None:
    """(type, address, proxy address) of an SMS/WhatsApp participant; None for any other."""
    binding = participant.get("messaging_binding")
    if not isinstance(binding, dict):
        return None
    kind, address, proxy = (_text(binding.get(k)) for k in ("type", "address", "proxy_address"))
    if kind not in ("sms", "whatsapp") or not address or not proxy:
        return None
    return kind, address, proxy


def _timers(item: Json) -> str | None:
    timers = item.get("timers") or {}
    return encode_timers(
        date_inactive=_date(timers.get("date_inactive")),
        date_closed=_date(timers.get("date_closed")),
    )


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
        self._imports = core.imports
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
        has_default = self._imports.default_service_configured()
        default_empty = self._imports.conversation_count(services.resolve(None)) == 0
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
        imports = self._imports
        try:
            items = self.source.roles()
        except SourceError as exc:
            self.summary.fail("roles", self.source.service_sid, str(exc))
            return
        for item in items:
            sid = str(item.get("sid"))
            if imports.role_exists(sid):
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
            role = ImportedRole(
                sid=sid,
                scope=self._scope,
                friendly_name=name,
                type=kind,
                permissions=dumps(permissions),
                created_at=_date(item.get("date_created")),
                updated_at=_date(item.get("date_updated")),
            )
            if not self.options.dry_run and not imports.add_role(role):
                self.summary.found("roles")
                continue
            self.summary.add("roles")

    # -- users -----------------------------------------------------------------------------

    def _users(self) -> None:
        imports = self._imports
        for page in self.source.pages(self.source.users_url()):
            for item in page.items:
                sid, identity = str(item.get("sid")), _text(item.get("identity"))
                if imports.user_exists(sid):
                    self.summary.found("users")
                    continue
                other = imports.user_sid(self._scope, identity) if identity else None
                if not identity or other is not None:
                    reason = f"identity already has user {other}" if other else "no identity"
                    self.summary.skip("user", sid, reason)
                    continue
                user = ImportedUser(
                    sid=sid,
                    scope=self._scope,
                    identity=identity,
                    friendly_name=_text(item.get("friendly_name")),
                    attributes=json_or_empty(item.get("attributes")),
                    role_sid=_text(item.get("role_sid")),
                    created_at=_date(item.get("date_created")),
                    updated_at=_date(item.get("date_updated")),
                )
                if not self.options.dry_run and not imports.add_user(user):
                    self.summary.found("users")
                    continue
                self.summary.add("users")

    # -- one conversation ------------------------------------------------------------------

    def _conversation(self, item: Json) -> None:
        sid = str(item.get("sid"))
        if not is_sid(sid, "CH"):
            self.summary.fail("conversation", sid, "not a conversation SID")
            return
        state = self._imports.checkpoint(sid)
        if state is not None and state.get("mode", "archive") != self.options.mode:
            self.summary.skip("conversation", sid, f"already imported in {state.get('mode')} mode")
            return
        if state is not None and state.get("done"):
            self.summary.found("conversations")
            return
        row = self._imports.conversation(sid)
        if row is not None and state is None:
            self.summary.skip("conversation", sid, "already exists in ACS (not by an import)")
            return
        if self.options.dry_run:
            self._dry_run(sid, row)
            return
        fresh = row is None or state is None
        if row is None or state is None:
            row = self._create_record(item, sid)
            state = self._imports.checkpoint(sid)
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
        self._imports.save_checkpoint(sid, state)
        if self.options.mode == "replay":
            self._imports.mark_synced(sid)
        if fresh:  # counted once its thread and messages are in, not when its record is
            self.summary.add("conversations")

    def _create_record(self, item: Json, sid: str) -> records.Conversation | None:
        unique_name = _text(item.get("unique_name"))
        if unique_name and self._imports.unique_name_taken(self._scope, unique_name):
            self.summary.fail("conversation", sid, f"unique name {unique_name!r} is taken in ACS")
            return None
        created = _date(item.get("date_created"))
        state = {"mode": self.options.mode, "done": False, "since": iso(now())}
        conversation_state = _text(item.get("state")) or "active"
        timers = _timers(item)
        conversation = ImportedConversation(
            sid=sid,
            scope=self._scope,
            unique_name=unique_name,
            friendly_name=_text(item.get("friendly_name")),
            attributes=json_or_empty(item.get("attributes")),
            state=conversation_state,
            timers=timers,
            timer_due_at=timers_due_at(conversation_state, timers),
            messaging_service_sid=_text(item.get("messaging_service_sid")),
            created_at=created,
            updated_at=_date(item.get("date_updated")) or created,
            archived=self.options.mode == "archive",
        )
        try:
            row = self._imports.start_conversation(conversation, state)
        except Conflict as exc:
            self.summary.fail("conversation", sid, str(exc))
            return None
        return row

    def _members(self, sid: str) -> list[tuple[Json, str | None]]:
        """Chat participants with their ACS users, and SMS/WhatsApp participants (no ACS user);
        others (e-mail, group MMS) are skipped: ACS has no equivalent."""
        members: list[tuple[Json, str | None]] = []
        for participant in _in_listed_order(self.source.participants(sid)):
            identity = _text(participant.get("identity"))
            if not identity:
                binding = _binding(participant)
                if binding is None:
                    kind = (participant.get("messaging_binding") or {}).get("type", "non-chat")
                    self.summary.skip(
                        "participant",
                        str(participant.get("sid")),
                        f"{kind} participants have no ACS equivalent",
                    )
                    continue
                members.append((participant, None))
                continue
            members.append((participant, self._imports.acs_user_for(identity)))
        return members

    def _ensure_thread(
        self, row: records.Conversation, members: list[tuple[Json, str | None]]
    ) -> records.Conversation:
        pairs = [(acs_user, str(p["identity"])) for p, acs_user in members if acs_user]
        row, refused = self._imports.open_thread(row, pairs)
        for member in refused:
            self.summary.fail("participant", member.user_id, member.message or "refused")
        self._participants(row, members)
        return row

    def _participants(
        self, row: records.Conversation, members: list[tuple[Json, str | None]]
    ) -> None:
        with self._imports.transaction() as tx:
            for item, acs_user in members:
                sid = str(item.get("sid"))
                if tx.participant_exists(sid):
                    self.summary.found("participants")
                    continue
                binding = _binding(item) if acs_user is None else None
                identity = None if binding is not None else str(item["identity"])
                if identity is not None and tx.has_member(row.sid, identity):
                    self.summary.skip("participant", sid, f"{identity!r} is already a member")
                    continue
                if binding is not None and row.state != "closed":
                    holder = tx.pair_holder(binding[1], binding[2])
                    if holder is not None and holder != row.sid:
                        self.summary.skip(
                            "participant", sid, f"its binding is held by conversation {holder}"
                        )
                        continue
                tx.add_participant(
                    ImportedParticipant(
                        sid=sid,
                        conversation_sid=row.sid,
                        identity=identity,
                        acs_user_id=acs_user,
                        binding_type=binding[0] if binding else None,
                        binding_address=binding[1] if binding else None,
                        binding_proxy_address=binding[2] if binding else None,
                        attributes=json_or_empty(item.get("attributes")),
                        role_sid=_text(item.get("role_sid")),
                        last_read_index=_index(item.get("last_read_message_index")),
                        last_read_at=_date(item.get("last_read_timestamp")),
                        created_at=_date(item.get("date_created")),
                        updated_at=_date(item.get("date_updated")),
                    )
                )
                self.summary.add("participants")

    # -- archive mode ------------------------------------------------------------------------

    def _pages(self, row: records.Conversation, state: Json) -> Iterable[SourcePage]:
        start = state.get("next") or self.source.messages_url(row.sid)
        return self.source.pages(str(start))

    def _archive_messages(self, row: records.Conversation, state: Json) -> None:
        for page in self._pages(row, state):
            stored_media = self._fetch_media(page.items)
            state["next"] = page.next_url or page.url
            written = self._archive_page(row, page.items, stored_media, state)
            self._progress("messages", written)

    def _fetch_media(self, items: list[Json]) -> dict[str, tuple[str, int]]:
        """Media bytes not yet in the media store, fetched before the page's transaction."""
        out: dict[str, tuple[str, int]] = {}
        imports = self._imports
        for item in items:
            for media in _media_records(item, self._scope):
                if imports.media_exists(media.sid):
                    continue
                try:
                    with self.source.open_media(
                        media.sid, max_bytes=imports.media_max_bytes
                    ) as data:
                        out[media.sid] = imports.put_media(
                            media.sid,
                            data,
                            content_type=media.content_type,
                            filename=media.filename,
                        )
                except (SourceError, AdapterError) as exc:
                    self.summary.fail("media", media.sid, str(exc))
        return out

    def _archive_page(
        self,
        row: records.Conversation,
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
        batch: list[ImportedMessage] = []
        accepted: list[tuple[str, list[records.Media]]] = []
        with self._imports.transaction() as tx:
            owners = tx.message_owners([s for s in sids if is_sid(s, "IM")])
            taken = tx.taken_indices(row.sid, indices)
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
                    batch.append(_message(item, sid, index, media))
                seen.add(sid)
                accepted.append((sid, media))
            written = tx.add_archived(row.sid, batch)
            self.summary.add("messages", written)
            for sid, media in accepted:
                self._media_rows(tx, sid, media, stored_media)
            tx.save_checkpoint(row.sid, state)
        return written

    def _media_rows(
        self,
        tx: ImportWrites,
        message_sid: str,
        media: list[records.Media],
        stored_media: dict[str, tuple[str, int]],
    ) -> None:
        for item in media:
            if item.sid not in stored_media:
                continue
            key, size = stored_media[item.sid]
            recorded = ImportedMedia(
                sid=item.sid,
                scope=self._scope,
                content_type=item.content_type,
                size=size,
                storage_key=key,
                filename=item.filename,
                message_sid=message_sid,
            )
            if tx.add_media(recorded):
                self.summary.add("media")

    # -- replay mode -------------------------------------------------------------------------

    def _replay_messages(self, row: records.Conversation, state: Json) -> None:
        already_sent = self._imports.sent_in_thread(row.thread_id, _date(state.get("since")))
        for page in self._pages(row, state):
            stored_media = self._fetch_media(page.items)
            written = 0
            for item in page.items:
                if self._replay_one(row, item, already_sent, stored_media):
                    written += 1
            state["next"] = page.next_url or page.url
            self._imports.save_checkpoint(row.sid, state)
            self._progress("messages", written)

    def _replay_one(
        self,
        row: records.Conversation,
        item: Json,
        already_sent: dict[str, str],
        stored_media: dict[str, tuple[str, int]],
    ) -> bool:
        imports = self._imports
        sid, index = str(item.get("sid")), _index(item.get("index"))
        if is_sid(sid, "IM") and imports.message_exists(sid):
            self.summary.found("messages")
            return False
        if not is_sid(sid, "IM") or index is None:
            self.summary.skip("message", sid, "not a message SID or no index")
            return False
        if imports.index_taken(row.sid, index):
            self.summary.skip("message", sid, f"index {index} is taken in ACS by another message")
            return False
        media = _media_records(item, self._scope)
        message = _message(item, sid, index, media)
        acs_id = already_sent.get(sid)
        if acs_id is None:
            content = message.body or ", ".join(m.filename or m.sid for m in media)
            if not content:
                self.summary.skip("message", sid, "neither a body nor media")
                return False
            author = message.author
            sender = imports.member_acs_user(row.sid, author) if author else None
            carried = MessageMetadata(
                sid=sid,
                index=index,
                author=None if sender else author or "",
                attributes=message.attributes,
                attachments=message.media,
                no_body=not message.body,
                date_created=message.created_at,
            )
            with self._pacer.slot(row.thread_id):
                acs_id = imports.send(
                    row.thread_id, content, carried, sender=sender, display_name=author
                )
        with imports.transaction() as tx:
            try:
                tx.add_sent(row.sid, message, acs_id)
            except Conflict:
                self.summary.found("messages")
                return False
            self._media_rows(tx, sid, media, stored_media)
        self.summary.add("messages")
        return True

    # -- dry run -------------------------------------------------------------------------------

    def _dry_run(self, sid: str, row: records.Conversation | None) -> None:
        if row is None:
            self.summary.add("conversations")
        else:
            self.summary.found("conversations")
        imports = self._imports
        for participant in self.source.participants(sid):
            if not _text(participant.get("identity")) and _binding(participant) is None:
                self.summary.skip(
                    "participant", str(participant.get("sid")), "neither chat, SMS nor WhatsApp"
                )
            elif not imports.participant_exists(str(participant.get("sid"))):
                self.summary.add("participants")
            else:
                self.summary.found("participants")
        for page in self.source.pages(self.source.messages_url(sid)):
            for item in page.items:
                message_sid = str(item.get("sid"))
                if is_sid(message_sid, "IM") and imports.message_exists(message_sid):
                    self.summary.found("messages")
                else:
                    self.summary.add("messages")
                for media in _media_records(item, self._scope):
                    if not imports.media_exists(media.sid):
                        self.summary.add("media")
            self._progress("messages", len(page.items))


def _message(item: Json, sid: str, index: int, media: list[records.Media]) -> ImportedMessage:
    """A source message as the store keeps it."""
    created = _date(item.get("date_created"))
    return ImportedMessage(
        sid=sid,
        index=index,
        author=_text(item.get("author")),
        created_at=created,
        updated_at=_date(item.get("date_updated")) or created,
        body=_text(item.get("body")),
        attributes=json_or_empty(item.get("attributes")),
        media=encode_attachments(media) if media else None,
    )


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
