"""The same calls through twilio-python's ``*_async`` methods and ``AsyncAcsHttpClient``."""

from __future__ import annotations

import asyncio
import json

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


async def test_async_conversation_participant_message_flow(
    async_client: Client, unique: str
) -> None:
    v1 = async_client.conversations.v1
    created = await v1.conversations.create_async(
        unique_name=f"async-{unique}", friendly_name="async", attributes=json.dumps({"a": 1})
    )
    fetched = await v1.conversations(f"async-{unique}").fetch_async()
    assert fetched.sid == created.sid
    conversation = v1.conversations(created.sid)
    participant = await conversation.participants.create_async(identity="anna")
    with pytest.raises(TwilioRestException) as duplicate:
        await conversation.participants.create_async(identity="anna")
    assert duplicate.value.code == 50433

    await asyncio.gather(
        *(conversation.messages.create_async(author="anna", body=f"b{i}") for i in range(3))
    )
    newest = await conversation.messages.list_async(order="desc", limit=2)
    assert [m.index for m in newest] == [2, 1]
    assert {m.participant_sid for m in newest} == {participant.sid}
    every = [m async for m in await conversation.messages.stream_async(page_size=1)]
    assert sorted(m.body for m in every) == ["b0", "b1", "b2"]

    updated = await conversation.update_async(friendly_name="renamed")
    assert updated.friendly_name == "renamed"
    if hasattr(conversation, "fetch_with_http_info_async"):  # newer twilio versions only
        info = await conversation.fetch_with_http_info_async()
        assert info.status_code == 200
    assert await conversation.delete_async() is True
    with pytest.raises(TwilioRestException) as gone:
        await conversation.fetch_async()
    assert gone.value.code == 20404


async def test_is_async_flag_is_what_twilio_checks(async_client: Client) -> None:
    assert async_client.http_client.is_async is True
