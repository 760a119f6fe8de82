"""`twilio-acs serve --public-url` serves local media itself, at URLs under the public URL.

The links it hands out (`links.content_direct_temporary`) point at `<public URL>/media/...`,
signed with a key that does not change with a restart (derived from the ACS access key, or
`TWILIO_COMPAT_MEDIA_SECRET`), so a link issued before a restart still works after it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from twilio.rest import Client

from acs_emulator import AcsEmulator
from tests.rest.test_serve import ShimHttpClient
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.webhooks.test_serve_events import _free_port, _serving
from twilio_compat.rest.media import upload_media


def test_media_links_point_at_the_public_url_and_survive_a_restart(tmp_path: Path) -> None:
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    with AcsEmulator() as emulator:
        with _serving(emulator, tmp_path, port, TWILIO_COMPAT_PUBLIC_URL=public) as base:
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
            conversation = client.conversations.v1.conversations.create(friendly_name="Media")
            media = upload_media(
                client,
                conversation.chat_service_sid,
                b"kept across restarts",
                content_type="text/plain",
                filename="note.txt",
            )
            link = media["links"]["content_direct_temporary"]
            assert link.startswith(f"{public}/media/")
            first = httpx.get(link)
            assert (first.status_code, first.content) == (200, b"kept across restarts")
            assert first.headers["content-disposition"].endswith('filename="note.txt"')
        with _serving(emulator, tmp_path, port, TWILIO_COMPAT_PUBLIC_URL=public):
            again = httpx.get(link)
            assert (again.status_code, again.content) == (200, b"kept across restarts")
            tampered = link.replace("signature=", "signature=0")
            assert httpx.get(tampered).status_code == 403
            assert httpx.get(f"{public}/media/unknown-key").status_code in (403, 404)
