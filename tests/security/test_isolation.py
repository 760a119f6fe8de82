"""What one identity cannot reach: another user's thread (ACS enforces it on the user's own
token), and files outside the media store through names chosen by the uploader."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.errors import Forbidden
from tests.fixtures.threads import thread_of
from tests.hostile.conftest import ACCOUNT_SID
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.rest.media import upload_media


@pytest.fixture
def client(handler: WireHandler) -> Client:
    return Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))


def test_a_user_cannot_read_or_write_a_thread_it_is_not_in(
    adapter: AcsAdapter,
    client: Client,
    handler: WireHandler,
) -> None:
    conversation = client.conversations.v1.conversations.create(friendly_name="private")
    client.conversations.v1.conversations(conversation.sid).participants.create(identity="insider")
    client.conversations.v1.conversations(conversation.sid).messages.create(
        author="insider", body="secret"
    )
    thread = thread_of(adapter, conversation.sid)
    outsider = adapter.chat.as_user(adapter.directory.acs_user_for("outsider"))
    with pytest.raises(Forbidden):
        list(outsider.list_messages(thread))
    with pytest.raises(Forbidden):
        outsider.send_message(thread, "let me in")
    with pytest.raises(Forbidden):
        outsider.get_thread(thread)
    bodies = [
        m.body for m in client.conversations.v1.conversations(conversation.sid).messages.list()
    ]
    assert bodies == ["secret"]


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/shadow",
        "a/../../b",
        "%2e%2e%2fx",
        "\x00x",
    ],
)
def test_uploaded_file_names_never_become_paths(
    adapter: AcsAdapter,
    client: Client,
    handler: WireHandler,
    tmp_path: Path,
    filename: str,
) -> None:
    media_root = Path(adapter.settings.media.reveal().removeprefix("file://"))
    outside_before = sorted(p.name for p in media_root.parent.iterdir())
    service = handler.core.services.default_sid
    try:
        media = upload_media(
            client, service, b"payload", content_type="text/plain", filename=filename
        )
    except Exception as refused:  # a refused name is fine; it must be Twilio's 400
        assert getattr(refused, "status", None) == 400
        return
    served = httpx.get(media["links"]["content_direct_temporary"])
    assert served.content == b"payload"
    assert sorted(p.name for p in media_root.parent.iterdir()) == outside_before
    for path in media_root.rglob("*"):
        assert path.resolve().is_relative_to(media_root.resolve())
    assert json.dumps(media["filename"])  # reported back as data, not used as a path
