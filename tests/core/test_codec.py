"""The one codec for what the shim keeps in ACS message metadata and in stored JSON."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from twilio_compat.core import codec, records
from twilio_compat.core.codec import MessageMetadata

WHEN = datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=timezone.utc)
SID = "IM" + "a" * 32
PHOTO = records.Media(
    sid="ME" + "b" * 32,
    service_sid="IS" + "c" * 32,
    content_type="image/png",
    filename="photo.png",
    size=1234,
    date_created=None,
)


def test_every_fact_survives_a_round_trip() -> None:
    sent = MessageMetadata(
        sid=SID,
        index=7,
        author="alice",
        attributes='{"priority": "high"}',
        attachments=codec.encode_attachments([PHOTO]),
        no_body=True,
        date_created=WHEN,
    )

    metadata = sent.encode()

    assert metadata[codec.SID_KEY] == SID and metadata[codec.INDEX_KEY] == "7"
    assert metadata[codec.ATTACHMENT_FLAG] == "true" and metadata[codec.NO_BODY_KEY] == "true"
    assert all(isinstance(value, str) for value in metadata.values())  # ACS metadata is strings
    assert MessageMetadata.decode(metadata) == sent
    assert codec.decode_attachments(sent.attachments, PHOTO.service_sid) == (PHOTO,)


def test_only_what_is_carried_is_written() -> None:
    assert MessageMetadata().encode() == {}
    assert MessageMetadata(author="bob").encode() == {codec.AUTHOR_KEY: "bob"}
    assert MessageMetadata(author="").encode() == {codec.AUTHOR_KEY: ""}


def test_an_acs_native_message_carries_nothing() -> None:
    decoded = MessageMetadata.decode({"customKey": "value"})

    assert decoded == MessageMetadata()
    assert decoded.twilio_sid is None


@pytest.mark.parametrize(
    ("metadata", "twilio_sid"),
    [
        ({codec.SID_KEY: SID, codec.INDEX_KEY: "3"}, SID),
        ({codec.SID_KEY: SID}, None),  # no index: not sent through the shim
        ({codec.SID_KEY: SID, codec.INDEX_KEY: "-1"}, None),
        ({codec.SID_KEY: SID, codec.INDEX_KEY: "²"}, None),  # a digit int() cannot read
        ({codec.SID_KEY: "CH" + "a" * 32, codec.INDEX_KEY: "3"}, None),
    ],
)
def test_a_twilio_sid_needs_a_message_sid_and_an_index(
    metadata: dict[str, str], twilio_sid: str | None
) -> None:
    decoded = MessageMetadata.decode(metadata)

    assert decoded.sid == metadata[codec.SID_KEY]  # what the message says, for readers
    assert decoded.twilio_sid == twilio_sid


def test_unreadable_values_are_left_out() -> None:
    decoded = MessageMetadata.decode(
        {
            codec.ATTRIBUTES_KEY: "{not json",
            codec.ATTACHMENT_FLAG: "true",
            codec.ATTACHMENTS: "[broken",
            codec.NO_BODY_KEY: "yes",
            codec.DATE_KEY: "yesterday",
        }
    )

    assert decoded.attributes == "{}"
    assert decoded.attachments is None and not decoded.no_body and decoded.date_created is None


def test_attachments_need_their_flag() -> None:
    listed = codec.encode_attachments([PHOTO])

    assert MessageMetadata.decode({codec.ATTACHMENTS: listed}).attachments is None
    flagged = {codec.ATTACHMENTS: listed, codec.ATTACHMENT_FLAG: "true"}
    assert MessageMetadata.decode(flagged).attachments == listed


def test_attachment_lists_skip_what_is_not_media() -> None:
    text = '[{"sid": "ME1"}, "junk", {"contentType": "x"}]'

    (only,) = codec.decode_attachments(text, PHOTO.service_sid)

    assert only.sid == "ME1" and only.content_type == "application/octet-stream"
    assert codec.decode_attachments("not json", PHOTO.service_sid) == ()
    assert codec.decode_attachments(None, PHOTO.service_sid) == ()


def test_timers_round_trip_and_empty_timers_store_nothing() -> None:
    text = codec.encode_timers(inactive="PT5M", date_inactive=WHEN, date_closed=WHEN)

    assert codec.decode_timers(text) == records.Timers(
        inactive="PT5M", date_inactive=WHEN, date_closed=WHEN
    )
    assert codec.encode_timers() is None
    assert codec.decode_timers(None) == records.Timers()


@pytest.mark.parametrize(
    ("value", "kept"),
    [('{"a": 1}', '{"a": 1}'), ("", "{}"), (None, "{}"), ("{oops", "{}"), ("[" * 100_000, "{}")],
)
def test_json_or_empty(value: object, kept: str) -> None:
    assert codec.json_or_empty(value) == kept


def test_timers_are_due_when_they_next_move_the_stored_state() -> None:
    later = WHEN + timedelta(days=30)
    both = codec.encode_timers(
        inactive="PT1M", closed="P30D", date_inactive=WHEN, date_closed=later
    )
    closing = codec.encode_timers(closed="P30D", date_closed=later)
    inactivating = codec.encode_timers(inactive="PT1M", date_inactive=WHEN)
    assert codec.timers_due_at("active", both) == WHEN
    assert codec.timers_due_at("active", closing) == later
    assert codec.timers_due_at("inactive", both) == later
    assert codec.timers_due_at("inactive", inactivating) is None
    assert codec.timers_due_at("closed", both) is None
    assert codec.timers_due_at("active", None) is None
