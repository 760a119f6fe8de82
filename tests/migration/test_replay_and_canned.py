"""Replay mode (history re-sent into ACS threads) and the importer on Twilio's own bodies."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.migration.conftest import ACCOUNT_SID, AUTH_TOKEN, Side, seed
from tests.migration.test_archive_import import BASE, all_messages, raw
from twilio_compat.core import Core
from twilio_compat.core.messages import SID_KEY
from twilio_compat.migration import (
    HistoryImport,
    ImportOptions,
    ThreadPacer,
    TwilioSource,
    Window,
)


def test_replay_sends_history_into_acs_with_original_values_in_metadata(
    twilio_side: Side, acs_side: Side
) -> None:
    sids = seed(twilio_side.client, conversations=2, messages=4, media_every=4)
    core = Core(acs_side.adapter)
    try:
        options = ImportOptions(mode="replay", keep_service_sid=True, workers=2)
        summary = HistoryImport(TwilioSource(twilio_side.client), core, options).run()
        assert summary.ok, summary.to_text()
        assert summary.imported["messages"] == 8 and summary.imported["media"] == 2
        for sid in sids:
            assert all_messages(acs_side.client, sid) == all_messages(twilio_side.client, sid)
            row = acs_side.adapter.store.conversations.get(sid)
            assert row is not None and row.thread_id
            native = [
                m
                for m in core.directory.service_chat().list_messages(row.thread_id)
                if m.type == "text"
            ]
            # ACS-native clients see the history, sent by its authors, with Twilio's SIDs
            assert sorted(m.metadata[SID_KEY] for m in native) == sorted(
                m["sid"] for m in all_messages(twilio_side.client, sid)
            )
            assert all(m.sender_id != core.directory.service_user for m in native)
        again = HistoryImport(TwilioSource(twilio_side.client), core, options).run()
        assert again.imported["messages"] == 0
    finally:
        core.close()


def test_pacer_keeps_each_thread_inside_its_windows() -> None:
    clock = [0.0]
    pacer = ThreadPacer(
        (Window(3, 10.0),),
        clock=lambda: clock[0],
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
    )
    sent = []
    for _ in range(7):
        pacer.wait("thread-a")
        sent.append(clock[0])
    assert sent[:3] == [0.0, 0.0, 0.0]
    assert all(sum(t - 10.0 < u <= t for u in sent) <= 3 for t in sent)
    assert sent[-1] >= 20.0  # 7 sends at 3 per 10 s need two full windows
    assert pacer.wait("thread-b") == 0.0  # other threads are not held back


def test_a_slot_counts_from_when_the_send_finished() -> None:
    """ACS counts a request when it arrives, which may be late in a slow send: the next
    window must open only after the send ended, or the emulator's limits refuse it."""
    clock = [0.0]
    pacer = ThreadPacer(
        (Window(1, 10.0),),
        clock=lambda: clock[0],
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
    )
    with pacer.slot("thread-a"):
        clock[0] += 2.0  # the send takes two seconds
    waited = pacer.wait("thread-a")
    assert clock[0] >= 12.0 and waited >= 10.0


class CannedTwilio(HttpClient):  # type: ignore[misc]
    """Answers GETs from Twilio's documented bodies, as a real account would."""

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        super().__init__(logging.getLogger("canned-twilio"), False)
        self.pages = pages

    def request(self, method: str, url: str, params: Any = None, **kwargs: Any) -> Response:
        path = url.split("?")[0].split("twilio.com/v1", 1)[-1]
        body = self.pages.get(path)
        if body is None:
            return Response(404, json.dumps({"code": 20404, "message": "not found"}))
        return Response(200, json.dumps(body))


def test_canned_twilio_bodies_import_with_their_real_shapes(
    shared_reference: Path, acs_side: Side
) -> None:
    canned = shared_reference / "twilio_canned"

    def load(name: str) -> dict[str, Any]:
        return dict(json.loads((canned / f"{name}.json").read_text()))

    conversation = load("conversation_fetch")
    sid, service = conversation["sid"], conversation["chat_service_sid"]
    messages = load("messages_list_page")
    chat_member, sms_member = load("participant_create_chat"), load("participant_create_sms")
    chat_member = {**chat_member, "identity": "pie_preferrer"}
    sms_member = {**sms_member, "sid": "MB" + "b" * 32}

    def page(key: str, items: list[Any]) -> dict[str, Any]:
        return {"meta": {"key": key, "next_page_url": None}, key: items}

    prefix = f"/Services/{service}"
    pages = {
        "/Configuration": {"default_chat_service_sid": service},
        f"{prefix}/Users": page("users", []),
        f"{prefix}/Conversations": page("conversations", [conversation]),
        f"{prefix}/Conversations/{sid}/Participants": page(
            "participants", [chat_member, sms_member]
        ),
        f"{prefix}/Conversations/{sid}/Messages": messages,
    }
    source = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=CannedTwilio(pages))
    core = Core(acs_side.adapter)
    try:
        summary = HistoryImport(TwilioSource(source), core, ImportOptions()).run()
    finally:
        core.close()

    reasons = {(p.kind, p.sid): p.reason for p in summary.skipped}
    assert ("participant", sms_member["sid"]) not in reasons  # SMS participants are kept
    imported_sms = raw(
        acs_side.client, f"{BASE}/Conversations/{sid}/Participants/{sms_member['sid']}"
    )
    assert imported_sms["identity"] is None
    assert imported_sms["messaging_binding"] == sms_member["messaging_binding"]
    # Twilio's sample page repeats one SID: the first is kept, the rest reported
    assert summary.imported["messages"] == 1
    assert any("listed this SID twice" in p.reason for p in summary.skipped)
    assert any(p.kind == "media" for p in summary.failed)  # no bytes behind the sample media

    fetched = raw(acs_side.client, f"{BASE}/Conversations/{sid}")
    for field in ("sid", "friendly_name", "unique_name", "attributes", "date_created"):
        assert fetched[field] == conversation[field]
    assert fetched["state"] == "closed"  # the sample's close timer fired long ago, as on Twilio
    assert fetched["messaging_service_sid"] == conversation["messaging_service_sid"]
    assert fetched["timers"] == conversation["timers"]
    first = raw(acs_side.client, f"{BASE}/Conversations/{sid}/Messages")["messages"][0]
    expected = messages["messages"][0]
    for field in (
        "sid",
        "index",
        "author",
        "body",
        "attributes",
        "date_created",
        "participant_sid",
    ):
        assert first[field] == expected[field], field
