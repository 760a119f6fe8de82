"""`twilio-acs serve` with Event Grid protected by Microsoft Entra ID instead of a secret.

The emulator signs its deliveries with tokens of its own tenant; `serve` learns the tenant,
the webhook app and the authority from `ACS_EVENTGRID_TENANT_ID`, `ACS_EVENTGRID_AUDIENCE` and
`AZURE_AUTHORITY_HOST`, accepts those deliveries (a native message posts its webhook) and
answers 401 to a delivery whose token names another app or comes from another calling app.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import requests
from twilio.rest import Client

from acs_adapter.events.entra_auth import SUBSCRIBER_ROLE
from acs_emulator import AcsEmulator
from acs_emulator.entra.eventgrid import EVENTGRID_APP_ID
from tests.rest.test_serve import ShimHttpClient
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer
from tests.webhooks.test_serve_events import _free_port, _native_message, _serving, _wait_for

APP = f"api://{uuid.uuid4()}"


def test_serve_takes_entra_signed_deliveries_and_refuses_other_tokens(tmp_path: Path) -> None:
    port = _free_port()
    receiver = f"http://127.0.0.1:{port}/eventgrid"
    with (
        AcsEmulator(eventgrid_webhooks=[receiver], eventgrid_entra_audience=APP) as emulator,
        WebhookServer().running() as hooks,
        _serving(
            emulator,
            tmp_path,
            port,
            ACS_EVENTGRID_TENANT_ID=emulator.entra.tenant_id,
            ACS_EVENTGRID_AUDIENCE=APP,
            AZURE_AUTHORITY_HOST=emulator.entra.authority,
        ) as base,
    ):
        other_app = emulator.entra.issue(
            EVENTGRID_APP_ID, f"api://{uuid.uuid4()}", claims={"roles": [SUBSCRIBER_ROLE]}
        )
        another_caller = emulator.entra.issue(
            str(uuid.uuid4()), APP, claims={"roles": [SUBSCRIBER_ROLE]}
        )
        for token in (other_app, another_caller):
            refused = requests.post(
                f"{base}/eventgrid",
                json=[],
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert refused.status_code == 401
        assert requests.post(f"{base}/eventgrid", json=[], timeout=10).status_code == 401

        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
        client.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onMessageAdded"], method="POST"
        )
        conversation = client.conversations.v1.conversations.create(friendly_name="Entra")
        conversation.participants.create(identity="ola")
        _native_message(emulator, tmp_path / "store.sqlite3", "ola", conversation.sid)
        _wait_for(hooks, "onMessageAdded")
        assert emulator.wait_for_deliveries(30)
        stats = emulator.eventgrid_stats
        assert stats.dropped == 0 and stats.handshakes == 1
    log = (tmp_path / "server.log").read_text()
    assert "refused an Event Grid delivery" in log and "calling app (appid" in log
    native = hooks.of("onMessageAdded")[0].params
    assert (native["Source"], native["ClientIdentity"]) == ("SDK", "ola")
