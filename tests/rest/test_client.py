"""Only the import line changes: ``twilio_compat.rest.Client`` and ``twilio_compat.install()``."""

from __future__ import annotations

import twilio.rest
from twilio.http.http_client import TwilioHttpClient

import twilio_compat
from twilio_compat.rest.routing import RoutingHttpClient, answered_by_shim

from .conftest import ENV_ACCOUNT_SID


def test_changing_the_import_is_enough(acs_environment: None, unique: str) -> None:
    from twilio_compat.rest import Client

    client = Client()  # credentials from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, as in twilio
    assert client.account_sid == ENV_ACCOUNT_SID
    created = client.conversations.v1.conversations.create(unique_name=f"env-{unique}")
    assert client.conversations.v1.conversations(f"env-{unique}").fetch().sid == created.sid
    second = Client()
    assert second.conversations.v1.conversations(created.sid).fetch().sid == created.sid


def test_other_twilio_products_keep_their_http_client(acs_environment: None) -> None:
    from twilio_compat.rest import Client

    own = TwilioHttpClient(timeout=7)
    client = Client(http_client=own)
    assert isinstance(client.http_client, RoutingHttpClient)
    assert client.http_client.fallback is own
    assert answered_by_shim("https://conversations.twilio.com/v1/Conversations")
    assert answered_by_shim("https://conversations.dublin.ie1.twilio.com/v1/Conversations")
    assert answered_by_shim("https://mcs.us1.twilio.com/v1/Services/IS1/Media")
    assert not answered_by_shim("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json")
    assert not answered_by_shim("https://conversations.example.com/v1/Conversations")


def test_install_routes_unedited_code_and_uninstall_restores(
    acs_environment: None, unique: str
) -> None:
    twilio_compat.install()
    try:
        twilio_compat.install()  # twice is harmless
        client = twilio.rest.Client()
        assert isinstance(client.http_client, RoutingHttpClient)
        created = client.conversations.v1.conversations.create(unique_name=f"inst-{unique}")
        assert created.unique_name == f"inst-{unique}"
    finally:
        twilio_compat.uninstall()
    assert not twilio_compat.installed()
    assert isinstance(twilio.rest.Client().http_client, TwilioHttpClient)
