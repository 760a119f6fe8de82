"""Media: upload at the Media Content Service URL, send by media_sid, fetch temporary URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from urllib3 import encode_multipart_formdata

from acs_adapter.adapter import AcsAdapter
from acs_adapter.media import LocalMediaStore
from tests.fixtures.threads import thread_of
from twilio_compat.rest import WireHandler
from twilio_compat.rest.media import upload_media

from .conftest import adapter_settings

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_upload_then_send_by_media_sid(
    client: Client, adapter: AcsAdapter, handler: WireHandler, unique: str
) -> None:
    conversation = client.conversations.v1.conversations.create(unique_name=f"media-{unique}")
    media = upload_media(
        client, conversation.chat_service_sid, PNG, content_type="image/png", filename="car.png"
    )
    assert media["sid"].startswith("ME") and len(media["sid"]) == 34
    assert (media["size"], media["content_type"], media["filename"]) == (
        len(PNG),
        "image/png",
        "car.png",
    )
    temporary = media["links"]["content_direct_temporary"]
    assert temporary.startswith("http://127.0.0.1:")  # the local media server, plain HTTP
    downloaded = httpx.get(temporary)
    assert downloaded.status_code == 200 and downloaded.content == PNG

    sent = client.conversations.v1.conversations(conversation.sid).messages.create(
        author="alice", media_sid=media["sid"]
    )
    assert sent.body is None
    assert sent.media == [
        {
            "sid": media["sid"],
            "size": len(PNG),
            "content_type": "image/png",
            "filename": "car.png",
        }
    ]
    fetched = client.conversations.v1.conversations(conversation.sid).messages(sent.sid).fetch()
    assert fetched.media[0]["sid"] == media["sid"]

    # ACS-native apps see the attachment in the message metadata
    stored = adapter.store.messages.get(sent.sid)
    thread = thread_of(adapter, conversation.sid)
    assert stored is not None and stored.acs_message_id and thread
    acs = handler.core.directory.service_chat().get_message(thread, stored.acs_message_id)
    assert acs.metadata["hasAttachment"] == "true"
    assert json.loads(acs.metadata["attachments"]) == [
        {"sid": media["sid"], "contentType": "image/png", "filename": "car.png", "size": len(PNG)}
    ]


def test_media_sid_can_be_used_once_and_must_exist(client: Client, unique: str) -> None:
    conversation = client.conversations.v1.conversations.create(unique_name=f"once-{unique}")
    media = upload_media(client, conversation.chat_service_sid, b"abc", content_type="text/plain")
    messages = client.conversations.v1.conversations(conversation.sid).messages
    messages.create(media_sid=media["sid"], body="with a file")
    with pytest.raises(TwilioRestException) as reused:
        messages.create(media_sid=media["sid"])
    assert reused.value.status == 400
    with pytest.raises(TwilioRestException) as unknown:
        messages.create(media_sid="ME" + "0" * 32)
    assert unknown.value.status == 400
    assert [m.body for m in messages.list()] == ["with a file"]


def test_fetch_media_resource_and_empty_upload(client: Client) -> None:
    service = client.conversations.v1.conversations.create().chat_service_sid
    media = upload_media(client, service, b"hello", content_type="text/plain")
    url = f"https://mcs.us1.twilio.com/v1/Services/{service}/Media/{media['sid']}"
    fetched = json.loads(client.request("GET", url).text)
    assert fetched["sid"] == media["sid"] and fetched["size"] == 5
    with pytest.raises(TwilioRestException) as empty:
        upload_media(client, service, b"", content_type="text/plain")
    assert empty.value.status == 400


def test_multipart_form_uploads_like_the_client_sdks_send(client: Client) -> None:
    service = client.conversations.v1.conversations.create().chat_service_sid
    url = f"https://mcs.us1.twilio.com/v1/Services/{service}/Media"
    body, content_type = encode_multipart_formdata(
        {"note": "a plain field first", "media": ("car.png", PNG, "image/png")}
    )
    uploaded = client.request("POST", url, data=body, headers={"Content-Type": content_type})
    assert uploaded.status_code == 201
    media = json.loads(uploaded.text)
    assert (media["filename"], media["content_type"], media["size"]) == (
        "car.png",
        "image/png",
        len(PNG),
    )
    assert httpx.get(media["links"]["content_direct_temporary"]).content == PNG


def test_multipart_upload_without_a_part_is_refused(client: Client) -> None:
    service = client.conversations.v1.conversations.create().chat_service_sid
    url = f"https://mcs.us1.twilio.com/v1/Services/{service}/Media"
    empty = client.request(
        "POST",
        url,
        data=b"--b--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert empty.status_code == 400
    assert json.loads(empty.text)["message"] == "The multipart media upload has no file part"


def test_adapter_serves_local_media_while_open(emulator: AcsEmulator, tmp_path: Path) -> None:
    """Without a public base URL the adapter itself serves the files its links point at."""
    with AcsAdapter.open(adapter_settings(emulator, tmp_path)) as opened:
        assert isinstance(opened.media, LocalMediaStore)
        base = opened.media.base_url
        assert base is not None and base.startswith("http://127.0.0.1:")
        stored = opened.media.put(b"served", content_type="text/plain")
        link = opened.media.temporary_url(stored.key, ttl_seconds=60)
        assert httpx.get(link).content == b"served"
    with pytest.raises(httpx.TransportError):  # closing the adapter stopped the server
        httpx.get(link)


def test_the_advertised_content_link_leads_to_the_bytes(client: Client) -> None:
    """``links.content`` (``/v1/Services/IS.../Media/ME.../Content``) is where Twilio's Media
    Content Service serves the file: it redirects to the short-lived storage URL, the one
    ``links.content_direct_temporary`` shows (twilio.com/docs/conversations/api/media-resource).
    """
    service = client.conversations.v1.conversations.create().chat_service_sid
    media = upload_media(client, service, PNG, content_type="image/png", filename="car.png")
    content = "https://mcs.us1.twilio.com" + media["links"]["content"]
    assert content.endswith(f"/Services/{service}/Media/{media['sid']}/Content")
    answer = client.request("GET", content)
    assert answer.status_code == 307
    location = answer.headers["Location"]
    assert location.startswith("http://127.0.0.1:")
    downloaded = httpx.get(location)
    assert downloaded.status_code == 200 and downloaded.content == PNG
    missing = client.request("GET", content.replace(media["sid"], "ME" + "0" * 32))
    assert missing.status_code == 404
    assert json.loads(missing.text)["code"] == 20404
