"""Media brought over from Twilio: error pages, dead hosts and endless bodies never become media.

Twilio's temporary media links point at a real HTTP server on 127.0.0.1 (``media_host``): the
"Twilio" side is a real shim whose media resources are served as they are, except that their
``content_direct_temporary`` link names that server, as an expired or unreachable link would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.response import Response
from twilio.rest import Client

from tests.migration.conftest import ACCOUNT_SID, AUTH_TOKEN, PNG, Side
from tests.migration.media_host import OK_BYTES, MediaHost, dead_url, media_host
from twilio_compat.core import Core
from twilio_compat.migration import (
    HistoryImport,
    ImportOptions,
    MigrationRoutingHttpClient,
    RoutingPolicy,
    SourceError,
    TwilioSource,
)
from twilio_compat.migration.download import DownloadFailed, download, new_client
from twilio_compat.rest import AcsHttpClient
from twilio_compat.rest.media import upload_media

SIGNED = "?sig=secret-signature&se=2030-01-01"


class RelinkedHttpClient(AcsHttpClient):
    """The "Twilio" side as it is, with every media resource's download link set to ``link``."""

    def __init__(self, side: Side, link: str) -> None:
        super().__init__(handler=side.handler)
        self.link = link

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        answer = super().request(method, url, *args, **kwargs)
        if "/Media/ME" in url and answer.status_code == 200:
            body = json.loads(answer.text)
            body["links"]["content_direct_temporary"] = self.link
            answer = Response(200, json.dumps(body), answer.headers)
        return answer


@pytest.fixture
def host() -> Iterator[MediaHost]:
    with media_host() as running:
        yield running


def twilio_media(side: Side) -> str:
    """An ``ME...`` uploaded to the "Twilio" side's default service."""
    service = side.client.conversations.v1.configuration().fetch().default_chat_service_sid
    return str(upload_media(side.client, service, PNG, content_type="image/png")["sid"])


def media_bytes(source: TwilioSource, media_sid: str, **limits: int) -> bytes:
    with source.open_media(media_sid, **limits) as data:
        return data.read()


def downloaded(client: httpx.Client, url: str, max_bytes: int) -> bytes:
    with download(client, url, max_bytes=max_bytes) as data:
        return data.read()


def routed_send(twilio: Side, acs: Side, link: str, unique: str) -> tuple[Client, str, str]:
    """A conversation on ACS, and a message posted through the router with Twilio media."""
    router = MigrationRoutingHttpClient(
        twilio=RelinkedHttpClient(twilio, link),
        acs=AcsHttpClient(handler=acs.handler),
        policy=RoutingPolicy.all(),
    )
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=router)
    conversation = client.conversations.v1.conversations.create(unique_name=f"m-{unique}")
    client.conversations.v1.conversations(conversation.sid).participants.create(identity=unique)
    return client, conversation.sid, twilio_media(twilio)


def test_a_twilio_error_page_is_answered_as_a_twilio_error_never_stored_as_media(
    twilio_side: Side, acs_side: Side, host: MediaHost, unique: str
) -> None:
    link = f"{host.url}/forbidden{SIGNED}"
    client, sid, media_sid = routed_send(twilio_side, acs_side, link, unique)
    messages = client.conversations.v1.conversations(sid).messages

    with pytest.raises(TwilioRestException) as refused:
        messages.create(author=unique, media_sid=[media_sid])

    assert refused.value.status == 400
    assert media_sid in refused.value.msg and "HTTP 403" in refused.value.msg
    assert "secret-signature" not in refused.value.msg
    assert acs_side.adapter.store.media.get(media_sid) is None
    assert messages.list() == []


def test_an_unreachable_media_host_is_a_503_not_an_httpx_error(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    client, sid, media_sid = routed_send(twilio_side, acs_side, dead_url(), unique)

    with pytest.raises(TwilioRestException) as refused:
        client.conversations.v1.conversations(sid).messages.create(
            author=unique, media_sid=[media_sid]
        )

    assert refused.value.status == 503 and "ConnectError" in refused.value.msg
    assert acs_side.adapter.store.media.get(media_sid) is None


def test_media_served_by_twilio_is_copied_under_its_sid(
    twilio_side: Side, acs_side: Side, host: MediaHost, unique: str
) -> None:
    client, sid, media_sid = routed_send(twilio_side, acs_side, f"{host.url}/ok", unique)

    sent = client.conversations.v1.conversations(sid).messages.create(
        author=unique, media_sid=[media_sid]
    )

    assert [m["sid"] for m in sent.media or []] == [media_sid]
    copied = acs_side.adapter.store.media.get(media_sid)
    assert copied is not None and copied.size == len(OK_BYTES)


def test_the_source_streams_media_and_stops_at_the_cap(twilio_side: Side, host: MediaHost) -> None:
    relinked = Client(
        ACCOUNT_SID, AUTH_TOKEN, http_client=RelinkedHttpClient(twilio_side, f"{host.url}/endless")
    )
    media_sid = twilio_media(twilio_side)
    cap = 1024 * 1024

    with TwilioSource(relinked) as source, pytest.raises(SourceError) as refused:
        media_bytes(source, media_sid, max_bytes=cap)

    assert "larger than the limit" in str(refused.value)
    time.sleep(0.2)  # let the server notice the closed connection
    assert host.endless_sent < 64 * cap  # far less than the endless body; never all in memory


def test_the_source_refuses_an_error_page_without_showing_the_signed_link(
    twilio_side: Side, host: MediaHost
) -> None:
    link = f"{host.url}/forbidden{SIGNED}"
    relinked = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=RelinkedHttpClient(twilio_side, link))
    media_sid = twilio_media(twilio_side)

    with TwilioSource(relinked) as source, pytest.raises(SourceError) as refused:
        media_bytes(source, media_sid)

    assert refused.value.status == 403
    assert "secret-signature" not in str(refused.value)


def test_an_import_records_a_failed_media_download_and_keeps_the_message(
    twilio_side: Side, acs_side: Side, host: MediaHost, unique: str
) -> None:
    conversations = twilio_side.client.conversations.v1.conversations
    conversation = conversations.create(unique_name=f"import-{unique}")
    conversations(conversation.sid).participants.create(identity=unique)
    media_sid = str(
        upload_media(
            twilio_side.client, conversation.chat_service_sid, PNG, content_type="image/png"
        )["sid"]
    )
    sent = conversations(conversation.sid).messages.create(author=unique, media_sid=[media_sid])
    link = f"{host.url}/forbidden{SIGNED}"
    relinked = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=RelinkedHttpClient(twilio_side, link))

    core = Core(acs_side.adapter)
    try:
        with TwilioSource(relinked) as source:
            summary = HistoryImport(source, core, ImportOptions(only=(conversation.sid,))).run()
    finally:
        core.close()

    assert [p.kind for p in summary.failed] == ["media"]
    assert "HTTP 403" in summary.failed[0].reason
    assert acs_side.adapter.store.messages.get(sent.sid) is not None
    assert acs_side.adapter.store.media.get(media_sid) is None


def test_one_client_downloads_many_times_and_reports_each_failure(host: MediaHost) -> None:
    with new_client() as client:
        assert downloaded(client, f"{host.url}/ok", len(OK_BYTES)) == OK_BYTES
        with pytest.raises(DownloadFailed) as too_large:
            downloaded(client, f"{host.url}/ok", len(OK_BYTES) - 1)
        with pytest.raises(DownloadFailed) as missing:
            downloaded(client, f"{host.url}/nothing", len(OK_BYTES))
    assert "larger than" in too_large.value.reason
    assert missing.value.status == 404
