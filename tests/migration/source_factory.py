"""`--source-factory` for subprocess tests: a "Twilio" shim from environment variables.

``MIGRATION_SOURCE_DELAY`` (seconds per request) stands in for a distant Twilio, so a test
can kill the importer while it is busy.
"""

from __future__ import annotations

import os
import time
from typing import Any

from twilio.rest import Client

from acs_adapter.config import Settings
from twilio_compat.rest import AcsHttpClient

ACCOUNT_SID = "AC" + "2" * 32


class SlowAcsHttpClient(AcsHttpClient):
    def request(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(float(os.environ.get("MIGRATION_SOURCE_DELAY", "0")))
        return super().request(*args, **kwargs)


def make_client() -> Client:
    settings = Settings.load(
        connection_string=os.environ["MIGRATION_SOURCE_CONNECTION"],
        ca_bundle=os.environ["MIGRATION_SOURCE_CA"],
        store_url=os.environ["MIGRATION_SOURCE_STORE"],
        media=os.environ["MIGRATION_SOURCE_MEDIA"],
        environ={},
    )
    http = SlowAcsHttpClient(settings, account_sid=ACCOUNT_SID)
    return Client(ACCOUNT_SID, "migration-auth-token", http_client=http)
