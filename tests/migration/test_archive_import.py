"""Archive import: Twilio's SIDs, indices, authors, dates, attributes and media, live after."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
from twilio.rest import Client

from tests.migration.conftest import PNG, Side, seed
from twilio_compat.core import Core
from twilio_compat.migration import HistoryImport, ImportOptions, TwilioSource, is_importing

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

BASE = "https://conversations.twilio.com/v1"


def raw(client: Client, url: str) -> dict[str, Any]:
    response = client.request("GET", url)
    assert response.status_code == 200, response.text
    return dict(json.loads(response.text))


def all_messages(client: Client, conversation_sid: str, page_size: int = 4) -> list[Any]:
    url: str | None = f"{BASE}/Conversations/{conversation_sid}/Messages?PageSize={page_size}"
    out: list[Any] = []
    while url:
        body = raw(client, url)
        out += body["messages"]
        url = body["meta"]["next_page_url"]
    return out


def run_import(twilio: Side, acs: Side, **options: Any) -> Any:
    core = Core(acs.adapter)
    try:
        source = TwilioSource(twilio.client)
        return HistoryImport(source, core, ImportOptions(**options)).run()
    finally:
        core.close()


def test_archive_keeps_every_field_and_both_faces_merge_live_messages(
    twilio_side: Side, acs_side: Side
) -> None:
    sids = seed(twilio_side.client, conversations=2, messages=7, media_every=3)
    twilio = twilio_side.client.conversations.v1
    gone = twilio.conversations(sids[0]).messages.list()[2]
    twilio.conversations(sids[0]).messages(gone.sid).delete()  # a gap, as Twilio keeps it
    twilio.conversations(sids[1]).participants.list()[0].update(last_read_message_index=4)

    summary = run_import(twilio_side, acs_side, keep_service_sid=True)

    assert summary.ok, summary.to_text()
    assert summary.imported["conversations"] == 2
    assert summary.imported["messages"] == 13
    assert summary.imported["media"] == 3  # one of the four was on the deleted message
    for sid in sids:
        assert not is_importing(acs_side.adapter.store, sid)
        for path in ("", "/Participants", "/Messages?PageSize=50"):
            url = f"{BASE}/Conversations/{sid}{path}"
            assert raw(acs_side.client, url) == raw(twilio_side.client, url)
        # paging over archived messages is identical too
        assert all_messages(acs_side.client, sid) == all_messages(twilio_side.client, sid)

    # the media bytes came along and are served under the original ME SID
    with_media = [m for m in all_messages(acs_side.client, sids[0]) if m["media"]]
    media_sid = with_media[0]["media"][0]["sid"]
    service = raw(acs_side.client, f"{BASE}/Conversations/{sids[0]}")["chat_service_sid"]
    media_url = f"https://mcs.us1.twilio.com/v1/Services/{service}/Media/{media_sid}"
    resource = raw(acs_side.client, media_url)
    assert httpx.get(resource["links"]["content_direct_temporary"]).content[:-1] == PNG

    # the conversation continues live on ACS: next index, real ACS message, one merged list
    acs = acs_side.client.conversations.v1.conversations(sids[0])
    alice = acs.participants.list()[0].identity
    live = acs.messages.create(author=alice, body="after the move")
    assert live.index == 7
    assert [m.index for m in acs.messages.list()] == [0, 1, 3, 4, 5, 6, 7]
    assert [m.index for m in acs.messages.list(order="desc", page_size=2)][:3] == [7, 6, 5]
    stored = acs_side.adapter.store.messages.get(live.sid)
    assert stored is not None and stored.acs_message_id and not stored.archived


def test_rerun_imports_nothing_twice_and_dry_run_writes_nothing(
    twilio_side: Side, acs_side: Side
) -> None:
    seed(twilio_side.client, conversations=2, messages=3, media_every=2)

    planned = run_import(twilio_side, acs_side, dry_run=True)
    assert planned.imported["messages"] == 6 and planned.imported["conversations"] == 2
    assert (
        acs_side.adapter.store.conversations.count(acs_side.handler.core.services.resolve(None))
        == 0
    )

    first = run_import(twilio_side, acs_side)
    second = run_import(twilio_side, acs_side)

    assert first.imported["messages"] == 6 and first.imported["media"] == 2
    assert second.imported == dict.fromkeys(second.imported, 0)
    assert second.already["conversations"] == 2


def test_roles_keep_their_sids_so_imported_role_sids_still_name_a_role(
    twilio_side: Side, acs_side: Side
) -> None:
    twilio = twilio_side.client.conversations.v1
    moderator = twilio.roles.create(
        friendly_name="moderator",
        type="conversation",
        permission=["sendMessage", "deleteAnyMessage", "removeParticipant"],
    )
    (sid,) = seed(twilio_side.client, conversations=1, messages=1)
    member = twilio.conversations(sid).participants.list()[0]
    member.update(role_sid=moderator.sid)

    summary = run_import(twilio_side, acs_side)
    assert summary.ok, summary.to_text()
    assert summary.imported["roles"] == len(twilio.roles.list())

    acs = acs_side.client.conversations.v1
    imported = acs.roles(moderator.sid).fetch()
    assert (imported.friendly_name, imported.type, imported.permissions) == (
        "moderator",
        "conversation",
        ["sendMessage", "deleteAnyMessage", "removeParticipant"],
    )
    fetched = acs.conversations(sid).participants(member.sid).fetch()
    assert fetched.role_sid == moderator.sid
    # The application keeps assigning the role by the SID it knew on Twilio.
    other = acs.conversations(sid).participants.list()[1]
    assert other.update(role_sid=moderator.sid).role_sid == moderator.sid

    again = run_import(twilio_side, acs_side)
    assert again.imported["roles"] == 0 and again.already["roles"] == summary.imported["roles"]


def test_a_conversation_acs_refused_is_not_counted_as_imported(
    twilio_side: Side, acs_side: Side, emulator: AcsEmulator
) -> None:
    """Its record may be written, but until its thread and messages are in ACS it is a failure
    to retry, never "imported"."""
    from acs_emulator.faults import Fault, FaultPlan

    (sid,) = seed(twilio_side.client, conversations=1, messages=2, media_every=0)
    emulator.set_faults(FaultPlan({"Chat_CreateChatThread": Fault(unavailable=1.0)}))
    try:
        summary = run_import(twilio_side, acs_side)
    finally:
        emulator.clear_faults()
    assert summary.imported["conversations"] == 0 and summary.imported["messages"] == 0
    assert [item.sid for item in summary.failed] == [sid]
    again = run_import(twilio_side, acs_side)
    assert again.ok, again.to_text()
    assert again.imported["messages"] == 2
